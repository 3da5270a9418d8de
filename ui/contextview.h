// The context vectors of one decoder step next to the no-attention context, and over all steps
// a small chart of cos(c_i, c) and of the attention entropy.
#pragma once

#include <QWidget>

#include <memory>

namespace attnviz {

struct TranslationResult;

class ContextView : public QWidget
{
    Q_OBJECT
public:
    explicit ContextView(QWidget *parent = nullptr);

    void setResult(std::shared_ptr<const TranslationResult> result, int hypothesis);
    void setStep(int step);
    int step() const { return m_step; }
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

    std::shared_ptr<const TranslationResult> m_result;
    int m_hypothesis = 0;
    int m_step = 0;
};

} // namespace attnviz
