// File → Open training run…: a slider (and Play) over the checkpoints, the heatmap of the one
// under the slider and, beside it, the curves over training (AER with the gold links loaded here).
// While the controller reads the checkpoints, a progress bar and Cancel; a failure is said above
// what is shown. Draws what TimelineController holds.
#pragma once

#include <QDialog>

class QCheckBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QTimer;

namespace attnviz {

class TimelineController;
class TimelineCurves;
class TimelineHeatmap;

class TimelineWindow : public QDialog
{
    Q_OBJECT

public:
    // The window takes the controller (opened by MainWindow).
    explicit TimelineWindow(TimelineController *controller, QWidget *parent = nullptr);

    TimelineController *controller() const { return m_controller; }
    QSlider *slider() const { return m_slider; }
    QPushButton *playButton() const { return m_play; }
    QLabel *stepLabel() const { return m_step; }
    QLabel *messageLabel() const { return m_message; }
    QPushButton *cancelButton() const { return m_cancel; }
    QCheckBox *wordsBox() const { return m_words; } // the timeline in words (a subword model's run)
    void setPlayInterval(int milliseconds); // 600 by default

private:
    void showCurrent(int index);
    void showTimeline();
    void showComputing(bool computing);
    void showUnits(); // the Words box: the controller's units, for a subword model's run
    void togglePlay();

    TimelineController *m_controller;
    TimelineHeatmap *m_heatmap;
    TimelineCurves *m_curves;
    QSlider *m_slider;
    QPushButton *m_play, *m_cancel, *m_export, *m_goldButton;
    QCheckBox *m_words;
    QProgressBar *m_progress;
    QLabel *m_step, *m_output, *m_message;
    QTimer *m_timer;
};

} // namespace attnviz
