#include <attnviz/io/text.h>
#include <attnviz/decoding/translate.h>

#include "models/decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace attnviz {
namespace {

// Grows a history buffer geometrically, so that the step loop reallocates only rarely (never
// for sentences up to the first reservation).
void ensureRows(MatrixRM &m, Eigen::Index rows)
{
    if (rows > m.rows())
        m.conservativeResize(std::max(rows, 2 * m.rows()), Eigen::NoChange);
}

// One decoding run over one encoded sentence: the workspace, sized once.
class Session
{
public:
    // Steps will take up to `rows` hypotheses at once.
    Session(const Model &model, const MatrixRM &encoderOutputs, int rows)
        : m_model(model)
        , m_columns(model.attentionColumns(static_cast<int>(encoderOutputs.rows())))
    {
        new (&m_ws.annotations) Eigen::Map<const MatrixRM>(encoderOutputs.data(), encoderOutputs.rows(),
                                                            encoderOutputs.cols());
        model.decoder().prepare(m_ws, rows);
    }

    int columns() const { return m_columns; }

    // One step of K hypotheses: tokens [K], states [K x S]; the outputs have K rows.
    template<typename E, typename A, typename C, typename S, typename L>
    void step(const int *previousTokens, const Eigen::Ref<const MatrixRM> &previousStates,
              const StepControl &control, E &&energies, A &&attention, C &&context, S &&state, L &&logProbs)
    {
        StepOutput out{energies, attention, context, state, logProbs};
        m_model.decoder().step(previousTokens, previousStates, control, m_ws, out);
    }

private:
    const Model &m_model;
    int m_columns;
    DecoderWorkspace m_ws;
};

struct Candidate
{
    double total;  // score of the hypothesis after this token
    int parent;    // index among the live hypotheses
    int token;
    float logProb;
};

// The k best entries of v, best first; ties go to the lower index (as torch.argmax does).
void topK(const Eigen::Ref<const Vector> &v, int k, std::vector<int> &best)
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

std::vector<Hypothesis> beamSearch(const Model &model, Session &session, const Vector &initialState, int width,
                                   int maxLength, StepControl control)
{
    const int S = model.decoderStateSize(), A = model.annotationSize(), V = model.targetVocabSize();
    const int C = session.columns();
    const int eos = model.targetEosId();
    MatrixRM liveStates(width, S), nextStates(width, S), stepStates(width, S);
    MatrixRM stepEnergies(width, C), stepAttention(width, C), stepContexts(width, A), logProbs(width, V);
    // Every kept candidate of every step, as entry t * width + m, with a back pointer.
    const Eigen::Index reserved = static_cast<Eigen::Index>(std::min(maxLength, 64)) * width;
    MatrixRM historyEnergies(reserved, C), historyAttention(reserved, C), historyContexts(reserved, A);
    std::vector<int> parent, token;
    std::vector<float> logProb;
    std::vector<double> score;
    std::vector<int> liveEntry(width), liveToken(width), nextEntry(width), nextToken(width);
    std::vector<double> liveScore(width), nextScore(width);
    std::vector<Candidate> candidates;
    candidates.reserve(static_cast<size_t>(width) * width);
    std::vector<int> best;
    best.reserve(width);
    std::vector<int> finished;
    finished.reserve(2 * width);

    int liveCount = 1;
    liveStates.row(0) = initialState.transpose();
    liveEntry[0] = -1;
    liveToken[0] = model.sosId();
    liveScore[0] = 0.0;
    for (int t = 0; t < maxLength; ++t) {
        control.throwIfCancelled();
        candidates.clear();
        control.step = t;
        session.step(liveToken.data(), liveStates.topRows(liveCount), control, stepEnergies.topRows(liveCount),
                     stepAttention.topRows(liveCount), stepContexts.topRows(liveCount),
                     stepStates.topRows(liveCount), logProbs.topRows(liveCount));
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
        ensureRows(historyEnergies, static_cast<Eigen::Index>(t + 1) * width);
        ensureRows(historyAttention, static_cast<Eigen::Index>(t + 1) * width);
        ensureRows(historyContexts, static_cast<Eigen::Index>(t + 1) * width);
        parent.resize(static_cast<size_t>(t + 1) * width);
        token.resize(parent.size());
        logProb.resize(parent.size());
        score.resize(parent.size());
        int nextCount = 0;
        for (int m = 0; m < kept; ++m) {
            const Candidate &c = candidates[m];
            const int e = t * width + m;
            historyEnergies.row(e) = stepEnergies.row(c.parent);
            historyAttention.row(e) = stepAttention.row(c.parent);
            historyContexts.row(e) = stepContexts.row(c.parent);
            parent[e] = liveEntry[c.parent];
            token[e] = c.token;
            logProb[e] = c.logProb;
            score[e] = c.total;
            if (c.token == eos) {
                finished.push_back(e);
            } else {
                nextStates.row(nextCount) = stepStates.row(c.parent);
                nextEntry[nextCount] = e;
                nextToken[nextCount] = c.token;
                nextScore[nextCount] = c.total;
                ++nextCount;
            }
        }
        liveStates.swap(nextStates);
        liveEntry.swap(nextEntry);
        liveToken.swap(nextToken);
        liveScore.swap(nextScore);
        liveCount = nextCount;
        if (static_cast<int>(finished.size()) >= width || liveCount == 0)
            break;
    }
    if (static_cast<int>(finished.size()) < width)
        finished.insert(finished.end(), liveEntry.begin(), liveEntry.begin() + liveCount);

    const auto length = [&](int entry) { return entry / width + 1; };
    const auto normalized = [&](int entry) { return score[entry] / length(entry); };
    std::stable_sort(finished.begin(), finished.end(),
                     [&](int a, int b) { return normalized(a) > normalized(b); });

    std::vector<Hypothesis> hypotheses;
    for (int i = 0; i < std::min<int>(width, static_cast<int>(finished.size())); ++i) {
        const int last = finished[i];
        const int n = length(last);
        Hypothesis h;
        h.targetIds.resize(n);
        h.logProbs.resize(n);
        h.energies.resize(n, C);
        h.attention.resize(n, C);
        h.contexts.resize(n, A);
        for (int e = last, step = n - 1; e >= 0; e = parent[e], --step) {
            h.targetIds[step] = token[e];
            h.logProbs[step] = logProb[e];
            h.energies.row(step) = historyEnergies.row(e);
            h.attention.row(step) = historyAttention.row(e);
            h.contexts.row(step) = historyContexts.row(e);
        }
        h.score = score[last];
        h.normalizedScore = normalized(last);
        hypotheses.push_back(std::move(h));
    }
    return hypotheses;
}

Hypothesis forcedDecode(const Model &model, Session &session, const Vector &initialState,
                        const std::vector<int> &target, StepControl control)
{
    const int n = static_cast<int>(target.size());
    Hypothesis h;
    h.targetIds = target;
    h.energies.resize(n, session.columns());
    h.attention.resize(n, session.columns());
    h.contexts.resize(n, model.annotationSize());
    MatrixRM state = initialState.transpose(), next(1, model.decoderStateSize()), logProbs(1, model.targetVocabSize());
    int previous = model.sosId();
    for (int i = 0; i < n; ++i) {
        control.throwIfCancelled();
        control.step = i;
        session.step(&previous, state, control, h.energies.row(i), h.attention.row(i), h.contexts.row(i), next,
                     logProbs);
        h.logProbs.push_back(logProbs(0, target[i]));
        h.score += logProbs(0, target[i]);
        state.swap(next);
        previous = target[i];
    }
    h.normalizedScore = n > 0 ? h.score / n : 0.0;
    return h;
}

// cos(c_i, c), |c_i - c|, entropy and padding mass per step; coverage per source position.
void computeStatistics(Hypothesis &h, const Vector &summed, int sourceLength)
{
    const Eigen::VectorXd c = summed.cast<double>();
    const double cNorm = c.norm();
    const int steps = h.steps();
    for (int i = 0; i < steps; ++i) {
        const Eigen::VectorXd ci = h.contexts.row(i).transpose().cast<double>();
        const double norm = ci.norm();
        h.cosine.push_back(norm > 0 && cNorm > 0 ? ci.dot(c) / (norm * cNorm) : 0.0);
        h.distance.push_back((ci - c).norm());
        double entropy = 0, padding = 0;
        for (int j = 0; j < h.attention.cols(); ++j) {
            const double a = h.attention(i, j);
            if (a > 0)
                entropy -= a * std::log(a);
            if (j >= sourceLength)
                padding += a;
        }
        h.entropy.push_back(entropy);
        h.paddingMass.push_back(padding);
    }
    h.coverage.assign(sourceLength, 0.0);
    for (int i = 0; i < steps; ++i)
        for (int j = 0; j < sourceLength; ++j)
            h.coverage[j] += h.attention(i, j);
}

// The pieces of a typed text: the model's tokenizer, or the words of its normalization.
std::vector<std::string> textUnits(const Model &model, const std::string &text, const Tokenizer *tokenizer)
{
    return tokenizer ? tokenizer->encode(text) : tokenize(text, model.config().normalization);
}

void fillTokens(const Model &model, std::vector<std::string> &tokens, const std::vector<int> &ids)
{
    tokens.clear();
    for (int id : ids)
        tokens.push_back(model.targetWord(id));
}

// Greedy decoding of an encoded sentence with every c_i replaced by the summed or mean context.
AblationResult ablate(const Model &model, Session &session, const TranslationResult &r, Ablation kind, int maxLength,
                      const std::function<bool()> *cancelled)
{
    const int T = r.sourceLength();
    const Vector context = kind == Ablation::Summed ? r.summedContext : Vector(r.summedContext / static_cast<float>(T));
    StepControl control;
    control.context = &context;
    control.cancelled = cancelled;
    const Vector &initialState = r.initialState;
    // A forced reference is scored without attention too: how likely the same words are then.
    const Hypothesis h = r.forced ? forcedDecode(model, session, initialState, r.best().targetIds, control)
                                  : beamSearch(model, session, initialState, 1, maxLength, control).front();
    AblationResult a;
    a.kind = kind;
    a.targetIds = h.targetIds;
    fillTokens(model, a.targetTokens, a.targetIds);
    a.logProbs = h.logProbs;
    a.score = h.score;
    return a;
}

} // namespace

