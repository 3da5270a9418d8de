// The products the RNN family's attribution tape spends its time in, in double precision over
// the model's float weights as they lie in memory (each weight is converted to double as it is
// read, which is exact, so the result is that of a double copy of W without making one): y = W x
// (an affine map's forward pass), W X (the output layer for every step) and W^T G (an affine
// map's backward pass for every seed at once). AVX2 + FMA kernels (and AVX-512 for W^T G) chosen
// at run time on x86-64 (the baseline build has only SSE2, where Eigen's double products reach
// about half of what the AVX2 ones do); Eigen's products elsewhere.
#pragma once

#include "analysis/attribution/tape.h"

namespace attnviz::detail {

enum class ProductKernel { Auto, Eigen, Avx2, Avx512 };
// For tests and benchmarks: every product uses `kernel` (Avx512 where a product has one, else
// Avx2) until forced back to Auto. False, and nothing changes, when the CPU lacks it.
bool forceProductKernel(ProductKernel kernel);

// y = W x, W row-major [rows x cols].
VectorD timesVector(const WeightF &w, const VectorD &x);
// W X, X [cols x n] column-major: [rows x n].
GradD timesMatrix(const WeightF &w, const GradD &x);
// W^T G, G [rows x seeds] column-major: [cols x seeds].
GradD transposeTimes(const WeightF &w, const GradD &g);
// The same products for the transformer's row-major matrices (a row a position): X W^T, X
// [n x cols] (a linear map's forward pass), and G W, G [n x rows] (its backward pass).
MatrixD rowsTimesTransposed(const MatrixD &x, const WeightF &w);
MatrixD rowsTimes(const MatrixD &g, const WeightF &w);

} // namespace attnviz::detail
