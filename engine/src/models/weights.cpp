#include "models/weights.h"

namespace attnviz {

MatrixView matrixView(const ModelFile &file, const std::string &name)
{
    const Tensor &t = file.tensors.at(name);
    return MatrixView(t.values.data(), t.shape[0], t.shape[1]);
}

LinearView linearView(const ModelFile &file, const std::string &prefix)
{
    const Tensor &w = file.tensors.at(prefix + ".weight");
    LinearView view;
    view.weightData = w.values.data();
    view.outFeatures = static_cast<int>(w.shape[0]);
    view.inFeatures = static_cast<int>(w.shape[1]);
    const auto bias = file.tensors.find(prefix + ".bias");
    if (bias != file.tensors.end())
        view.biasData = bias->second.values.data();
    return view;
}

RnnCellView rnnView(const ModelFile &file, const std::string &prefix, Cell cell, int layer, bool reverse)
{
    RnnCellView rnn;
    rnn.cell = cell;
    const std::string suffix = "_l" + std::to_string(layer) + (reverse ? "_reverse" : "");
    for (auto [part, linear] : {std::pair{"ih", &rnn.inputToHidden}, std::pair{"hh", &rnn.hiddenToHidden}}) {
        const Tensor &w = file.tensors.at(prefix + ".weight_" + part + suffix);
        linear->weightData = w.values.data();
        linear->outFeatures = static_cast<int>(w.shape[0]);
        linear->inFeatures = static_cast<int>(w.shape[1]);
        linear->biasData = file.tensors.at(prefix + ".bias_" + part + suffix).values.data();
    }
    return rnn;
}

} // namespace attnviz
