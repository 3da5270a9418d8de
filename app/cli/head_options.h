// --layer and --head: which of a transformer's attentions the alignment shows (an RNN has one,
// and refuses them), and --self-attention.
#pragma once

#include "command_line.h"

#include <attnviz/decoding/options.h>

#include <vector>

namespace attnviz::cli {

// --layer L|all, --head H[,H...]|mean, and with selfAttention --self-attention.
std::vector<OptionSpec> headOptions(bool selfAttention);
// Sets options.view (counted from 1 on the command line, from 0 in it) and selfAttention.
// Throws UsageError for what does not parse.
void applyHeadOptions(const ParsedCommand &command, DecodeOptions &options);
// A UsageError when head options were given for a model without heads (an RNN).
void checkHeadOptions(const ParsedCommand &command, bool transformer);

} // namespace attnviz::cli
