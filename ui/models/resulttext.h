// Text the window shows about a translation and a model, computed without widgets.
#pragma once

#include <attnviz/analysis/result_json.h> // perplexity()

#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace attnviz {

class Model;
struct ModelConfig;
struct Hypothesis;
struct TranslationOutput;

// The output tokens as a sentence, without the final EOS.
QString joinTokens(const std::vector<std::string> &tokens, const std::string &eos);
// "1  je suis froid .   (−0.42)" for the hypothesis list of a beam search.
QStringList hypothesisTitles(const TranslationOutput &output);
// Three columns, one row per step: with attention, with c, with c/T; log-probabilities in grey.
QString comparisonHtml(const TranslationOutput &output, int hypothesis);
// How this model's attention scores the source positions, in a line.
QString attentionDescription(const ModelConfig &config);
// "s_{i-1} · h_j" (HTML-escaped) as HTML with subscripts: s<sub>i−1</sub> · h<sub>j</sub>.
QString typesetSubscripts(const QString &text);
// Name, architecture, sizes, languages and description.
QString modelInfoHtml(const Model &model, const QString &path);

} // namespace attnviz
