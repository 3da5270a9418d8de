#include <attnviz/decoding/walkthrough.h>

#include "models/decoder.h"

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

// The search's rules, as beamSearch applies them (translate.cpp).
void maskSearchRules(const Model &model, int step, Eigen::Ref<MatrixRM> logProbs)
{
    for (int id : model.neverGenerateIds())
        logProbs(0, id) = -std::numeric_limits<float>::infinity();
    if (step < model.config().search.minLength)
        logProbs(0, model.targetEosId()) = -std::numeric_limits<float>::infinity();
}

int argmax(const Eigen::Ref<const MatrixRM> &logProbs)
{
    int best = 0; // ties go to the lower index, as in the search
    for (int v = 1; v < logProbs.cols(); ++v)
        if (logProbs(0, v) > logProbs(0, best))
            best = v;
    return best;
}

} // namespace

StepDetails explainHypothesis(const Model &model, const TranslationResult &result, int hypothesis, int topK,
                              const std::vector<AttentionOverride> &overrides)
{
    if (model.isTransformer())
        throw InputError("the walkthrough is not available for transformers yet (it explains one RNN decoder "
                         "step; a transformer's steps are layers of heads)");
    if (hypothesis < 0 || hypothesis >= static_cast<int>(result.hypotheses.size()))
        throw std::out_of_range("explainHypothesis: the result has " + std::to_string(result.hypotheses.size())
                                + " hypotheses, not one numbered " + std::to_string(hypothesis));
    const Hypothesis &h = result.hypotheses[hypothesis];
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
            maskSearchRules(model, i, logProbs);
            maskSearchRules(model, i, summedLogProbs);
        }

        StepDetail step;
        step.query = (d.queryIsPrevious ? state : next).row(0).segment(top, Hd).transpose();
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + topK, order.end(), [&](int a, int b) {
            return logProbs(0, a) != logProbs(0, b) ? logProbs(0, a) > logProbs(0, b) : a < b;
        });
        for (int k = 0; k < topK; ++k)
            step.top.push_back(word(model, logProbs, order[k]));
        const int chosen = h.targetIds[i];
        step.chosen = word(model, logProbs, chosen);
        step.chosenRank = 1;
        for (int v = 0; v < V; ++v)
            if (logProbs(0, v) > logProbs(0, chosen) || (logProbs(0, v) == logProbs(0, chosen) && v < chosen))
                ++step.chosenRank;
        step.withSummedContext = word(model, summedLogProbs, argmax(summedLogProbs));
        d.steps.push_back(std::move(step));

        state.swap(next);
        previous = chosen;
    }
    return d;
}

} // namespace attnviz
