#include <attnviz/analysis/head_alignment.h>

#include <attnviz/decoding/heads.h>
#include <attnviz/decoding/translate.h>

#include <algorithm>

namespace attnviz {
namespace {

// Links of one [steps x T] attention matrix, in the gold's units: pieces (positions mapped as
// hardLinks maps them) or, with a merge, the words of the pieces linked.
std::set<Link> linksOf(const TranslationResult &result, int hypothesis, const MatrixRM &attention,
                       const WordMerge *words, double threshold)
{
    const Hypothesis &h = result.hypotheses[static_cast<size_t>(hypothesis)];
    const int sourceWords = result.sourceLength() - (result.sourceEos ? 1 : 0);
    std::set<Link> links;
    const auto add = [&](int i, int j) {
        if (!words) {
            links.insert({result.sourceWordIndex[static_cast<size_t>(j)],
                          result.forced ? result.targetWordIndex.at(static_cast<size_t>(i)) : i});
            return;
        }
        const TranslationResult &w = words->words;
        const int sourceWord = words->source.wordOf.at(static_cast<size_t>(j));
        const int targetWord = words->target.at(static_cast<size_t>(hypothesis)).wordOf.at(static_cast<size_t>(i));
        links.insert({w.sourceWordIndex.at(static_cast<size_t>(sourceWord)),
                      w.forced ? w.targetWordIndex.at(static_cast<size_t>(targetWord)) : targetWord});
    };
    const int steps = std::min<int>(h.steps(), static_cast<int>(attention.rows()));
    for (int i = 0; i < steps; ++i) {
        if (h.targetTokens[static_cast<size_t>(i)] == result.eosToken)
            continue;
        int best = 0;
        for (int j = 1; j < result.sourceLength(); ++j)
            if (attention(i, j) > attention(i, best))
                best = j;
        if (!(attention(i, best) > 0.0f)) // Shift-Att's last row: nothing read
            continue;
        if (best < sourceWords)
            add(i, best);
        if (threshold > 0.0)
            for (int j = 0; j < sourceWords; ++j)
                if (attention(i, j) > threshold)
                    add(i, j);
    }
    return links;
}

} // namespace

const char *alignmentRowsName(AlignmentRows rows)
{
    return rows == AlignmentRows::Shifted ? "shifted" : "naive";
}

HeadScores &HeadScores::operator+=(const HeadScores &o)
{
    if (perHead.empty() && perLayer.empty()) {
        *this = o;
        return *this;
    }
    if (o.layers != layers || o.heads != heads)
        throw InputError("the head scores of " + std::to_string(o.layers) + " x " + std::to_string(o.heads)
                         + " heads cannot be added to those of " + std::to_string(layers) + " x "
                         + std::to_string(heads));
    for (size_t n = 0; n < perHead.size(); ++n)
        perHead[n] += o.perHead[n];
    for (size_t n = 0; n < perLayer.size(); ++n)
        perLayer[n] += o.perLayer[n];
    allLayers += o.allLayers;
    return *this;
}

HeadScores::Best HeadScores::best() const
{
    Best b;
    bool found = false;
    const auto consider = [&](const AlignmentCounts &c, int layer, int head) {
        if (c.a + c.s == 0 || (found && !(c.alignmentErrorRate() < b.aer)))
            return;
        b = {layer, head, c.alignmentErrorRate()};
        found = true;
    };
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h)
            consider(head(l, h), l, h);
    for (int l = 0; l < layers; ++l)
        consider(perLayer[static_cast<size_t>(l)], l, -1);
    consider(allLayers, -1, -1);
    return b;
}

