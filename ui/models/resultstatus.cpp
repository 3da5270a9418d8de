#include "resultstatus.h"

#include "resultselection.h"
#include "resulttext.h"

#include <attnviz/models/model.h>

#include <QCoreApplication>

namespace attnviz {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ResultStatus", text);
}

} // namespace

QString outputLineText(const ResultSelection &selection)
{
    if (!selection.error().isEmpty())
        return tr("Cannot translate: %1").arg(selection.error());
    const Hypothesis *h = selection.hypothesis();
    if (!h)
        return {};
    // A subword model's line is its pieces joined back as its toolkit detokenizes them.
    const Model &model = *selection.output().model;
    QString text = model.targetTokenizer() ? QString::fromStdString(h->translation)
                                           : joinTokens(h->targetTokens, model.config().eosToken);
    if (text.isEmpty())
        text = tr("(no words: only EOS)");
    if (!selection.result()->forced)
        return text;
    // A subword model's perplexity is per piece or, in Words, per word (h is then the merged one).
    const QString perplexityText = QString::number(perplexity(*h), 'f', 2);
    if (!selection.canShowWords())
        return tr("%1   (forced; perplexity %2)").arg(text, perplexityText);
    return (selection.showsWords() ? tr("%1   (forced; perplexity %2 per word)")
                                   : tr("%1   (forced; perplexity %2 per piece)"))
        .arg(text, perplexityText);
}

QString placeholderText(bool haveModel, const QString &error)
{
    return !haveModel      ? tr("Open a model (Ctrl+O) and type a sentence.")
        : !error.isEmpty() ? tr("No alignment: this sentence cannot be translated.")
                           : tr("Type a sentence (Ctrl+L) to see its alignment.");
}

QStringList unknownWords(const TranslationResult *result)
{
    QStringList unknown;
    if (result) {
        for (const std::string &word : result->unknownWords)
            unknown << QString::fromStdString(word);
        unknown.removeDuplicates();
    }
    return unknown;
}

QString unknownWordsText(const QStringList &words)
{
    if (words.isEmpty())
        return {};
    constexpr int maxListed = 8;
    QString listed = words.mid(0, maxListed).join(QStringLiteral(", "));
    if (words.size() > maxListed)
        listed += tr(" and %1 more").arg(words.size() - maxListed);
    return tr("Unknown words: %1").arg(listed);
}

QString referenceLogProbText(const ResultSelection &selection)
{
    const TranslationResult *result = selection.result();
    const Hypothesis *h = selection.hypothesis();
    if (!result || !result->forced || !h)
        return {};
    QStringList tokens;
    for (size_t i = 0; i < h->targetTokens.size() && i < h->logProbs.size(); ++i)
        tokens << QStringLiteral("%1 %2").arg(
            QString::fromStdString(h->targetTokens[i]),
            QString::number(h->logProbs[i], 'f', 2).replace(QLatin1Char('-'), QStringLiteral("−")));
    QString text = tr("log p: %1").arg(tokens.join(QStringLiteral(" · ")));
    QStringList outside;
    for (const std::string &word : result->unknownTargetWords)
        outside << QString::fromStdString(word);
    outside.removeDuplicates();
    if (!outside.isEmpty())
        text += tr("   Reference words outside the vocabulary: %1")
                    .arg(outside.join(QStringLiteral(", ")));
    return text;
}

QString modelStatusText(const Model *model)
{
    if (!model)
        return tr("No model");
    return QString::fromStdString(model->config().name.empty() ? model->displayName()
                                                               : model->config().name);
}

QString translationTimeText(const ResultSelection &selection)
{
    if (!selection.result())
        return {};
    return tr("Translated in %1 ms").arg(QString::number(selection.output().milliseconds, 'f', 1));
}

} // namespace attnviz
