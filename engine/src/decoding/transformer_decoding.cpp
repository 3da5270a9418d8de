#include "decoding/transformer_decoding.h"

#include <attnviz/decoding/heads.h>

#include "decoding/beam.h"
#include "models/transformer.h"

namespace attnviz::detail {
namespace {

// The transformer as beam search's stepper: the search needs only the log-probabilities; the
// attention of the n-best is computed again by forcedPass (a step depends on its prefix only).
class TransformerStepper
{
public:
    TransformerStepper(const Model &model, const MatrixRM &memory, int width, int maxLength,
                       const TransformerControl &control)
        : m_run(model.transformer(), memory, width, maxLength)
        , m_control(control)
        , m_logProbs(width, model.targetVocabSize())
    {
    }

    Eigen::Ref<MatrixRM> step(const int *tokens, int K, int)
    {
        TransformerStepOutput out{m_logProbs.topRows(K)};
        m_run.step(tokens, K, m_control, out);
        return m_logProbs.topRows(K);
    }
    void keep(int, int) {}
    void advance(const int *rows, int count) { m_run.select(rows, count); }

private:
    Transformer::Run m_run;
    TransformerControl m_control;
    MatrixRM m_logProbs;
};

HeadAttention emptyHeads(const Model &model, int count, Eigen::Index rows, Eigen::Index cols)
{
    HeadAttention a;
    a.layers = model.layers();
    a.heads = model.heads();
    a.maps.assign(count, MatrixRM::Zero(rows, cols));
    return a;
}

// Teacher-forced decoding of `target` with every layer's and head's attention kept.
Hypothesis forcedPass(const Model &model, const MatrixRM &memory, const std::vector<int> &target,
                      const TransformerControl &control, bool selfAttention)
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
    MatrixRM logProbs(1, model.targetVocabSize()), weights, energies, self;
    int previous = model.sosId();
    for (int i = 0; i < n; ++i) {
        TransformerStepOutput out{logProbs};
        out.crossWeights = &weights;
        out.crossEnergies = &energies;
        if (selfAttention)
            out.selfWeights = &self;
        run.step(&previous, 1, control, out);
        for (int m = 0; m < LH; ++m) {
            h.crossAttention.maps[m].row(i) = weights.row(0).segment(static_cast<Eigen::Index>(m) * T, T);
            h.crossEnergies.maps[m].row(i) = energies.row(0).segment(static_cast<Eigen::Index>(m) * T, T);
            if (selfAttention)
                h.selfAttention.maps[m].row(i).head(i + 1) =
                    self.row(0).segment(static_cast<Eigen::Index>(m) * (i + 1), i + 1);
        }
        h.logProbs.push_back(logProbs(0, target[i]));
        h.score += logProbs(0, target[i]);
        previous = target[i];
    }
    h.normalizedScore = n > 0 ? h.score / n : 0.0;
    return h;
}

// Greedy or beam search: the n-best's tokens and scores, then each one's attention.
std::vector<Hypothesis> search(const Model &model, const MatrixRM &memory, int width, int maxLength,
                               const TransformerControl &control, bool selfAttention)
{
    TransformerStepper stepper(model, memory, width, maxLength, control);
    const BeamBook book = width > 1 && model.config().search.beamRule != BeamRule::Attnviz
                              ? toolkitBeamSearch(model, stepper, width, maxLength, control.cancelled)
                              : beamSearch(model, stepper, width, maxLength, control.cancelled);
    std::vector<Hypothesis> hypotheses;
    for (int entry : book.best) {
        Hypothesis traced;
        book.trace(entry, traced);
        Hypothesis h = forcedPass(model, memory, traced.targetIds, control, selfAttention);
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
    if (target)
        r.hypotheses.push_back(forcedPass(model, r.encoderOutputs, *target, control, options.selfAttention));
    else
        r.hypotheses = search(model, r.encoderOutputs, std::max(1, options.beamWidth), maxLength, control,
                              options.selfAttention);
    for (Hypothesis &h : r.hypotheses) {
        h.attention = selectHeads(h.crossAttention, view);
        h.energies = selectHeads(h.crossEnergies, view);
        h.contexts = h.attention * r.encoderOutputs;
    }
}

AblationResult ablateTransformer(const Model &model, const TranslationResult &r, Ablation kind, int maxLength,
                                 const std::function<bool()> *cancelled)
{
    TransformerControl control;
    control.ablation = kind;
    control.cancelled = cancelled;
    Hypothesis h;
    if (r.forced) {
        h = forcedPass(model, r.encoderOutputs, r.best().targetIds, control, false);
    } else {
        TransformerStepper stepper(model, r.encoderOutputs, 1, maxLength, control);
        const BeamBook book = beamSearch(model, stepper, 1, maxLength, cancelled);
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
