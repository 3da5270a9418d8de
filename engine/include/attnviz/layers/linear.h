// Linear layers and the element-wise kernels, as plain functions over Eigen types, so each can
// be tested alone. Weights are views into the model file's row-major tensors.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace attnviz {

using MatrixRM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;
using MatrixView = Eigen::Map<const MatrixRM>;
using VectorView = Eigen::Map<const Vector>;

// A torch.nn.Linear: y = W x + b. W [out x in] row-major; b [out] or null.
struct LinearView
{
    const float *weightData = nullptr;
    const float *biasData = nullptr;
    int outFeatures = 0, inFeatures = 0;

    MatrixView weight() const { return MatrixView(weightData, outFeatures, inFeatures); }
    VectorView bias() const { return VectorView(biasData, outFeatures); }
    // The bytes of W (float32).
    double bytes() const { return double(outFeatures) * double(inFeatures) * sizeof(float); }
    // The columns [begin, begin + count) of W: the part of a Linear that sees one half of a concat.
    auto columns(int begin, int count) const { return weight().middleCols(begin, count); }
};

// y = x W^T + b for every row of x: x [K x in], y [K x out]. This is the output layer, the
// largest product of a decoder step; on x86-64 CPUs with AVX2 and FMA it runs a kernel for them
// even when the engine is built for the baseline (SSE2), where Eigen's products are half as wide.
void linearRows(const Eigen::Ref<const MatrixRM> &x, const LinearView &linear, Eigen::Ref<MatrixRM> y);

// linearRows for every row of x, each row of y bit for bit what linearRows gives for that row
// alone, while W is read once for all of them: the exact pass of speculative greedy decoding
// (docs/decoding.md). Only where rowExactKernels() is true; elsewhere one linearRows per row.
void linearRowsExact(const Eigen::Ref<const MatrixRM> &x, const LinearView &linear, Eigen::Ref<MatrixRM> y);
// An output layer's log-probabilities: log_softmax(x W^T + b) of every row of x, by linearRows
// or, with rowExact, by linearRowsExact.
void logProbRows(const Eigen::Ref<const MatrixRM> &x, const LinearView &linear, Eigen::Ref<MatrixRM> logProbs,
                 bool rowExact);
// Whether linearRowsExact reads W once (an x86-64 CPU with AVX2 and FMA).
bool rowExactKernels();

// An int8 copy of a Linear, a quarter of its bytes, for guessing only (speculative decoding's
// draft of the output layer): W row v as round(W[v] / s_v) with s_v = max |W[v]| / 127, x
// rounded to int16 with one scale, the products summed exactly in int32. Never reported: every
// number the user sees comes from the float32 layer.
class QuantizedLinear
{
public:
    explicit QuantizedLinear(const LinearView &linear);
    // y [out] ~ W x + b for one x [in]; `scratch` holds x rounded (one per thread: the model,
    // and this copy with it, is shared by the threads of a batch).
    void apply(const float *x, float *y, std::vector<int16_t> &scratch) const;

private:
    int m_out = 0, m_in = 0, m_stride = 0; // a row's inputs, padded to a multiple of 32
    std::vector<int8_t> m_weights;          // [out x stride]
    std::vector<float> m_scales;            // [out]
    const float *m_bias = nullptr;
};

// The QuantizedLinear of a Linear, made when first asked for (not when the model loads: opening
// a model stays a map of its file), once, by whichever thread asks first. The owner of the
// Linear passes it in, always the same one.
class LazyQuantizedLinear
{
public:
    const QuantizedLinear &get(const LinearView &linear) const
    {
        std::call_once(m_once, [&] { m_quantized = std::make_unique<QuantizedLinear>(linear); });
        return *m_quantized;
    }

private:
    mutable std::once_flag m_once;
    mutable std::unique_ptr<QuantizedLinear> m_quantized;
};

// tanh of `count` contiguous values, with an AVX2 kernel as linearRows has one (Eigen's rational
// approximation, so the result is the same to a few ulp): Bahdanau's attention takes T x H of them
// per hypothesis and step.
void tanhInPlace(float *values, Eigen::Index count);

void softmaxInPlace(Eigen::Ref<Vector> x);
void logSoftmaxInPlace(Eigen::Ref<Vector> x);

} // namespace attnviz
