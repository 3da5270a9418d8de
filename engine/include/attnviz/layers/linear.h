// Linear layers and the element-wise kernels, as plain functions over Eigen types, so each can
// be tested alone. Weights are views into the model file's row-major tensors.
#pragma once

#include <Eigen/Core>


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

// tanh of `count` contiguous values, with an AVX2 kernel as linearRows has one (Eigen's rational
// approximation, so the result is the same to a few ulp): Bahdanau's attention takes T x H of them
// per hypothesis and step.
void tanhInPlace(float *values, Eigen::Index count);

// The first index of the largest of `count` values, or -1 when one of them is NaN (or count
// is 0): greedy decoding's choice, with an AVX2 kernel (two passes over the values, each far
// cheaper than the one compare and branch a value of a plain loop).
long argmaxOrNan(const float *values, long count);

void softmaxInPlace(Eigen::Ref<Vector> x);
void logSoftmaxInPlace(Eigen::Ref<Vector> x);

} // namespace attnviz
