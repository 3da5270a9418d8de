#include "alignmentview.h"

#include "colormap.h"
#include "alignmentmodel.h"
#include "resultselection.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPaintEvent>
#include <QRegion>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>

namespace attnviz {

AlignmentView::AlignmentView(Kind kind, AlignmentModel *model, QWidget *parent)
    : QWidget(parent)
    , m_kind(kind)
    , m_model(model)
{
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setAutoFillBackground(false);
    m_style = AlignmentStyle::fromPalette(palette());
    connect(model, &QAbstractItemModel::modelReset, this, [this]() {
        const int rows = m_model->rows();
        m_style.selectedRow = !m_selection ? std::min(m_style.selectedRow, rows - 1)
            : rows == 0                    ? -1
                                           : std::clamp(m_selection->step(), 0, rows - 1);
        m_currentColumn = std::min(m_currentColumn, m_model->columns() - 1);
        relayout();
    });
    connect(model, &QAbstractItemModel::dataChanged, this, [this]() {
        invalidate();
        update();
    });
    // The colour bar's labels change width with the mode and the temperature.
    connect(model, &AlignmentModel::displayChanged, this, &AlignmentView::relayout);
    relayout();
}

void AlignmentView::relayout()
{
    // Small alignments grow to fill the viewport (up to 2x); large ones keep their size and
    // scroll. Fitting uses the viewport, not this widget, which is never smaller than the drawing.
    double fit = 1;
    if (m_viewport && m_model->rows() > 0) {
        AlignmentStyle natural = m_style;
        natural.zoom = m_zoom;
        const QSizeF size = m_kind == Kind::Heatmap
            ? AlignmentRenderer(*m_model, natural, this).size()
            : AlignmentLinesRenderer(*m_model, natural, this).size();
        const QSize available = m_viewport->size();
        fit = std::clamp(std::min(available.width() / size.width(), available.height() / size.height()),
                         1.0, 2.0);
    }
    m_style.zoom = m_zoom * fit;
    invalidate();
    setMinimumSize(sizeHint());
    updateGeometry();
    update();
}

QSize AlignmentView::sizeHint() const
{
    if (m_model->rows() == 0)
        return {200, 120};
    const QSizeF size = m_kind == Kind::Heatmap ? heatmapRenderer().size() : linesRenderer().size();
    return size.toSize();
}

const AlignmentRenderer &AlignmentView::heatmapRenderer() const
{
    if (!m_heatmapRenderer)
        m_heatmapRenderer.emplace(*m_model, m_style, this);
    return *m_heatmapRenderer;
}

const AlignmentLinesRenderer &AlignmentView::linesRenderer() const
{
    if (!m_linesRenderer)
        m_linesRenderer.emplace(*m_model, m_style, this);
    return *m_linesRenderer;
}

void AlignmentView::invalidate()
{
    m_heatmapRenderer.reset();
    m_linesRenderer.reset();
}

QPointF AlignmentView::origin() const
{
    const QSize natural = sizeHint();
    return QPointF(std::max(0, (width() - natural.width()) / 2),
                   std::max(0, (height() - natural.height()) / 2));
}

void AlignmentView::setSelection(ResultSelection *selection)
{
    m_selection = selection;
    connect(selection, &ResultSelection::stepChanged, this, &AlignmentView::setSelectedStep);
    setSelectedStep(selection->step());
}

void AlignmentView::setSelectedStep(int step)
{
    step = m_model->rows() == 0 ? -1 : std::clamp(step, 0, m_model->rows() - 1);
    if (step == m_style.selectedRow)
        return;
    m_style.selectedRow = step;
    if (m_selection)
        m_selection->selectStep(step);
    invalidate();
    update();
}

void AlignmentView::select(int step)
{
    const int before = m_style.selectedRow;
    setSelectedStep(step);
    if (m_style.selectedRow == before)
        return;
    emit stepSelected(m_style.selectedRow);
    if (m_kind == Kind::Heatmap && m_currentColumn >= 0 && m_style.selectedRow >= 0)
        emit currentCellChanged(m_style.selectedRow, m_currentColumn);
}

void AlignmentView::setCurrentColumn(int column)
{
    column = m_model->columns() == 0 || column < 0 ? -1 : std::min(column, m_model->columns() - 1);
    if (column == m_currentColumn)
        return;
    m_currentColumn = column;
    update();
}

void AlignmentView::moveCursor(int column)
{
    const int before = m_currentColumn;
    setCurrentColumn(column);
    if (m_currentColumn != before && m_style.selectedRow >= 0)
        emit currentCellChanged(m_style.selectedRow, m_currentColumn);
}

int AlignmentView::strongestColumn(int row) const
{
    int best = 0;
    for (int column = 1; column < m_model->columns(); ++column) {
        if (m_model->value(row, column) > m_model->value(row, best))
            best = column;
    }
    return best;
}

void AlignmentView::setZoom(double zoom)
{
    zoom = std::clamp(zoom, 0.4, 4.0);
    if (qFuzzyCompare(zoom, m_zoom))
        return;
    m_zoom = zoom;
    relayout();
    emit zoomChanged(zoom);
}

void AlignmentView::setShowValues(bool show)
{
    m_style.showValues = show;
    invalidate();
    update();
}

void AlignmentView::setPlaceholderText(const QString &text)
{
    m_placeholder = text;
    update();
}

QString AlignmentView::toolTipAt(const QPoint &position) const
{
    const QPointF point = QPointF(position) - origin();
    if (m_kind == Kind::Lines) {
        const int row = linesRenderer().rowAt(point);
        // The strongest source of this output word.
        return row < 0 ? QString() : m_model->toolTip(row, strongestColumn(row));
    }
    const AlignmentRenderer &renderer = heatmapRenderer();
    const int row = renderer.rowAt(point), column = renderer.columnAt(point);
    if (row >= 0 && column >= 0)
        return m_model->toolTip(row, column);
    const int labelColumn = renderer.columnLabelAt(point);
    if (labelColumn >= 0)
        return m_model->columnToolTip(labelColumn);
    const int labelRow = renderer.rowLabelAt(point);
    return labelRow >= 0 ? tr("Step %1: %2").arg(labelRow + 1).arg(m_model->rowLabel(labelRow))
                         : QString();
}

QRect AlignmentView::cellRect(int row, int column) const
{
    return heatmapRenderer()
        .cellRect(row, column)
        .translated(origin())
        .toAlignedRect();
}

bool AlignmentView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

void AlignmentView::paintEvent(QPaintEvent *event)
{
    QPainter painter(this);
    if (m_model->rows() == 0) {
        painter.fillRect(rect(), m_style.background);
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    // Around the drawing, when the widget is larger; the renderers paint their own background.
    const QRect drawing(origin().toPoint(), sizeHint());
    for (const QRect &rect : QRegion(event->rect()).subtracted(drawing))
        painter.fillRect(rect, m_style.background);
    painter.translate(origin());
    if (m_kind == Kind::Lines) {
        linesRenderer().paint(&painter);
        return;
    }
    const AlignmentRenderer &renderer = heatmapRenderer();
    renderer.paintExposed(&painter, QRectF(event->rect()).translated(-origin()));
    // The cell cursor, only while the keyboard is here (exports never show it).
    if (hasFocus() && m_currentColumn >= 0 && m_style.selectedRow >= 0)
        renderer.paintCursor(&painter, m_style.selectedRow, m_currentColumn);
}

void AlignmentView::mousePressEvent(QMouseEvent *event)
{
    const QPointF point = event->position() - origin();
    const int row = m_kind == Kind::Heatmap
        ? heatmapRenderer().rowAt(point)
        : linesRenderer().rowAt(point);
    if (row >= 0)
        select(row);
    if (m_kind == Kind::Heatmap && event->button() == Qt::LeftButton) {
        const int column = heatmapRenderer().columnAt(point);
        if (row >= 0 && column >= 0) {
            moveCursor(column);
            emit cellClicked(row, column, event->modifiers());
        }
    }
    QWidget::mousePressEvent(event);
}

void AlignmentView::keyPressEvent(QKeyEvent *event)
{
    const int step = m_style.selectedRow;
    const bool cells = m_kind == Kind::Heatmap && m_model->rows() > 0;
    const bool plain = !(event->modifiers() & ~Qt::KeypadModifier);
    if (cells && plain) {
        const int row = step < 0 ? 0 : step;
        switch (event->key()) {
        case Qt::Key_Left:
        case Qt::Key_Right: {
            if (step < 0)
                select(0);
            const bool right = event->key() == Qt::Key_Right;
            moveCursor(m_currentColumn < 0 ? strongestColumn(row)
                                           : std::max(0, m_currentColumn + (right ? 1 : -1)));
            return;
        }
        case Qt::Key_Space:
        case Qt::Key_Return:
        case Qt::Key_Enter:
        case Qt::Key_F:
            if (step < 0)
                select(0);
            if (m_currentColumn < 0)
                moveCursor(strongestColumn(row));
            emit cellClicked(row, m_currentColumn,
                             event->key() == Qt::Key_F ? Qt::AltModifier : Qt::NoModifier);
            return;
        default:
            break;
        }
    }
    switch (event->key()) {
    case Qt::Key_Up:
    case Qt::Key_Left:
        select(step < 0 ? m_model->rows() - 1 : step - 1);
        return;
    case Qt::Key_Down:
    case Qt::Key_Right:
        select(step + 1);
        return;
    case Qt::Key_Home:
        select(0);
        return;
    case Qt::Key_End:
        select(m_model->rows() - 1);
        return;
    default:
        QWidget::keyPressEvent(event);
    }
}

void AlignmentView::wheelEvent(QWheelEvent *event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        const int delta = event->angleDelta().y();
        if (delta > 0)
            zoomIn();
        else if (delta < 0)
            zoomOut();
        event->accept();
        return;
    }
    QWidget::wheelEvent(event); // the scroll area scrolls
}

void AlignmentView::showEvent(QShowEvent *event)
{
    if (!m_viewport && parentWidget()) {
        m_viewport = parentWidget();
        m_viewport->installEventFilter(this);
        relayout();
    }
    QWidget::showEvent(event);
}

bool AlignmentView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_viewport && event->type() == QEvent::Resize)
        relayout();
    return QWidget::eventFilter(watched, event);
}

void AlignmentView::focusInEvent(QFocusEvent *event)
{
    update(); // the cell cursor appears
    QWidget::focusInEvent(event);
}

void AlignmentView::focusOutEvent(QFocusEvent *event)
{
    update();
    QWidget::focusOutEvent(event);
}

void AlignmentView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        const AlignmentStyle fromPalette = AlignmentStyle::fromPalette(palette());
        m_style.background = fromPalette.background;
        m_style.foreground = fromPalette.foreground;
        invalidate();
        update();
    }
    QWidget::changeEvent(event);
}

} // namespace attnviz
