// What the views compute from a result beyond the decoder's own numbers.
#pragma once

#include <attnviz/decoding/result.h>

#include <vector>

namespace attnviz {

// softmax(energies / temperature) of one row: how peaked the attention would be at another
// temperature. Temperature 1 gives the model's own attention.
Vector softmaxAtTemperature(const Eigen::Ref<const Vector> &energies, double temperature);

// How c_i is made: for each source position j, the norm of a_ij h_j and its cosine with c_i.
struct Contribution
{
    double norm = 0;
    double cosine = 0;
};
std::vector<Contribution> contextContributions(const TranslationResult &result, const Hypothesis &hypothesis, int step);

} // namespace attnviz
