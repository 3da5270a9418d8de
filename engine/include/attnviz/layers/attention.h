// The attention scorers: e_tj for K queries at once. Each is built from weight views by the
// model factory (models/factory.cpp), prepares what depends only on the sentence once, and then
// scores every step of every hypothesis.
#pragma once

#include <attnviz/layers/linear.h>

#include <memory>

namespace attnviz {

// Per-sentence and per-step scratch of a scorer, sized by prepare() and reused by every step.
struct ScorerWorkspace
{
    MatrixRM keys;      // the annotations as the scorer sees them, once per sentence
    MatrixRM projected; // [K x ...]: the queries as the scorer sees them
    MatrixRM hidden;    // additive, concat: tanh(...) [T x Da], one query at a time
    MatrixRM concat;    // location: [E y; q] [K x (Ed + Hd)]
};

class Scorer
{
public:
    virtual ~Scorer() = default;
    // annotations h_j [T x A]; rows = the most queries a step will score.
    virtual void prepare(const Eigen::Ref<const MatrixRM> &annotations, int rows, ScorerWorkspace &ws) const;
    // queries q_t [K x Hd], embedded E y_{t-1} [K x Ed] (read by the location score only) ->
    // energies [K x columns]: columns = T, or the L slots of the location score.
    virtual void score(const Eigen::Ref<const MatrixRM> &queries, const Eigen::Ref<const MatrixRM> &embedded,
                       const Eigen::Ref<const MatrixRM> &annotations, ScorerWorkspace &ws,
                       Eigen::Ref<MatrixRM> energies) const = 0;
};

// e = q . h_j
std::unique_ptr<Scorer> makeDotScorer();
// e = (W q + b) . h_j; W [A x Hd]
std::unique_ptr<Scorer> makeGeneralScorer(LinearView w);
// e = q . (W h_j + b); W [Hd x A]
std::unique_ptr<Scorer> makeBilinearScorer(LinearView w);
// e = v . tanh(W_q q + b_q + W_k h_j + b_k) + b_v; W_q [Da x Hd], W_k [Da x A], v [1 x Da]
std::unique_ptr<Scorer> makeAdditiveScorer(LinearView query, LinearView key, LinearView energy);
// e = v . tanh(W [q; h_j] + b) + b_v; W [Da x (Hd + A)]: the additive score with W split in two
std::unique_ptr<Scorer> makeConcatScorer(LinearView w, int querySize, LinearView energy);
// e = W [E y_{t-1}; q] + b over L slots; W [L x (Ed + Hd)]
std::unique_ptr<Scorer> makeLocationScorer(LinearView w);

} // namespace attnviz
