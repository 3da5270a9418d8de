#include <attnviz/decoding/walkthrough.h>

#include "models/decoder.h"
#include "models/transformer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace attnviz {
namespace {

WordProbability word(const Model &model, const Eigen::Ref<const MatrixRM> &logProbs, int id)
{
    return {id, model.targetWord(id), std::exp(static_cast<double>(logProbs(0, id)))};
}

// The search's rules, as beamSearch applies them (beam.h's applySearchRules): with Hugging Face's
// forced_eos_token_id, the last step allowed is EOS.
void maskSearchRules(const Model &model, int step, int maxLength, Eigen::Ref<MatrixRM> logProbs)
{
    const int eos = model.targetEosId();
    for (int id : model.neverGenerateIds())
        logProbs(0, id) = -std::numeric_limits<float>::infinity();
    if (step < model.config().search.minLength)
        logProbs(0, eos) = -std::numeric_limits<float>::infinity();
    if (model.config().search.forcedEos && step == maxLength - 1) {
        const float keep = logProbs(0, eos);
        logProbs.setConstant(-std::numeric_limits<float>::infinity());
        logProbs(0, eos) = keep;
    }
}

int argmax(const Eigen::Ref<const MatrixRM> &logProbs)
{
    int best = 0; // ties go to the lower index, as in the search
    for (int v = 1; v < logProbs.cols(); ++v)
        if (logProbs(0, v) > logProbs(0, best))
            best = v;
    return best;
}

// The k most likely words of a step's log-probabilities [1 x V], and the rank of `chosen`.
void rankWords(const Model &model, const Eigen::Ref<const MatrixRM> &logProbs, int chosen, int topK,
               std::vector<int> &order, StepDetail &step)
{
    const int V = static_cast<int>(logProbs.cols());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + topK, order.end(), [&](int a, int b) {
        return logProbs(0, a) != logProbs(0, b) ? logProbs(0, a) > logProbs(0, b) : a < b;
    });
    for (int k = 0; k < topK; ++k)
        step.top.push_back(word(model, logProbs, order[k]));
    step.chosen = word(model, logProbs, chosen);
    step.chosenRank = 1;
    for (int v = 0; v < V; ++v)
        if (logProbs(0, v) > logProbs(0, chosen) || (logProbs(0, v) == logProbs(0, chosen) && v < chosen))
            ++step.chosenRank;
}

// The transformer's replay: teacher-forced on the hypothesis's tokens, recording the chosen
// layer's cross-attention; before each real step, the same step with the head's weights uniform
// (then rewound, so the real step is taken at the same position).
StepDetails explainTransformer(const Model &model, const TranslationResult &result, const Hypothesis &h, int topK,
                               const std::vector<AttentionOverride> &overrides, int layer, int head)
{
    const Transformer &transformer = model.transformer();
    const TransformerConfig &c = transformer.config();
    const int L = transformer.layers(), H = transformer.heads(), dk = c.headSize();
    const int n = h.steps(), T = result.sourceLength(), V = model.targetVocabSize();
    if (layer == -1)
        layer = L - 1;
    if (layer < 0 || layer >= L || head < 0 || head >= H)
        throw InputError("layer " + std::to_string(layer + 1) + ", head " + std::to_string(head + 1)
                         + ": this model's decoder has " + std::to_string(L) + " layers of " + std::to_string(H)
                         + " heads (counted from 1)");
    StepDetails d;
    d.transformer = true;
    d.layer = layer;
    d.head = head;
    d.layers = L;
    d.heads = H;
    d.headSize = dk;
    d.preNorm = c.decoderNorm == NormPosition::Pre;
    d.attention.resize(n, T);
    d.energies.resize(n, T);
    d.contexts.resize(n, dk);

    Transformer::Run run(transformer, result.encoderOutputs, 1, std::max(1, n));
    d.keys = run.crossKeys(layer).middleCols(static_cast<Eigen::Index>(head) * dk, dk);
    d.values = run.crossValues(layer).middleCols(static_cast<Eigen::Index>(head) * dk, dk);
    TransformerControl control, uniform;
    control.overrides = overrides.empty() ? nullptr : &overrides;
    // Overrides of shares 1, 1/2, ..., 1/T on positions 0 .. T-1 in turn leave weights of 1/T.
    std::vector<AttentionOverride> whatIf = overrides;
    whatIf.resize(overrides.size() + static_cast<size_t>(T));
    uniform.overrides = &whatIf;
    MatrixRM logProbs(1, V), uniformLogProbs(1, V), weights, energies;
    CrossAttentionTrace trace;
    trace.layer = layer;
    const Eigen::Index column = (static_cast<Eigen::Index>(layer) * H + head) * T;
    std::vector<int> order(V);
    int previous = model.sosId();
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < T; ++j)
            whatIf[overrides.size() + static_cast<size_t>(j)] = {i, j, 1.0 / (j + 1), layer, head};
        TransformerStepOutput counterfactual{uniformLogProbs};
        run.step(&previous, 1, uniform, counterfactual);
        run.rewind();
        TransformerStepOutput out{logProbs};
        out.crossWeights = &weights;
        out.crossEnergies = &energies;
        out.trace = &trace;
        run.step(&previous, 1, control, out);
        d.attention.row(i) = weights.row(0).segment(column, T);
        d.energies.row(i) = energies.row(0).segment(column, T);
        d.contexts.row(i) = trace.mixed.segment(static_cast<Eigen::Index>(head) * dk, dk).transpose();
        if (!result.forced) {
            maskSearchRules(model, i, result.maxLength, logProbs);
            maskSearchRules(model, i, result.maxLength, uniformLogProbs);
        }
        StepDetail step;
        step.query = trace.query.segment(static_cast<Eigen::Index>(head) * dk, dk);
        step.head = {trace.input, trace.normed, trace.mixed, trace.projected, trace.output};
        const int chosen = h.targetIds[i];
        rankWords(model, logProbs, chosen, topK, order, step);
        step.withUniformHead = word(model, uniformLogProbs, argmax(uniformLogProbs));
        d.steps.push_back(std::move(step));
        previous = chosen;
    }
    return d;
}

} // namespace

