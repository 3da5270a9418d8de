// attnviz-cli attribute: attribution beside attention for a fixed output, and their agreement.
#pragma once

#include "command_line.h"

namespace attnviz::cli {

CommandSpec attributeCommand();

} // namespace attnviz::cli
