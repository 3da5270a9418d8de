#include "head_options.h"

#include <sstream>

namespace attnviz::cli {
namespace {

int headNumber(const std::string &text, const char *option, const ParsedCommand &command)
{
    size_t used = 0;
    int value = 0;
    try {
        value = std::stoi(text, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (used != text.size() || value < 1)
        throw UsageError(std::string("--") + option + " needs numbers from 1 (or "
                             + (std::string(option) == "layer" ? "'all'" : "'mean'") + "), not '" + text + "'",
                         command.command);
    return value - 1;
}

} // namespace

std::vector<OptionSpec> headOptions(bool selfAttention)
{
    std::vector<OptionSpec> options = {
        {"layer", "L", "Transformers: the decoder layer whose cross-attention is shown, from 1, or 'all' "
                       "(default: the last)"},
        {"head", "H", "Transformers: the head (from 1), heads '1,3' averaged, or 'mean' of all (default)"},
    };
    if (selfAttention)
        options.push_back({"self-attention", "", "Transformers: add the encoder's and decoder's self-attention "
                                                 "(--json)"});
    return options;
}

void applyHeadOptions(const ParsedCommand &command, DecodeOptions &options)
{
    if (command.has("layer")) {
        const std::string layer = command.value("layer");
        if (layer == "all")
            options.view.allLayers = true;
        else
            options.view.layer = headNumber(layer, "layer", command);
    }
    if (command.has("head")) {
        const std::string heads = command.value("head");
        if (options.view.allLayers && heads != "mean")
            throw UsageError("--layer all averages every head; leave out --head, or give one layer", command.command);
        if (heads != "mean") {
            std::stringstream list(heads);
            std::string item;
            while (std::getline(list, item, ','))
                options.view.heads.push_back(headNumber(item, "head", command));
        }
    }
    options.selfAttention = command.has("self-attention");
}

void checkHeadOptions(const ParsedCommand &command, bool transformer)
{
    if (transformer)
        return;
    for (const char *option : {"layer", "head", "self-attention"}) {
        if (command.has(option))
            throw UsageError(std::string("--") + option
                                 + " is for transformers; this model is an RNN with one attention per step",
                             command.command);
    }
}

} // namespace attnviz::cli
