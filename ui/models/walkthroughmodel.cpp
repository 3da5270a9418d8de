#include "walkthroughmodel.h"

#include "alignmentmodel.h"
#include "translationcontroller.h"

#include <attnviz/decoding/heads.h>
#include <attnviz/models/model.h>

#include <QCoreApplication>

#include <algorithm>
#include <cmath>

namespace attnviz {
namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("attnviz::Walkthrough", text);
}

QString sub(const QString &base, const QString &index)
{
    return base + QStringLiteral("<sub>") + index + QStringLiteral("</sub>");
}

QString alpha(const QString &index)
{
    return sub(QStringLiteral("<i>α</i>"), index);
}

QString cellLabel(Cell cell)
{
    return cell == Cell::Lstm ? QStringLiteral("LSTM") : QStringLiteral("GRU");
}

// s_{i-1} or s_i at step `step` (from 0) of a person counting from 1.
QString queryName(bool previous, int step)
{
    return sub(QStringLiteral("<i>s</i>"), QString::number(previous ? step : step + 1));
}

QString encoderText(const ModelConfig &config, int annotation)
{
    const EncoderConfig &e = config.encoder;
    const QString layers = e.layers == 1 ? tr("1 layer") : tr("%1 layers").arg(e.layers);
    const QString kind = e.bidirectional ? tr("bidirectional %1").arg(cellLabel(e.cell)) : cellLabel(e.cell);
    return tr("The encoder (%1, %2) reads the source and makes one vector %3 of %4 numbers per position")
        .arg(kind, layers, sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>")))
        .arg(annotation);
}

QString encoderFormula(const ModelConfig &config)
{
    const EncoderConfig &e = config.encoder;
    const QString h = sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>"));
    const QString x = sub(QStringLiteral("<i>x</i>"), QStringLiteral("<i>j</i>"));
    const QString forward = QStringLiteral("<i>h</i><sub><i>j</i></sub><sup>→</sup>");
    const QString backward = QStringLiteral("<i>h</i><sub><i>j</i></sub><sup>←</sup>");
    const QString cell = cellLabel(e.cell);
    QString formula;
    if (!e.bidirectional)
        formula = h + QStringLiteral(" = ") + cell + QStringLiteral("(<i>E</i> ") + x + QStringLiteral(", ")
            + sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>−1")) + QStringLiteral(")");
    else
    {
        const QString merged = e.merge == DirectionMerge::Concat
            ? QString(QStringLiteral("[") + forward + QStringLiteral(" ; ") + backward + QStringLiteral("]"))
            : QString(forward + QStringLiteral(" + ") + backward);
        formula = h + QStringLiteral(" = ") + merged + tr(", read left to right and right to left");
    }
    if (e.layers > 1)
        formula += tr(" (the top layer of %1)").arg(e.layers);
    return formula;
}

QString scoreFormula(const ModelConfig &config)
{
    const QString e = sub(QStringLiteral("<i>e</i>"), QStringLiteral("<i>ij</i>"));
    const QString q = QStringLiteral("<i>q</i>");
    const QString h = sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>"));
    const QString vT = QStringLiteral("<i>v</i><sup>T</sup>");
    switch (config.attention.score) {
    case Score::Dot:
        return e + QStringLiteral(" = ") + q + QStringLiteral(" · ") + h + tr("  (dot score)");
    case Score::General:
        return e + QStringLiteral(" = (<i>W</i> ") + q + QStringLiteral(") · ") + h + tr("  (general score)");
    case Score::Bilinear:
        return e + QStringLiteral(" = ") + q + QStringLiteral(" · (<i>W</i> ") + h + QStringLiteral(")")
            + tr("  (bilinear score)");
    case Score::Additive:
        return e + QStringLiteral(" = ") + vT + QStringLiteral(" tanh(") + sub(QStringLiteral("<i>W</i>"), QStringLiteral("q"))
            + QStringLiteral(" ") + q + QStringLiteral(" + ") + sub(QStringLiteral("<i>W</i>"), QStringLiteral("h"))
            + QStringLiteral(" ") + h + QStringLiteral(")") + tr("  (additive score)");
    case Score::Concat:
        return e + QStringLiteral(" = ") + vT + QStringLiteral(" tanh(<i>W</i> [") + q + QStringLiteral(" ; ") + h
            + QStringLiteral("])") + tr("  (concat score)");
    case Score::Location:
        return sub(QStringLiteral("<i>e</i>"), QStringLiteral("<i>i</i>")) + QStringLiteral(" = <i>W</i> [<i>E</i> ")
            + sub(QStringLiteral("<i>y</i>"), QStringLiteral("<i>i</i>−1")) + QStringLiteral(" ; ") + q
            + QStringLiteral("]: one score per slot <i>j</i>, without ") + h;
    }
    return {};
}

