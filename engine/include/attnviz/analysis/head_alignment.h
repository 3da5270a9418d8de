// Word alignments read from a transformer's heads: the precision / recall / AER of every decoder
// layer and head, of each layer's mean and of the mean of all layers (docs/transformers.md).
//
//     attnviz::HeadScores scores = attnviz::scoreHeads(result, 0, gold[0]); // one sentence
//     total += scores;                                                      // over a set
//     total.head(5, 2).alignmentErrorRate(); total.best();                  // the lowest AER
//     attnviz::scoreHeadSet(*model, sentences, references, gold).shifted.best(); // decodes each
#pragma once

#include <attnviz/analysis/alignment.h>
#include <attnviz/analysis/word_units.h>

#include <functional>
#include <string>
#include <vector>

namespace attnviz {

// Which row of a head's attention aligns output y_t: row t, the step that emits y_t (naive), or
// row t + 1, the step that reads y_t as its input (Shift-Att, Chen et al. 2020; shiftedAlignment).
enum class AlignmentRows { Naive, Shifted };
const char *alignmentRowsName(AlignmentRows rows); // "naive", "shifted"

struct HeadScores
{
    int layers = 0, heads = 0;
    std::vector<AlignmentCounts> perHead; // [layer * heads + head]
    std::vector<AlignmentCounts> perLayer; // each layer's mean over its heads
    AlignmentCounts allLayers;             // the mean of every layer and head

    const AlignmentCounts &head(int layer, int h) const { return perHead[static_cast<size_t>(layer) * heads + h]; }
    HeadScores &operator+=(const HeadScores &other); // same shape, or an empty left side

    struct Best
    {
        int layer = -1, head = -1; // head -1: the layer's mean; layer -1: all layers
        double aer = 1.0;
    };
    // The lowest AER among the heads, the layer means and the all-layer mean (the first met in
    // that order on a tie); layer -1 when nothing has links.
    Best best() const;
};

// The counts of hypothesis `hypothesis` of a transformer's result for each head, each layer's
// mean and the all-layer mean: each one's hard links (the argmax of every output token's row,
// plus the weights above `threshold` in (0, 1); as hardLinks) against `gold`. With `words`
// (mergeToWords of `result`), gold indices are words, and a word pair is linked when any of
// their pieces is ("any piece aligned", as awesome-align scores subword models). Throws
// InputError for a result without cross-attention (an RNN's).
HeadScores scoreHeads(const TranslationResult &result, int hypothesis, const GoldAlignment &gold,
                      const WordMerge *words = nullptr, double threshold = 0.0,
                      AlignmentRows rows = AlignmentRows::Naive);

// Every head's counts summed over a set of sentences (the Heads panel's "whole set"; `align
// --per-layer` sums them the same way): sentence n decoded forced on references[n] (greedy when
// it is empty), then scoreHeads in both readings, in words when `words` (mergeToWords with the
// model's markings and special tokens) and in pieces otherwise. Throws InputError naming the
// sentence (counted from 1) and the link when a gold link lies outside it, or when the three
// lists differ in length; Cancelled when `cancelled` says to stop (checked at every decoder step).
struct HeadSetOptions
{
    bool words = false;
    double threshold = 0.0;
    std::function<bool()> cancelled;               // may be empty
    std::function<void(int done, int total)> progress; // after each sentence; may be empty
};
struct HeadSetScores
{
    HeadScores naive, shifted;
    int sentences = 0;
    const HeadScores &in(AlignmentRows rows) const { return rows == AlignmentRows::Shifted ? shifted : naive; }
};
HeadSetScores scoreHeadSet(const Model &model, const std::vector<std::string> &sentences,
                           const std::vector<std::string> &references, const std::vector<GoldAlignment> &gold,
                           const HeadSetOptions &options = {});

} // namespace attnviz
