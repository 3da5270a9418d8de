// The Attribution tab (issue #20): a method chooser, the attribution of the selected output
// over the source tokens on the heatmap's rows and columns (a diverging scale for signed
// methods), each row's agreement with the attention in the right margin, and the sentence's
// figures below. Computed by AttributionModel while the tab is shown.
#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace attnviz {

class AttributionModel;
class ResultSelection;

class AttributionCanvas : public QWidget
{
    Q_OBJECT

public:
    AttributionCanvas(AttributionModel *model, QWidget *parent = nullptr);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return {200, 120}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    AttributionModel *m_model;
};

class AttributionPanel : public QWidget
{
    Q_OBJECT

public:
    AttributionPanel(ResultSelection *selection, QWidget *parent = nullptr);
    AttributionModel *model() const { return m_model; }
    QString summaryText() const; // the sentence's figures, or why there are none

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void update();

    AttributionModel *m_model;
    QComboBox *m_method;
    QSpinBox *m_steps;
    QLabel *m_status;
    QPushButton *m_cancel;
    AttributionCanvas *m_canvas;
};

} // namespace attnviz