std::string detokenize(const Model &model, const std::vector<std::string> &targetTokens)
{
    std::vector<std::string> tokens = targetTokens;
    if (!tokens.empty() && tokens.back() == model.config().eosToken)
        tokens.pop_back();
    if (const Tokenizer *tokenizer = model.targetTokenizer())
        return tokenizer->decode(tokens);
    std::string text;
    for (const std::string &token : tokens)
        text += (text.empty() ? "" : " ") + token;
    return text;
}

int defaultMaxLength(int sourceWords)
{
    return 2 * sourceWords + 10;
}

int defaultMaxLength(const ModelConfig &config, int sourcePositions, int sourceWords)
{
    const SearchConfig &s = config.search;
    if (s.maxLengthRatio == 0.0 && s.maxLengthOffset == 0)
        return std::min(defaultMaxLength(sourceWords), maxOutputSteps);
    double steps = std::floor(s.maxLengthRatio * sourcePositions + s.maxLengthOffset);
    if (s.maxLengthCap > 0)
        steps = std::min(steps, static_cast<double>(s.maxLengthCap));
    return static_cast<int>(std::clamp(steps, 1.0, static_cast<double>(maxOutputSteps)));
}

namespace {

int sourceWords(const TranslationResult &r)
{
    return r.sourceLength() - (r.sourceEos ? 1 : 0);
}

} // namespace

