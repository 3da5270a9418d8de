#include "decoding/transformer_decoding.h"

#include <attnviz/decoding/heads.h>

#include "decoding/beam.h"
#include "decoding/speculative.h"
#include "models/transformer.h"

#include <memory>

namespace attnviz::detail {
namespace {

HeadAttention emptyHeads(const Model &model, int count, Eigen::Index rows, Eigen::Index cols)
{
    HeadAttention a;
    a.layers = model.layers();
    a.heads = model.heads();
    a.maps.assign(count, MatrixRM::Zero(rows, cols));
    return a;
}

// Row i of every layer's and head's map: the step's output row r, laid out (l H + h) width.
void storeStep(const MatrixRM &step, int r, int i, Eigen::Index width, HeadAttention &into)
{
    for (size_t m = 0; m < into.maps.size(); ++m)
        into.maps[m].row(i).head(width) = step.row(r).segment(static_cast<Eigen::Index>(m) * width, width);
}

// The transformer as beam search's stepper, keeping the attention of every kept candidate as
// the RNN's stepper does: a step's attention depends on its prefix only, so a hypothesis's
// step i is the kept candidate of step i it descends from. (Computing it again for the n-best
// with forcedPass would read every weight once more a token and hypothesis.) With `slots`,
// it is speculativeGreedy's stepper: one hypothesis, its steps computed `slots` at a time.
// Where stepSequence is exact, the guesses come from a draft run (every projection in int8, its
// own key/value cache, the output layer GuessLinear's) and the exact run takes all of a check's steps at once, reading each
// weight once for them; elsewhere the exact run takes them one by one and only the output
// layer is shared.
class TransformerStepper
{
public:
    TransformerStepper(const Model &model, const MatrixRM &memory, int width, int maxLength,
                       const TransformerControl &control, bool keepAttention, bool selfAttention, int slots = 0)
        : m_model(model)
        , m_run(model.transformer(), memory, width, maxLength)
        , m_control(control)
        , m_logProbs(std::max(width, slots), model.targetVocabSize())
        , m_heads(model.layers() * model.heads())
        , m_sourceLength(memory.rows())
        , m_keep(keepAttention)
        , m_self(keepAttention && selfAttention)
    {
        if (slots > 0) {
            m_slotWeights.resize(slots);
            m_slotEnergies.resize(slots);
            m_slotSelf.resize(slots);
            m_outputInputs.resize(slots, model.transformer().config().modelSize);
            if (model.transformer().sequenceIsExact() && slots <= maxSequenceRows) {
                m_draftRun = std::make_unique<Transformer::Run>(model.transformer(), memory, 1, maxLength, &m_run);
                m_draftInputs.resize(slots, model.transformer().config().modelSize);
                m_tokens.resize(slots);
            }
        }
        if (m_keep) {
            m_historyWeights.resize(static_cast<Eigen::Index>(width) * std::min(maxLength, 64), m_heads * m_sourceLength);
            m_historyEnergies.resize(m_historyWeights.rows(), m_historyWeights.cols());
        }
    }

    Eigen::Ref<MatrixRM> step(const int *tokens, int K, int)
    {
        TransformerStepOutput out{m_logProbs.topRows(K)};
        if (m_keep) {
            out.crossWeights = &m_stepWeights;
            out.crossEnergies = &m_stepEnergies;
            if (m_self)
                out.selfWeights = &m_stepSelf;
        }
        m_run.step(tokens, K, m_control, out);
        return m_logProbs.topRows(K);
    }

