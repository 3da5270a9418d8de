// Beam search over a stepper (internal to the engine): the search that the RNN decoder and the
// transformer share; each keeps its own states and attention.
#pragma once

#include <attnviz/decoding/result.h>
#include <attnviz/models/model.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <vector>

namespace attnviz {
namespace detail {

struct Candidate
{
    double total;  // score of the hypothesis after this token
    int parent;    // index among the live hypotheses
    int token;
    float logProb;
};

// The k best entries of v, best first; ties go to the lower index (as torch.argmax does).
inline void topK(const Eigen::Ref<const Vector> &v, int k, std::vector<int> &best)
{
    best.clear();
    for (int i = 0; i < v.size(); ++i) {
        if (static_cast<int>(best.size()) == k && v[i] <= v[best.back()])
            continue;
        if (static_cast<int>(best.size()) == k)
            best.pop_back();
        auto pos = best.end();
        while (pos != best.begin() && v[*(pos - 1)] < v[i])
            --pos;
        best.insert(pos, i);
    }
}

// What beam search keeps: every kept candidate of every step as entry t * width + m, with a
// back pointer, and the entries that end the n-best list, best first.
struct BeamBook
{
    int width = 1;
    std::vector<int> parent, token;
    std::vector<float> logProb;
    std::vector<double> score;
    std::vector<int> best;

    int length(int entry) const { return entry / width + 1; }
    double normalized(int entry) const { return score[entry] / length(entry); }
    // The tokens and log-probabilities that end at `entry`.
    void trace(int entry, Hypothesis &h) const
    {
        const int n = length(entry);
        h.targetIds.resize(n);
        h.logProbs.resize(n);
        for (int e = entry, step = n - 1; e >= 0; e = parent[e], --step) {
            h.targetIds[step] = token[e];
            h.logProbs[step] = logProb[e];
        }
        h.score = score[entry];
        h.normalizedScore = normalized(entry);
    }
};

// Beam search over a stepper, the part of decoding that differs between the RNNs and the
// transformers:
//   Eigen::Ref<MatrixRM> step(const int *tokens, int K, int t): log-probabilities [K x V] of
//       the K live hypotheses' next token (the stepper's own buffer, which the search may change);
//   void keep(int entry, int row): the search keeps a candidate of row `row` as `entry`;
//   void advance(const int *rows, int count): the live hypotheses of the next step are these
//       rows of the step just taken.
// Width 1 is greedy decoding.
template<typename Stepper>
BeamBook beamSearch(const Model &model, Stepper &stepper, int width, int maxLength,
                    const std::function<bool()> *cancelled)
{
    const int eos = model.targetEosId();
    BeamBook book;
    book.width = width;
    std::vector<int> liveEntry(width), liveToken(width), nextEntry(width), nextToken(width), nextRow(width);
    std::vector<double> liveScore(width), nextScore(width);
    std::vector<Candidate> candidates;
    candidates.reserve(static_cast<size_t>(width) * width);
    std::vector<int> best;
    best.reserve(width);
    std::vector<int> &finished = book.best;
    finished.reserve(2 * width);

    int liveCount = 1;
    liveEntry[0] = -1;
    liveToken[0] = model.sosId();
    liveScore[0] = 0.0;
    for (int t = 0; t < maxLength; ++t) {
        if (cancelled && *cancelled && (*cancelled)())
            throw Cancelled();
        candidates.clear();
        Eigen::Ref<MatrixRM> logProbs = stepper.step(liveToken.data(), liveCount, t);
        // The toolkit's rules: the token is not picked, its log-probability is not renormalized
        // away (Joey NMT sets it to -inf after the log-softmax).
        for (int id : model.neverGenerateIds())
            logProbs.col(id).head(liveCount).setConstant(-std::numeric_limits<float>::infinity());
        if (t < model.config().search.minLength)
            logProbs.col(eos).head(liveCount).setConstant(-std::numeric_limits<float>::infinity());
        for (int k = 0; k < liveCount; ++k) {
            topK(logProbs.row(k).transpose(), width, best);
            for (int tok : best)
                candidates.push_back({liveScore[k] + logProbs(k, tok), k, tok, logProbs(k, tok)});
        }
        std::sort(candidates.begin(), candidates.end(), [](const Candidate &a, const Candidate &b) {
            if (a.total != b.total)
                return a.total > b.total;
            return a.parent != b.parent ? a.parent < b.parent : a.token < b.token;
        });
        const int kept = std::min<int>(width, static_cast<int>(candidates.size()));
        book.parent.resize(static_cast<size_t>(t + 1) * width);
        book.token.resize(book.parent.size());
        book.logProb.resize(book.parent.size());
        book.score.resize(book.parent.size());
        int nextCount = 0;
        for (int m = 0; m < kept; ++m) {
            const Candidate &c = candidates[m];
            const int e = t * width + m;
            stepper.keep(e, c.parent);
            book.parent[e] = liveEntry[c.parent];
            book.token[e] = c.token;
            book.logProb[e] = c.logProb;
            book.score[e] = c.total;
            if (c.token == eos) {
                finished.push_back(e);
            } else {
                nextRow[nextCount] = c.parent;
                nextEntry[nextCount] = e;
                nextToken[nextCount] = c.token;
                nextScore[nextCount] = c.total;
                ++nextCount;
            }
        }
        stepper.advance(nextRow.data(), nextCount);
        liveEntry.swap(nextEntry);
        liveToken.swap(nextToken);
        liveScore.swap(nextScore);
        liveCount = nextCount;
        if (static_cast<int>(finished.size()) >= width || liveCount == 0)
            break;
    }
    if (static_cast<int>(finished.size()) < width)
        finished.insert(finished.end(), liveEntry.begin(), liveEntry.begin() + liveCount);
    std::stable_sort(finished.begin(), finished.end(),
                     [&](int a, int b) { return book.normalized(a) > book.normalized(b); });
    if (static_cast<int>(finished.size()) > width)
        finished.resize(width);
    return book;
}

} // namespace detail
} // namespace attnviz
