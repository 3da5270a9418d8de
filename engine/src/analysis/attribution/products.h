// The two products the attribution tapes spend their time in, in double precision: y = W x
// (the forward pass of an affine map) and W^T G (its backward pass for every seed at once).
// AVX2 + FMA kernels chosen at run time on x86-64 (the baseline build has only SSE2, where
// Eigen's double products reach about a third of what these do); Eigen's products elsewhere.
#pragma once

#include "analysis/attribution/tape.h"

namespace attnviz::detail {

// y = W x, W row-major [rows x cols].
VectorD timesVector(const MatrixD &w, const VectorD &x);
// W^T G, G [rows x seeds] column-major: [cols x seeds].
GradD transposeTimes(const MatrixD &w, const GradD &g);

} // namespace attnviz::detail
