#include "statusbar.h"

#include "alignmentsession.h"
#include "modelsession.h"
#include "resultselection.h"
#include "resultstatus.h"
#include "settings.h"
#include "textnormalisation.h"
#include "translationcontroller.h"

#include <QLabel>

namespace attnviz {

StatusBar::StatusBar(const ResultSelection *selection, const ModelSession *models,
                     const AlignmentSession *alignments, const Settings *settings,
                     const TranslationController *controller, QWidget *parent)
    : QStatusBar(parent)
    , m_selection(selection)
    , m_models(models)
{
    m_modelStatus = new QLabel(this);
    m_timeStatus = new QLabel(this);
    m_unknownStatus = new QLabel(this);
    m_unknownStatus->setObjectName(QStringLiteral("unknownWords"));
    m_scoreStatus = new QLabel(this);
    m_scoreStatus->setObjectName(QStringLiteral("alignmentScore"));
    m_scoreStatus->setToolTip(
        tr("The model's hard links against the gold links: precision |A∩P|/|A|, "
           "recall |A∩S|/|S|, alignment error rate (Och & Ney 2003)"));
    m_setStatus = new QLabel(this);
    m_setStatus->setObjectName(QStringLiteral("alignmentSet"));
    m_referenceStatus = new QLabel(this);
    m_referenceStatus->setObjectName(QStringLiteral("referenceLogProbs"));
    // As long as the reference: like the normalised text, it never widens the window.
    m_referenceStatus->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_normalisedStatus = new QLabel(this);
    m_normalisedStatus->setObjectName(QStringLiteral("normalisedText"));
    // As long as the sentence: it takes the room there is and never widens the window (the
    // whole text is in the tooltip).
    m_normalisedStatus->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    addWidget(m_modelStatus);
    addWidget(m_unknownStatus);
    addWidget(m_normalisedStatus, 1);
    addWidget(m_referenceStatus, 1);
    m_settingsStatus = new QLabel(this);
    m_settingsStatus->setObjectName(QStringLiteral("settingsStatus"));
    m_settingsStatus->setStyleSheet(QStringLiteral("color: #c62828"));
    m_settingsStatus->hide();
    addPermanentWidget(m_settingsStatus);
    addPermanentWidget(m_setStatus);
    addPermanentWidget(m_scoreStatus);
    addPermanentWidget(m_timeStatus);

    connect(selection, &ResultSelection::hypothesisChanged, this, &StatusBar::showResult);
    connect(models, &ModelSession::modelChanged, this,
            [this]() { m_modelStatus->setText(modelStatusText(m_models->model().get())); });
    connect(alignments, &AlignmentSession::goldChanged, this,
            [this, alignments]() { m_setStatus->setText(alignments->statusText()); });
    connect(alignments, &AlignmentSession::scoreChanged, this,
            [this, alignments]() { m_scoreStatus->setText(alignments->scoreText()); });
    connect(settings, &Settings::writeFailed, this, &StatusBar::showSettingsFailure);
    connect(settings, &Settings::writeSucceeded, m_settingsStatus, &QWidget::hide);

    // A translation that takes a while says so.
    m_busyTimer.setSingleShot(true);
    m_busyTimer.setInterval(300);
    connect(&m_busyTimer, &QTimer::timeout, this, [this]() {
        m_timeStatus->setText(tr("Translating… (Esc stops)"));
        emit translationSlow();
    });
    connect(controller, &TranslationController::translationStarted, &m_busyTimer,
            qOverload<>(&QTimer::start));
    connect(controller, &TranslationController::idle, &m_busyTimer, &QTimer::stop);
    showResult();
}

void StatusBar::showResult()
{
    m_modelStatus->setText(modelStatusText(m_models->model().get()));
    const QStringList unknown = unknownWords(m_selection->result());
    m_unknownStatus->setText(unknownWordsText(unknown));
    m_unknownStatus->setToolTip(unknown.join(QStringLiteral(", ")));
    m_unknownStatus->setStyleSheet(unknown.isEmpty() ? QString()
                                                     : QStringLiteral("color: #c62828"));
    m_referenceStatus->setText(referenceLogProbText(*m_selection));
    m_referenceStatus->setToolTip(tr("The log-probability the model gives each token of the reference")
                                  + (m_referenceStatus->text().isEmpty() ? QString() : QStringLiteral(":\n") + m_referenceStatus->text()));
    const auto &model = m_selection->output().model;
    const QString normalised = m_selection->result() && model
        ? normalisationText(m_selection->output().sentence, model->config().normalization)
        : QString();
    m_normalisedStatus->setText(normalised);
    m_normalisedStatus->setToolTip(
        normalised.isEmpty()
            ? QString()
            : normalised + QLatin1Char('\n')
                + tr("The words the model reads: its normalization dropped or changed some of "
                     "the text typed (struck through in the sentence box)"));
    m_timeStatus->setText(translationTimeText(*m_selection));
}

void StatusBar::showStopped()
{
    m_timeStatus->setText(tr("Stopped"));
}

QString StatusBar::statusText() const
{
    QStringList parts;
    for (const QLabel *label : {m_modelStatus, m_unknownStatus, m_timeStatus}) {
        if (!label->text().isEmpty())
            parts << label->text();
    }
    return parts.join(QStringLiteral(" | "));
}

QString StatusBar::referenceText() const
{
    return m_referenceStatus->text();
}

QString StatusBar::alignmentScoreText() const
{
    return m_scoreStatus->text();
}

void StatusBar::showSettingsFailure(const QString &message)
{
    m_settingsStatus->setText(tr("Settings not saved"));
    m_settingsStatus->setToolTip(message);
    m_settingsStatus->show();
    if (!m_settingsWarningShown) {
        showMessage(message, 15000);
        m_settingsWarningShown = true;
    }
}

} // namespace attnviz
