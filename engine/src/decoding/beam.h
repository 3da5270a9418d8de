// Beam search over a stepper (internal to the engine): the search that the RNN decoder and the
// transformer share; each keeps its own states and attention.
#pragma once

#include <attnviz/decoding/result.h>
#include <attnviz/models/model.h>

#include <algorithm>
#include <cmath>
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
    if (k == 1) { // greedy decoding: the first largest, as the loop below finds it without NaN
        const long first = argmaxOrNan(v.data(), v.size());
        if (first >= 0) {
            best.push_back(static_cast<int>(first));
            return;
        }
    }
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

// What beam search keeps: every kept candidate of every step as an entry with a back pointer,
// and the entries that end the n-best list, best first, with the score they were ranked by.
struct BeamBook
{
    std::vector<int> parent, token, step;
    std::vector<float> logProb;
    std::vector<double> score; // sum of log-probabilities
    std::vector<int> best;
    std::vector<double> bestScore; // per best entry: the rule's score (attnviz: score / length)
    int passes = 0;                // steps of the output layer taken (several slots at once count once)

    int add(int parentEntry, int tokenId, float tokenLogProb, double total, int t)
    {
        parent.push_back(parentEntry);
        token.push_back(tokenId);
        logProb.push_back(tokenLogProb);
        score.push_back(total);
        step.push_back(t);
        return static_cast<int>(parent.size()) - 1;
    }
    int length(int entry) const { return step[entry] + 1; }
    // The tokens and log-probabilities that end at `entry`.
    void trace(int entry, Hypothesis &h) const
    {
        const int n = length(entry);
        h.targetIds.resize(n);
        h.logProbs.resize(n);
        for (int e = entry, at = n - 1; e >= 0; e = parent[e], --at) {
            h.targetIds[at] = token[e];
            h.logProbs[at] = logProb[e];
        }
        h.score = score[entry];
        h.normalizedScore = score[entry] / n;
        for (size_t i = 0; i < best.size(); ++i) {
            if (best[i] == entry && i < bestScore.size())
                h.normalizedScore = bestScore[i];
        }
    }
};

// The toolkit's bans on a step's log-probabilities [K x V]: never-generated tokens (and, with
// `beam`, those only beam search bans), EOS before the minimum length, only EOS at the last
// step when the model forces it (Hugging Face's forced_eos_token_id).
inline void applySearchRules(const Model &model, Eigen::Ref<MatrixRM> logProbs, int K, int t, int maxLength,
                             bool beam, float banned = -std::numeric_limits<float>::infinity())
{
    const SearchConfig &search = model.config().search;
    const int eos = model.targetEosId();
    for (int id : model.neverGenerateIds())
        logProbs.col(id).head(K).setConstant(banned);
    if (beam)
        for (int id : model.beamNeverGenerateIds())
            logProbs.col(id).head(K).setConstant(banned);
    if (t < search.minLength)
        logProbs.col(eos).head(K).setConstant(banned);
    if (search.forcedEos && t == maxLength - 1) {
        for (int k = 0; k < K; ++k) {
            const float keep = logProbs(k, eos);
            logProbs.row(k).setConstant(-std::numeric_limits<float>::infinity());
            logProbs(k, eos) = keep;
        }
    }
}

