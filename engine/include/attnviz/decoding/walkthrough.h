// What the walkthrough (docs/walkthrough.md) shows of each decoder step beyond what a
// TranslationResult keeps: the query the scores were computed from, the k most likely next
// words, and what the decoder would have picked at that step with c = sum_j h_j in place of c_i.
//
//     attnviz::TranslationResult r = attnviz::translate(*model, "i am cold .", {});
//     attnviz::StepDetails d = attnviz::explainHypothesis(*model, r, 0, 5);
//     d.steps[0].top[0].token; // the argmax of step 0: r.best().targetTokens[0]
//
// The hypothesis is replayed teacher-forced on its own tokens from result.initialState, which
// gives exactly the numbers of greedy, beam and forced decoding (a decoder state depends only on
// the tokens before it); tests/engine/tst_walkthrough.cpp checks that against the result.
#pragma once

#include <attnviz/decoding/options.h>
#include <attnviz/decoding/result.h>
#include <attnviz/models/model.h>

#include <string>
#include <vector>

namespace attnviz {

struct WordProbability
{
    int id = 0;
    std::string token;
    double probability = 0; // p(y_i = token | y_<i, x)
};

struct StepDetail
{
    Vector query;                     // [Hd]: s_{i-1} or s_i (StepDetails::queryIsPrevious)
    std::vector<WordProbability> top; // the k most likely next words, best first
    WordProbability chosen;           // the hypothesis' token at this step
    int chosenRank = 0;               // of chosen among all words, from 1
    WordProbability withSummedContext; // the argmax of this step with c instead of c_i
};

struct StepDetails
{
    bool queryIsPrevious = false;  // the scores read s_{i-1} (before the RNN step), else s_i
    bool scoresReadAnnotations = true; // false for the location score: e_ij ignores h_j
    MatrixRM attention, energies, contexts; // [steps x columns], [steps x A]: the replay's own
    std::vector<StepDetail> steps;
};

// Throws std::out_of_range for a hypothesis the result does not have. topK is clamped to
// [1, vocabulary size]. overrides: the what-if weights the result was decoded with, if any.
// Greedy and beam results apply the model's search rules (never-generated tokens and the
// minimum length get probability 0), as the search did; forced results do not.
StepDetails explainHypothesis(const Model &model, const TranslationResult &result, int hypothesis, int topK,
                              const std::vector<AttentionOverride> &overrides = {});

} // namespace attnviz
