#include <attnviz/io/text.h>
#include <attnviz/decoding/translate.h>

#include "decoding/beam.h"
#include "decoding/speculative.h"
#include "decoding/statistics.h"
#include "decoding/transformer_decoding.h"
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
    // With outputInput, the step stops before the output layer and writes its input there.
    template<typename E, typename A, typename C, typename S, typename L>
    void step(const int *previousTokens, const Eigen::Ref<const MatrixRM> &previousStates,
              const StepControl &control, E &&energies, A &&attention, C &&context, S &&state, L &&logProbs,
              float *outputInput = nullptr)
    {
        StepOutput out{energies, attention, context, state, logProbs, outputInput};
        m_model.decoder().step(previousTokens, previousStates, control, m_ws, out);
    }

private:
    const Model &m_model;
    int m_columns;
    DecoderWorkspace m_ws;
};

// The RNN decoder as beam search's stepper: the states of the live hypotheses, and the
// attention of every kept candidate (an RNN's attention is kept as it is computed). Greedy
// decoding with `slots` uses it as speculativeGreedy's stepper instead.
class RnnStepper
{
public:
    RnnStepper(const Model &model, Session &session, const Vector &initialState, int width, int maxLength,
               StepControl control, int slots = 0)
        : m_model(model)
        , m_session(session)
        , m_control(control)
    {
        const int S = model.decoderStateSize(), A = model.annotationSize(), V = model.targetVocabSize();
        const int C = session.columns();
        // Each slot's rows in a matrix of their own, aligned as a one-row step's are: Eigen's
        // element-wise loops start with scalar code up to the first aligned packet, so a row at
        // another alignment could differ from the one-step result in the last bit.
        m_slots.resize(slots);
        for (Slot &slot : m_slots) {
            slot.state.resize(1, S);
            slot.energies.resize(1, C);
            slot.attention.resize(1, C);
            slot.contexts.resize(1, A);
        }
        m_outputInputs.resize(slots, model.decoder().outputInputSize());
        m_live.resize(width, S);
        m_next.resize(width, S);
        m_stepStates.resize(width, S);
        m_energies.resize(width, C);
        m_attention.resize(width, C);
        m_contexts.resize(width, A);
        m_logProbs.resize(std::max(width, slots), V); // speculative: a row per slot
        const Eigen::Index reserved = static_cast<Eigen::Index>(std::min(maxLength, 64)) * width;
        m_historyEnergies.resize(reserved, C);
        m_historyAttention.resize(reserved, C);
        m_historyContexts.resize(reserved, A);
        m_live.row(0) = initialState.transpose();
    }

    Eigen::Ref<MatrixRM> step(const int *tokens, int K, int t)
    {
        m_control.step = t;
        m_session.step(tokens, m_live.topRows(K), m_control, m_energies.topRows(K), m_attention.topRows(K),
                       m_contexts.topRows(K), m_stepStates.topRows(K), m_logProbs.topRows(K));
        return m_logProbs.topRows(K);
    }

    // Row `row` of the step (speculative: slot `row`'s step) as `entry`.
    void keep(int entry, int row)
    {
        ensureRows(m_historyEnergies, entry + 1);
        ensureRows(m_historyAttention, entry + 1);
        ensureRows(m_historyContexts, entry + 1);
        const bool slot = !m_slots.empty();
        m_historyEnergies.row(entry) = slot ? m_slots[row].energies.row(0) : m_energies.row(row);
        m_historyAttention.row(entry) = slot ? m_slots[row].attention.row(0) : m_attention.row(row);
        m_historyContexts.row(entry) = slot ? m_slots[row].contexts.row(0) : m_contexts.row(row);
    }

    void advance(const int *rows, int count)
    {
        for (int i = 0; i < count; ++i)
            m_next.row(i) = m_stepStates.row(rows[i]);
        m_live.swap(m_next);
    }

