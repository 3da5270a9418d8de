// attnviz-cli translate: one sentence, or one per line of a file.
#pragma once

#include "command_line.h"

namespace attnviz::cli {

CommandSpec translateCommand();

} // namespace attnviz::cli