QString outputFormula(const ModelConfig &config)
{
    const DecoderConfig &d = config.decoder;
    const QString s = sub(QStringLiteral("<i>s</i>"), QStringLiteral("<i>i</i>"));
    const QString c = sub(QStringLiteral("<i>c</i>"), QStringLiteral("<i>i</i>"));
    QString in;
    switch (d.attentional) {
    case Attentional::None:
        in = s;
        break;
    case Attentional::StateContext:
        in = (d.attentionalActivation == Activation::Tanh ? QStringLiteral("tanh(") : QStringLiteral("("))
            + QStringLiteral("<i>W</i><sub>c</sub> [") + s + QStringLiteral(" ; ") + c + QStringLiteral("])");
        break;
    case Attentional::ContextState:
        in = (d.attentionalActivation == Activation::Tanh ? QStringLiteral("tanh(") : QStringLiteral("("))
            + QStringLiteral("<i>W</i><sub>c</sub> [") + c + QStringLiteral(" ; ") + s + QStringLiteral("])");
        break;
    }
    return QStringLiteral("<i>p</i>(") + sub(QStringLiteral("<i>y</i>"), QStringLiteral("<i>i</i>"))
        + QStringLiteral(" | ") + sub(QStringLiteral("<i>y</i>"), QStringLiteral("&lt;<i>i</i>"))
        + QStringLiteral(", <i>x</i>) = softmax(<i>W</i><sub>o</sub> ") + in + QStringLiteral(")");
}

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

// The column of the step's largest weight (the first of equals).
int strongestColumn(const MatrixRM &attention, int step)
{
    int best = 0;
    for (int j = 1; j < attention.cols(); ++j)
        if (attention(step, j) > attention(step, best))
            best = j;
    return best;
}

// A transformer's stage texts (the head is details.layer, .head).
QString headLabel(const StepDetails &d)
{
    return tr("head %1 of layer %2").arg(d.head + 1).arg(d.layer + 1);
}

