// File → Open training run…: a slider (and Play) over the checkpoints, the heatmap of the one
// under the slider and, beside it, the curves over training. Draws what TimelineController holds.
#pragma once

#include <QDialog>

class QLabel;
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
    void setPlayInterval(int milliseconds); // 600 by default

private:
    void showCurrent(int index);
    void togglePlay();

    TimelineController *m_controller;
    TimelineHeatmap *m_heatmap;
    TimelineCurves *m_curves;
    QSlider *m_slider;
    QPushButton *m_play;
    QLabel *m_step, *m_output;
    QTimer *m_timer;
};

} // namespace attnviz