StepDetails explainHypothesis(const Model &model, const TranslationResult &result, int hypothesis, int topK,
                              const std::vector<AttentionOverride> &overrides, int layer, int head)
{
    if (hypothesis < 0 || hypothesis >= static_cast<int>(result.hypotheses.size()))
        throw std::out_of_range("explainHypothesis: the result has " + std::to_string(result.hypotheses.size())
                                + " hypotheses, not one numbered " + std::to_string(hypothesis));
    const Hypothesis &h = result.hypotheses[hypothesis];
    if (model.isTransformer())
        return explainTransformer(model, result, h, std::clamp(topK, 1, model.targetVocabSize()), overrides, layer,
                                  head);
    const Decoder &decoder = model.decoder();
    const DecoderConfig &config = decoder.config();
    const int n = h.steps(), S = model.decoderStateSize(), A = model.annotationSize(), V = model.targetVocabSize();
    const int Hd = config.hiddenSize, top = (config.layers - 1) * Hd;
    const int columns = model.attentionColumns(result.sourceLength());
    topK = std::clamp(topK, 1, V);

    StepDetails d;
    d.queryIsPrevious = config.query == Query::Previous;
    d.scoresReadAnnotations = model.config().attention.score != Score::Location;
    d.attention.resize(n, columns);
    d.energies.resize(n, columns);
    d.contexts.resize(n, A);

    DecoderWorkspace ws;
    new (&ws.annotations) Eigen::Map<const MatrixRM>(result.encoderOutputs.data(), result.encoderOutputs.rows(),
                                                      result.encoderOutputs.cols());
    decoder.prepare(ws, 1);
    MatrixRM state = result.initialState.transpose(), next(1, S), logProbs(1, V);
    // The counterfactual step writes here, so that it leaves the replay's state alone.
    MatrixRM scratchEnergies(1, columns), scratchAttention(1, columns), scratchContext(1, A), scratchState(1, S),
        summedLogProbs(1, V);
    const Vector summed = result.summedContext;
    StepControl control, ablated;
    control.overrides = overrides.empty() ? nullptr : &overrides;
    ablated.context = &summed;
    std::vector<int> order(V);
    int previous = model.sosId();
    for (int i = 0; i < n; ++i) {
        control.step = ablated.step = i;
        StepOutput out{d.energies.row(i), d.attention.row(i), d.contexts.row(i), next, logProbs};
        decoder.step(&previous, state, control, ws, out);
        StepOutput counterfactual{scratchEnergies, scratchAttention, scratchContext, scratchState, summedLogProbs};
        decoder.step(&previous, state, ablated, ws, counterfactual);
        if (!result.forced) {
            maskSearchRules(model, i, result.maxLength, logProbs);
            maskSearchRules(model, i, result.maxLength, summedLogProbs);
        }

        StepDetail step;
        step.query = (d.queryIsPrevious ? state : next).row(0).segment(top, Hd).transpose();
        const int chosen = h.targetIds[i];
        rankWords(model, logProbs, chosen, topK, order, step);
        step.withSummedContext = word(model, summedLogProbs, argmax(summedLogProbs));
        d.steps.push_back(std::move(step));

        state.swap(next);
        previous = chosen;
    }
    return d;
}

} // namespace attnviz