QString transformerEncoderText(const Model &model, const StepDetails &d)
{
    const TransformerConfig &t = model.config().transformer;
    return tr("The decoder's %1 layers each attend to the source with %2 heads. Here %3: its query <i>q</i> "
              "reads the decoder's state <i>x</i> at this step, its keys <i>k</i><sub><i>j</i></sub> the "
              "encoder's output %4 (%5 layers); a head works in <i>d</i><sub>k</sub> = %6 of the <i>d</i> = %7 numbers")
        .arg(d.layers)
        .arg(d.heads)
        .arg(headLabel(d), sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>")))
        .arg(t.encoderLayers)
        .arg(d.headSize)
        .arg(t.modelSize);
}

QString transformerScoreFormula(const StepDetails &d)
{
    return sub(QStringLiteral("<i>e</i>"), QStringLiteral("<i>ij</i>")) + QStringLiteral(" = <i>q</i> · ")
        + sub(QStringLiteral("<i>k</i>"), QStringLiteral("<i>j</i>")) + QStringLiteral(" / √")
        + sub(QStringLiteral("<i>d</i>"), QStringLiteral("k"))
        + tr("  (scaled dot product, √%1 = %2; one sentence, so no key padding is masked: in a batch a padded "
             "position gets <i>e</i> = −∞, <i>α</i> = 0)")
              .arg(d.headSize)
              .arg(walkthroughNumber(std::sqrt(double(d.headSize))));
}

QString transformerOutputFormula(const Model &model, const StepDetails &d)
{
    const TransformerConfig &t = model.config().transformer;
    const QString z = QStringLiteral("<i>z</i><sub><i>i</i></sub><sup>(%1)</sup>").arg(d.layers);
    return QStringLiteral("<i>p</i>(") + sub(QStringLiteral("<i>y</i>"), QStringLiteral("<i>i</i>"))
        + QStringLiteral(" | ") + sub(QStringLiteral("<i>y</i>"), QStringLiteral("&lt;<i>i</i>"))
        + QStringLiteral(", <i>x</i>) = softmax(<i>W</i><sub>out</sub> ")
        + (t.decoderFinalNorm ? QStringLiteral("LN(") + z + QStringLiteral(")") : z)
        + (t.outputBias ? QStringLiteral(" + <i>b</i>)") : QStringLiteral(")"))
        + tr(", %1 the output of the last of %2 decoder layers (self-attention, cross-attention, feed-forward)")
              .arg(z)
              .arg(d.layers);
}

QString transformerKeysFormula(const Model &model, const StepDetails &d)
{
    const QString b = model.config().transformer.attentionBias ? QStringLiteral(" + <i>b</i>") : QString();
    const QString head = QStringLiteral("<sup>(%1)</sup>").arg(d.head + 1);
    return QStringLiteral("<i>q</i> = <i>W</i><sub>q</sub>") + head + QStringLiteral(" <i>x</i>") + b + QStringLiteral(", ")
        + sub(QStringLiteral("<i>k</i>"), QStringLiteral("<i>j</i>")) + QStringLiteral(" = <i>W</i><sub>k</sub>")
        + head + QStringLiteral(" ") + sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>")) + b
        + QStringLiteral(", ") + sub(QStringLiteral("<i>v</i>"), QStringLiteral("<i>j</i>"))
        + QStringLiteral(" = <i>W</i><sub>v</sub>") + head + QStringLiteral(" ")
        + sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>")) + b
        + tr(", with <i>h</i><sub><i>j</i></sub> the encoder's output: rows %1 to %2 of the layer's %3 × %3 projections")
              .arg(d.head * d.headSize + 1)
              .arg((d.head + 1) * d.headSize)
              .arg(d.heads * d.headSize);
}

QString headsFormula(const StepDetails &d, int step)
{
    const QString i = QString::number(step + 1);
    const QString o = QStringLiteral("<i>o</i><sub>%1</sub><sup>(%2)</sup>");
    const QString x = QStringLiteral("<i>x</i>");
    const QString heads = QStringLiteral("<i>W</i><sub>o</sub> [") + o.arg(i).arg(1) + QStringLiteral(" ; … ; ")
        + o.arg(i).arg(d.heads) + QStringLiteral("] + <i>b</i><sub>o</sub>");
    return tr("The %1 heads side by side, mixed by %2; then %3")
        .arg(d.heads)
        .arg(heads)
        .arg(d.preNorm ? tr("the residual: %1 + that (pre-norm)").arg(x)
                       : tr("the residual and the layer norm: LN(%1 + that) (post-norm)").arg(x));
}

// cos(a, b), 0 for a zero vector.
double cosine(const Vector &a, const Vector &b)
{
    const double n = double(a.norm()) * double(b.norm());
    return n > 0 ? double(a.dot(b)) / n : 0.0;
}

// "0.62·v_1 + 0.20·v_2 + … + 0.05·v_T" (the first four, then the last), for h or v.
QString weightedTerms(const MatrixRM &attention, int step, int T, const QString &vector)
{
    QString terms;
    constexpr int shown = 4;
    for (int j = 0; j < T; ++j) {
        if (j == shown && T > shown + 1) {
            terms += QStringLiteral(" + … + ") + walkthroughNumber(attention(step, T - 1)) + QStringLiteral("·")
                + sub(QStringLiteral("<i>%1</i>").arg(vector), QString::number(T));
            break;
        }
        terms += (j ? QStringLiteral(" + ") : QString()) + walkthroughNumber(attention(step, j)) + QStringLiteral("·")
            + sub(QStringLiteral("<i>%1</i>").arg(vector), QString::number(j + 1));
    }
    return terms;
}

} // namespace

