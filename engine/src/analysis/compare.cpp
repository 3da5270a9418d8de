#include <attnviz/analysis/compare.h>

#include <attnviz/decoding/heads.h>

#include <cmath>
#include <stdexcept>

namespace attnviz {
namespace {

std::string joined(const std::vector<std::string> &tokens)
{
    std::string text;
    for (const std::string &token : tokens)
        text += (text.empty() ? "" : " ") + token;
    return text;
}

std::string listed(const std::vector<std::string> &tokens)
{
    return "[" + joined(tokens) + "]";
}

// p ln(p / m), with 0 ln 0 = 0.
double klTerm(double p, double m)
{
    return p > 0 && m > 0 ? p * std::log(p / m) : 0.0;
}

// The source tokens without the EOS each model spells its own way.
std::vector<std::string> sourceWords(const TranslationResult &r)
{
    std::vector<std::string> tokens = r.sourceTokens;
    if (r.sourceEos && !tokens.empty())
        tokens.pop_back();
    return tokens;
}

std::vector<std::string> withoutEos(std::vector<std::string> tokens, const std::string &eos)
{
    if (!tokens.empty() && tokens.back() == eos)
        tokens.pop_back();
    return tokens;
}

} // namespace

double jensenShannon(const Eigen::Ref<const Vector> &p, const Eigen::Ref<const Vector> &q)
{
    if (p.size() != q.size())
        throw std::invalid_argument("jensenShannon: rows of " + std::to_string(p.size()) + " and "
                                    + std::to_string(q.size()) + " values");
    return jensenShannon(Eigen::VectorXd(p.cast<double>()), Eigen::VectorXd(q.cast<double>()));
}

double jensenShannon(const Eigen::Ref<const Eigen::VectorXd> &p, const Eigen::Ref<const Eigen::VectorXd> &q)
{
    if (p.size() != q.size())
        throw std::invalid_argument("jensenShannon: rows of " + std::to_string(p.size()) + " and "
                                    + std::to_string(q.size()) + " values");
    double sum = 0;
    for (Eigen::Index j = 0; j < p.size(); ++j) {
        const double m = 0.5 * (p[j] + q[j]);
        sum += 0.5 * klTerm(p[j], m) + 0.5 * klTerm(q[j], m);
    }
    return std::max(0.0, sum); // rounding can leave -1e-17 for identical rows
}

double rowEntropy(const Eigen::Ref<const Vector> &p)
{
    double entropy = 0;
    for (Eigen::Index j = 0; j < p.size(); ++j)
        if (p[j] > 0)
            entropy -= double(p[j]) * std::log(double(p[j]));
    return entropy;
}

int rowArgmax(const Eigen::Ref<const Vector> &p)
{
    int best = 0;
    for (Eigen::Index j = 1; j < p.size(); ++j)
        if (p[j] > p[best])
            best = static_cast<int>(j);
    return best;
}

RowComparison compareRows(const MatrixRM &a, const MatrixRM &b)
{
    if (a.rows() != b.rows() || a.cols() != b.cols())
        throw std::invalid_argument("compareRows: matrices of " + std::to_string(a.rows()) + " x "
                                    + std::to_string(a.cols()) + " and " + std::to_string(b.rows()) + " x "
                                    + std::to_string(b.cols()));
    RowComparison c;
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
        const Vector p = a.row(i).transpose(), q = b.row(i).transpose();
        c.jsd.push_back(jensenShannon(p, q));
        c.agreement.push_back(rowArgmax(p) == rowArgmax(q) ? 1 : 0);
        c.entropyA.push_back(rowEntropy(p));
        c.entropyB.push_back(rowEntropy(q));
        c.meanJsd += c.jsd.back();
        c.meanAgreement += c.agreement.back();
    }
    if (a.rows() > 0) {
        c.meanJsd /= double(a.rows());
        c.meanAgreement /= double(a.rows());
    }
    return c;
}

