#include <attnviz/analysis/compare_json.h>
#include <attnviz/analysis/result_json.h>

#include <cstdio>

namespace attnviz {
namespace {

using nlohmann::json;

json matrixToJson(const MatrixRM &m)
{
    json rows = json::array();
    for (Eigen::Index i = 0; i < m.rows(); ++i)
        rows.push_back(std::vector<float>(m.row(i).data(), m.row(i).data() + m.cols()));
    return rows;
}

std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.6f", value);
    return text;
}

} // namespace

json comparisonToJson(const ModelComparison &c)
{
    json j = {{"units", tokenUnitsName(c.units)},
            {"source_tokens", c.sourceTokens},
            {"target_tokens", c.targetTokens},
            {"shared_output", c.sharedOutput},
            {"attention_a", matrixToJson(c.attentionA)},
            {"attention_b", matrixToJson(c.attentionB)},
            {"log_probs_a", c.a.best().logProbs},
            {"log_probs_b", c.b.best().logProbs},
            {"log_p_a", c.logProbA},
            {"log_p_b", c.logProbB},
            {"jsd", c.rows.jsd},
            {"argmax_agreement", c.rows.agreement},
            {"entropy_a", c.rows.entropyA},
            {"entropy_b", c.rows.entropyB},
            {"mean_jsd", c.rows.meanJsd},
            {"agreement", c.rows.meanAgreement}};
    // A transformer's α is one view of its layers and heads: say which.
    if (!c.viewA.empty())
        j["view_a"] = c.viewA;
    if (!c.viewB.empty())
        j["view_b"] = c.viewB;
    return j;
}

json corpusComparisonToJson(const CorpusComparison &corpus)
{
    json j = {{"sentences", corpus.sentences}, {"mean_jsd", corpus.meanJsd}, {"agreement", corpus.agreement}};
    if (corpus.countsA && corpus.countsB) {
        j["aer_a"] = corpus.countsA->alignmentErrorRate();
        j["aer_b"] = corpus.countsB->alignmentErrorRate();
        j["precision_a"] = corpus.countsA->precision();
        j["precision_b"] = corpus.countsB->precision();
        j["recall_a"] = corpus.countsA->recall();
        j["recall_b"] = corpus.countsB->recall();
    }
    return j;
}

json timelineToJson(const Timeline &t)
{
    json checkpoints = json::array();
    for (const TimelinePoint &p : t.points) {
        json c = {{"file", p.checkpoint.file},
                  {"step", p.checkpoint.step},
                  {"attention", matrixToJson(p.attention)},
                  {"log_probs", p.logProbs},
                  {"log_p", p.logProb},
                  {"entropy", p.entropy},
                  {"mean_entropy", p.meanEntropy},
                  {"agreement_with_last", p.agreementWithLast}};
        if (p.counts)
            c["aer"] = p.counts->alignmentErrorRate();
        checkpoints.push_back(std::move(c));
    }
    json j = {{"source_tokens", t.sourceTokens},
              {"target_tokens", t.targetTokens},
              {"fixed_output", t.fixedOutput},
              {"units", tokenUnitsName(t.units)},
              {"checkpoints", std::move(checkpoints)}};
    if (!t.view.empty())
        j["view"] = t.view;
    return j;
}

std::string comparisonToCsv(const ModelComparison &c)
{
    std::string csv = "step,token,jsd,agreement,entropy_a,entropy_b,log_p_a,log_p_b\n";
    for (size_t i = 0; i < c.targetTokens.size(); ++i)
        csv += std::to_string(i) + "," + csvQuote(c.targetTokens[i]) + "," + number(c.rows.jsd[i]) + ","
               + std::to_string(c.rows.agreement[i]) + "," + number(c.rows.entropyA[i]) + ","
               + number(c.rows.entropyB[i]) + "," + number(c.a.best().logProbs[i]) + ","
               + number(c.b.best().logProbs[i]) + "\n";
    return csv;
}

std::string timelineToCsv(const Timeline &t)
{
    std::string csv = "step,file,log_p,mean_entropy,agreement_with_last,aer\n";
    for (const TimelinePoint &p : t.points)
        csv += std::to_string(p.checkpoint.step) + "," + csvQuote(p.checkpoint.file) + "," + number(p.logProb) + ","
               + number(p.meanEntropy) + "," + number(p.agreementWithLast) + ","
               + (p.counts ? number(p.counts->alignmentErrorRate()) : std::string()) + "\n";
    return csv;
}

} // namespace attnviz