QString walkthroughStageTitle(WalkthroughStage stage, bool transformer)
{
    switch (stage) {
    case WalkthroughStage::Encoder:
        return transformer ? tr("Query") : tr("Encoder");
    case WalkthroughStage::Scores:
        return tr("Scores → weights");
    case WalkthroughStage::Context:
        return tr("Context");
    case WalkthroughStage::Output:
        return tr("Output");
    }
    return {};
}

QList<WalkthroughFrame> walkthroughFrames(int steps, int first, int last)
{
    if (last < 0 || last >= steps)
        last = steps - 1;
    QList<WalkthroughFrame> frames;
    for (int i = std::max(0, first); i <= last; ++i)
        for (int s = 0; s < walkthroughStageCount; ++s)
            frames.append({i, static_cast<WalkthroughStage>(s)});
    return frames;
}

QString walkthroughNumber(double value, int decimals)
{
    QString text = QString::number(std::abs(value), 'f', decimals);
    if (value < 0 && text != QString::number(0.0, 'f', decimals))
        text.prepend(QChar(0x2212));
    return text;
}

WalkthroughData makeWalkthroughData(const Model &model, std::shared_ptr<const TranslationResult> result,
                                    int hypothesis, int topK, const QString &sentence,
                                    const std::vector<AttentionOverride> &overrides, int layer, int head)
{
    WalkthroughData d;
    d.details = explainHypothesis(model, *result, hypothesis, topK, overrides, layer, head);
    d.result = std::move(result);
    const TranslationResult &r = *d.result;
    d.hypothesis = hypothesis;
    d.hypothesisCount = static_cast<int>(r.hypotheses.size());
    d.sentence = sentence;
    const ModelConfig &config = model.config();
    d.modelName = QString::fromStdString(config.name.empty() ? model.displayName() : config.name);
    d.sourceLabels = sourceLabels(r);
    d.columnLabels = d.sourceLabels;
    for (int j = r.sourceLength(); j < d.details.attention.cols(); ++j)
        d.columnLabels << tr("pad %1").arg(j + 1);
    for (const std::string &token : d.hypothesisResult().targetTokens)
        d.targetTokens << QString::fromStdString(token);
    if (d.transformer()) {
        const StepDetails &x = d.details;
        d.attention = x.attention;
        d.energies = x.energies;
        d.headName = QString::fromStdString(describeSelection({x.layer, {x.head}, false}, x.layers, x.heads));
        d.encoderText = transformerEncoderText(model, x);
        d.scoreFormula = transformerScoreFormula(x);
        d.outputFormula = transformerOutputFormula(model, x);
        d.encoderFormula = transformerKeysFormula(model, x);
    } else {
        d.attention = d.hypothesisResult().attention;
        d.energies = d.hypothesisResult().energies;
        d.encoderText = encoderText(config, model.annotationSize());
        d.encoderFormula = encoderFormula(config);
        d.scoreFormula = scoreFormula(config);
        d.outputFormula = outputFormula(config);
    }
    d.forced = r.forced;
    d.vocabularySize = model.targetVocabSize();
    double scale = 1e-12, queryScale = 1e-12;
    if (r.encoderOutputs.size() > 0)
        scale = std::max(scale, double(r.encoderOutputs.cwiseAbs().maxCoeff()));
    for (const StepDetail &s : d.details.steps)
        if (s.query.size() > 0)
            queryScale = std::max(queryScale, double(s.query.cwiseAbs().maxCoeff()));
    d.annotationScale = scale;
    d.queryScale = queryScale;
    if (d.transformer()) {
        const StepDetails &x = d.details;
        const auto largest = [](const auto &m, double at) {
            return m.size() > 0 ? std::max(at, double(m.cwiseAbs().maxCoeff())) : at;
        };
        d.queryScale = largest(x.keys, d.queryScale);
        d.valueScale = largest(x.values, 1e-12);
        double stream = 1e-12;
        for (const StepDetail &s : x.steps)
            for (const Vector *v : {&s.head.input, &s.head.normed, &s.head.projected, &s.head.output})
                stream = largest(*v, stream);
        d.streamScale = stream;
    }
    return d;
}

