#include <attnviz/layers.h>

#include <cmath>

namespace attnviz {

void gruStep(const GruView &gru, const Eigen::Ref<const Vector> &gi, const Eigen::Ref<const Vector> &h,
             Eigen::Ref<Vector> out, Vector &gh)
{
    const int H = gru.hiddenSize();
    gh.noalias() = gru.hiddenToHidden.weight() * h;
    gh += gru.hiddenToHidden.bias();
    for (int k = 0; k < H; ++k) {
        const float r = 1.0f / (1.0f + std::exp(-(gi[k] + gh[k])));
        const float z = 1.0f / (1.0f + std::exp(-(gi[H + k] + gh[H + k])));
        const float n = std::tanh(gi[2 * H + k] + r * gh[2 * H + k]);
        out[k] = (1.0f - z) * n + z * h[k];
    }
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
