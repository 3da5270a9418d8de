// A transformer's forced decoding on the matrix tape (the same computation as
// engine/src/models/transformer.cpp, in double, every output step at once under the causal
// mask), for the attribution methods.
#pragma once

#include <attnviz/analysis/attribution.h>

#include "analysis/attribution/weights.h"

#include <vector>

namespace attnviz::detail {

// log p_i of targetIds and, with withGradients, d log p_i / d e_j for the source embedding
// rows `rows` [source positions x d] (before the model's sqrt(d) scale). Throws InputError when
// learned positions do not cover the source or the output.
SourceGradients transformerForced(const Model &model, const Weights &weights, const std::vector<int> &targetIds,
                                  const MatrixD &rows, bool withGradients);

} // namespace attnviz::detail
