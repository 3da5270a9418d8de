#include "resulttext.h"

#include "translationcontroller.h"

#include <attnviz/models/model.h>
#include <attnviz/io/model_summary.h>

#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace attnviz {

namespace {

// Two decimals, without the "-0.00" of a log-probability that rounds to zero.
QString formatLogProb(double value)
{
    const QString text = QString::number(value, 'f', 2);
    return text == QLatin1String("-0.00") ? QStringLiteral("0.00") : text;
}

QString html(const std::string &text)
{
    return QString::fromStdString(text).toHtmlEscaped();
}

QString logProbCell(const std::vector<std::string> &tokens, const std::vector<double> &logProbs,
                    size_t step)
{
    if (step >= tokens.size())
        return QStringLiteral("<td></td>");
    const QString number =
        step < logProbs.size() ? formatLogProb(logProbs[step]) : QString();
    return QStringLiteral("<td>%1<br/><span style=\"color:#888888; font-size:small\">%2</span></td>")
        .arg(html(tokens[step]), number);
}

} // namespace

QString joinTokens(const std::vector<std::string> &tokens, const std::string &eos)
{
    QStringList words;
    for (const std::string &token : tokens) {
        if (token != eos)
            words << QString::fromStdString(token);
    }
    return words.join(QLatin1Char(' '));
}

QStringList hypothesisTitles(const TranslationOutput &output)
{
    QStringList titles;
    if (!output.result || !output.model)
        return titles;
    const std::string &eos = output.model->config().eosToken;
    int rank = 1;
    for (const Hypothesis &h : output.result->hypotheses) {
        titles << QStringLiteral("%1  %2   (%3)")
                      .arg(QString::number(rank++), joinTokens(h.targetTokens, eos),
                           formatLogProb(h.score));
    }
    return titles;
}

QString comparisonHtml(const TranslationOutput &output, int hypothesis)
{
    if (!output.result || output.result->hypotheses.empty())
        return {};
    const Hypothesis &h =
        output.result->hypotheses[size_t(std::clamp(hypothesis, 0, int(output.result->hypotheses.size()) - 1))];
    static const std::vector<std::string> none;
    static const std::vector<double> noScores;
    const auto &summedTokens = output.summed ? output.summed->targetTokens : none;
    const auto &meanTokens = output.mean ? output.mean->targetTokens : none;
    const size_t steps = std::max({h.targetTokens.size(), summedTokens.size(), meanTokens.size()});

    auto header = [](const QString &title, double score) {
        return QStringLiteral("<th align=\"left\">%1<br/><span style=\"font-weight:normal; "
                              "color:#888888; font-size:small\">%2</span></th>")
            .arg(title, QObject::tr("log p = %1").arg(formatLogProb(score)));
    };
    const QString how = output.result->forced
        ? QObject::tr("the reference forced in every column, so its log p with and without attention compare")
        : QObject::tr("greedy (with a beam, the Attention column is the selected hypothesis)");
    QString text = QStringLiteral("<p style=\"color:#888888\">%1</p>")
                       .arg(QObject::tr("Every c<sub>i</sub> replaced by the summed context "
                                        "c = Σ<sub>j</sub> h<sub>j</sub> or the mean c / T; "
                                        "%1. Grey: log p of each token.")
                                .arg(how));
    text += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"3\"><tr><th></th>");
    text += header(QObject::tr("Attention"), h.score);
    text += header(QObject::tr("Summed c"), output.summed ? output.summed->score : 0.0);
    text += header(QObject::tr("Mean c/T"), output.mean ? output.mean->score : 0.0);
    text += QStringLiteral("</tr>");
    for (size_t step = 0; step < steps; ++step) {
        text += QStringLiteral("<tr><td style=\"color:#888888\">%1</td>").arg(step + 1);
        text += logProbCell(h.targetTokens, h.logProbs, step);
        text += logProbCell(summedTokens, output.summed ? output.summed->logProbs : noScores, step);
        text += logProbCell(meanTokens, output.mean ? output.mean->logProbs : noScores, step);
        text += QStringLiteral("</tr>");
    }
    text += QStringLiteral("</table>");
    return text;
}

QString attentionDescription(const ModelConfig &config)
{
    const QString query = config.decoder.query == Query::Previous ? QStringLiteral("s_{i-1}") : QStringLiteral("s_i");
    switch (config.attention.score) {
    case Score::Additive:
        return QObject::tr("additive (Bahdanau): a score from %1 and each h_j").arg(query);
    case Score::Dot:
        return QObject::tr("multiplicative (Luong, dot): %1 · h_j").arg(query);
    case Score::General:
        return QObject::tr("multiplicative (Luong, general): (W %1) · h_j").arg(query);
    case Score::Bilinear:
        return QObject::tr("multiplicative (bilinear): %1 · (W h_j)").arg(query);
    case Score::Concat:
        return QObject::tr("concat: v · tanh(W [%1; h_j])").arg(query);
    case Score::Location:
        break;
    }
    return QObject::tr("over %1 fixed slots, from the previous word and state only "
                       "(PyTorch tutorial); it never looks at the encoder outputs")
        .arg(config.attention.locationSlots);
}

QString typesetSubscripts(const QString &text)
{
    static const QRegularExpression braced(QStringLiteral("([A-Za-z\\x{3b1}-\\x{3c9}])_\\{([^}]*)\\}"));
    static const QRegularExpression bare(QStringLiteral("([A-Za-z\\x{3b1}-\\x{3c9}])_([A-Za-z0-9]+)"));
    QString html = text;
    QRegularExpressionMatch match;
    // Subscripts take the minus sign, not the hyphen.
    while ((match = braced.match(html)).hasMatch()) {
        QString subscript = match.captured(2);
        subscript.replace(QLatin1Char('-'), QChar(0x2212));
        html.replace(match.capturedStart(), match.capturedLength(),
                     match.captured(1) + QStringLiteral("<sub>") + subscript + QStringLiteral("</sub>"));
    }
    html.replace(bare, QStringLiteral("\\1<sub>\\2</sub>"));
    return html;
}

QString modelInfoHtml(const Model &model, const QString &path)
{
    const ModelConfig &config = model.config();
    QString text = QStringLiteral("<h3>%1</h3><p style=\"color:#888888\">%2</p>")
                       .arg(config.name.empty() ? QFileInfo(path).fileName().toHtmlEscaped()
                                                : html(config.name),
                            QFileInfo(path).fileName().toHtmlEscaped());
    text += QStringLiteral("<table cellspacing=\"4\">");
    auto addRow = [&text](const QString &label, const QString &valueHtml) {
        text += QStringLiteral("<tr><td valign=\"top\"><b>%1</b></td><td>%2</td></tr>")
                    .arg(label.toHtmlEscaped(), valueHtml);
    };
    for (const ModelSummaryField &field : modelSummary(model.file())) {
        const QString value = QString::fromStdString(field.value).toHtmlEscaped();
        // Only these two hold formulas; elsewhere an underscore is a file name's.
        if (field.label == "Architecture") {
            addRow(QString::fromStdString(field.label), typesetSubscripts(value));
            addRow(QObject::tr("Attention"),
                   typesetSubscripts(attentionDescription(config).toHtmlEscaped()));
        } else {
            addRow(QString::fromStdString(field.label), value);
        }
    }
    text += QStringLiteral("</table>");
    return text;
}

} // namespace attnviz