    // speculativeGreedy's stepper: slot s's state is computed from slot s - 1's (slot 0: the
    // committed state, row 0 of m_live).
    void hidden(int token, int slot, int t)
    {
        m_control.step = t;
        Slot &into = m_slots[slot];
        const Eigen::Ref<const MatrixRM> previous = slot == 0 ? m_live.topRows(1) : m_slots[slot - 1].state.topRows(1);
        m_session.step(&token, previous, m_control, into.energies, into.attention, into.contexts, into.state,
                       m_logProbs.middleRows(slot, 1), m_outputInputs.row(slot).data());
    }
    Eigen::Ref<MatrixRM> approximate(int slot)
    {
        m_model.decoder().guessOutput().apply(m_outputInputs.row(slot).data(), m_logProbs.row(slot).data(), m_guessScratch);
        return m_logProbs.middleRows(slot, 1);
    }
    Eigen::Ref<MatrixRM> exact(int count)
    {
        m_model.decoder().outputLayer(m_outputInputs.topRows(count), m_logProbs.topRows(count), true);
        return m_logProbs.topRows(count);
    }
    void commit(int slot, int) { m_live.row(0) = m_slots[slot].state.row(0); }
    int stepLimit() const { return std::numeric_limits<int>::max(); }

    // The hypothesis that ends at `entry`, with its attention.
    Hypothesis hypothesis(const detail::BeamBook &book, int entry) const
    {
        Hypothesis h;
        book.trace(entry, h);
        const int n = h.steps();
        h.energies.resize(n, m_energies.cols());
        h.attention.resize(n, m_attention.cols());
        h.contexts.resize(n, m_contexts.cols());
        for (int e = entry, step = n - 1; e >= 0; e = book.parent[e], --step) {
            h.energies.row(step) = m_historyEnergies.row(e);
            h.attention.row(step) = m_historyAttention.row(e);
            h.contexts.row(step) = m_historyContexts.row(e);
        }
        return h;
    }

private:
    struct Slot
    {
        MatrixRM state, energies, attention, contexts; // [1 x ...] each
    };

    const Model &m_model;
    Session &m_session;
    std::vector<Slot> m_slots;
    StepControl m_control;
    MatrixRM m_live, m_next, m_stepStates, m_energies, m_attention, m_contexts, m_logProbs, m_outputInputs;
    GuessLinear::Scratch m_guessScratch;
    MatrixRM m_historyEnergies, m_historyAttention, m_historyContexts;
};

std::vector<Hypothesis> beamSearch(const Model &model, Session &session, const Vector &initialState, int width,
                                   int maxLength, StepControl control, Speculation speculation,
                                   int *passes = nullptr)
{
    const bool speculate =
        width == 1 && detail::useSpeculation(speculation, model.decoder().outputLayerView().bytes(), maxLength);
    RnnStepper stepper(model, session, initialState, width, maxLength, control, speculate ? detail::speculationDepth : 0);
    const detail::BeamBook book =
        speculate ? detail::speculativeGreedy(model, stepper, maxLength, control.cancelled,
                                              speculation == Speculation::AlwaysWrong)
        : width > 1 && model.config().search.beamRule != BeamRule::Attnviz
            ? detail::toolkitBeamSearch(model, stepper, width, maxLength, control.cancelled)
            : detail::beamSearch(model, stepper, width, maxLength, control.cancelled);
    if (passes)
        *passes = book.passes;
    std::vector<Hypothesis> hypotheses;
    for (int entry : book.best)
        hypotheses.push_back(stepper.hypothesis(book, entry));
    return hypotheses;
}

// With `batched`, the output layer is computed once for up to speculationDepth steps (the
// tokens are known, so nothing is guessed); each row has the bits of a step of its own.
Hypothesis forcedDecode(const Model &model, Session &session, const Vector &initialState,
                        const std::vector<int> &target, StepControl control, bool batched)
{
    const int n = static_cast<int>(target.size());
    Hypothesis h;
    h.targetIds = target;
    h.energies.resize(n, session.columns());
    h.attention.resize(n, session.columns());
    h.contexts.resize(n, model.annotationSize());
    const int rows = batched ? detail::speculationDepth : 1;
    MatrixRM state = initialState.transpose(), next(1, model.decoderStateSize()), logProbs(rows, model.targetVocabSize());
    MatrixRM inputs(batched ? rows : 0, model.decoder().outputInputSize());
    int previous = model.sosId();
    for (int first = 0; first < n; first += rows) {
        const int count = std::min(rows, n - first);
        for (int s = 0; s < count; ++s) {
            const int i = first + s;
            control.throwIfCancelled();
            control.step = i;
            session.step(&previous, state, control, h.energies.row(i), h.attention.row(i), h.contexts.row(i), next,
                         logProbs.row(s), batched ? inputs.row(s).data() : nullptr);
            state.swap(next);
            previous = target[i];
        }
        if (batched)
            model.decoder().outputLayer(inputs.topRows(count), logProbs.topRows(count), true);
        for (int s = 0; s < count; ++s) {
            h.logProbs.push_back(logProbs(s, target[first + s]));
            h.score += logProbs(s, target[first + s]);
        }
    }
    h.normalizedScore = n > 0 ? h.score / n : 0.0;
    return h;
}

