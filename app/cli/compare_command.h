// attnviz-cli compare (two models on one sentence, or on each line of a file) and timeline (one
// model across the checkpoints of its training run). docs/compare.md.
#pragma once

#include "command_line.h"

namespace attnviz::cli {

CommandSpec compareCommand();
CommandSpec timelineCommand();

} // namespace attnviz::cli
