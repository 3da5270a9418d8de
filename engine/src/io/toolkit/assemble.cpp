#include "io/toolkit/assemble.h"

#include "io/load_helpers.h"

#include <set>

namespace attnviz::detail {

namespace {

Tensor blockDiagonal(const Tensor &t)
{
    Tensor out;
    if (t.shape.size() == 1) {
        const int64_t n = t.shape[0];
        out.shape = {2 * n};
        std::vector<float> values(static_cast<size_t>(2 * n));
        for (int64_t i = 0; i < n; ++i)
            values[i] = values[n + i] = t.values[i];
        out.values = FloatBuffer(std::move(values));
        return out;
    }
    const int64_t rows = t.shape[0], cols = t.shape[1];
    out.shape = {2 * rows, 2 * cols};
    std::vector<float> values(static_cast<size_t>(4 * rows * cols), 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            const float v = t.values[r * cols + c];
            values[r * 2 * cols + c] = v;
            values[(rows + r) * 2 * cols + cols + c] = v;
        }
    }
    out.values = FloatBuffer(std::move(values));
    return out;
}

} // namespace

bool startsWith(const std::string &text, const std::string &prefix)
{
    return text.compare(0, prefix.size(), prefix) == 0;
}

ModelFile assembleModel(const ModelConfig &config, std::vector<std::string> sourceVocab,
                        std::vector<std::string> targetVocab, const StateDict &weights,
                        const std::function<TensorSource(const std::string &)> &toolkitName, const std::string &what,
                        const std::string &displayName)
{
    ModelFile model;
    model.config = config;
    model.sourceVocab = std::move(sourceVocab);
    model.targetVocab = std::move(targetVocab);
    std::set<std::string> taken;
    const auto shapes = expectedTensorShapes(config, static_cast<int64_t>(model.sourceVocab.size()),
                                             static_cast<int64_t>(model.targetVocab.size()));
    for (const auto &[name, shape] : shapes) {
        const TensorSource source = toolkitName(name);
        const auto it = weights.find(source.name);
        if (it == weights.end())
            throwModelError(displayName, what + " has no tensor '" + source.name + "', which this configuration ("
                                             + describeArchitecture(config) + ") needs as " + name);
        const Tensor &t = it->second;
        const bool square = t.shape.size() == 2 && t.shape[0] == t.shape[1];
        if (source.blockDiagonal && !(t.shape.size() == 1 || square))
            throwModelError(displayName, what + " tensor '" + source.name + "' has shape " + shapeToString(t.shape)
                                             + ", expected a square matrix or a vector");
        Tensor copy = source.blockDiagonal ? blockDiagonal(t) : t;
        if (copy.shape != shape)
            throwModelError(displayName, what + " tensor '" + source.name + "' has shape " + shapeToString(t.shape)
                                             + ", but the configuration needs " + shapeToString(shape) + " for "
                                             + name);
        model.tensors.emplace(name, std::move(copy));
        taken.insert(source.name);
    }
    for (const auto &entry : weights) {
        if (!taken.count(entry.first))
            throwModelError(displayName, what + " has a tensor '" + entry.first
                                             + "' that the configuration does not explain ("
                                             + describeArchitecture(config) + ")");
    }
    validateModel(model, displayName);
    return model;
}

} // namespace attnviz::detail