    // speculativeGreedy's stepper: slot s is step (committed steps) + s of the run.
    void hidden(int token, int slot, int)
    {
        if (slot == 0)
            m_committed = m_run.steps();
        if (m_draftRun) { // the draft's step now; the exact ones in exact()
            m_tokens[slot] = token;
            TransformerStepOutput out{m_logProbs.middleRows(slot, 1)};
            out.outputInput = m_draftInputs.row(slot).data();
            m_draftRun->step(&token, 1, m_control, out);
            return;
        }
        TransformerStepOutput out{m_logProbs.middleRows(slot, 1)};
        out.outputInput = m_outputInputs.row(slot).data();
        if (m_keep) {
            out.crossWeights = &m_slotWeights[slot];
            out.crossEnergies = &m_slotEnergies[slot];
            if (m_self)
                out.selfWeights = &m_slotSelf[slot];
        }
        m_run.step(&token, 1, m_control, out);
    }
    Eigen::Ref<MatrixRM> approximate(int slot)
    {
        const MatrixRM &inputs = m_draftRun ? m_draftInputs : m_outputInputs;
        m_model.transformer().guessOutput().apply(inputs.row(slot).data(), m_logProbs.row(slot).data(), m_guessScratch);
        return m_logProbs.middleRows(slot, 1);
    }
    Eigen::Ref<MatrixRM> exact(int count)
    {
        if (m_draftRun) {
            TransformerStepOutput out{m_logProbs.topRows(count)};
            out.outputInput = m_outputInputs.data();
            if (m_keep) {
                out.crossWeights = &m_stepWeights;
                out.crossEnergies = &m_stepEnergies;
                if (m_self)
                    out.selfWeightRows = &m_slotSelf;
            }
            m_run.stepSequence(m_tokens.data(), count, m_control, out);
        }
        m_model.transformer().outputLayer(m_outputInputs.topRows(count), m_logProbs.topRows(count), true);
        return m_logProbs.topRows(count);
    }
    int stepLimit() const { return m_model.transformer().decoderPositions(); }
    void commit(int slot, int)
    {
        m_run.rewindTo(m_committed + slot + 1);
        if (m_draftRun)
            m_draftRun->rewindTo(m_committed + slot + 1);
    }

    void keep(int entry, int row)
    {
        if (!m_keep)
            return;
        // A slot's step wrote row 0 of the slot's buffers (a sequence: row `row` of the step's
        // cross-attention, row 0 of the slot's self-attention); a beam's step row `row` of each.
        const bool slot = !m_slotWeights.empty(), sequence = m_draftRun != nullptr;
        const MatrixRM &weights = slot && !sequence ? m_slotWeights[row] : m_stepWeights;
        const MatrixRM &energies = slot && !sequence ? m_slotEnergies[row] : m_stepEnergies;
        const MatrixRM &self = slot ? m_slotSelf[row] : m_stepSelf;
        const int crossRow = slot && !sequence ? 0 : row;
        if (slot)
            row = 0;
        if (entry >= m_historyWeights.rows()) {
            const Eigen::Index rows = std::max<Eigen::Index>(entry + 1, 2 * m_historyWeights.rows());
            m_historyWeights.conservativeResize(rows, Eigen::NoChange);
            m_historyEnergies.conservativeResize(rows, Eigen::NoChange);
        }
        m_historyWeights.row(entry) = weights.row(crossRow);
        m_historyEnergies.row(entry) = energies.row(crossRow);
        if (m_self) {
            if (static_cast<size_t>(entry) >= m_historySelf.size())
                m_historySelf.resize(static_cast<size_t>(entry) + 1);
            m_historySelf[static_cast<size_t>(entry)] = self.row(row);
        }
    }
    void advance(const int *rows, int count) { m_run.select(rows, count); }