QString walkthroughQueryText(const WalkthroughData &data, int step)
{
    if (data.transformer()) {
        const StepDetails &d = data.details;
        const QString where = tr("<i>x</i>: the decoder's state entering layer %1's cross-attention at step %2")
                                  .arg(d.layer + 1)
                                  .arg(step + 1);
        return tr("Query <i>q</i> = %1 <i>x</i> of %2; %3")
            .arg(sub(QStringLiteral("<i>W</i>"), QStringLiteral("q")), headLabel(d), where)
            + (d.preNorm ? tr(", after its layer norm (pre-norm)")
                         : tr(" (post-norm: the residual stream itself, normalized after the sum)"));
    }
    const QString q = queryName(data.details.queryIsPrevious, step);
    return data.details.queryIsPrevious
        ? tr("Query <i>q</i> = %1: the decoder state before step %2").arg(q).arg(step + 1)
        : tr("Query <i>q</i> = %1: the decoder state after its RNN step %2").arg(q).arg(step + 1);
}

QString walkthroughSoftmaxFormula(const WalkthroughData &data, int step)
{
    const MatrixRM &attention = data.attention, &energies = data.energies;
    const int j = strongestColumn(attention, step);
    const QString i = QString::number(step + 1);
    const auto e = [&](int column) -> QString {
        return QStringLiteral("exp(") + walkthroughNumber(energies(step, column)) + QStringLiteral(")");
    };
    QString scaled; // a transformer's score of that column, from q and k_j
    if (data.transformer()) {
        const StepDetails &d = data.details;
        const double dot = double(d.keys.row(j).dot(d.steps[size_t(step)].query.transpose()));
        scaled = sub(QStringLiteral("<i>e</i>"), i + QStringLiteral(",") + QString::number(j + 1))
            + QStringLiteral(" = <i>q</i> · ") + sub(QStringLiteral("<i>k</i>"), QString::number(j + 1))
            + QStringLiteral(" / √%1 = %2 / %3 = %4<br>")
                  .arg(d.headSize)
                  .arg(walkthroughNumber(dot), walkthroughNumber(std::sqrt(double(d.headSize))),
                       walkthroughNumber(energies(step, j)));
    }
    QString sum;
    const int columns = static_cast<int>(energies.cols());
    constexpr int shown = 5;
    for (int k = 0; k < columns; ++k) {
        if (k == shown && columns > shown + 1) {
            sum += QStringLiteral(" + … + ") + e(columns - 1);
            break;
        }
        sum += (k ? QStringLiteral(" + ") : QString()) + e(k);
    }
    const QString index = i + QStringLiteral(",") + QString::number(j + 1);
    return scaled + alpha(index) + QStringLiteral(" = exp(") + sub(QStringLiteral("<i>e</i>"), index)
        + QStringLiteral(") / ") + QStringLiteral("Σ<sub><i>k</i></sub> exp(")
        + sub(QStringLiteral("<i>e</i>"), i + QStringLiteral(",<i>k</i>")) + QStringLiteral(") = ") + e(j)
        + QStringLiteral(" / (") + sum + QStringLiteral(") = ") + walkthroughNumber(attention(step, j));
}

