#include "models/encoder.h"

#include "models/weights.h"

#include <cmath>

namespace attnviz {

Encoder::Encoder(const ModelFile &file)
    : m_config(file.config.encoder)
    , m_embedding(matrixView(file, "encoder.embedding.weight"))
{
    for (int l = 0; l < m_config.layers; ++l) {
        m_rnn.push_back(rnnView(file, "encoder.rnn", m_config.cell, l, false));
        if (m_config.bidirectional)
            m_rnn.push_back(rnnView(file, "encoder.rnn", m_config.cell, l, true));
    }
}

Encoding Encoder::encode(const std::vector<int> &sourceIds) const
{
    const int T = static_cast<int>(sourceIds.size());
    const int H = m_config.hiddenSize, D = m_config.directions(), L = m_config.layers;
    const int G = m_rnn.front().gates();
    MatrixRM input(T, m_config.embeddingSize);
    for (int t = 0; t < T; ++t)
        input.row(t) = m_embedding.row(sourceIds[t]);
    if (m_config.embeddingScale)
        input *= std::sqrt(static_cast<float>(m_config.embeddingSize));

    Encoding encoding;
    encoding.finalHidden = MatrixRM::Zero(L * D, H);
    encoding.finalCell = MatrixRM::Zero(L * D, H);
    MatrixRM outputs(T, D * H), gi(T, G * H), gh(1, G * H), cells(T, H);
    const MatrixRM zero = MatrixRM::Zero(1, H);
    for (int l = 0; l < L; ++l) {
        for (int d = 0; d < D; ++d) {
            const RnnCellView &rnn = m_rnn[l * D + d];
            // The input projections of all time steps in one product; only W_hh h stays in the loop.
            linearRows(input, rnn.inputToHidden, gi);
            auto out = outputs.middleCols(d * H, H);
            for (int i = 0; i < T; ++i) {
                const int t = d == 0 ? i : T - 1 - i;
                const int before = d == 0 ? t - 1 : t + 1;
                if (i == 0)
                    rnnStepRows(rnn, gi.row(t), zero, zero, out.row(t), cells.row(t), gh);
                else
                    rnnStepRows(rnn, gi.row(t), out.row(before), cells.row(before), out.row(t), cells.row(t), gh);
            }
            const int last = d == 0 ? T - 1 : 0;
            if (T > 0) {
                encoding.finalHidden.row(l * D + d) = out.row(last);
                encoding.finalCell.row(l * D + d) = cells.row(last);
            }
        }
        input = outputs; // the next layer reads [forward; backward]
    }
    if (D == 2 && m_config.merge == DirectionMerge::Sum)
        encoding.annotations = outputs.leftCols(H) + outputs.rightCols(H);
    else
        encoding.annotations = std::move(outputs);
    return encoding;
}

} // namespace attnviz