    // The attention of the hypothesis that ends at `entry`, in forcedPass's layout.
    void attentionOf(const Model &model, const BeamBook &book, int entry, Hypothesis &h) const
    {
        const int n = static_cast<int>(h.targetIds.size());
        h.crossAttention = emptyHeads(model, m_heads, n, m_sourceLength);
        h.crossEnergies = emptyHeads(model, m_heads, n, m_sourceLength);
        if (m_self)
            h.selfAttention = emptyHeads(model, m_heads, n, n);
        for (int e = entry, i = n - 1; e >= 0 && i >= 0; e = book.parent[e], --i) {
            storeStep(m_historyWeights, e, i, m_sourceLength, h.crossAttention);
            storeStep(m_historyEnergies, e, i, m_sourceLength, h.crossEnergies);
            if (m_self)
                storeStep(m_historySelf[static_cast<size_t>(e)], 0, i, i + 1, h.selfAttention);
        }
    }

private:
    const Model &m_model;
    Transformer::Run m_run;
    TransformerControl m_control;
    MatrixRM m_logProbs, m_outputInputs;
    std::vector<MatrixRM> m_slotWeights, m_slotEnergies, m_slotSelf; // per slot, as Run::step writes them
    GuessLinear::Scratch m_guessScratch;
    int m_committed = 0;
    std::unique_ptr<Transformer::Run> m_draftRun; // the guesses' run, when the exact one takes sequences
    MatrixRM m_draftInputs;                       // [slots x d]: the draft's output-layer inputs
    std::vector<int> m_tokens;                    // each slot's input token
    int m_heads;
    Eigen::Index m_sourceLength;
    bool m_keep, m_self;
    MatrixRM m_stepWeights, m_stepEnergies, m_stepSelf; // one step's rows, as Run::step writes them
    MatrixRM m_historyWeights, m_historyEnergies;       // [entries x (L H T)]: each kept candidate's row
    std::vector<MatrixRM> m_historySelf;                 // each kept candidate's [1 x (L H (t + 1))]
};

// Teacher-forced decoding of `target` with every layer's and head's attention kept; with
// `batched`, up to maxSequenceRows positions at a time (stepSequence: the same bits, each weight
// read once for all of them).
Hypothesis forcedPass(const Model &model, const MatrixRM &memory, const std::vector<int> &target,
                      const TransformerControl &control, bool selfAttention, bool batched)
{
    const int n = static_cast<int>(target.size()), T = static_cast<int>(memory.rows());
    const int LH = model.layers() * model.heads();
    Transformer::Run run(model.transformer(), memory, 1, n);
    Hypothesis h;
    h.targetIds = target;
    h.crossAttention = emptyHeads(model, LH, n, T);
    h.crossEnergies = emptyHeads(model, LH, n, T);
    if (selfAttention)
        h.selfAttention = emptyHeads(model, LH, n, n);
    const int rows = batched ? maxSequenceRows : 1;
    MatrixRM logProbs(rows, model.targetVocabSize()), weights, energies, self;
    std::vector<MatrixRM> selfRows;
    std::vector<int> inputs(n);
    for (int i = 0; i < n; ++i)
        inputs[i] = i == 0 ? model.sosId() : target[i - 1];
    for (int first = 0; first < n; first += rows) {
        const int count = std::min(rows, n - first);
        TransformerStepOutput out{logProbs.topRows(count)};
        out.crossWeights = &weights;
        out.crossEnergies = &energies;
        if (selfAttention && batched)
            out.selfWeightRows = &selfRows;
        else if (selfAttention)
            out.selfWeights = &self;
        if (batched)
            run.stepSequence(&inputs[first], count, control, out);
        else
            run.step(&inputs[first], 1, control, out);
        for (int r = 0; r < count; ++r) {
            const int i = first + r;
            storeStep(weights, r, i, T, h.crossAttention);
            storeStep(energies, r, i, T, h.crossEnergies);
            if (selfAttention)
                storeStep(batched ? selfRows[r] : self, 0, i, i + 1, h.selfAttention);
            h.logProbs.push_back(logProbs(r, target[i]));
            h.score += logProbs(r, target[i]);
        }
    }
    h.normalizedScore = n > 0 ? h.score / n : 0.0;
    return h;
}

// Whether forced decoding of `steps` tokens takes several positions at once.
bool batchedForcing(const Model &model, Speculation speculation, int steps)
{
    return model.transformer().sequenceIsExact()
           && useSpeculation(speculation, model.transformer().stepWeightBytes(), steps);
}

// Greedy or beam search: the n-best's tokens and scores, then each one's attention.
std::vector<Hypothesis> search(const Model &model, const MatrixRM &memory, int width, int maxLength,
                               const TransformerControl &control, bool selfAttention, Speculation speculation,
                               int &passes)
{
    const bool speculate =
        width == 1 && useSpeculation(speculation, model.transformer().stepWeightBytes(), maxLength);
    TransformerStepper stepper(model, memory, width, maxLength, control, true, selfAttention,
                               speculate ? speculationDepth : 0);
    const BeamBook book = speculate ? speculativeGreedy(model, stepper, maxLength, control.cancelled,
                                                        speculation == Speculation::AlwaysWrong)
                          : width > 1 && model.config().search.beamRule != BeamRule::Attnviz
                              ? toolkitBeamSearch(model, stepper, width, maxLength, control.cancelled)
                              : beamSearch(model, stepper, width, maxLength, control.cancelled);
    passes = book.passes;
    std::vector<Hypothesis> hypotheses;
    for (int entry : book.best) {
        Hypothesis traced;
        book.trace(entry, traced);
        Hypothesis h;
        h.targetIds = traced.targetIds;
        stepper.attentionOf(model, book, entry, h);
        // The search's own numbers (the forced pass's agree to rounding).
        h.logProbs = traced.logProbs;
        h.score = traced.score;
        h.normalizedScore = traced.normalizedScore;
        hypotheses.push_back(std::move(h));
    }
    return hypotheses;
}

} // namespace

void decodeTransformer(const Model &model, TranslationResult &r, const DecodeOptions &options, int maxLength,
                       const std::vector<int> *target)
{
    const HeadSelection view = resolveSelection(options.view, model.layers(), model.heads());
    TransformerEncoding encoding = model.transformer().encode(r.sourceIds, options.selfAttention);
    r.encoderOutputs = std::move(encoding.memory);
    r.summedContext = r.encoderOutputs.colwise().sum().transpose();
    r.initialState.resize(0);
    if (options.selfAttention) {
        r.encoderSelfAttention.layers = model.transformer().config().encoderLayers;
        r.encoderSelfAttention.heads = model.heads();
        r.encoderSelfAttention.maps = std::move(encoding.selfAttention);
    }
    r.view = view;
    TransformerControl control;
    if (!options.attentionOverrides.empty())
        control.overrides = &options.attentionOverrides;
    control.cancelled = &options.cancelled;
    if (target) {
        const int n = static_cast<int>(target->size());
        const bool batched = batchedForcing(model, options.speculation, n);
        r.hypotheses.push_back(forcedPass(model, r.encoderOutputs, *target, control, options.selfAttention, batched));
        r.outputPasses = batched ? (n + maxSequenceRows - 1) / maxSequenceRows : n;
    } else {
        r.hypotheses = search(model, r.encoderOutputs, std::max(1, options.beamWidth), maxLength, control,
                              options.selfAttention, options.speculation, r.outputPasses);
    }
    for (Hypothesis &h : r.hypotheses) {
        h.attention = selectHeads(h.crossAttention, view);
        h.energies = selectHeads(h.crossEnergies, view);
        h.contexts = h.attention * r.encoderOutputs;
    }
}

AblationResult ablateTransformer(const Model &model, const TranslationResult &r, Ablation kind, int maxLength,
                                 const std::function<bool()> *cancelled, Speculation speculation)
{
    TransformerControl control;
    control.ablation = kind;
    control.cancelled = cancelled;
    Hypothesis h;
    if (r.forced) {
        h = forcedPass(model, r.encoderOutputs, r.best().targetIds, control, false,
                       batchedForcing(model, speculation, r.best().steps()));
    } else {
        const bool speculate = useSpeculation(speculation, model.transformer().stepWeightBytes(), maxLength);
        TransformerStepper stepper(model, r.encoderOutputs, 1, maxLength, control, false, false,
                                   speculate ? speculationDepth : 0);
        const BeamBook book = speculate ? speculativeGreedy(model, stepper, maxLength, cancelled,
                                                            speculation == Speculation::AlwaysWrong)
                                        : beamSearch(model, stepper, 1, maxLength, cancelled);
        book.trace(book.best.front(), h);
    }
    AblationResult a;
    a.kind = kind;
    a.targetIds = h.targetIds;
    for (int id : a.targetIds)
        a.targetTokens.push_back(model.targetWord(id));
    a.logProbs = h.logProbs;
    a.score = h.score;
    return a;
}

} // namespace attnviz::detail
