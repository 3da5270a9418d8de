// The context vectors of one decoder step next to the no-attention context, and over all steps
// a small chart of cos(c_i, c) and of the attention entropy.
#pragma once

#include <QWidget>

namespace attnviz {

struct Hypothesis;
class ResultSelection;

class ContextView : public QWidget
{
    Q_OBJECT
public:
    // Shows the selection's hypothesis and step; a click on the chart selects a step in it.
    explicit ContextView(ResultSelection *selection, QWidget *parent = nullptr);

    int step() const; // the selection's step, within the hypothesis' steps (0 when none)
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    // The line under the strips: "cos(c_3, c) = 0.87   ‖c_3 − c‖ = 3.21".
    QString summaryText() const;

signals:
    void stepSelected(int step); // a click on the chart

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    QRectF chartRect() const;
    const Hypothesis *hypothesis() const; // nullptr when there is none

    ResultSelection *m_selection;
};

} // namespace attnviz
