// The window's status bar: the model, unknown words, the reference's log-probabilities, whether
// the settings could be saved, the alignment set, the alignment score and the translation time.
// Each label follows the part that owns what it shows.
#pragma once

#include <QStatusBar>
#include <QTimer>

class QLabel;

namespace attnviz {

class AlignmentSession;
class ModelSession;
class ResultSelection;
class Settings;
class TranslationController;

class StatusBar : public QStatusBar
{
    Q_OBJECT
public:
    StatusBar(const ResultSelection *selection, const ModelSession *models,
              const AlignmentSession *alignments, const Settings *settings,
              const TranslationController *controller, QWidget *parent = nullptr);

    QString statusText() const; // model, unknown words and time: "tiny | Translated in 2.0 ms"
    QString referenceText() const;
    QString alignmentScoreText() const;
    void showStopped(); // after a translation was stopped

signals:
    // The translation has run for a while (300 ms): it can be stopped.
    void translationSlow();

private:
    void showResult();
    void showSettingsFailure(const QString &message);

    const ResultSelection *m_selection;
    const ModelSession *m_models;
    QLabel *m_modelStatus, *m_unknownStatus, *m_normalisedStatus, *m_referenceStatus, *m_settingsStatus, *m_setStatus,
        *m_scoreStatus, *m_timeStatus;
    QTimer m_busyTimer; // how long a translation runs before the window says so
    bool m_settingsWarningShown = false;
};

} // namespace attnviz