// Whether forced decoding of `steps` tokens shares the output layer between steps.
bool batchedForcing(const Model &model, Speculation speculation, int steps)
{
    return detail::useSpeculation(speculation, model.decoder().outputLayerView().bytes(), steps);
}

} // namespace

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

namespace {

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
                      const std::function<bool()> *cancelled, Speculation speculation)
{
    const int T = r.sourceLength();
    const Vector context = kind == Ablation::Summed ? r.summedContext : Vector(r.summedContext / static_cast<float>(T));
    StepControl control;
    control.context = &context;
    control.cancelled = cancelled;
    const Vector &initialState = r.initialState;
    // A forced reference is scored without attention too: how likely the same words are then.
    const Hypothesis h = r.forced ? forcedDecode(model, session, initialState, r.best().targetIds, control,
                                                 batchedForcing(model, speculation, r.best().steps()))
                                  : beamSearch(model, session, initialState, 1, maxLength, control, speculation).front();
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

namespace {

// The ids of a forced target (EOS last), with its words and unknown words recorded in r.
std::vector<int> targetIds(const Model &model, const std::string &text, TranslationResult &r)
{
    std::vector<int> target;
    r.targetWords = textUnits(model, text, model.targetTokenizer());
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
    return target;
}

} // namespace

namespace {
void decodeSource(const Model &model, TranslationResult &r, const DecodeOptions &options,
                  const std::vector<int> *target);
} // namespace

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
    std::optional<std::vector<int>> target;
    if (options.target)
        target = targetIds(model, *options.target, r);
    decodeSource(model, r, options, target ? &*target : nullptr);
    return r;
}

TranslationResult translateIds(const Model &model, const std::vector<int> &sourceIds, const DecodeOptions &options,
                               const std::vector<int> *targetIds)
{
    TranslationResult r;
    for (int id : sourceIds) {
        if (id < 0 || id >= model.sourceVocabSize())
            throw InputError("source id " + std::to_string(id) + " is outside the vocabulary of "
                             + std::to_string(model.sourceVocabSize()));
        r.sourceIds.push_back(id);
        r.sourceTokens.push_back(model.sourceWord(id));
    }
    r.sourceEos = model.config().sourceEos && !sourceIds.empty() && sourceIds.back() == model.sourceEosId();
    r.eosToken = model.config().eosToken;
    for (int i = 0; i < r.sourceLength() - (r.sourceEos ? 1 : 0); ++i) {
        r.sourceWords.push_back(r.sourceTokens[i]);
        r.sourceWordIndex.push_back(i);
    }
    if (r.sourceIds.empty())
        throw InputError("no source ids");
    if (targetIds) {
        for (int id : *targetIds) {
            if (id < 0 || id >= model.targetVocabSize())
                throw InputError("target id " + std::to_string(id) + " is outside the vocabulary of "
                                 + std::to_string(model.targetVocabSize()));
            r.targetWords.push_back(model.targetWord(id));
            r.targetWordIndex.push_back(static_cast<int>(r.targetWordIndex.size()));
        }
        if (targetIds->empty())
            throw InputError("no target ids");
        if (targetIds->back() == model.targetEosId()) {
            r.targetWords.pop_back();
            r.targetWordIndex.pop_back();
        }
        r.forced = true;
    }
    decodeSource(model, r, options, targetIds);
    return r;
}

