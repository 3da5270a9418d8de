// The lines the window shows about the selected result (the output line and the status bar),
// computed without widgets.
#pragma once

#include <QString>
#include <QStringList>

namespace attnviz {

class Model;
class ResultSelection;
struct TranslationResult;

// The selected hypothesis as a sentence ("(forced; perplexity 1.23)" after a forced one), or
// "Cannot translate: …" after a failure; empty when there is nothing.
QString outputLineText(const ResultSelection &selection);
// What the views say when there is no alignment to draw.
QString placeholderText(bool haveModel, const QString &error);
// The words the model did not know, each once, in input order.
QStringList unknownWords(const TranslationResult *result);
// "Unknown words: a, b and 3 more"; empty when there are none.
QString unknownWordsText(const QStringList &words);
// Forced decoding: "log p: 1999 −0.00 · 05 −0.01 …" and the reference words outside the
// vocabulary; empty otherwise.
QString referenceLogProbText(const ResultSelection &selection);
// The model's name, its display name, or "No model".
QString modelStatusText(const Model *model);
// "Translated in 12.3 ms", or empty without a result.
QString translationTimeText(const ResultSelection &selection);

} // namespace attnviz
