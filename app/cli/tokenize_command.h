// attnviz-cli tokenize: the pieces a model reads for typed text.
#pragma once

#include "command_line.h"

namespace attnviz::cli {

CommandSpec tokenizeCommand();

} // namespace attnviz::cli
