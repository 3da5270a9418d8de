#include "decodingpanel.h"

#include "flowlayout.h"
#include "resultselection.h"
#include "resultstatus.h"
#include "resulttext.h"
#include "sentenceedit.h"

#include <attnviz/models/model.h>

#include <QAbstractItemView>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>

namespace attnviz {

DecodingPanel::DecodingPanel(ResultSelection *selection, QWidget *parent)
    : QWidget(parent)
    , m_selection(selection)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0); // the rows sit in the window's layout as before

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_sentence = new SentenceEdit(this);
    m_sentence->setObjectName(QStringLiteral("sentence"));
    m_sentence->setPlaceholderText(tr("Type a sentence in the source language"));
    auto *sentenceLabel = new QLabel(tr("&Sentence:"), this);
    sentenceLabel->setBuddy(m_sentence);
    form->addRow(sentenceLabel, m_sentence);

    m_reference = new QLineEdit(this);
    m_reference->setObjectName(QStringLiteral("reference"));
    m_reference->setClearButtonEnabled(true);
    m_reference->setPlaceholderText(
        tr("Reference translation (optional): when filled, the model is forced to produce it"));
    auto *referenceLabel = new QLabel(tr("&Reference:"), this);
    referenceLabel->setBuddy(m_reference);
    form->addRow(referenceLabel, m_reference);
    layout->addLayout(form);

    // Each label stays with its field; the groups wrap to a second row on a narrow window.
    auto *controls = new FlowLayout;
    auto addGroup = [this, controls](QLabel *label, std::initializer_list<QWidget *> fields) {
        auto *group = new QWidget(this);
        auto *row = new QHBoxLayout(group);
        row->setContentsMargins(0, 0, 0, 0);
        label->setParent(group);
        row->addWidget(label);
        for (QWidget *field : fields) {
            field->setParent(group);
            row->addWidget(field);
        }
        controls->addWidget(group);
        return group;
    };
    m_decoding = new QComboBox(this);
    m_decoding->setObjectName(QStringLiteral("decoding"));
    m_decoding->addItems({tr("Greedy"), tr("Beam search")});
    auto *decodingLabel = new QLabel(tr("&Decoding:"), this);
    decodingLabel->setBuddy(m_decoding);
    m_beamWidth = new QSpinBox(this);
    m_beamWidth->setObjectName(QStringLiteral("beamWidth"));
    m_beamWidth->setRange(2, 16);
    m_beamWidth->setValue(4);
    m_beamWidth->setPrefix(tr("width "));
    m_beamWidth->setEnabled(false);
    m_maxLength = new QSpinBox(this);
    m_maxLength->setObjectName(QStringLiteral("maxLength"));
    m_maxLength->setRange(0, 500);
    m_maxLength->setSpecialValueText(tr("auto"));
    auto *maxLengthLabel = new QLabel(tr("Ma&x. length:"), this);
    maxLengthLabel->setBuddy(m_maxLength);
    m_hypotheses = new QComboBox(this);
    m_hypotheses->setObjectName(QStringLiteral("hypotheses"));
    // A width of its own, not the longest hypothesis's: the list appearing with a beam must not
    // widen the window (#22). The popup is as wide as the longest entry.
    m_hypotheses->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_hypotheses->setMinimumContentsLength(26);
    m_hypotheses->setMinimumWidth(m_hypotheses->fontMetrics().averageCharWidth() * 12);
    m_hypotheses->setToolTip(tr("Beam hypotheses, best first, with their log-probability"));
    auto *hypothesesLabel = new QLabel(tr("&Hypothesis:"), this);
    hypothesesLabel->setBuddy(m_hypotheses);
    addGroup(decodingLabel, {m_decoding, m_beamWidth});
    addGroup(maxLengthLabel, {m_maxLength});
    m_temperature = new QDoubleSpinBox(this);
    m_temperature->setObjectName(QStringLiteral("temperature"));
    m_temperature->setRange(0.1, 5.0);
    m_temperature->setSingleStep(0.1);
    m_temperature->setDecimals(2);
    m_temperature->setValue(1.0);
    m_temperature->setToolTip(
        tr("The heatmap shows softmax(e / τ): above 1 flatter, below 1 more peaked; "
           "1 is the model's own attention"));
    auto *temperatureLabel = new QLabel(tr("&Temperature τ:"), this);
    temperatureLabel->setBuddy(m_temperature);
    m_share = new QSpinBox(this);
    m_share->setObjectName(QStringLiteral("attentionShare"));
    m_share->setRange(0, 100);
    m_share->setValue(100);
    m_share->setSuffix(QStringLiteral("%"));
    m_share->setToolTip(tr(
        "Alt+click a heatmap cell (or press F on the heatmap's cell cursor) to put this share of "
        "the step's attention on that word"));
    auto *shareLabel = new QLabel(tr("F&orce share:"), this);
    shareLabel->setBuddy(m_share);
    m_threshold = new QDoubleSpinBox(this);
    m_threshold->setObjectName(QStringLiteral("linkThreshold"));
    m_threshold->setRange(0.0, 0.95);
    m_threshold->setSingleStep(0.05);
    m_threshold->setDecimals(2);
    m_threshold->setSpecialValueText(tr("argmax"));
    m_threshold->setToolTip(
        tr("The model's links for precision, recall and AER: each output word's "
           "argmax source word, and every weight above this threshold"));
    auto *thresholdLabel = new QLabel(tr("Lin&k threshold:"), this);
    thresholdLabel->setBuddy(m_threshold);
    addGroup(temperatureLabel, {m_temperature});
    addGroup(shareLabel, {m_share});
    addGroup(thresholdLabel, {m_threshold});
    QWidget *hypothesesGroup = addGroup(hypothesesLabel, {m_hypotheses});
    hypothesesGroup->setVisible(false);
    m_hypotheses->setVisible(false);
    layout->addLayout(controls);

    m_outputLabel = new QLabel(this);
    m_outputLabel->setObjectName(QStringLiteral("output"));
    m_outputLabel->setTextInteractionFlags(Qt::TextSelectableByMouse
                                           | Qt::TextSelectableByKeyboard);
    m_outputLabel->setWordWrap(true);
    QFont outputFont = m_outputLabel->font();
    outputFont.setPointSizeF(outputFont.pointSizeF() * 1.3);
    m_outputLabel->setFont(outputFont);
    layout->addWidget(m_outputLabel);

    connect(m_sentence, &SentenceEdit::textEdited, this, &DecodingPanel::sentenceEdited);
    connect(m_reference, &QLineEdit::textChanged, this, &DecodingPanel::referenceChanged);
    connect(m_reference, &QLineEdit::textChanged, this, &DecodingPanel::updateOptions);
    connect(m_decoding, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &DecodingPanel::updateOptions);
    connect(m_beamWidth, qOverload<int>(&QSpinBox::valueChanged), this,
            &DecodingPanel::updateOptions);
    connect(m_maxLength, qOverload<int>(&QSpinBox::valueChanged), this,
            &DecodingPanel::updateOptions);
    connect(m_temperature, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
            &DecodingPanel::temperatureChanged);
    connect(m_threshold, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
            &DecodingPanel::linkThresholdChanged);
    connect(m_hypotheses, qOverload<int>(&QComboBox::activated), selection,
            &ResultSelection::selectHypothesis);
    connect(m_hypotheses, &QComboBox::currentIndexChanged, this, [this, hypothesesGroup](int) {
        hypothesesGroup->setVisible(m_hypotheses->count() > 1);
        m_hypotheses->setVisible(m_hypotheses->count() > 1);
        m_hypotheses->setToolTip(m_hypotheses->currentText());
    });
    connect(selection, &ResultSelection::outputChanged, this, [this]() {
        m_hypotheses->clear();
        if (m_selection->result()) {
            m_hypotheses->addItems(hypothesisTitles(m_selection->output()));
            m_hypotheses->view()->setMinimumWidth(m_hypotheses->view()->sizeHintForColumn(0)
                                                  + m_hypotheses->view()->frameWidth() * 2);
            m_hypotheses->setCurrentIndex(0);
        }
    });
    connect(selection, &ResultSelection::hypothesisChanged, this, &DecodingPanel::showOutput);
}

