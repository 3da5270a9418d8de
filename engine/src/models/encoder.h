// The encoder of the family: embeddings, then N layers of a (bidirectional) GRU or LSTM.
#pragma once

#include <attnviz/io/model_file.h>
#include <attnviz/layers/rnn.h>
#include <attnviz/models/model.h>

#include <vector>

namespace attnviz {

class Encoder
{
public:
    explicit Encoder(const ModelFile &file);
    // Source ids (EOS included when the model frames the source with it) -> the annotations
    // and the final states of every layer and direction.
    Encoding encode(const std::vector<int> &sourceIds) const;

private:
    EncoderConfig m_config;
    MatrixView m_embedding; // [Vs x Ee]
    std::vector<RnnCellView> m_rnn; // layer l, direction d at l * directions + d
};

} // namespace attnviz
