#include <attnviz/analysis/word_units.h>
#include <attnviz/io/tokenizer.h>

#include <attnviz/models/model.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace attnviz {

namespace {

const std::string wordStartMark = "\xE2\x96\x81"; // ▁ U+2581
const std::string suffixMark = "@@";
const std::string joinerMark = "\xEF\xBF\xAD"; // ￭ U+FFED

bool startsWith(const std::string &s, const std::string &prefix)
{
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool endsWith(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool hasSuffixMark(const std::string &s)
{
    return s.size() > suffixMark.size() && endsWith(s, suffixMark);
}

std::string stripped(const std::string &piece, PieceMarking marking)
{
    std::string s = piece;
    switch (marking) {
    case PieceMarking::WordStart:
        if (startsWith(s, wordStartMark))
            s.erase(0, wordStartMark.size());
        break;
    case PieceMarking::ContinuationSuffix:
        if (hasSuffixMark(s))
            s.erase(s.size() - suffixMark.size());
        break;
    case PieceMarking::Joiner:
        if (startsWith(s, joinerMark))
            s.erase(0, joinerMark.size());
        if (endsWith(s, joinerMark))
            s.erase(s.size() - joinerMark.size());
        break;
    case PieceMarking::None:
        break;
    }
    return s;
}

void addToWord(WordGrouping &g, int position, const std::string &token, PieceMarking marking, bool startNew,
               bool special)
{
    if (startNew) {
        g.words.push_back({});
        g.words.back().special = special;
    }
    WordUnit &word = g.words.back();
    word.pieces.push_back(position);
    word.text += special ? token : stripped(token, marking);
    g.wordOf.push_back(g.size() - 1);
}

Eigen::VectorXd meanRow(const MatrixRM &m, const std::vector<int> &rows)
{
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(m.cols());
    for (int r : rows)
        sum += m.row(r).transpose().cast<double>();
    return rows.empty() ? sum : Eigen::VectorXd(sum / double(rows.size()));
}

// The typed strings of a side, when they stand one to one for its tokens (an UNK token keeps
// the piece typed for it); else the tokens.
std::vector<std::string> groupingStrings(const std::vector<std::string> &tokens, const std::vector<int> &wordIndex,
                                         const std::vector<std::string> &words)
{
    std::vector<std::string> strings = tokens;
    if (words.empty() || wordIndex.size() != words.size() || wordIndex.size() > tokens.size())
        return strings;
    for (size_t i = 0; i < wordIndex.size(); ++i)
        if (wordIndex[i] != int(i))
            return strings;
    for (size_t i = 0; i < words.size(); ++i)
        strings[i] = words[i];
    return strings;
}

std::vector<std::string> withEos(std::vector<std::string> specials, const std::string &eos)
{
    if (!eos.empty())
        specials.push_back(eos);
    return specials;
}

// The words but EOS and their positions, for a result's word fields.
void wordFields(const WordGrouping &g, int nonEosTokens, std::vector<std::string> &words, std::vector<int> &index)
{
    words.clear();
    index.clear();
    for (int w = 0; w < g.size(); ++w) {
        const WordUnit &word = g.words[size_t(w)];
        if (word.pieces.front() >= nonEosTokens)
            break; // EOS and after
        index.push_back(int(words.size()));
        words.push_back(word.text);
    }
}

} // namespace

const char *pieceMarkingName(PieceMarking marking)
{
    switch (marking) {
    case PieceMarking::WordStart:
        return "word-start";
    case PieceMarking::ContinuationSuffix:
        return "continuation-suffix";
    case PieceMarking::Joiner:
        return "joiner";
    case PieceMarking::None:
        break;
    }
    return "none";
}

const char *tokenUnitsName(TokenUnits units)
{
    return units == TokenUnits::Words ? "words" : "pieces";
}

std::optional<TokenUnits> parseTokenUnits(const std::string &name)
{
    if (name == "pieces")
        return TokenUnits::Pieces;
    if (name == "words")
        return TokenUnits::Words;
    return std::nullopt;
}

bool isSpecialToken(const std::string &token, const std::vector<std::string> &specials)
{
    if (std::find(specials.begin(), specials.end(), token) != specials.end())
        return true;
    return token.size() >= 3 && token.front() == '<' && token.back() == '>'
        && token.find(' ') == std::string::npos;
}

PieceMarking inferPieceMarking(const std::vector<std::string> &vocabulary, const std::vector<std::string> &specials)
{
    std::array<long, 4> counts {};
    long strings = 0;
    for (const std::string &s : vocabulary) {
        if (isSpecialToken(s, specials))
            continue;
        ++strings;
        if (startsWith(s, wordStartMark))
            ++counts[size_t(PieceMarking::WordStart)];
        if (hasSuffixMark(s))
            ++counts[size_t(PieceMarking::ContinuationSuffix)];
        if (startsWith(s, joinerMark) || endsWith(s, joinerMark))
            ++counts[size_t(PieceMarking::Joiner)];
    }
    PieceMarking best = PieceMarking::None;
    long bestCount = 0;
    for (PieceMarking m : {PieceMarking::WordStart, PieceMarking::ContinuationSuffix, PieceMarking::Joiner})
        if (counts[size_t(m)] > bestCount) {
            best = m;
            bestCount = counts[size_t(m)];
        }
    // At least 2 % of the strings: a word-level vocabulary with one stray "@@" stays words.
    return bestCount > 0 && bestCount * 50 >= strings ? best : PieceMarking::None;
}

std::vector<std::string> specialTokens(const Model &model)
{
    std::vector<std::string> specials {model.config().sosToken, model.config().eosToken};
    if (model.config().unkToken)
        specials.push_back(*model.config().unkToken);
    return specials;
}

namespace {

// The marking a tokenizer record gives, when word_units has one for it.
std::optional<PieceMarking> recordedMarking(const Tokenizer *tokenizer)
{
    if (!tokenizer)
        return std::nullopt;
    const SubwordMarking m = tokenizer->marking();
    switch (m.style) {
    case SubwordMarking::Words: return PieceMarking::None;
    case SubwordMarking::Characters: return PieceMarking::None; // one piece a character: no words to merge into
    case SubwordMarking::WordStartPrefix:
        if (m.marker == "\xe2\x96\x81")
            return PieceMarking::WordStart;
        break;
    case SubwordMarking::ContinuationSuffix:
        if (m.marker == "@@")
            return PieceMarking::ContinuationSuffix;
        if (m.marker == "\xef\xbf\xad") // OpenNMT's joiner as a BPE separator
            return PieceMarking::Joiner;
        break;
    }
    return std::nullopt; // another marker: read from the vocabulary
}

} // namespace

PieceMarkings pieceMarkings(const Model &model)
{
    // The model file's tokenizer record says how its pieces mark words; a model without one
    // (word-level, or a toolkit file opened without its subword files) is read from its
    // vocabularies.
    const std::vector<std::string> specials = specialTokens(model);
    return {recordedMarking(model.sourceTokenizer()).value_or(inferPieceMarking(model.file().sourceVocab, specials)),
            recordedMarking(model.targetTokenizer()).value_or(inferPieceMarking(model.file().targetVocab, specials))};
}

WordGrouping groupPieces(const std::vector<std::string> &tokens, PieceMarking marking,
                         const std::vector<std::string> &specials)
{
    WordGrouping g;
    bool joinNext = false;    // the piece before asks the next to join it
    bool previousSpecial = true; // nothing before: the first piece starts a word
    for (size_t i = 0; i < tokens.size(); ++i) {
        const std::string &t = tokens[i];
        const bool special = isSpecialToken(t, specials);
        bool startNew = true;
        if (!special && !previousSpecial) {
            switch (marking) {
            case PieceMarking::WordStart:
                startNew = startsWith(t, wordStartMark);
                break;
            case PieceMarking::ContinuationSuffix:
                startNew = !joinNext;
                break;
            case PieceMarking::Joiner:
                startNew = !joinNext && !startsWith(t, joinerMark);
                break;
            case PieceMarking::None:
                break;
            }
        }
        addToWord(g, int(i), t, marking, startNew, special);
        joinNext = !special
            && ((marking == PieceMarking::ContinuationSuffix && hasSuffixMark(t))
                || (marking == PieceMarking::Joiner && endsWith(t, joinerMark)));
        previousSpecial = special;
        // A word whose pieces are done: a dangling "@@" keeps its marker; an empty text shows
        // its pieces.
        const bool wordEnds = i + 1 == tokens.size() || isSpecialToken(tokens[i + 1], specials);
        if (wordEnds) {
            WordUnit &word = g.words.back();
            if (marking == PieceMarking::ContinuationSuffix && joinNext)
                word.text += suffixMark;
            if (word.text.empty())
                for (int p : word.pieces)
                    word.text += tokens[size_t(p)];
        }
    }
    // Words that ended before a new word started (WordStart, Joiner) with an empty text.
    for (WordUnit &word : g.words)
        if (word.text.empty())
            for (int p : word.pieces)
                word.text += tokens[size_t(p)];
    return g;
}

MatrixRM mergeMatrix(const MatrixRM &pieces, const WordGrouping &rows, const WordGrouping &columns)
{
    const int grouped = int(columns.wordOf.size());
    const int extra = std::max(0, int(pieces.cols()) - grouped);
    MatrixRM out = MatrixRM::Zero(rows.size(), columns.size() + extra);
    for (int r = 0; r < rows.size(); ++r) {
        const Eigen::VectorXd mean = meanRow(pieces, rows.words[size_t(r)].pieces);
        for (int j = 0; j < std::min<int>(grouped, int(pieces.cols())); ++j)
            out(r, columns.wordOf[size_t(j)]) += float(mean[j]);
        for (int k = 0; k < extra; ++k)
            out(r, columns.size() + k) = float(mean[grouped + k]);
    }
    return out;
}

WordMerge mergeToWords(const TranslationResult &pieces, PieceMarkings markings, const std::vector<std::string> &specials)
{
    const std::vector<std::string> all = withEos(specials, pieces.eosToken);
    WordMerge merge;
    TranslationResult &w = merge.words;
    const int nonEosSource = pieces.sourceLength() - (pieces.sourceEos ? 1 : 0);
    const std::vector<std::string> sourceStrings =
        groupingStrings(pieces.sourceTokens, pieces.sourceWordIndex, pieces.sourceWords);
    merge.source = groupPieces(sourceStrings, markings.source, all);
    const WordGrouping &src = merge.source;

    w.sourceEos = pieces.sourceEos;
    w.eosToken = pieces.eosToken;
    w.forced = pieces.forced;
    w.summedContext = pieces.summedContext;
    w.initialState = pieces.initialState;
    wordFields(src, nonEosSource, w.sourceWords, w.sourceWordIndex);
    w.unknownWords = pieces.unknownWords; // what was typed: some never reached the encoder
    w.encoderOutputs = MatrixRM::Zero(src.size(), pieces.encoderOutputs.cols());
    for (int k = 0; k < src.size(); ++k) {
        const WordUnit &word = src.words[size_t(k)];
        w.sourceIds.push_back(pieces.sourceIds.empty() ? 0 : pieces.sourceIds[size_t(word.pieces.front())]);
        w.sourceTokens.push_back(word.special ? pieces.sourceTokens[size_t(word.pieces.front())] : word.text);
        for (int p : word.pieces)
            if (p < pieces.encoderOutputs.rows())
                w.encoderOutputs.row(k) += pieces.encoderOutputs.row(p);
    }

    for (size_t hi = 0; hi < pieces.hypotheses.size(); ++hi) {
        const Hypothesis &ph = pieces.hypotheses[hi];
        std::vector<std::string> targetStrings = ph.targetTokens;
        const int nonEosTarget =
            int(ph.targetTokens.size()) - (!ph.targetTokens.empty() && ph.targetTokens.back() == pieces.eosToken ? 1 : 0);
        if (pieces.forced && hi == 0)
            targetStrings = groupingStrings(ph.targetTokens, pieces.targetWordIndex, pieces.targetWords);
        merge.target.push_back(groupPieces(targetStrings, markings.target, all));
        const WordGrouping &tgt = merge.target.back();
        if (pieces.forced && hi == 0)
        {
            wordFields(tgt, nonEosTarget, w.targetWords, w.targetWordIndex);
            w.unknownTargetWords = pieces.unknownTargetWords;
        }

        Hypothesis h;
        h.translation = ph.translation; // the line of text is the same in either units
        h.attention = mergeMatrix(ph.attention, tgt, src);
        h.contexts = MatrixRM::Zero(tgt.size(), ph.contexts.cols());
        for (int r = 0; r < tgt.size(); ++r) {
            const WordUnit &word = tgt.words[size_t(r)];
            h.targetIds.push_back(ph.targetIds.empty() ? 0 : ph.targetIds[size_t(word.pieces.front())]);
            h.targetTokens.push_back(word.special ? ph.targetTokens[size_t(word.pieces.front())] : word.text);
            double logProb = 0, padding = 0;
            for (int p : word.pieces) {
                if (size_t(p) < ph.logProbs.size())
                    logProb += ph.logProbs[size_t(p)];
                if (size_t(p) < ph.paddingMass.size())
                    padding += ph.paddingMass[size_t(p)];
            }
            h.logProbs.push_back(logProb);
            if (!ph.paddingMass.empty())
                h.paddingMass.push_back(padding / double(word.pieces.size()));
            if (ph.contexts.rows() == ph.steps())
                h.contexts.row(r) = meanRow(ph.contexts, word.pieces).cast<float>().transpose();
        }
        h.score = ph.score;
        h.normalizedScore = ph.normalizedScore;
        const Eigen::VectorXd c = pieces.summedContext.cast<double>();
        for (int r = 0; r < tgt.size(); ++r) {
            const Eigen::VectorXd ci = h.contexts.row(r).transpose().cast<double>();
            const double norm = ci.norm(), cNorm = c.norm();
            h.cosine.push_back(norm > 0 && cNorm > 0 && ci.size() == c.size() ? ci.dot(c) / (norm * cNorm) : 0.0);
            h.distance.push_back(ci.size() == c.size() ? (ci - c).norm() : 0.0);
            double entropy = 0;
            for (int j = 0; j < h.attention.cols(); ++j)
                if (const double a = h.attention(r, j); a > 0)
                    entropy -= a * std::log(a);
            h.entropy.push_back(entropy);
        }
        h.coverage.assign(size_t(src.size()), 0.0);
        for (int r = 0; r < h.attention.rows(); ++r)
            for (int j = 0; j < src.size(); ++j)
                h.coverage[size_t(j)] += h.attention(r, j);
        w.hypotheses.push_back(std::move(h));
    }
    if (pieces.ablation) {
        w.ablation = mergeAblationToWords(*pieces.ablation, markings.target, all);
        merge.ablationTarget = groupPieces(pieces.ablation->targetTokens, markings.target, all);
    }
    return merge;
}

AblationResult mergeAblationToWords(const AblationResult &pieces, PieceMarking target,
                                    const std::vector<std::string> &specials)
{
    const WordGrouping g = groupPieces(pieces.targetTokens, target, specials);
    AblationResult out;
    out.kind = pieces.kind;
    out.score = pieces.score;
    for (const WordUnit &word : g.words) {
        const size_t first = size_t(word.pieces.front());
        out.targetIds.push_back(first < pieces.targetIds.size() ? pieces.targetIds[first] : 0);
        out.targetTokens.push_back(word.special ? pieces.targetTokens[first] : word.text);
        double logProb = 0;
        for (int p : word.pieces)
            if (size_t(p) < pieces.logProbs.size())
                logProb += pieces.logProbs[size_t(p)];
        out.logProbs.push_back(logProb);
    }
    return out;
}

std::vector<Contribution> wordContextContributions(const TranslationResult &pieces, int hypothesis,
                                                   const WordMerge &merge, int wordStep)
{
    std::vector<Contribution> out;
    if (hypothesis < 0 || size_t(hypothesis) >= pieces.hypotheses.size()
        || size_t(hypothesis) >= merge.target.size())
        return out;
    const Hypothesis &ph = pieces.hypotheses[size_t(hypothesis)];
    const WordGrouping &rows = merge.target[size_t(hypothesis)];
    if (wordStep < 0 || wordStep >= rows.size())
        return out;
    const std::vector<int> &steps = rows.words[size_t(wordStep)].pieces;
    const Eigen::VectorXd c = meanRow(ph.contexts, steps);
    const double cNorm = c.norm();
    const int grouped = std::min<int>(int(merge.source.wordOf.size()), int(pieces.encoderOutputs.rows()));
    for (const WordUnit &word : merge.source.words) {
        Eigen::VectorXd part = Eigen::VectorXd::Zero(pieces.encoderOutputs.cols());
        for (int i : steps)
            for (int j : word.pieces)
                if (j < grouped)
                    part += double(ph.attention(i, j)) * pieces.encoderOutputs.row(j).transpose().cast<double>();
        part /= double(steps.size());
        const double norm = part.norm();
        out.push_back({norm, norm > 0 && cNorm > 0 ? part.dot(c) / (norm * cNorm) : 0.0});
    }
    return out;
}

} // namespace attnviz