QString DecodingPanel::sentence() const
{
    return m_sentence->text();
}

void DecodingPanel::setSentence(const QString &sentence)
{
    m_sentence->setText(sentence);
}

QString DecodingPanel::reference() const
{
    return m_reference->text();
}

void DecodingPanel::setReference(const QString &reference)
{
    m_reference->setText(reference);
}

void DecodingPanel::setBeamWidth(int width)
{
    if (width > 1)
        m_beamWidth->setValue(width);
    m_decoding->setCurrentIndex(width > 1 ? 1 : 0);
}

DecodeOptions DecodingPanel::options() const
{
    DecodeOptions options;
    options.beamWidth = m_beamWidth->isEnabled() ? m_beamWidth->value() : 1;
    options.maxLength = m_maxLength->value();
    if (!m_reference->text().trimmed().isEmpty())
        options.target = m_reference->text().toStdString();
    return options;
}

void DecodingPanel::updateOptions()
{
    const bool forced = !m_reference->text().trimmed().isEmpty();
    m_decoding->setEnabled(!forced);
    m_beamWidth->setEnabled(!forced && m_decoding->currentIndex() == 1);
    emit optionsChanged();
}

double DecodingPanel::temperature() const
{
    return m_temperature->value();
}

void DecodingPanel::setTemperature(double temperature)
{
    m_temperature->setValue(temperature);
}

void DecodingPanel::setTemperatureEnabled(bool enabled)
{
    m_temperature->setEnabled(enabled);
}

int DecodingPanel::attentionShare() const
{
    return m_share->value();
}

void DecodingPanel::setAttentionShare(int percent)
{
    m_share->setValue(percent);
}

double DecodingPanel::linkThreshold() const
{
    return m_threshold->value();
}

void DecodingPanel::setLinkThreshold(double threshold)
{
    m_threshold->setValue(threshold);
}

QString DecodingPanel::outputText() const
{
    return m_outputLabel->text();
}

void DecodingPanel::setOutputText(const QString &text)
{
    m_outputLabel->setText(text);
}

void DecodingPanel::showOutput()
{
    const bool failed = !m_selection->error().isEmpty();
    m_outputLabel->setText(outputLineText(*m_selection));
    m_outputLabel->setStyleSheet(failed ? QStringLiteral("color: #c62828") : QString());
    const TranslationResult *result = m_selection->result();
    m_sentence->setUnknownWords(unknownWords(result),
                                result ? m_selection->output().model->config().normalization
                                       : Normalization::Tutorial);
}

} // namespace attnviz
