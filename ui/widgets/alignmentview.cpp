#include "alignmentview.h"

#include "colormap.h"
#include "alignmentmodel.h"
#include "resultselection.h"
#include "zoomfit.h"

#include <QAbstractScrollArea>
#include <QAction>
#include <QCoreApplication>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPaintEvent>
#include <QRegion>
#include <QScrollBar>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cstdlib>

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
    // "Fit" (zoom 1): the drawing fills the viewport, within the limits of zoomfit.h; the person's
    // zoom multiplies it, so the fit is found at zoom 1. Fitting uses the viewport, not this
    // widget, which is never smaller than the drawing.
    double fit = 1;
    if (m_viewport && m_model->rows() > 0) {
        const auto sizeAt = [this](double zoom) {
            const AlignmentStyle style = fittedStyle(zoom, 1);
            return m_kind == Kind::Heatmap ? AlignmentRenderer(*m_model, style, this).size()
                                           : AlignmentLinesRenderer(*m_model, style, this).size();
        };
        fit = fitZoom(sizeAt, m_viewport->size(), minFitZoom, maxFitCellPoints / m_style.cellSize);
    }
    const AlignmentStyle fitted = fittedStyle(fit, m_zoom);
    m_style.zoom = fitted.zoom;
    m_style.labelZoom = fitted.labelZoom;
    invalidate();
    setMinimumSize(sizeHint());
    updateGeometry();
    update();
}

AlignmentStyle AlignmentView::fittedStyle(double fit, double zoom) const
{
    AlignmentStyle style = m_style;
    style.zoom = zoom * fit;
    style.labelZoom = zoom * std::clamp(fit, 1.0, maxFitLabelZoom);
    return style;
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

std::pair<int, int> AlignmentView::ensureCurrentCell()
{
    if (m_kind != Kind::Heatmap || m_model->rows() == 0)
        return {-1, -1};
    if (m_style.selectedRow < 0)
        select(0);
    if (m_currentColumn < 0)
        moveCursor(strongestColumn(m_style.selectedRow));
    return {m_style.selectedRow, m_currentColumn};
}

QList<ShortcutEntry> AlignmentView::keyHelp()
{
    // What keyPressEvent and wheelEvent below handle; the actions' own keys are read from them.
    const QString heatmap = tr("Heatmap"), views = tr("Heatmap and lines");
    return {
        {tr("Up, Down"), tr("Previous / next decoder step (the cell cursor keeps its column)"), views},
        {tr("Left, Right"), tr("Move the cell cursor along the step's row (lines view: the step)"), heatmap},
        {tr("Home, End"), tr("First / last decoder step"), views},
        {tr("Space, Enter"), tr("What a click on the cell cursor does (annotating: toggle a gold link)"), heatmap},
        {tr("Wheel, Shift+Wheel"), tr("Scroll up and down, left and right"), views},
        {tr("Ctrl+Wheel"), tr("Zoom in or out"), views},
        {tr("Alt+Click"), tr("Force the step's attention on that word"), heatmap},
    };
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
        case Qt::Key_Enter: {
            const auto [cellRow, column] = ensureCurrentCell();
            emit cellClicked(cellRow, column, Qt::NoModifier);
            return;
        }
        default:
            break;
        }
    }
    // The keys of this view's actions (Edit → Force attention here: F) when the shortcut did not
    // reach them, as when the window is not active.
    for (QAction *action : actions()) {
        if (action->isEnabled() && action->shortcut() == QKeySequence(event->keyCombination())) {
            action->trigger();
            return;
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
    // The wheel scrolls, and only scrolls: handed to the scroll area's bars here, so that it
    // never reaches anything else (Qt does not pass on a wheel event the widget did not get
    // from the window system). Shift+wheel scrolls sideways.
    auto *area = m_viewport ? qobject_cast<QAbstractScrollArea *>(m_viewport->parentWidget())
                            : nullptr;
    if (!area) {
        QWidget::wheelEvent(event);
        return;
    }
    QPoint angle = event->angleDelta(), pixels = event->pixelDelta();
    const bool sideways = (event->modifiers() & Qt::ShiftModifier) || std::abs(angle.x()) > std::abs(angle.y());
    if (sideways && std::abs(angle.x()) < std::abs(angle.y())) {
        angle = angle.transposed();
        pixels = pixels.transposed();
    }
    QScrollBar *bar = sideways ? area->horizontalScrollBar() : area->verticalScrollBar();
    QWheelEvent scroll(bar->mapFromGlobal(event->globalPosition()), event->globalPosition(),
                       pixels, angle, event->buttons(), event->modifiers() & ~Qt::ShiftModifier,
                       event->phase(), event->inverted());
    QCoreApplication::sendEvent(bar, &scroll);
    event->accept();
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
    // Reached by Tab: show the cell cursor at once, so the person sees where the keyboard is.
    // (Ctrl+G leaves it to the first arrow key.)
    if (event->reason() == Qt::TabFocusReason || event->reason() == Qt::BacktabFocusReason)
        ensureCurrentCell();
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
