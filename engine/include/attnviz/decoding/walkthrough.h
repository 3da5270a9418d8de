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
//
// For a transformer the four stages are those of one decoder layer's cross-attention head
// (explainHypothesis's layer and head): its query q = W_q x, the scores q . k_j / sqrt(d_k) and
// their softmax, the head's context sum_j a_ij v_j with the heads concatenated through W_o and
// the residual, and the output; the what-if is that head's weights made uniform (1/T) at the step.
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

// Transformers: what the explained layer's cross-attention did at one step, as the engine's
// forward pass computed it (d = model size, d_k = d / heads).
struct HeadStepDetail
{
    Vector input;     // [d]: the residual stream x entering the layer's cross-attention
    Vector normed;    // [d]: what W_q reads: LN(x) (pre-norm) or x itself (post-norm)
    Vector concat;    // [d]: every head's context [o_1 ; ... ; o_H]; this head's at [h d_k, (h + 1) d_k)
    Vector projected; // [d]: W_o concat + b_o
    Vector output;    // [d]: x + projected, or LN(x + projected) (post-norm): the feed-forward's input
};

struct StepDetail
{
    Vector query;                     // [Hd]: s_{i-1} or s_i (StepDetails::queryIsPrevious); transformers: [d_k] the head's q
    std::vector<WordProbability> top; // the k most likely next words, best first
    WordProbability chosen;           // the hypothesis' token at this step
    int chosenRank = 0;               // of chosen among all words, from 1
    WordProbability withSummedContext; // RNNs: the argmax of this step with c instead of c_i
    WordProbability withUniformHead;  // transformers: the argmax with the head's weights 1/T at this step
    HeadStepDetail head;              // transformers
};

struct StepDetails
{
    bool queryIsPrevious = false;  // the scores read s_{i-1} (before the RNN step), else s_i
    bool scoresReadAnnotations = true; // false for the location score: e_ij ignores h_j
    // [steps x columns], [steps x A]: the replay's own; transformers: the explained head's
    // weights, scaled scores, and contexts [steps x d_k].
    MatrixRM attention, energies, contexts;
    std::vector<StepDetail> steps;

    // Transformers only (transformer false for an RNN): which head, from 0, and its keys and
    // values k_j = W_k h_j + b_k, v_j = W_v h_j + b_v over the encoder's output h_j.
    bool transformer = false;
    int layer = 0, head = 0, layers = 0, heads = 0, headSize = 0;
    bool preNorm = false;
    MatrixRM keys, values; // [T x d_k]
};

// Throws std::out_of_range for a hypothesis the result does not have. topK is clamped to
// [1, vocabulary size]. overrides: the what-if weights the result was decoded with, if any.
// Greedy and beam results apply the model's search rules (never-generated tokens and the
// minimum length get probability 0), as the search did; forced results do not.
// layer (-1: the last) and head, from 0, choose a transformer's head (InputError when out of
// range); an RNN ignores them.
StepDetails explainHypothesis(const Model &model, const TranslationResult &result, int hypothesis, int topK,
                              const std::vector<AttentionOverride> &overrides = {}, int layer = -1, int head = 0);

} // namespace attnviz
