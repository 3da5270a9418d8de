#include <attnviz/layers/transformer.h>

#include <cmath>

namespace attnviz {

void layerNormRows(const Eigen::Ref<const MatrixRM> &x, const float *weight, const float *bias, float epsilon,
                   Eigen::Ref<MatrixRM> y)
{
    const Eigen::Index d = x.cols();
    const Eigen::Map<const Eigen::RowVectorXf> w(weight, d), b(bias, d);
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
        // Sums in double, so a row of large activations keeps its small variance.
        double sum = 0, squares = 0;
        for (Eigen::Index c = 0; c < d; ++c)
            sum += x(r, c);
        const double mean = sum / static_cast<double>(d);
        for (Eigen::Index c = 0; c < d; ++c) {
            const double centered = x(r, c) - mean;
            squares += centered * centered;
        }
        const float inverse = static_cast<float>(1.0 / std::sqrt(squares / static_cast<double>(d) + epsilon));
        const float m = static_cast<float>(mean);
        y.row(r) = ((x.row(r).array() - m) * inverse * w.array() + b.array()).matrix();
    }
}

void activateInPlace(float *values, Eigen::Index count, FeedForwardActivation activation)
{
    switch (activation) {
    case FeedForwardActivation::Relu:
        for (Eigen::Index i = 0; i < count; ++i)
            values[i] = values[i] > 0.0f ? values[i] : 0.0f;
        break;
    case FeedForwardActivation::Gelu:
        for (Eigen::Index i = 0; i < count; ++i)
            values[i] = static_cast<float>(0.5 * values[i] * (1.0 + std::erf(values[i] / std::sqrt(2.0))));
        break;
    case FeedForwardActivation::Swish:
        for (Eigen::Index i = 0; i < count; ++i)
            values[i] = static_cast<float>(values[i] / (1.0 + std::exp(-static_cast<double>(values[i]))));
        break;
    }
}

MatrixRM sinusoidalPositions(int count, int d, Positions kind)
{
    MatrixRM table = MatrixRM::Zero(count, d);
    if (kind == Positions::Halves) {
        const int half = d / 2;
        for (int pos = 0; pos < count; ++pos) {
            for (int i = 0; i < half; ++i) {
                // Marian: pos / 10000^(2 (j // 2) / d) for j = 2i (sin) and 2i + 1 (cos).
                const double angle = pos / std::pow(10000.0, 2.0 * i / d);
                table(pos, i) = static_cast<float>(std::sin(angle));
                table(pos, half + i) = static_cast<float>(std::cos(angle));
            }
        }
        return table;
    }
    if (kind == Positions::Concat) {
        // OpenNMT-py's SinusoidalConcat: exp(arange(d/2) * -(log(10000) / (d/2 - 1))), float32.
        const int half = d / 2;
        const float step = static_cast<float>(std::log(10000.0) / (half - 1));
        for (int i = 0; i < half; ++i) {
            const float frequency = std::exp(static_cast<float>(i) * -step);
            for (int pos = 0; pos < count; ++pos) {
                const float angle = static_cast<float>(pos) * frequency;
                table(pos, i) = static_cast<float>(std::sin(static_cast<double>(angle)));
                table(pos, half + i) = static_cast<float>(std::cos(static_cast<double>(angle)));
            }
        }
        return table;
    }
    // torch: div_term = exp(arange(0, d, 2) * -(log(10000) / d)), position * div_term, in float32.
    const float step = static_cast<float>(-(std::log(10000.0) / d));
    for (int i = 0; i < d / 2; ++i) {
        const float div = std::exp(static_cast<float>(2 * i) * step);
        for (int pos = 0; pos < count; ++pos) {
            const float angle = static_cast<float>(pos) * div;
            table(pos, 2 * i) = static_cast<float>(std::sin(static_cast<double>(angle)));
            table(pos, 2 * i + 1) = static_cast<float>(std::cos(static_cast<double>(angle)));
        }
    }
    return table;
}

void attendHead(const float *query, const HeadBlock &keys, float scale, float *energies, float *weights)
{
    const Eigen::Index T = keys.rows(), dh = keys.cols();
    const Eigen::Map<const Eigen::RowVectorXf> q(query, dh);
    Eigen::Map<Eigen::RowVectorXf> e(energies, T), w(weights, T);
    e.noalias() = (q * scale) * keys.transpose();
    const float top = e.maxCoeff();
    w = (e.array() - top).exp().matrix();
    w /= w.sum();
}

} // namespace attnviz
