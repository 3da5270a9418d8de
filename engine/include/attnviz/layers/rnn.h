// One layer and one direction of a torch.nn.GRU or torch.nn.LSTM, stepped one time step at a
// time for K rows at once (the hypotheses of a beam), so that W_hh is read once per step.
#pragma once

#include <attnviz/io/model_config.h>
#include <attnviz/layers/linear.h>

namespace attnviz {

// Gates stacked along the first dimension of weight_ih [G H x in] and weight_hh [G H x H]:
// r, z, n for a GRU (G = 3), i, f, g, o for an LSTM (G = 4), as PyTorch stores them.
struct RnnCellView
{
    Cell cell = Cell::Gru;
    LinearView inputToHidden;  // weight_ih_l{k}, bias_ih_l{k}
    LinearView hiddenToHidden; // weight_hh_l{k}, bias_hh_l{k}
    int hiddenSize() const { return hiddenToHidden.inFeatures; }
    int gates() const { return cell == Cell::Gru ? 3 : 4; }
};
using GruView = RnnCellView; // a view whose cell is Cell::Gru

// One step for K rows, given the input projections gi = x W_ih^T + b_ih [K x G H] (the caller
// computes them, so that an encoder can project all time steps in one product): h [K x H] ->
// hOut [K x H]; an LSTM also reads c and writes cOut [K x H] (both ignored for a GRU). gh
// [K x G H] is scratch. The outputs may not alias the inputs.
void rnnStepRows(const RnnCellView &rnn, const Eigen::Ref<const MatrixRM> &gi, const Eigen::Ref<const MatrixRM> &h,
                 const Eigen::Ref<const MatrixRM> &c, Eigen::Ref<MatrixRM> hOut, Eigen::Ref<MatrixRM> cOut,
                 Eigen::Ref<MatrixRM> gh);

// The GRU step for K rows: rnnStepRows without a cell state.
void gruStepRows(const GruView &gru, const Eigen::Ref<const MatrixRM> &gi, const Eigen::Ref<const MatrixRM> &h,
                 Eigen::Ref<MatrixRM> out, Eigen::Ref<MatrixRM> gh);

// The GRU step for one row: gi [3H], h [H] -> out [H]; gh [3H] is scratch.
void gruStep(const GruView &gru, const Eigen::Ref<const Vector> &gi, const Eigen::Ref<const Vector> &h,
             Eigen::Ref<Vector> out, Vector &gh);

} // namespace attnviz