std::string ablationName(Ablation ablation)
{
    switch (ablation) {
    case Ablation::Summed:
        return "summed";
    case Ablation::Mean:
        return "mean";
    case Ablation::None:
        break;
    }
    return "none";
}

TranslationResult translate(const Model &model, const std::string &sentence, const DecodeOptions &options)
{
    const ModelConfig &config = model.config();
    TranslationResult r;
    r.sourceWords = textUnits(model, sentence, model.sourceTokenizer());
    if (r.sourceWords.size() > static_cast<size_t>(maxSourceWords))
        throw InputError("the sentence has " + std::to_string(r.sourceWords.size())
                         + " words; attnviz translates at most " + std::to_string(maxSourceWords)
                         + " at a time (split the text into sentences)");
    if (options.maxLength > maxOutputSteps || options.beamWidth > maxBeamWidth)
        throw InputError("at most " + std::to_string(maxOutputSteps) + " output steps and a beam width of "
                         + std::to_string(maxBeamWidth) + " are supported, not "
                         + std::to_string(options.maxLength) + " and " + std::to_string(options.beamWidth));
    for (size_t w = 0; w < r.sourceWords.size(); ++w) {
        std::optional<int> id = model.sourceId(r.sourceWords[w]);
        if (!id) {
            r.unknownWords.push_back(r.sourceWords[w]);
            id = model.sourceUnkId();
        }
        if (id) {
            r.sourceIds.push_back(*id);
            r.sourceTokens.push_back(model.sourceWord(*id));
            r.sourceWordIndex.push_back(static_cast<int>(w));
        }
    }
    r.sourceEos = config.sourceEos;
    r.eosToken = config.eosToken;
    if (r.sourceEos) {
        r.sourceIds.push_back(model.sourceEosId());
        r.sourceTokens.push_back(model.sourceWord(model.sourceEosId()));
    }
    const int T = r.sourceLength();
    if (T == 0)
        throw InputError(r.sourceWords.empty() ? "the sentence is empty, and this model reads no EOS: type a sentence"
                                               : "none of the words is in the source vocabulary, and this model "
                                                 "has no unknown-word token to stand for them");
    const int slots = config.attention.locationSlots;
    if (config.attention.score == Score::Location && T > slots)
        throw InputError("this model's location attention (tutorial_legacy) covers " + std::to_string(slots)
                         + " fixed slots, but the sentence needs " + std::to_string(T) + " ("
                         + std::to_string(sourceWords(r)) + " known words" + (r.sourceEos ? " and EOS" : "")
                         + "); shorten it to at most " + std::to_string(slots - (r.sourceEos ? 1 : 0)) + " words");

    if (options.cancelled && options.cancelled())
        throw Cancelled();
    Encoding encoding = model.encode(r.sourceIds);
    r.initialState = model.initialDecoderState(encoding);
    r.encoderOutputs = std::move(encoding.annotations);
    r.summedContext = r.encoderOutputs.colwise().sum().transpose();
    const Vector &initialState = r.initialState;
    const int width = std::max(1, options.beamWidth);
    Session session(model, r.encoderOutputs, width);
    for (const AttentionOverride &o : options.attentionOverrides) {
        if (o.step < 0 || o.position < 0 || o.position >= T || !(o.share >= 0.0 && o.share <= 1.0))
            throw InputError("attention override at step " + std::to_string(o.step) + " on position "
                             + std::to_string(o.position) + " with share " + std::to_string(o.share)
                             + ": the step must be >= 0, the position a source position from 0 to "
                             + std::to_string(T - 1) + " and the share between 0 and 1");
    }
    StepControl control;
    if (!options.attentionOverrides.empty())
        control.overrides = &options.attentionOverrides;
    control.cancelled = &options.cancelled;
    const int maxLength = options.maxLength > 0 ? options.maxLength : defaultMaxLength(config, T, sourceWords(r));

    if (options.target) {
        std::vector<int> target;
        r.targetWords = textUnits(model, *options.target, model.targetTokenizer());
        if (r.targetWords.size() >= static_cast<size_t>(maxOutputSteps))
            throw InputError("the target has " + std::to_string(r.targetWords.size())
                             + " words; forced decoding takes at most " + std::to_string(maxOutputSteps - 1));
        for (size_t w = 0; w < r.targetWords.size(); ++w) {
            std::optional<int> id = model.targetId(r.targetWords[w]);
            if (!id) {
                r.unknownTargetWords.push_back(r.targetWords[w]);
                id = model.targetUnkId();
            }
            if (id) {
                target.push_back(*id);
                r.targetWordIndex.push_back(static_cast<int>(w));
            }
        }
        if (target.empty() || target.back() != model.targetEosId())
            target.push_back(model.targetEosId());
        else
            r.targetWordIndex.pop_back(); // the target's own EOS word
        r.forced = true;
        r.hypotheses.push_back(forcedDecode(model, session, initialState, target, control));
    } else {
        r.hypotheses = beamSearch(model, session, initialState, width, maxLength, control);
    }
    for (Hypothesis &h : r.hypotheses) {
        fillTokens(model, h.targetTokens, h.targetIds);
        h.translation = detokenize(model, h.targetTokens);
        computeStatistics(h, r.summedContext, T);
    }

    if (options.ablation != Ablation::None)
        r.ablation = ablate(model, session, r, options.ablation, maxLength, &options.cancelled);
    return r;
}

AblationResult decodeAblation(const Model &model, const TranslationResult &result, Ablation kind, int maxLength,
                              const std::function<bool()> &cancelled)
{
    if (kind == Ablation::None)
        throw std::invalid_argument("decodeAblation: the kind must be summed or mean");
    Session session(model, result.encoderOutputs, 1);
    return ablate(model, session, result, kind,
                  maxLength > 0 ? maxLength
                                : defaultMaxLength(model.config(), result.sourceLength(), sourceWords(result)),
                  &cancelled);
}

} // namespace attnviz
