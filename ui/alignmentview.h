// A widget that shows a HeatmapModel with AlignmentRenderer (heatmap) or AlignmentLinesRenderer
// (lines), handles hover, clicks, the keyboard and zoom. Put it in a QScrollArea.
#pragma once

#include "alignmentrenderer.h"

#include <QWidget>

namespace attnviz {

class HeatmapModel;

class AlignmentView : public QWidget
{
    Q_OBJECT
public:
    enum class Kind { Heatmap, Lines };

    AlignmentView(Kind kind, HeatmapModel *model, QWidget *parent = nullptr);

    Kind kind() const { return m_kind; }
    int selectedStep() const { return m_style.selectedRow; }
    double zoom() const { return m_zoom; } // the person's zoom; the drawing also fits the view
    bool showValues() const { return m_style.showValues; }
    QString toolTipAt(const QPoint &position) const; // what hovering there shows
    QRect cellRect(int row, int column) const;         // heatmap only, widget coordinates
    QSize sizeHint() const override;

    void setSelectedStep(int step); // clamped; does not emit stepSelected
    void setZoom(double zoom);      // 0.4 .. 4
    void zoomIn() { setZoom(zoom() * 1.25); }
    void zoomOut() { setZoom(zoom() / 1.25); }
    void setShowValues(bool show);
    void setPlaceholderText(const QString &text);

signals:
    void stepSelected(int step); // by a click or the keyboard
    // Heatmap: a click on a cell, with the keyboard modifiers held (Alt: force the attention).
    void cellClicked(int row, int column, Qt::KeyboardModifiers modifiers);
    void zoomChanged(double zoom);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QPointF origin() const; // where the drawing starts (centred when the widget is larger)
    void relayout();
    void select(int step);

    Kind m_kind;
    HeatmapModel *m_model;
    AlignmentStyle m_style; // m_style.zoom = m_zoom x the factor that fills the viewport
    double m_zoom = 1;
    QString m_placeholder;
    QWidget *m_viewport = nullptr;
};

} // namespace attnviz
