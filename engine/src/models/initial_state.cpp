#include "models/initial_state.h"

#include "models/weights.h"

namespace attnviz {

namespace {

void activate(Activation activation, Eigen::Ref<MatrixRM> x)
{
    switch (activation) {
    case Activation::Tanh:
        x = x.array().tanh().matrix();
        break;
    case Activation::Relu:
        x = x.cwiseMax(0.0f);
        break;
    case Activation::Identity:
        break;
    }
}

} // namespace

InitialState::InitialState(const ModelFile &file)
    : m_config(file.config)
{
    const DecoderConfig &d = m_config.decoder;
    if (d.init == InitRule::Bridge || d.init == InitRule::OnmtBridge)
        m_bridge = linearView(file, "decoder.bridge");
    if (d.cell == Cell::Lstm && (d.cellInit == InitRule::Bridge || d.cellInit == InitRule::OnmtBridge))
        m_bridgeCell = linearView(file, "decoder.bridge_cell");
}

void InitialState::apply(InitRule rule, const std::optional<LinearView> &bridge, const MatrixRM &finals,
                         Eigen::Ref<MatrixRM> into) const
{
    const EncoderConfig &e = m_config.encoder;
    const DecoderConfig &d = m_config.decoder;
    const int D = e.directions(), He = e.hiddenSize, Hd = d.hiddenSize;
    // [h_{l,0}; h_{l,1}] of one layer: in h_n order the directions of a layer are adjacent rows.
    const auto layerConcat = [&](const MatrixRM &states, int layer) {
        return Eigen::Map<const MatrixRM>(states.data() + static_cast<Eigen::Index>(layer) * D * He, 1, D * He);
    };
    switch (rule) {
    case InitRule::Zero:
    case InitRule::Hidden: // handled by make()
        into.setZero();
        break;
    case InitRule::Final:
        for (int l = 0; l < d.layers; ++l)
            into.row(l) = layerConcat(finals, l);
        break;
    case InitRule::Last:
        for (int l = 0; l < d.layers; ++l)
            into.row(l) = layerConcat(finals, e.layers - 1).leftCols(Hd);
        break;
    case InitRule::Bridge: {
        MatrixRM y(1, Hd);
        linearRows(layerConcat(finals, e.layers - 1), *bridge, y);
        activate(m_config.decoder.bridgeActivation, y);
        for (int l = 0; l < d.layers; ++l)
            into.row(l) = y;
        break;
    }
    case InitRule::OnmtBridge: {
        // One linear layer over all final states at once, then the directions of each layer
        // concatenated: the row-major [Le D x He] block read as [Le x D He] is exactly that.
        MatrixRM y(1, finals.size());
        linearRows(Eigen::Map<const MatrixRM>(finals.data(), 1, finals.size()), *bridge, y);
        activate(Activation::Relu, y);
        into = Eigen::Map<const MatrixRM>(y.data(), d.layers, Hd);
        break;
    }
    case InitRule::FirstLayers:
        into = finals.topRows(d.layers);
        break;
    }
}

void InitialState::make(const Encoding &encoding, Eigen::Ref<MatrixRM> hidden, Eigen::Ref<MatrixRM> cell) const
{
    const DecoderConfig &d = m_config.decoder;
    apply(d.init, m_bridge, encoding.finalHidden, hidden);
    if (d.cell != Cell::Lstm)
        return;
    if (d.cellInit == InitRule::Hidden)
        cell = hidden;
    else
        apply(d.cellInit, m_bridgeCell, encoding.finalCell, cell);
}

} // namespace attnviz