namespace {

// The decoding of a source that r holds (sourceIds and the rest), forced when `target` is given.
void decodeSource(const Model &model, TranslationResult &r, const DecodeOptions &options,
                  const std::vector<int> *target)
{
    const ModelConfig &config = model.config();
    const int T = r.sourceLength();
    const int slots = config.attention.locationSlots;
    if (config.attention.score == Score::Location && T > slots)
        throw InputError("this model's location attention (tutorial_legacy) covers " + std::to_string(slots)
                         + " fixed slots, but the sentence needs " + std::to_string(T) + " ("
                         + std::to_string(sourceWords(r)) + " known words" + (r.sourceEos ? " and EOS" : "")
                         + "); shorten it to at most " + std::to_string(slots - (r.sourceEos ? 1 : 0)) + " words");

    for (const AttentionOverride &o : options.attentionOverrides) {
        if (o.step < 0 || o.position < 0 || o.position >= T || !(o.share >= 0.0 && o.share <= 1.0))
            throw InputError("attention override at step " + std::to_string(o.step) + " on position "
                             + std::to_string(o.position) + " with share " + std::to_string(o.share)
                             + ": the step must be >= 0, the position a source position from 0 to "
                             + std::to_string(T - 1) + " and the share between 0 and 1");
        if (model.isTransformer() && (o.layer < -1 || o.layer >= model.layers() || o.head < -1 || o.head >= model.heads()))
            throw InputError("attention override of layer " + std::to_string(o.layer + 1) + ", head "
                             + std::to_string(o.head + 1) + ": this model has " + std::to_string(model.layers())
                             + " decoder layers of " + std::to_string(model.heads()) + " heads");
    }
    const int maxLength = options.maxLength > 0 ? options.maxLength : defaultMaxLength(config, T, sourceWords(r));
    r.maxLength = maxLength;
    if (options.cancelled && options.cancelled())
        throw Cancelled();
    if (model.isTransformer()) {
        detail::decodeTransformer(model, r, options, maxLength, target);
    } else {
        Encoding encoding = model.encode(r.sourceIds);
        r.initialState = model.initialDecoderState(encoding);
        r.encoderOutputs = std::move(encoding.annotations);
        r.summedContext = r.encoderOutputs.colwise().sum().transpose();
        const int width = std::max(1, options.beamWidth);
        Session session(model, r.encoderOutputs, width);
        StepControl control;
        if (!options.attentionOverrides.empty())
            control.overrides = &options.attentionOverrides;
        control.cancelled = &options.cancelled;
        if (target) {
            const int n = static_cast<int>(target->size());
            const bool batched = batchedForcing(model, options.speculation, n);
            r.hypotheses.push_back(forcedDecode(model, session, r.initialState, *target, control, batched));
            r.outputPasses = batched ? (n + detail::speculationDepth - 1) / detail::speculationDepth : n;
        } else {
            r.hypotheses = beamSearch(model, session, r.initialState, width, maxLength, control, options.speculation,
                                      &r.outputPasses);
        }
    }
    for (Hypothesis &h : r.hypotheses) {
        fillTokens(model, h.targetTokens, h.targetIds);
        h.translation = detokenize(model, h.targetTokens);
        computeStatistics(h, r.summedContext, T);
    }

    if (options.ablation != Ablation::None)
        r.ablation = decodeAblation(model, r, options.ablation, maxLength, options.cancelled, options.speculation);
}

} // namespace

AblationResult decodeAblation(const Model &model, const TranslationResult &result, Ablation kind, int maxLength,
                              const std::function<bool()> &cancelled, Speculation speculation)
{
    if (kind == Ablation::None)
        throw std::invalid_argument("decodeAblation: the kind must be summed or mean");
    if (model.isTransformer())
        return detail::ablateTransformer(
            model, result, kind,
            maxLength > 0 ? maxLength : defaultMaxLength(model.config(), result.sourceLength(), sourceWords(result)),
            &cancelled, speculation);
    Session session(model, result.encoderOutputs, 1);
    return ablate(model, session, result, kind,
                  maxLength > 0 ? maxLength
                                : defaultMaxLength(model.config(), result.sourceLength(), sourceWords(result)),
                  &cancelled, speculation);
}

} // namespace attnviz