MatrixRM sourceAttention(const TranslationResult &result)
{
    const MatrixRM &attention = result.best().attention;
    const int T = result.sourceLength();
    if (attention.cols() == T)
        return attention;
    MatrixRM rows = attention.leftCols(T);
    for (Eigen::Index i = 0; i < rows.rows(); ++i) {
        const float sum = rows.row(i).sum();
        if (sum > 0)
            rows.row(i) /= sum;
    }
    return rows;
}

TranslationResult forceTokens(const Model &model, const std::string &sentence, const std::vector<std::string> &tokens,
                              const std::string &who, const HeadSelection &view,
                              const std::function<bool()> &cancelled)
{
    const std::string eos = model.config().eosToken;
    const std::vector<std::string> words = withoutEos(tokens, eos);
    std::vector<int> ids;
    for (const std::string &word : words) {
        const std::optional<int> id = model.targetId(word);
        if (!id)
            throw ComparisonError(who + "'s target vocabulary has no '" + word + "' (the shared output is "
                                  + listed(tokens) + "): the vocabularies differ");
        ids.push_back(*id);
    }
    ids.push_back(model.targetEosId());
    // The source as translate() reads the sentence (its words, unknown words, EOS); one greedy
    // step only, since the decoding that counts is the forced one below.
    DecodeOptions probe;
    probe.maxLength = 1;
    probe.view = view;
    probe.cancelled = cancelled;
    const TranslationResult source = translate(model, sentence, probe);
    DecodeOptions forced;
    forced.view = view;
    forced.cancelled = cancelled;
    TranslationResult result = translateIds(model, source.sourceIds, forced, &ids);
    result.sourceWords = source.sourceWords;
    result.sourceWordIndex = source.sourceWordIndex;
    result.unknownWords = source.unknownWords;
    return result;
}

namespace {

std::string viewName(const Model &model, const HeadSelection &view)
{
    return model.isTransformer() ? describeSelection(view, model.layers(), model.heads()) : std::string();
}

void finish(ModelComparison &c, const Model &a, const Model &b, const HeadSelection &view)
{
    c.sourceTokens = c.a.sourceTokens;
    c.targetTokens = c.a.best().targetTokens;
    c.attentionA = sourceAttention(c.a);
    c.attentionB = sourceAttention(c.b);
    c.rows = compareRows(c.attentionA, c.attentionB);
    c.logProbA = c.a.best().score;
    c.logProbB = c.b.best().score;
    c.viewA = viewName(a, view);
    c.viewB = viewName(b, view);
}

std::vector<std::string> targetWithoutEos(const TranslationResult &r)
{
    return withoutEos(r.best().targetTokens, r.eosToken);
}

TranslationResult wordsOf(const Model &model, const TranslationResult &pieces)
{
    return mergeToWords(pieces, pieceMarkings(model), specialTokens(model)).words;
}

// Both models read the shared output in their own pieces; the comparison is of the words these
// merge to. The model whose translation is shared reads its own pieces, the other the words.
ModelComparison compareWords(const Model &a, const Model &b, const std::string &sentence, const CompareOptions &options)
{
    ModelComparison c;
    c.units = TokenUnits::Words;
    DecodeOptions forced;
    forced.view = options.view;
    forced.cancelled = options.cancelled;
    if (options.target) {
        forced.target = options.target;
        c.a = wordsOf(a, translate(a, sentence, forced));
        c.b = wordsOf(b, translate(b, sentence, forced));
        c.sharedOutput = "target";
    } else {
        const bool fromB = options.use == SharedOutput::B;
        const Model &from = fromB ? b : a, &other = fromB ? a : b;
        DecodeOptions greedy;
        greedy.maxLength = options.maxLength;
        greedy.view = options.view;
        greedy.cancelled = options.cancelled;
        const std::vector<std::string> pieces = translate(from, sentence, greedy).best().targetTokens;
        TranslationResult own = wordsOf(from, forceTokens(from, sentence, pieces, fromB ? "model B" : "model A", options.view,
                                                          options.cancelled));
        forced.target = joined(targetWithoutEos(own));
        TranslationResult read = wordsOf(other, translate(other, sentence, forced));
        c.a = fromB ? std::move(read) : std::move(own);
        c.b = fromB ? std::move(own) : std::move(read);
        c.sharedOutput = fromB ? "b" : "a";
    }
    if (sourceWords(c.a) != sourceWords(c.b) || c.a.sourceEos != c.b.sourceEos)
        throw ComparisonError("the two models read the sentence as different words, so their attention columns "
                              "do not line up: model A " + listed(c.a.sourceTokens) + ", model B "
                              + listed(c.b.sourceTokens));
    if (targetWithoutEos(c.a) != targetWithoutEos(c.b))
        throw ComparisonError("the two models read the shared output as different words, so their rows do not "
                              "line up: model A " + listed(c.a.best().targetTokens) + ", model B "
                              + listed(c.b.best().targetTokens));
    finish(c, a, b, options.view);
    return c;
}

} // namespace

