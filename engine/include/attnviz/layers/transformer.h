// The pieces of a transformer layer, as plain functions over Eigen types (as linear.h): layer
// normalization, the feed-forward activations, the sinusoidal position tables and scaled
// dot-product attention of one head. The layer order lives in models/transformer.cpp.
#pragma once

#include <attnviz/io/model_config.h>
#include <attnviz/layers/linear.h>

namespace attnviz {

// torch.nn.LayerNorm over each row: (x - mean) / sqrt(var + eps) * weight + bias, var biased.
void layerNormRows(const Eigen::Ref<const MatrixRM> &x, const float *weight, const float *bias, float epsilon,
                   Eigen::Ref<MatrixRM> y);

// relu, gelu (the exact one, with erf, as torch.nn.functional.gelu) or swish (x sigmoid(x),
// torch's silu) of `count` contiguous values.
void activateInPlace(float *values, Eigen::Index count, FeedForwardActivation activation);

// Rows 0 .. count-1 of a sinusoidal table of width d (even), as the toolkits compute it:
// Interleaved as Joey NMT and OpenNMT-py (float32, sin at even and cos at odd columns), Halves as
// Marian (float64 then rounded, sin in the first d/2 columns and cos in the rest), Concat as
// OpenNMT-py's SinusoidalConcat (float32, halves, frequencies 10000^(-i / (d/2 - 1))).
MatrixRM sinusoidalPositions(int count, int d, Positions kind);

// The block of one head in a row-major matrix of all heads: columns [h dh, (h + 1) dh).
using HeadBlock = Eigen::Block<const MatrixRM, Eigen::Dynamic, Eigen::Dynamic, false>;

// One head's weights: e_j = (q . k_j) scale over the rows of keys [T x dh] into `energies` [T]
// (the scores before the softmax), softmax(e) into `weights` [T]. q [dh].
void attendHead(const float *query, const HeadBlock &keys, float scale, float *energies, float *weights);

} // namespace attnviz
