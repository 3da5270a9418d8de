// attnviz-cli align: precision, recall and AER of a model's attention against gold alignments.
#pragma once

#include "command_line.h"

namespace attnviz::cli {

CommandSpec alignCommand();

} // namespace attnviz::cli
