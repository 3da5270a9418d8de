// What the toolkit importers share: a toolkit's tensors renamed to the engine's and checked.
#pragma once

#include <attnviz/io/toolkit_import.h>

#include <functional>
#include <string>
#include <vector>

namespace attnviz::detail {

// Every tensor the config needs (expectedTensorShapes) is taken from `weights` under the name
// toolkitName(engineName) gives (a blockDiagonal name: the tensor twice on the diagonal, for
// OpenNMT's bidirectional bridge). A needed tensor that is missing, and a tensor of `weights`
// that nothing takes, are errors naming `what` ("model_state"). Then validateModel.
struct TensorSource
{
    std::string name;
    bool blockDiagonal = false; // [n, n] -> [2n, 2n] diag(W, W); [n] -> [2n] [b; b]
};

ModelFile assembleModel(const ModelConfig &config, std::vector<std::string> sourceVocab,
                        std::vector<std::string> targetVocab, const StateDict &weights,
                        const std::function<TensorSource(const std::string &)> &toolkitName, const std::string &what,
                        const std::string &displayName);

bool startsWith(const std::string &text, const std::string &prefix);

} // namespace attnviz::detail
