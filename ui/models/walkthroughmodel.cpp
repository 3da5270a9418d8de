#include "walkthroughmodel.h"

#include "alignmentmodel.h"
#include "translationcontroller.h"

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
int strongestColumn(const Hypothesis &h, int step)
{
    int best = 0;
    for (int j = 1; j < h.attention.cols(); ++j)
        if (h.attention(step, j) > h.attention(step, best))
            best = j;
    return best;
}

} // namespace

QString walkthroughStageTitle(WalkthroughStage stage)
{
    switch (stage) {
    case WalkthroughStage::Encoder:
        return tr("Encoder");
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
                                    const std::vector<AttentionOverride> &overrides)
{
    WalkthroughData d;
    d.details = explainHypothesis(model, *result, hypothesis, topK, overrides);
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
    d.encoderText = encoderText(config, model.annotationSize());
    d.encoderFormula = encoderFormula(config);
    d.scoreFormula = scoreFormula(config);
    d.outputFormula = outputFormula(config);
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
    return d;
}

QString walkthroughQueryText(const WalkthroughData &data, int step)
{
    const QString q = queryName(data.details.queryIsPrevious, step);
    return data.details.queryIsPrevious
        ? tr("Query <i>q</i> = %1: the decoder state before step %2").arg(q).arg(step + 1)
        : tr("Query <i>q</i> = %1: the decoder state after its RNN step %2").arg(q).arg(step + 1);
}

QString walkthroughSoftmaxFormula(const WalkthroughData &data, int step)
{
    const Hypothesis &h = data.hypothesisResult();
    const int j = strongestColumn(h, step);
    const QString i = QString::number(step + 1);
    const auto e = [&](int column) -> QString {
        return QStringLiteral("exp(") + walkthroughNumber(h.energies(step, column)) + QStringLiteral(")");
    };
    QString sum;
    const int columns = static_cast<int>(h.energies.cols());
    constexpr int shown = 5;
    for (int k = 0; k < columns; ++k) {
        if (k == shown && columns > shown + 1) {
            sum += QStringLiteral(" + … + ") + e(columns - 1);
            break;
        }
        sum += (k ? QStringLiteral(" + ") : QString()) + e(k);
    }
    const QString index = i + QStringLiteral(",") + QString::number(j + 1);
    return alpha(index) + QStringLiteral(" = exp(") + sub(QStringLiteral("<i>e</i>"), index) + QStringLiteral(") / ")
        + QStringLiteral("Σ<sub><i>k</i></sub> exp(") + sub(QStringLiteral("<i>e</i>"), i + QStringLiteral(",<i>k</i>"))
        + QStringLiteral(") = ") + e(j) + QStringLiteral(" / (") + sum + QStringLiteral(") = ")
        + walkthroughNumber(h.attention(step, j));
}

QString walkthroughContextFormula(const WalkthroughData &data, int step)
{
    const Hypothesis &h = data.hypothesisResult();
    const QString i = QString::number(step + 1);
    const int T = data.sourceLength();
    QString terms;
    constexpr int shown = 4;
    for (int j = 0; j < T; ++j) {
        if (j == shown && T > shown + 1) {
            terms += QStringLiteral(" + … + ") + walkthroughNumber(h.attention(step, T - 1)) + QStringLiteral("·")
                + sub(QStringLiteral("<i>h</i>"), QString::number(T));
            break;
        }
        terms += (j ? QStringLiteral(" + ") : QString()) + walkthroughNumber(h.attention(step, j))
            + QStringLiteral("·") + sub(QStringLiteral("<i>h</i>"), QString::number(j + 1));
    }
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

void WalkthroughModel::rebuild()
{
    m_error.clear();
    try {
        m_data = std::make_unique<WalkthroughData>(
            makeWalkthroughData(*m_model, m_result, m_hypothesis, m_topK, m_sentence, m_overrides));
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