HeadScores scoreHeads(const TranslationResult &result, int hypothesis, const GoldAlignment &gold,
                      const WordMerge *words, double threshold, AlignmentRows rows)
{
    if (hypothesis < 0 || hypothesis >= static_cast<int>(result.hypotheses.size()))
        throw InputError("no hypothesis " + std::to_string(hypothesis) + " in a result of "
                         + std::to_string(result.hypotheses.size()));
    const HeadAttention &cross = result.hypotheses[static_cast<size_t>(hypothesis)].crossAttention;
    if (cross.empty())
        throw InputError("per-head alignment needs a transformer's result: this one has no cross-attention");
    HeadScores scores;
    scores.layers = cross.layers;
    scores.heads = cross.heads;
    const auto count = [&](const MatrixRM &attention) {
        const MatrixRM read = rows == AlignmentRows::Shifted ? shiftedAlignment(attention) : attention;
        return countAgreement(linksOf(result, hypothesis, read, words, threshold), gold);
    };
    MatrixRM all = MatrixRM::Zero(cross.maps.front().rows(), cross.maps.front().cols());
    for (int l = 0; l < cross.layers; ++l) {
        MatrixRM layerSum = MatrixRM::Zero(all.rows(), all.cols());
        for (int h = 0; h < cross.heads; ++h) {
            scores.perHead.push_back(count(cross.at(l, h)));
            layerSum += cross.at(l, h);
        }
        all += layerSum;
        scores.perLayer.push_back(count(layerSum / static_cast<float>(cross.heads)));
    }
    scores.allLayers = count(all / static_cast<float>(cross.layers * cross.heads));
    return scores;
}

HeadSetScores scoreHeadSet(const Model &model, const std::vector<std::string> &sentences,
                           const std::vector<std::string> &references, const std::vector<GoldAlignment> &gold,
                           const HeadSetOptions &options)
{
    if (references.size() != sentences.size() || gold.size() != sentences.size())
        throw InputError("a set of " + std::to_string(sentences.size()) + " sentences needs as many references and "
                         "gold lines (" + std::to_string(references.size()) + " references, "
                         + std::to_string(gold.size()) + " gold lines)");
    const PieceMarkings markings = options.words ? pieceMarkings(model) : PieceMarkings {};
    const std::vector<std::string> specials = options.words ? specialTokens(model) : std::vector<std::string> {};
    const char *units = options.words ? " words" : " tokens";
    HeadSetScores total;
    const int count = static_cast<int>(sentences.size());
    for (int n = 0; n < count; ++n) {
        DecodeOptions decode;
        if (!references[size_t(n)].empty())
            decode.target = references[size_t(n)];
        decode.cancelled = options.cancelled;
        const TranslationResult pieces = translate(model, sentences[size_t(n)], decode);
        std::optional<WordMerge> merge;
        if (options.words)
            merge = mergeToWords(pieces, markings, specials);
        const TranslationResult &shown = merge ? merge->words : pieces;
        const std::string where = "sentence " + std::to_string(n + 1) + ": ";
        if (shown.hypotheses.empty())
            throw InputError(where + "no translation");
        // Forced: the reference's words; greedy: the output but its EOS (Pharaoh links hold none).
        const std::vector<std::string> &output = shown.hypotheses.front().targetTokens;
        const size_t sourceWords = shown.sourceWords.size();
        const size_t targetWords = !shown.targetWords.empty() ? shown.targetWords.size()
            : output.size() - (!output.empty() && output.back() == shown.eosToken ? 1 : 0);
        if (const std::optional<Link> l = linkOutside(gold[size_t(n)], sourceWords, targetWords))
            throw InputError(where + "gold link " + std::to_string(l->first) + "-" + std::to_string(l->second)
                             + " is outside the sentence (" + std::to_string(sourceWords) + " source" + units + ", "
                             + std::to_string(targetWords) + " output" + units + ")");
        const WordMerge *words = merge ? &*merge : nullptr;
        total.naive += scoreHeads(pieces, 0, gold[size_t(n)], words, options.threshold, AlignmentRows::Naive);
        total.shifted += scoreHeads(pieces, 0, gold[size_t(n)], words, options.threshold, AlignmentRows::Shifted);
        ++total.sentences;
        if (options.progress)
            options.progress(n + 1, count);
    }
    return total;
}

} // namespace attnviz
