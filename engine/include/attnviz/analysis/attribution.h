// Attribution beside attention (issue #20): how much each source token changes the
// log-probability of each output token, for a fixed output (the translation shown, or a forced
// reference), by five methods; and how well attention agrees with it. docs/attribution.md.
//
//     const attnviz::TranslationResult r = attnviz::translate(model, "i am cold .", {});
//     attnviz::AttributionOptions options;
//     options.method = attnviz::AttributionMethod::IntegratedGradients;
//     const attnviz::Attribution a = attnviz::attribute(model, r.sourceIds, r.best().targetIds, options);
//     a.values(i, j); // output step i, source position j (EOS included when framed)
//
// The gradients are exact: reverse mode through the whole forced computation (every cell,
// layer, direction, initial-state rule, decoder input and score of the family), on a small tape
// of the engine's own (engine/src/analysis/attribution/tape.h), in double precision.
#pragma once

#include <attnviz/models/model.h>

#include <Eigen/Core>

#include <string>
#include <vector>

namespace attnviz {

enum class AttributionMethod {
    Occlusion,           // log p_i - log p_i with e_j replaced by the zero vector
    LeaveOneOut,         // log p_i - log p_i with token j removed from the source
    Gradient,            // || d log p_i / d e_j ||_2
    InputXGradient,      // (d log p_i / d e_j) . e_j
    IntegratedGradients, // e_j . (1/m) sum_k d log p_i / d e_j at (k/m) e, zero baseline
};

const char *attributionMethodName(AttributionMethod method); // "occlusion", "leave-one-out", ...
// Parses those names; false for anything else.
bool parseAttributionMethod(const std::string &name, AttributionMethod *method);
// Whether the method's values have a sign (occlusion, leave-one-out, input x gradient, IG).
bool isSignedAttribution(AttributionMethod method);

struct AttributionOptions
{
    AttributionMethod method = AttributionMethod::IntegratedGradients;
    int steps = 50; // integrated gradients: m, the Riemann sum's steps
};

struct Attribution
{
    AttributionMethod method = AttributionMethod::IntegratedGradients;
    Eigen::MatrixXd values;       // [output steps x source positions]
    std::vector<double> logProbs; // log p_i of the fixed output, by the same computation
    // Integrated gradients: per step sum_j IG_ij, and log p_i(x) - log p_i(0) that it should
    // approach as the steps grow (the completeness check).
    std::vector<double> completenessSum, completenessTarget;
};

// The fixed output is targetIds (the EOS included when the output has one); sourceIds as the
// engine feeds them (TranslationResult::sourceIds). Throws InputError for empty input.
Attribution attribute(const Model &model, const std::vector<int> &sourceIds, const std::vector<int> &targetIds,
                      const AttributionOptions &options = {});

// The primitive: log p_i of the forced output and d log p_i / d e_j for every output step i,
// with the source embeddings e_j (unscaled rows of the embedding table, or `embeddings` when
// given: [source positions x embedding size]). gradients[i] is [source positions x embedding size].
struct SourceGradients
{
    std::vector<double> logProbs;
    std::vector<Eigen::MatrixXd> gradients;
};
SourceGradients sourceGradients(const Model &model, const std::vector<int> &sourceIds,
                                const std::vector<int> &targetIds, const Eigen::MatrixXd *embeddings = nullptr,
                                bool withGradients = true);

// Agreement of an attention row with an attribution row (by magnitude: |attribution|).
struct RowAgreement
{
    double spearman = 0, kendall = 0; // rank correlations (ties get average ranks; Kendall's tau-b)
    bool top1 = false;                // the argmax positions agree
    double jsd = 0;                   // Jensen-Shannon divergence (natural log) to |a| / sum |a|
};
RowAgreement rowAgreement(const Eigen::VectorXd &attention, const Eigen::VectorXd &attribution);

} // namespace attnviz
