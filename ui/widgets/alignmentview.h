// A widget that shows a AlignmentModel with AlignmentRenderer (heatmap) or AlignmentLinesRenderer
// (lines), handles hover, clicks, the keyboard and zoom. Put it in a QScrollArea.
//
// The keyboard: Up/Down (and in the lines view Left/Right) select the decoder step. The heatmap
// also has a cell cursor, drawn while the view has focus: Left/Right move it along the selected
// step's row, and it starts on the step's strongest source. Space or Enter on the cursor does what
// a click does (cellClicked); F is the window's Edit → Force attention here, an action of this view.
#pragma once

#include "alignmentrenderer.h"
#include "helptext.h"

#include <QWidget>

#include <optional>

namespace attnviz {

class AlignmentModel;
class ResultSelection;

class AlignmentView : public QWidget
{
    Q_OBJECT
public:
    enum class Kind { Heatmap, Lines };

    AlignmentView(Kind kind, AlignmentModel *model, QWidget *parent = nullptr);

    Kind kind() const { return m_kind; }
    int selectedStep() const { return m_style.selectedRow; }
    int currentColumn() const { return m_currentColumn; } // the heatmap's cell cursor, -1 when none
    double zoom() const { return m_zoom; } // the person's zoom, 1 = fit the view
    double drawingZoom() const { return m_style.zoom; } // the cells' zoom: fit x zoom()
    bool showValues() const { return m_style.showValues; }
    QString toolTipAt(const QPoint &position) const; // what hovering there shows
    QRect cellRect(int row, int column) const;         // heatmap only, widget coordinates
    QSize sizeHint() const override;

    // The step follows the selection, and a step chosen here goes to it (not owned); without
    // one the view keeps its own.
    void setSelection(ResultSelection *selection);
    void setSelectedStep(int step); // clamped; does not emit stepSelected
    void setCurrentColumn(int column); // clamped, -1 for none; does not emit currentCellChanged
    // The heatmap's cell cursor, put on the selected step's strongest word when there is none
    // (emitting what moving it does); {-1, -1} without cells.
    std::pair<int, int> ensureCurrentCell();
    // The keys this view handles itself, for Help → Keyboard shortcuts.
    static QList<ShortcutEntry> keyHelp();
    void setZoom(double zoom);      // 0.4 .. 4
    void zoomIn() { setZoom(zoom() * 1.25); }
    void zoomOut() { setZoom(zoom() / 1.25); }
    void setShowValues(bool show);
    void setPlaceholderText(const QString &text);

signals:
    void stepSelected(int step); // by a click or the keyboard
    // Heatmap: a click on a cell, with the keyboard modifiers held (Alt: force the attention).
    // From the keyboard: Space/Enter arrive without modifiers, F with Qt::AltModifier.
    void cellClicked(int row, int column, Qt::KeyboardModifiers modifiers);
    // The cell cursor moved (keyboard or click), so that the window can say what the cell holds.
    void currentCellChanged(int row, int column);
    void zoomChanged(double zoom);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void changeEvent(QEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;
    void showEvent(QShowEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QPointF origin() const; // where the drawing starts (centred when the widget is larger)
    // The renderers for the current model and style, made when first needed: laying out the
    // labels of a large alignment costs more than painting the part in view.
    const AlignmentRenderer &heatmapRenderer() const;
    const AlignmentLinesRenderer &linesRenderer() const;
    void invalidate(); // after any change to the model or m_style
    void relayout();
    AlignmentStyle fittedStyle(double fit, double zoom) const; // m_style at zoom x fit
    void select(int step);
    void moveCursor(int column); // the heatmap's cell cursor, emits currentCellChanged
    int strongestColumn(int row) const;

    Kind m_kind;
    AlignmentModel *m_model;
    ResultSelection *m_selection = nullptr;
    AlignmentStyle m_style; // m_style.zoom = m_zoom x the fit zoom (zoomfit.h)
    double m_zoom = 1;
    int m_currentColumn = -1;
    QString m_placeholder;
    QWidget *m_viewport = nullptr;
    mutable std::optional<AlignmentRenderer> m_heatmapRenderer;
    mutable std::optional<AlignmentLinesRenderer> m_linesRenderer;
};

} // namespace attnviz