QString walkthroughContextFormula(const WalkthroughData &data, int step)
{
    const Hypothesis &h = data.hypothesisResult();
    const QString i = QString::number(step + 1);
    const int T = data.sourceLength();
    if (data.transformer()) {
        const StepDetails &d = data.details;
        const Vector mean = d.values.colwise().mean().transpose();
        const QString o = QStringLiteral("<i>o</i><sub>%1</sub><sup>(%2)</sup>").arg(i).arg(d.head + 1);
        return o + QStringLiteral(" = Σ<sub><i>j</i></sub> ") + alpha(i + QStringLiteral(",<i>j</i>"))
            + QStringLiteral(" ") + sub(QStringLiteral("<i>v</i>"), QStringLiteral("<i>j</i>")) + QStringLiteral(" = ")
            + weightedTerms(d.attention, step, T, QStringLiteral("v")) + QStringLiteral("<br>")
            + headsFormula(d, step) + QStringLiteral("<br>cos(") + o + QStringLiteral(", ")
            + QStringLiteral("<i>v̄</i>) = ") + walkthroughNumber(cosine(d.contexts.row(step).transpose(), mean))
            + tr(", where <i>v̄</i> = Σ<sub><i>j</i></sub> %1 / %2 is what the head reads with uniform weights")
                  .arg(sub(QStringLiteral("<i>v</i>"), QStringLiteral("<i>j</i>")))
                  .arg(T);
    }
    const QString terms = weightedTerms(h.attention, step, T, QStringLiteral("h"));
    const QString cosine = size_t(step) < h.cosine.size() ? walkthroughNumber(h.cosine[size_t(step)]) : QString();
    return sub(QStringLiteral("<i>c</i>"), i) + QStringLiteral(" = Σ<sub><i>j</i></sub> ")
        + alpha(i + QStringLiteral(",<i>j</i>")) + QStringLiteral(" ") + sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>"))
        + QStringLiteral(" = ") + terms + QStringLiteral("<br>cos(") + sub(QStringLiteral("<i>c</i>"), i)
        + QStringLiteral(", <i>c</i>) = ") + cosine + tr(", where <i>c</i> = Σ<sub><i>j</i></sub> %1 is what a decoder without attention reads at every step")
                                                      .arg(sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>")));
}

QString walkthroughOutputText(const WalkthroughData &data, int step)
{
    const StepDetail &s = data.details.steps[size_t(step)];
    const QString y = sub(QStringLiteral("<i>y</i>"), QString::number(step + 1));
    QString text;
    if (data.forced)
        text = tr("Reference word %1 = %2: rank %3 of %4, <i>p</i> = %5")
                   .arg(y, escaped(QString::fromStdString(s.chosen.token)))
                   .arg(s.chosenRank)
                   .arg(data.vocabularySize)
                   .arg(walkthroughNumber(s.chosen.probability, 3));
    else if (s.chosenRank == 1)
        text = tr("Chosen %1 = %2, the most likely word, <i>p</i> = %3")
                   .arg(y, escaped(QString::fromStdString(s.chosen.token)), walkthroughNumber(s.chosen.probability, 3));
    else // a beam hypothesis
        text = tr("Chosen %1 = %2 (beam hypothesis %3): rank %4, <i>p</i> = %5")
                   .arg(y, escaped(QString::fromStdString(s.chosen.token)))
                   .arg(data.hypothesis + 1)
                   .arg(s.chosenRank)
                   .arg(walkthroughNumber(s.chosen.probability, 3));
    if (data.transformer()) {
        const StepDetails &d = data.details;
        return text
            + tr("<br>With %1 uniform (%2 = 1/%3 for every <i>j</i>) at this step: %4 (<i>p</i> = %5)")
                  .arg(headLabel(d), alpha(QString::number(step + 1) + QStringLiteral(",<i>j</i>")))
                  .arg(data.sourceLength())
                  .arg(escaped(QString::fromStdString(s.withUniformHead.token)),
                       walkthroughNumber(s.withUniformHead.probability, 3));
    }
    text += tr("<br>With <i>c</i> = Σ<sub><i>j</i></sub> %1 instead of %2 at this step: %3 (<i>p</i> = %4)")
                .arg(sub(QStringLiteral("<i>h</i>"), QStringLiteral("<i>j</i>")),
                     sub(QStringLiteral("<i>c</i>"), QString::number(step + 1)),
                     escaped(QString::fromStdString(s.withSummedContext.token)),
                     walkthroughNumber(s.withSummedContext.probability, 3));
    return text;
}

WalkthroughModel::WalkthroughModel(QObject *parent)
    : QObject(parent)
{
    m_timer.setInterval(interval());
    connect(&m_timer, &QTimer::timeout, this, &WalkthroughModel::tick);
}

void WalkthroughModel::setOutput(const TranslationOutput &output, int hypothesis)
{
    if (!output.result || !output.model || output.result->hypotheses.empty()) {
        clear();
        return;
    }
    const bool sameSentence = output.sentence == m_sentence && m_data;
    m_model = output.model;
    m_result = output.result;
    m_overrides = output.attentionOverrides;
    m_sentence = output.sentence;
    m_hypothesis = std::clamp(hypothesis, 0, int(output.result->hypotheses.size()) - 1);
    if (!sameSentence)
        m_position = 0;
    rebuild();
}

void WalkthroughModel::clear()
{
    pause();
    m_model.reset();
    m_result.reset();
    m_data.reset();
    m_error.clear();
    m_sentence.clear();
    m_position = 0;
    emit dataChanged();
    emit positionChanged(m_position);
}

void WalkthroughModel::setTopK(int k)
{
    k = std::clamp(k, 1, 50);
    if (k == m_topK)
        return;
    m_topK = k;
    if (m_result)
        rebuild();
}

void WalkthroughModel::setHead(int layer, int head)
{
    if (layer == m_layer && head == m_head)
        return;
    m_layer = layer;
    m_head = head;
    if (m_result)
        rebuild();
}

void WalkthroughModel::rebuild()
{
    m_error.clear();
    if (m_model->isTransformer() && (m_layer >= m_model->layers() || m_head >= m_model->heads())) {
        m_layer = -1; // another model with fewer layers or heads: the default
        m_head = 0;
    }
    try {
        m_data = std::make_unique<WalkthroughData>(makeWalkthroughData(*m_model, m_result, m_hypothesis, m_topK,
                                                                       m_sentence, m_overrides, m_layer, m_head));
    } catch (const std::exception &error) {
        m_data.reset();
        m_error = QString::fromUtf8(error.what());
    }
    m_position = std::clamp(m_position, 0, std::max(0, frameCount() - 1));
    emit dataChanged();
    emit positionChanged(m_position);
}

int WalkthroughModel::frameCount() const
{
    return m_data ? m_data->steps() * walkthroughStageCount : 0;
}

WalkthroughFrame WalkthroughModel::frame() const
{
    return {m_position / walkthroughStageCount, static_cast<WalkthroughStage>(m_position % walkthroughStageCount)};
}

void WalkthroughModel::setPosition(int position)
{
    position = std::clamp(position, 0, std::max(0, frameCount() - 1));
    if (position == m_position)
        return;
    m_position = position;
    emit positionChanged(m_position);
}

void WalkthroughModel::next()
{
    setPosition(m_position + 1);
}

void WalkthroughModel::previous()
{
    setPosition(m_position - 1);
}

void WalkthroughModel::first()
{
    setPosition(0);
}

void WalkthroughModel::last()
{
    setPosition(frameCount() - 1);
}

void WalkthroughModel::play()
{
    if (frameCount() == 0 || isPlaying())
        return;
    if (m_position == frameCount() - 1)
        setPosition(0);
    m_timer.start(interval());
    emit playingChanged(true);
}

void WalkthroughModel::pause()
{
    if (!isPlaying())
        return;
    m_timer.stop();
    emit playingChanged(false);
}

void WalkthroughModel::togglePlay()
{
    if (isPlaying())
        pause();
    else
        play();
}

void WalkthroughModel::setSpeed(double speed)
{
    m_speed = std::clamp(speed, 0.25, 8.0);
    m_timer.setInterval(interval());
}

int WalkthroughModel::interval() const
{
    return static_cast<int>(std::lround(baseInterval / m_speed));
}

void WalkthroughModel::tick()
{
    next();
    if (m_position >= frameCount() - 1)
        pause(); // the last page stays: the finished alignment
}

} // namespace attnviz
