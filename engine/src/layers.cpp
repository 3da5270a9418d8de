#include <attnviz/layers.h>

#include <cmath>

namespace attnviz {

void gruStep(const GruView &gru, const Eigen::Ref<const Vector> &gi, const Eigen::Ref<const Vector> &h,
             Eigen::Ref<Vector> out, Vector &gh)
{
    const Eigen::Index H = gru.hiddenSize();
    gh.resize(3 * H);
    using Row = Eigen::Map<const MatrixRM>;
    gruStepRows(gru, Row(gi.data(), 1, 3 * H), Row(h.data(), 1, H), Eigen::Map<MatrixRM>(out.data(), 1, H),
                Eigen::Map<MatrixRM>(gh.data(), 1, 3 * H));
}

void gruStepRows(const GruView &gru, const Eigen::Ref<const MatrixRM> &gi, const Eigen::Ref<const MatrixRM> &h,
                 Eigen::Ref<MatrixRM> out, Eigen::Ref<MatrixRM> gh)
{
    const Eigen::Index H = gru.hiddenSize();
    gh.noalias() = h * gru.hiddenToHidden.weight().transpose();
    gh.rowwise() += gru.hiddenToHidden.bias().transpose();
    // Whole blocks at a time, so that Eigen vectorizes exp and tanh; r, z and n overwrite their
    // parts of gh (each element is read before it is written).
    auto r = gh.leftCols(H).array(), z = gh.middleCols(H, H).array(), n = gh.rightCols(H).array();
    r = (1.0f + (-(gi.leftCols(H).array() + r)).exp()).inverse();
    z = (1.0f + (-(gi.middleCols(H, H).array() + z)).exp()).inverse();
    n = (gi.rightCols(H).array() + r * n).tanh();
    out.array() = (1.0f - z) * n + z * h.array();
}

void softmaxInPlace(Eigen::Ref<Vector> x)
{
    if (x.size() == 0)
        return;
    x.array() = (x.array() - x.maxCoeff()).exp();
    x /= x.sum();
}

void logSoftmaxInPlace(Eigen::Ref<Vector> x)
{
    if (x.size() == 0)
        return;
    const float shift = x.maxCoeff();
    const float logSum = std::log((x.array() - shift).exp().sum());
    x.array() = (x.array() - shift) - logSum; // the order PyTorch uses
}

} // namespace attnviz
