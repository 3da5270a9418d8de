// Speculative greedy decoding (internal to the engine): guess a few tokens ahead with an int4
// copy of the output layer (its 16 best rows scored again in float32: GuessLinear), then check the guesses with one float32 pass of the layer over all
// of them. The search it runs is beamSearch's of width 1, bit for bit (docs/decoding.md).
#pragma once

#include "decoding/beam.h"

#include <attnviz/decoding/options.h>
#include <attnviz/layers/linear.h>

#include <algorithm>
#include <functional>
#include <vector>

namespace attnviz {
namespace detail {

// How many steps one check covers at most.
inline constexpr int speculationDepth = 8;

// Whether greedy decoding guesses ahead: only with the kernels whose rows are exact
// (linearRowsExact) and, by default, when the weights a check shares between its steps (`bytes`:
// the RNN's output layer, a transformer's decoder) are too large for the caches, where reading
// them once for several tokens is what a step saves (docs/performance.md).
inline bool useSpeculation(Speculation speculation, double bytes, int maxLength)
{
    if (speculation == Speculation::Off || maxLength < 1 || !rowExactKernels())
        return false;
    if (speculation != Speculation::Auto)
        return true;
    return bytes >= 8.0 * 1024 * 1024;
}

// Greedy decoding over a speculative stepper; the book is the one beamSearch(width 1) keeps.
//   void hidden(int token, int slot, int t): step t from y_{t-1} = token up to the output
//       layer, into slot `slot`, from the state of slot - 1 (slot 0: the committed state);
//   Eigen::Ref<MatrixRM> approximate(int slot): the guess's scores [1 x V] of that slot;
//   Eigen::Ref<MatrixRM> exact(int count): log-probabilities [count x V] of slots 0 .. count - 1,
//       each row bit for bit a step of its own;
//   void keep(int entry, int slot): the search keeps slot's step as `entry`;
//   void commit(int slot, int count): slot's state becomes the committed one; the later of the
//       `count` slots are dropped;
//   int stepLimit(): the steps the model can take at all (a transformer's learned positions):
//       guesses never run past it, so that a step there fails where it would one at a time.
// A step's state does not depend on the token it outputs, so the first slot whose exact token
// differs from the guess is still right; only the slots after it are computed again.
template<typename Stepper>
BeamBook speculativeGreedy(const Model &model, Stepper &stepper, int maxLength, const std::function<bool()> *cancelled,
                           bool wrongGuesses)
{
    const int eos = model.targetEosId(), V = model.targetVocabSize();
    BeamBook book;
    std::vector<int> guesses(speculationDepth), best;
    best.reserve(1);
    int token = model.sosId(), entry = -1;
    double score = 0;
    bool finished = false;
    const int limit = std::min(maxLength, stepper.stepLimit());
    for (int t = 0; t < maxLength && !finished;) {
        const int room = std::min({speculationDepth, maxLength - t, std::max(1, limit - t)});
        int count = 0;
        for (int previous = token;;) {
            if (cancelled && *cancelled && (*cancelled)())
                throw Cancelled();
            stepper.hidden(previous, count, t + count);
            ++count;
            if (count == room)
                break; // the last slot's token is not needed before the check
            Eigen::Ref<MatrixRM> logits = stepper.approximate(count - 1);
            applySearchRules(model, logits, 1, t + count - 1, maxLength, false);
            topK(logits.row(0).transpose(), 1, best);
            int guess = best.front();
            if (wrongGuesses)
                guess = (guess + 1) % V;
            guesses[count - 1] = previous = guess;
            if (guess == eos)
                break;
        }
        Eigen::Ref<MatrixRM> logProbs = stepper.exact(count);
        ++book.passes;
        for (int s = 0; s < count; ++s) {
            applySearchRules(model, logProbs.middleRows(s, 1), 1, t + s, maxLength, false);
            topK(logProbs.row(s).transpose(), 1, best);
            const int exact = best.front();
            const float logProb = logProbs(s, exact);
            score += logProb;
            entry = book.add(entry, exact, logProb, score, t + s);
            stepper.keep(entry, s);
            finished = exact == eos;
            if (finished)
                book.best.push_back(entry);
            if (finished || s + 1 == count || exact != guesses[s]) {
                stepper.commit(s, count);
                token = exact;
                t += s + 1;
                break;
            }
        }
    }
    if (!finished)
        book.best.push_back(entry); // maxLength reached: the live hypothesis ends the list
    book.bestScore.push_back(book.score[entry] / book.length(entry));
    return book;
}

} // namespace detail
} // namespace attnviz
