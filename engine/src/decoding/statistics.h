// What a hypothesis's statistics are computed with, for translate() and for a transformer's
// view changed after decoding (applyView).
#pragma once

#include <attnviz/decoding/result.h>

namespace attnviz {

// cos(c_i, c), |c_i - c|, entropy and padding mass per step; coverage per source position.
// `summed` [A] is c = sum_j h_j; appends to the step vectors, so they start empty.
void computeStatistics(Hypothesis &h, const Vector &summed, int sourceLength);

} // namespace attnviz
