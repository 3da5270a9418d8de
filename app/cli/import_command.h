// attnviz-cli import: the PyTorch tutorial's torch.save checkpoints to an attnviz model file.
#pragma once

#include "command_line.h"

namespace attnviz::cli {

CommandSpec importCommand();

} // namespace attnviz::cli