ModelComparison compareModels(const Model &a, const Model &b, const std::string &sentence, const CompareOptions &options)
{
    if (options.units == TokenUnits::Words)
        return compareWords(a, b, sentence, options);
    ModelComparison c;
    std::vector<std::string> shared;
    if (options.target) {
        DecodeOptions forced;
        forced.target = options.target;
        forced.cancelled = options.cancelled;
        shared = translate(a, sentence, forced).best().targetTokens;
        c.sharedOutput = "target";
    } else {
        DecodeOptions greedy;
        greedy.maxLength = options.maxLength;
        greedy.view = options.view;
        greedy.cancelled = options.cancelled;
        const Model &from = options.use == SharedOutput::A ? a : b;
        shared = translate(from, sentence, greedy).best().targetTokens;
        c.sharedOutput = options.use == SharedOutput::A ? "a" : "b";
    }
    const bool subwords = pieceMarkings(a).any() || pieceMarkings(b).any();
    try {
        c.a = forceTokens(a, sentence, shared, "model A", options.view, options.cancelled);
        c.b = forceTokens(b, sentence, shared, "model B", options.view, options.cancelled);
    } catch (const ComparisonError &) {
        if (!options.units && subwords) // the pieces differ; the words may not
            return compareWords(a, b, sentence, options);
        throw;
    }
    const std::vector<std::string> sourceA = sourceWords(c.a), sourceB = sourceWords(c.b);
    if (sourceA != sourceB || c.a.sourceEos != c.b.sourceEos) {
        if (!options.units && subwords)
            return compareWords(a, b, sentence, options);
        throw ComparisonError("the two models read the sentence as different tokens, so their attention columns "
                              "do not line up: model A " + listed(c.a.sourceTokens) + ", model B "
                              + listed(c.b.sourceTokens)
                              + (sourceA.size() == sourceB.size() ? " (the vocabularies differ)"
                                                                  : " (the segmentations differ)")
                              + (subwords ? "; in words (--units words) they may agree" : ""));
    }
    finish(c, a, b, options.view);
    return c;
}

void CorpusComparison::add(const ModelComparison &comparison, const GoldAlignment *gold)
{
    meanJsd = (meanJsd * sentences + comparison.rows.meanJsd) / (sentences + 1);
    agreement = (agreement * sentences + comparison.rows.meanAgreement) / (sentences + 1);
    ++sentences;
    if (gold) {
        if (!countsA) {
            countsA = AlignmentCounts();
            countsB = AlignmentCounts();
        }
        *countsA += countAgreement(hardLinks(comparison.a, comparison.a.best()), *gold);
        *countsB += countAgreement(hardLinks(comparison.b, comparison.b.best()), *gold);
    }
}

} // namespace attnviz
