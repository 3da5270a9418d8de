// The decoder's first state from the encoder's final states, by the rules of decoder.init and
// decoder.cell_init (docs/model-format.md).
#pragma once

#include <attnviz/io/model_file.h>
#include <attnviz/models/model.h>

#include <optional>

namespace attnviz {

class InitialState
{
public:
    explicit InitialState(const ModelFile &file);
    // The hidden states [Ld x Hd] (and for an LSTM the cell states [Ld x Hd]) of every layer.
    void make(const Encoding &encoding, Eigen::Ref<MatrixRM> hidden, Eigen::Ref<MatrixRM> cell) const;

private:
    // One rule over the encoder's final states of one kind (hidden or cell) [Le D x He].
    void apply(InitRule rule, const std::optional<LinearView> &bridge, const MatrixRM &finals,
               Eigen::Ref<MatrixRM> into) const;

    ModelConfig m_config;
    std::optional<LinearView> m_bridge, m_bridgeCell;
};

} // namespace attnviz