// Beam search over a stepper, the part of decoding that differs between the RNNs and the
// transformers:
//   Eigen::Ref<MatrixRM> step(const int *tokens, int K, int t): log-probabilities [K x V] of
//       the K live hypotheses' next token (the stepper's own buffer, which the search may change);
//   void keep(int entry, int row): the search keeps a candidate of row `row` as `entry`;
//   void advance(const int *rows, int count): the live hypotheses of the next step are these
//       rows of the step just taken.
// Width 1 is greedy decoding. attnviz's own rule (docs/decoding.md): finished hypotheses leave
// the beam, the search stops when `width` have finished, ranked by score / length.
template<typename Stepper>
BeamBook beamSearch(const Model &model, Stepper &stepper, int width, int maxLength,
                    const std::function<bool()> *cancelled)
{
    const int eos = model.targetEosId();
    BeamBook book;
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
        ++book.passes;
        // The toolkit's rules: the token is not picked, its log-probability is not renormalized
        // away (Joey NMT sets it to -inf after the log-softmax).
        applySearchRules(model, logProbs, liveCount, t, maxLength, width > 1);
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
        int nextCount = 0;
        for (int m = 0; m < kept; ++m) {
            const Candidate &c = candidates[m];
            const int e = book.add(liveEntry[c.parent], c.token, c.logProb, c.total, t);
            stepper.keep(e, c.parent);
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
    const auto normalized = [&](int entry) { return book.score[entry] / book.length(entry); };
    std::stable_sort(finished.begin(), finished.end(), [&](int a, int b) { return normalized(a) > normalized(b); });
    if (static_cast<int>(finished.size()) > width)
        finished.resize(width);
    for (int entry : finished)
        book.bestScore.push_back(normalized(entry));
    return book;
}

// The best `count` of a flattened [K x V] matrix of scores, best first (torch.topk's order:
// larger first; among equal values, the lower flat index).
inline void topKFlat(const Eigen::Ref<const MatrixRM> &scores, int K, int count, std::vector<int> &out)
{
    out.clear();
    const Eigen::Index V = scores.cols();
    std::vector<std::pair<float, int>> heap;
    for (int k = 0; k < K; ++k) {
        std::vector<int> rowBest;
        topK(scores.row(k).transpose(), count, rowBest);
        for (int v : rowBest)
            heap.push_back({scores(k, v), static_cast<int>(k * V + v)});
    }
    std::stable_sort(heap.begin(), heap.end(), [](const auto &a, const auto &b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (int i = 0; i < std::min<int>(count, static_cast<int>(heap.size())); ++i)
        out.push_back(heap[i].second);
}

// The beam searches of the toolkits (SearchConfig::beamRule), as their code runs them for one
// sentence (docs/transformers.md, "Search"):
//   Joey NMT (search.beam_search): finished hypotheses stay in the beam and are extended;
//     scores are divided by ((5 + length) / 6)^alpha (alpha > 0); it ends when every beam slot
//     has held a finished hypothesis at some step, or at the last step;
//   OpenNMT-py (BeamSearch, GNMTGlobalScorer 'avg'): scores divided by (t + 2)^alpha; a finished
//     hypothesis is kept and its slot's score set to -65504; it ends when the best slot finishes
//     and n-best hypotheses are kept;
//   Hugging Face (BeamSearchScorer, early_stopping false): 2K candidates a step, EOS among the
//     first K ends a hypothesis scored sum / (1 + tokens before EOS)^length_penalty; it ends when
//     no live hypothesis can beat the worst of K finished ones; at the end the live ones join.
template<typename Stepper>
BeamBook toolkitBeamSearch(const Model &model, Stepper &stepper, int width, int maxLength,
                           const std::function<bool()> *cancelled)
{
    const SearchConfig &search = model.config().search;
    const int eos = model.targetEosId();
    const int V = model.targetVocabSize();
    const double alpha = search.lengthPenalty;
    BeamBook book;
    const bool hf = search.beamRule == BeamRule::HuggingFace;
    const int slots = width;
    std::vector<int> liveEntry(slots, -1), liveToken(slots, model.sosId());
    std::vector<double> liveScore(slots, -std::numeric_limits<double>::infinity());
    liveScore[0] = 0.0;
    if (hf)
        std::fill(liveScore.begin() + 1, liveScore.end(), -1e9);
    std::vector<bool> everFinished(slots, false);
    std::vector<std::pair<double, int>> hypotheses; // (the rule's score, entry)
    std::vector<int> flat, rows(slots), nextEntry(slots), nextToken(slots);
    std::vector<double> nextScore(slots);
    MatrixRM scores(slots, V);
    const auto hfScore = [&](double sum, int length) { return sum / std::pow(static_cast<double>(length), alpha); };
    double worstKept = 0;
    // BeamHypotheses.add: the best `slots` finished hypotheses, and the worst score among them.
    const auto keepBest = [&](double s, int entry) {
        if (static_cast<int>(hypotheses.size()) >= slots && s <= worstKept)
            return;
        hypotheses.push_back({s, entry});
        std::stable_sort(hypotheses.begin(), hypotheses.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
        if (static_cast<int>(hypotheses.size()) > slots)
            hypotheses.pop_back();
        worstKept = hypotheses.back().first;
    };
    bool done = false;
    // Joey and OpenNMT-py decode all K slots from the first step (slots 1.. start at -inf);
    // Hugging Face likewise with -1e9.
    int t = 0;
    for (; t < maxLength && !done; ++t) {
        if (cancelled && *cancelled && (*cancelled)())
            throw Cancelled();
        Eigen::Ref<MatrixRM> logProbs = stepper.step(liveToken.data(), slots, t);
        ++book.passes;
        if (hf) {
            // MarianMTModel.adjust_logits_during_generation bans the pad token before the
            // log-softmax of beam search: the other tokens' log-probabilities are renormalized.
            for (int k = 0; k < slots; ++k) {
                double mass = 0;
                for (int v = 0; v < V; ++v)
                    mass += std::exp(static_cast<double>(logProbs(k, v)));
                for (int id : model.neverGenerateIds())
                    mass -= std::exp(static_cast<double>(logProbs(k, id)));
                logProbs.row(k).array() -= static_cast<float>(std::log(mass));
            }
        }
        const float banned = search.beamRule == BeamRule::Onmt ? -65504.0f : -std::numeric_limits<float>::infinity();
        applySearchRules(model, logProbs, slots, t, maxLength, true, banned);
        // Hugging Face's ForcedEOSTokenLogitsProcessor leaves EOS a score of 0, not its log-probability.
        if (hf && search.forcedEos && t == maxLength - 1)
            logProbs.col(eos).head(slots).setZero();
        double penalty = 1.0;
        if (search.beamRule == BeamRule::Joey && alpha > 0)
            penalty = std::pow((5.0 + (t + 1)) / 6.0, alpha);
        if (search.beamRule == BeamRule::Onmt)
            penalty = std::pow(static_cast<double>(t + 2), alpha);
        for (int k = 0; k < slots; ++k)
            scores.row(k) = ((logProbs.row(k).array().cast<double>() + liveScore[k]) / penalty).cast<float>();
        topKFlat(scores, slots, hf ? 2 * slots : slots, flat);
        // A kept candidate: an entry of the book; with a slot >= 0, also that slot of the next step.
        const auto take = [&](int slot, int row, int token, double total) {
            const int e = book.add(liveEntry[row], token, logProbs(row, token), total, t);
            stepper.keep(e, row);
            if (slot >= 0) {
                rows[slot] = row;
                nextEntry[slot] = e;
                nextToken[slot] = token;
                nextScore[slot] = total;
            }
            return e;
        };
        int next = 0;
        if (hf) {
            for (size_t rank = 0; rank < flat.size() && next < slots; ++rank) {
                const int row = flat[rank] / V, token = flat[rank] % V;
                const double total = liveScore[row] + logProbs(row, token);
                if (token == eos) {
                    if (static_cast<int>(rank) < slots)
                        keepBest(hfScore(total, t + 1), take(-1, row, token, total));
                    continue;
                }
                take(next++, row, token, total);
            }
            // is_done: K finished, and the best candidate of this step cannot beat the worst at
            // the length it would have one step on (process() adds 1 to cur_len first).
            const double bestCandidate = scores(flat[0] / V, flat[0] % V);
            if (static_cast<int>(hypotheses.size()) >= slots && worstKept >= hfScore(bestCandidate, t + 2))
                done = true;
        } else {
            for (int m = 0; m < static_cast<int>(flat.size()); ++m) {
                const int row = flat[m] / V, token = flat[m] % V;
                const double normalizedScore = scores(row, token);
                const double total = normalizedScore * penalty; // topk_log_probs = topk_scores * penalty
                const int e = take(m, row, token, total);
                const bool last = t + 1 == maxLength;
                const bool finishedNow = token == eos || last;
                if (search.beamRule == BeamRule::Joey) {
                    everFinished[m] = everFinished[m] || token == eos || std::isinf(normalizedScore) || last;
                    // Joey adds a finished slot's hypothesis once: one EOS, at its end (or none at the last step).
                    int eosCount = 0;
                    for (int x = e; x >= 0; x = book.parent[x])
                        eosCount += book.token[x] == eos;
                    if (everFinished[m] && ((eosCount == 0 && last) || (eosCount == 1 && token == eos)))
                        hypotheses.push_back({normalizedScore, e});
                } else if (finishedNow) { // OpenNMT-py
                    hypotheses.push_back({normalizedScore, e});
                    nextScore[m] = -65504.0;
                }
            }
            next = static_cast<int>(flat.size());
            if (search.beamRule == BeamRule::Joey) {
                done = std::all_of(everFinished.begin(), everFinished.end(), [](bool f) { return f; });
            } else {
                const int topToken = nextToken[0];
                done = (topToken == eos || t + 1 == maxLength) && static_cast<int>(hypotheses.size()) >= width;
            }
        }
        stepper.advance(rows.data(), next);
        for (int m = 0; m < next; ++m) {
            liveEntry[m] = nextEntry[m];
            liveToken[m] = nextToken[m];
            liveScore[m] = nextScore[m];
        }
    }
    if (hf && !done) { // finalize: the live hypotheses join, scored at their length
        for (int m = 0; m < slots; ++m)
            keepBest(hfScore(liveScore[m], t + 1), liveEntry[m]);
    }
    std::stable_sort(hypotheses.begin(), hypotheses.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    for (int i = 0; i < std::min<int>(width, static_cast<int>(hypotheses.size())); ++i) {
        book.best.push_back(hypotheses[i].second);
        book.bestScore.push_back(hypotheses[i].first);
    }
    return book;
}

} // namespace detail
} // namespace attnviz
