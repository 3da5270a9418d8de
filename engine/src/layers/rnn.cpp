#include <attnviz/layers/rnn.h>

namespace attnviz {

namespace {

template<typename Block>
auto sigmoid(const Block &x)
{
    return (1.0f + (-x).exp()).inverse();
}

} // namespace

void gruStepRows(const GruView &gru, const Eigen::Ref<const MatrixRM> &gi, const Eigen::Ref<const MatrixRM> &h,
                 Eigen::Ref<MatrixRM> out, Eigen::Ref<MatrixRM> gh)
{
    const Eigen::Index H = gru.hiddenSize();
    linearRows(h, gru.hiddenToHidden, gh);
    // Whole blocks at a time, so that Eigen vectorizes exp and tanh; r, z and n overwrite their
    // parts of gh (each element is read before it is written).
    auto r = gh.leftCols(H).array(), z = gh.middleCols(H, H).array(), n = gh.rightCols(H).array();
    r = sigmoid(gi.leftCols(H).array() + r);
    z = sigmoid(gi.middleCols(H, H).array() + z);
    n = (gi.rightCols(H).array() + r * n).tanh();
    out.array() = (1.0f - z) * n + z * h.array();
}

void rnnStepRows(const RnnCellView &rnn, const Eigen::Ref<const MatrixRM> &gi, const Eigen::Ref<const MatrixRM> &h,
                 const Eigen::Ref<const MatrixRM> &c, Eigen::Ref<MatrixRM> hOut, Eigen::Ref<MatrixRM> cOut,
                 Eigen::Ref<MatrixRM> gh)
{
    if (rnn.cell == Cell::Gru) {
        gruStepRows(rnn, gi, h, hOut, gh);
        return;
    }
    const Eigen::Index H = rnn.hiddenSize();
    linearRows(h, rnn.hiddenToHidden, gh);
    gh += gi;
    // PyTorch's nn.LSTM: c' = f c + i g, h' = o tanh(c').
    auto i = gh.leftCols(H).array(), f = gh.middleCols(H, H).array(), g = gh.middleCols(2 * H, H).array(),
         o = gh.rightCols(H).array();
    i = sigmoid(i);
    f = sigmoid(f);
    g = g.tanh();
    o = sigmoid(o);
    cOut.array() = f * c.array() + i * g;
    hOut.array() = o * cOut.array().tanh();
}

void gruStep(const GruView &gru, const Eigen::Ref<const Vector> &gi, const Eigen::Ref<const Vector> &h,
             Eigen::Ref<Vector> out, Vector &gh)
{
    const Eigen::Index H = gru.hiddenSize();
    gh.resize(3 * H);
    using Row = Eigen::Map<const MatrixRM>;
    gruStepRows(gru, Row(gi.data(), 1, 3 * H), Row(h.data(), 1, H), Eigen::Map<MatrixRM>(out.data(), 1, H),
                Eigen::Map<MatrixRM>(gh.data(), 1, 3 * H));
}

} // namespace attnviz
