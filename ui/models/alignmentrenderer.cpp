#include "alignmentrenderer.h"

#include "alignmentmodel.h"

#include <QFontMetricsF>
#include <QPaintDevice>
#include <QPainter>
#include <QPaintEngine>
#include <QPainterPath>
#include <QPalette>
#include <QRegion>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace attnviz {

namespace {

constexpr double maxLabelPoints = 90; // longer labels are elided; the tooltip has the word
constexpr double labelAngle = 45;     // degrees; column labels rise to the right
// The colour bar, in points: its distance from the grid, its width, its ticks and the space
// between a tick and its label.
constexpr double colorBarSpacing = 12, colorBarWidth = 10, tickLength = 3, tickLabelGap = 3.5;

double pixelsPerPoint(const QPaintDevice *device)
{
    return device ? device->logicalDpiY() / 72.0 : 96.0 / 72.0;
}

QFont scaledFont(const QFont &font, double zoom)
{
    QFont scaled = font;
    scaled.setPointSizeF(std::max(1.0, font.pointSizeF() * zoom));
    return scaled;
}

QString elided(const QString &text, const QFont &font, const QPaintDevice *device, double width)
{
    return QFontMetricsF(font, const_cast<QPaintDevice *>(device))
        .elidedText(text, Qt::ElideMiddle, width);
}

double textWidth(const QString &text, const QFont &font, const QPaintDevice *device)
{
    return QFontMetricsF(font, const_cast<QPaintDevice *>(device)).horizontalAdvance(text);
}

} // namespace

QFont AlignmentStyle::defaultFont()
{
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(9);
    return font;
}

AlignmentStyle AlignmentStyle::fromPalette(const QPalette &palette)
{
    AlignmentStyle style;
    style.background = palette.color(QPalette::Base);
    style.foreground = palette.color(QPalette::Text);
    return style;
}

namespace detail {

RendererBase::RendererBase(const AlignmentModel &model, const AlignmentStyle &style,
                           const QPaintDevice *device)
    : m_model(model)
    , m_style(style)
    , m_unit(pixelsPerPoint(device) * style.zoom)
    , m_font(scaledFont(style.font, style.labelZoom > 0 ? style.labelZoom : style.zoom))
    , m_boldFont(m_font)
{
    m_boldFont.setBold(true);
}

} // namespace detail

// --- AlignmentRenderer ---

AlignmentRenderer::AlignmentRenderer(const AlignmentModel &model, const AlignmentStyle &style,
                                     const QPaintDevice *device)
    : RendererBase(model, style, device)
{
    m_valueFont = m_font;
    m_valueFont.setPointSizeF(std::max(1.0, m_font.pointSizeF() * 0.78));
    m_cell = style.cellSize * m_unit;
    m_gap = model.hasPaddingColumn() ? 0.4 * m_cell : 0;
    const double maxLabel = maxLabelPoints * m_unit;
    const double pad = 4 * m_unit;
    m_labelHeight = QFontMetricsF(m_font, const_cast<QPaintDevice *>(device)).height();

    double rowLabelWidth = 0;
    for (int row = 0; row < model.rows(); ++row) {
        m_rowLabels << elided(model.rowLabel(row), m_boldFont, device, maxLabel);
        rowLabelWidth = std::max(rowLabelWidth, textWidth(m_rowLabels.last(), m_boldFont, device));
    }
    double columnLabelWidth = 0;
    for (int column = 0; column < model.columns(); ++column) {
        m_columnLabels << elided(model.columnLabel(column), m_font, device, maxLabel);
        columnLabelWidth =
            std::max(columnLabelWidth, textWidth(m_columnLabels.last(), m_font, device));
    }
    const double sine = std::sin(labelAngle * M_PI / 180), cosine = std::cos(labelAngle * M_PI / 180);
    m_left = pad + rowLabelWidth + pad;
    m_top = pad + columnLabelWidth * sine + m_labelHeight + pad;
    m_gridWidth = model.columns() * m_cell + m_gap;
    m_gridHeight = model.rows() * m_cell;

    double right = m_left + m_gridWidth;
    // The last column label rises to the right past the grid.
    if (model.columns() > 0)
        right = std::max(right, columnX(model.columns() - 1) + m_cell / 2
                                    + columnLabelWidth * cosine + m_labelHeight);
    double bottom = m_top + m_gridHeight;
    if (style.showColorBar && model.rows() > 0) {
        double tickWidth = textWidth(QStringLiteral("0.50"), m_font, device);
        for (const auto &tick : model.colorBarTicks())
            tickWidth = std::max(tickWidth, textWidth(tick.second, m_font, device));
        // The title goes under the bar, clear of the column labels that rise over it.
        right = std::max(right, colorBarLayout().bar.left() + textWidth(model.colorBarTitle(), m_font, device));
        right = std::max(right, colorBarLayout().labelLeft + tickWidth);
        bottom = std::max(bottom, m_top + std::max(m_gridHeight, 80 * m_unit) + m_labelHeight * 1.6);
    }
    m_width = std::ceil(right + pad);
    m_height = std::ceil(bottom + pad);
}

AlignmentRenderer::ColorBarLayout AlignmentRenderer::colorBarLayout() const
{
    ColorBarLayout layout;
    layout.bar = QRectF(m_left + m_gridWidth + colorBarSpacing * m_unit, m_top, colorBarWidth * m_unit,
                        std::max(m_gridHeight, 80 * m_unit));
    layout.tickEnd = layout.bar.right() + tickLength * m_unit;
    layout.labelLeft = layout.tickEnd + tickLabelGap * m_unit;
    return layout;
}

double AlignmentRenderer::columnX(int column) const
{
    return m_left + column * m_cell + (m_model.isPaddingColumn(column) ? m_gap : 0);
}

QRectF AlignmentRenderer::cellRect(int row, int column) const
{
    return QRectF(columnX(column), m_top + row * m_cell, m_cell, m_cell);
}

int AlignmentRenderer::rowAt(const QPointF &point) const
{
    if (point.y() < m_top || point.y() >= m_top + m_gridHeight)
        return -1;
    if (point.x() < 0 || point.x() >= m_left + m_gridWidth)
        return -1;
    return std::min(m_model.rows() - 1, int((point.y() - m_top) / m_cell));
}

int AlignmentRenderer::columnAt(const QPointF &point) const
{
    if (rowAt(point) < 0)
        return -1;
    for (int column = 0; column < m_model.columns(); ++column) {
        const double x = columnX(column);
        if (point.x() >= x && point.x() < x + m_cell)
            return column;
    }
    return -1;
}

int AlignmentRenderer::rowLabelAt(const QPointF &point) const
{
    if (point.x() < 0 || point.x() >= m_left || point.y() < m_top || point.y() >= m_top + m_gridHeight)
        return -1;
    return std::min(m_model.rows() - 1, int((point.y() - m_top) / m_cell));
}

int AlignmentRenderer::columnLabelAt(const QPointF &point) const
{
    if (point.y() >= m_top || point.y() < 0)
        return -1;
    // Follow the 45° label back down to its column.
    const double x = point.x() - (m_top - point.y());
    for (int column = 0; column < m_model.columns(); ++column) {
        const double left = columnX(column);
        if (x >= left && x < left + m_cell)
            return column;
    }
    return -1;
}

void AlignmentRenderer::paint(QPainter *painter, const QRectF &target) const
{
    if (m_width <= 0 || m_height <= 0)
        return;
    const double scale = std::min(target.width() / m_width, target.height() / m_height);
    painter->save();
    painter->translate(target.center() - QPointF(m_width * scale, m_height * scale) / 2);
    painter->scale(scale, scale);
    paint(painter);
    painter->restore();
}

void AlignmentRenderer::paint(QPainter *painter) const
{
    paintExposed(painter, QRectF(0, 0, m_width, m_height));
}

std::pair<int, int> AlignmentRenderer::visibleRows(const QRectF &exposed) const
{
    const int rows = m_model.rows();
    if (m_cell <= 0)
        return {0, rows};
    const int first = int(std::floor((exposed.top() - m_top) / m_cell));
    const int last = int(std::ceil((exposed.bottom() - m_top) / m_cell));
    return {std::clamp(first, 0, rows), std::clamp(last, 0, rows)};
}

std::pair<int, int> AlignmentRenderer::visibleColumns(double left, double right) const
{
    const int columns = m_model.columns();
    if (m_cell <= 0)
        return {0, columns};
    const int first = int(std::floor((left - m_left - m_gap) / m_cell)); // the gap only moves padding right
    const int last = int(std::ceil((right - m_left) / m_cell));
    return {std::clamp(first, 0, columns), std::clamp(last, 0, columns)};
}

const std::vector<QRgb> &AlignmentRenderer::cellColors() const
{
    // Made once per renderer: the view keeps its renderer until the model changes.
    const size_t rows = size_t(m_model.rows()), columns = size_t(m_model.columns());
    if (m_cellColors.size() != rows * columns) {
        m_cellColors.resize(rows * columns);
        for (size_t row = 0; row < rows; ++row)
            for (size_t column = 0; column < columns; ++column)
                m_cellColors[row * columns + column] = m_model.cellColor(int(row), int(column)).rgb();
    }
    return m_cellColors;
}

void AlignmentRenderer::paintCellPixels(QPainter *painter, const QRectF &exposed) const
{
    const int rows = m_model.rows(), columns = m_model.columns();
    const QRect pixels = exposed.intersected(QRectF(m_left, m_top, m_gridWidth, m_gridHeight)).toAlignedRect();
    if (pixels.isEmpty())
        return;
    // The cell under each pixel column's centre; -1 in the gap before the padding column.
    std::vector<int> columnOf(size_t(pixels.width()));
    for (int x = 0; x < pixels.width(); ++x) {
        const double centre = pixels.left() + x + 0.5;
        int column = std::clamp(int(std::floor((centre - m_left) / m_cell)), 0, columns - 1);
        if (m_model.hasPaddingColumn() && column >= columns - 1) {
            const double padding = centre - columnX(columns - 1);
            column = padding >= 0 && padding < m_cell ? columns - 1 : -1;
        }
        columnOf[size_t(x)] = column;
    }
    const std::vector<QRgb> &colors = cellColors();
    const QRgb background = m_style.background.rgb();
    // In bands, so that the tile stays small however large the exposed area; a pixel row in the
    // same cell row as the one above is a copy of it.
    constexpr int band = 64;
    QImage tile(pixels.width(), std::min(band, pixels.height()), QImage::Format_RGB32);
    const size_t lineBytes = size_t(pixels.width()) * sizeof(QRgb);
    for (int top = 0; top < pixels.height(); top += band) {
        const int height = std::min(band, pixels.height() - top);
        int previousRow = -1;
        for (int y = 0; y < height; ++y) {
            const double centre = pixels.top() + top + y + 0.5;
            const int row = std::clamp(int(std::floor((centre - m_top) / m_cell)), 0, rows - 1);
            auto *line = reinterpret_cast<QRgb *>(tile.scanLine(y));
            if (row == previousRow) {
                std::memcpy(line, tile.constScanLine(y - 1), lineBytes);
                continue;
            }
            previousRow = row;
            const QRgb *rowColors = colors.data() + size_t(row) * size_t(columns);
            for (int x = 0; x < pixels.width(); ++x) {
                const int column = columnOf[size_t(x)];
                line[x] = column < 0 ? background : rowColors[column];
            }
        }
        painter->drawImage(QPoint(pixels.left(), pixels.top() + top), tile, QRect(0, 0, pixels.width(), height));
    }
}

void AlignmentRenderer::paintExposed(QPainter *painter, const QRectF &exposedArea) const
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    const QRectF exposed = exposedArea.intersected(QRectF(0, 0, m_width, m_height));
    const int rows = m_model.rows(), columns = m_model.columns();
    // What can show in `exposed`: the cells under it, the row labels beside those, and the
    // column labels, which rise to the right by up to the label area's height (and reach a
    // little left of their column with the descenders).
    const auto [firstRow, endRow] = visibleRows(exposed);
    const auto [firstColumn, endColumn] = visibleColumns(exposed.left(), exposed.right());
    const auto [firstLabel, endLabel] = visibleColumns(exposed.left() - m_top, exposed.right() + m_cell);
    const bool gridShows = exposed.bottom() > m_top && exposed.right() > m_left;

    // Cells: when the painter maps the drawing one to one onto pixels (the screen, PNG export at
    // its natural size), the pixels in view are filled from a table of cell colours, each pixel
    // taking the cell under its centre, so that any exposed part gives the pixels of the whole;
    // otherwise (SVG, PDF, a scaled painter) one rectangle a cell.
    const int sourceColumns = columns - (m_model.hasPaddingColumn() ? 1 : 0);
    const QTransform transform = painter->transform();
    const bool pixelAligned = painter->paintEngine() && painter->paintEngine()->type() == QPaintEngine::Raster
        && transform.type() <= QTransform::TxTranslate && transform.dx() == std::round(transform.dx())
        && transform.dy() == std::round(transform.dy());
    if (gridShows && pixelAligned && rows > 0 && columns > 0) {
        // The background around the grid only: paintCellPixels() fills every pixel of it.
        const QRect grid = exposed.intersected(QRectF(m_left, m_top, m_gridWidth, m_gridHeight)).toAlignedRect();
        for (const QRect &rect : QRegion(exposed.toAlignedRect()).subtracted(grid))
            painter->fillRect(rect, m_style.background);
        paintCellPixels(painter, exposed);
    } else {
        painter->fillRect(exposed, m_style.background);
    }
    for (int row = firstRow; gridShows && row < endRow; ++row) {
        for (int column = firstColumn; column < endColumn; ++column) {
            const QRectF rect = cellRect(row, column);
            const bool padding = m_model.isPaddingColumn(column);
            if (pixelAligned && !padding && !m_style.showValues)
                continue;
            const QColor color = m_model.cellColor(row, column);
            if (!pixelAligned)
                painter->fillRect(rect, color);
            if (padding) {
                QColor hatch = contrastingTextColor(color);
                hatch.setAlpha(90);
                painter->fillRect(rect, QBrush(hatch, Qt::BDiagPattern));
            }
            if (m_style.showValues && m_cell >= 14) {
                QString text = formatWeight(m_model.value(row, column));
                painter->setFont(m_valueFont);
                if (painter->fontMetrics().horizontalAdvance(text) > m_cell - 2)
                    text = text.mid(text.indexOf(QLatin1Char('.'))); // ".83"
                painter->setPen(contrastingTextColor(color));
                painter->drawText(rect, Qt::AlignCenter, text);
            }
        }
    }

    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setRenderHint(QPainter::TextAntialiasing, true);
    // Row labels, right-aligned against the grid.
    for (int row = exposed.left() < m_left ? firstRow : endRow; row < endRow; ++row) {
        const bool selected = row == m_style.selectedRow;
        painter->setFont(selected ? m_boldFont : m_font);
        painter->setPen(selected ? m_style.highlight : m_style.foreground);
        const QRectF rect(0, m_top + row * m_cell, m_left - 4 * m_unit, m_cell);
        painter->drawText(rect, Qt::AlignRight | Qt::AlignVCenter, m_rowLabels.value(row));
    }
    // Column labels, rotated so that long words do not collide.
    painter->setPen(m_style.foreground);
    const QFontMetricsF metrics(m_font, painter->device());
    for (int column = exposed.top() < m_top ? firstLabel : endLabel; column < endLabel; ++column) {
        QFont font = m_font;
        font.setItalic(m_model.isPaddingColumn(column));
        painter->setFont(font);
        painter->save();
        painter->translate(columnX(column) + m_cell / 2 - metrics.descent(), m_top - 3 * m_unit);
        painter->rotate(-labelAngle);
        painter->drawText(QPointF(0, metrics.ascent() / 2 - metrics.descent()),
                          m_columnLabels.value(column));
        painter->restore();
    }

    // Gold links: sure solid, possible dotted and thinner (printed figures tell them apart), inset
    // so that neighbours stay apart. The keyboard cursor (paintCursor) is neither.
    if (m_model.goldAlignment()) {
        for (int row = firstRow; row < endRow; ++row) {
            for (int column = firstColumn; column < endColumn; ++column) {
                const GoldMark mark = m_model.goldMark(row, column);
                if (mark == GoldMark::None)
                    continue;
                const QColor fill = m_model.cellColor(row, column);
                const bool sure = mark == GoldMark::Sure;
                QPen pen(contrastingTextColor(fill),
                         sure ? std::max(1.5, 1.2 * m_unit) : std::max(1.0, 0.8 * m_unit),
                         sure ? Qt::SolidLine : Qt::DotLine);
                pen.setJoinStyle(Qt::MiterJoin);
                painter->setPen(pen);
                painter->setBrush(Qt::NoBrush);
                const double inset = 2.5 * m_unit;
                painter->drawRect(cellRect(row, column).adjusted(inset, inset, -inset, -inset));
            }
        }
    }
    // Forced (what-if) cells: a pin in the top right corner.
    for (int row = firstRow; row < endRow; ++row) {
        for (int column = firstColumn; column < endColumn; ++column) {
            if (!m_model.isOverridden(row, column))
                continue;
            const QRectF rect = cellRect(row, column);
            const double radius = std::max(2.0, 0.16 * m_cell);
            const QPointF head(rect.right() - radius - 1.5 * m_unit, rect.top() + radius + 1.5 * m_unit);
            painter->setPen(QPen(m_style.background, std::max(1.0, 0.6 * m_unit)));
            painter->setBrush(m_style.highlight);
            painter->drawLine(head, head + QPointF(-1.6 * radius, 1.6 * radius));
            painter->drawEllipse(head, radius, radius);
        }
    }

    // The selected decoder step.
    if (m_style.selectedRow >= 0 && m_style.selectedRow < rows) {
        QPen pen(m_style.highlight, std::max(2.0, 1.5 * m_unit));
        pen.setJoinStyle(Qt::MiterJoin);
        painter->setPen(pen);
        painter->setBrush(Qt::NoBrush);
        const double y = m_top + m_style.selectedRow * m_cell;
        // Around the source cells, and separately around the padding cell past the gap.
        painter->drawRect(QRectF(m_left, y, sourceColumns * m_cell, m_cell));
        if (m_model.hasPaddingColumn())
            painter->drawRect(cellRect(m_style.selectedRow, columns - 1));
    }

    // Colour bar: 0 at the bottom, 1 at the top.
    if (m_style.showColorBar && rows > 0) {
        const ColorBarLayout bar = colorBarLayout();
        const double barX = bar.bar.left(), barWidth = bar.bar.width(), barHeight = bar.bar.height();
        // A step a pixel, up to 512 (finer than 8-bit colour can show), and only those in view.
        const int steps = std::clamp(int(barHeight), 2, 512);
        painter->setRenderHint(QPainter::Antialiasing, false);
        for (int i = 0; i < steps; ++i) {
            const double y0 = m_top + barHeight * i / steps;
            if (y0 > exposed.bottom() || y0 + barHeight / steps + 1 < exposed.top())
                continue;
            painter->fillRect(QRectF(barX, y0, barWidth, barHeight / steps + 1),
                              m_model.colorBarColor(1.0 - (i + 0.5) / steps));
        }
        painter->setRenderHint(QPainter::Antialiasing, true);
        painter->setPen(m_style.foreground);
        painter->setBrush(Qt::NoBrush);
        painter->drawRect(QRectF(barX, m_top, barWidth, barHeight));
        painter->setFont(m_font);
        for (const auto &[tick, label] : m_model.colorBarTicks()) {
            const double y = m_top + barHeight * (1 - tick);
            painter->drawLine(QPointF(barX + barWidth, y), QPointF(bar.tickEnd, y));
            const QRectF box(bar.labelLeft, y - m_labelHeight / 2, m_width - bar.labelLeft, m_labelHeight);
            painter->drawText(box, Qt::AlignLeft | Qt::AlignVCenter, label);
        }
        painter->drawText(QRectF(barX, m_top + barHeight + 0.5 * m_labelHeight, m_width - barX, m_labelHeight),
                          Qt::AlignLeft | Qt::AlignVCenter, m_model.colorBarTitle());
    }
    painter->restore();
}

// --- AlignmentLinesRenderer ---

AlignmentLinesRenderer::AlignmentLinesRenderer(const AlignmentModel &model,
                                               const AlignmentStyle &style,
                                               const QPaintDevice *device)
    : RendererBase(model, style, device)
{
    const double maxLabel = maxLabelPoints * m_unit, spacing = 10 * m_unit, pad = 6 * m_unit;
    m_textHeight = QFontMetricsF(m_boldFont, const_cast<QPaintDevice *>(device)).height();

    auto layoutRow = [&](int count, auto label, QStringList &labels, QVector<QRectF> &boxes) {
        double x = pad;
        for (int i = 0; i < count; ++i) {
            labels << elided(label(i), m_boldFont, device, maxLabel);
            const double width = std::max(textWidth(labels.last(), m_boldFont, device), 12 * m_unit);
            boxes << QRectF(x, 0, width, m_textHeight);
            x += width + spacing;
        }
        return x - spacing + pad;
    };
    const double sourceWidth = layoutRow(model.columns(), [&](int c) { return model.columnLabel(c); },
                                         m_sourceLabels, m_sourceBoxes);
    const double targetWidth = layoutRow(model.rows(), [&](int r) { return model.rowLabel(r); },
                                         m_targetLabels, m_targetBoxes);
    m_width = std::ceil(std::max(sourceWidth, targetWidth));
    // Centre the shorter row under the longer one.
    for (QRectF &box : m_sourceBoxes)
        box.translate((m_width - sourceWidth) / 2, pad);
    m_topY = pad + m_textHeight + 2 * m_unit;
    m_bottomY = m_topY + std::max(120.0 * m_unit, 0.25 * m_width);
    for (QRectF &box : m_targetBoxes)
        box.translate((m_width - targetWidth) / 2, m_bottomY + 2 * m_unit);
    m_height = std::ceil(m_bottomY + 2 * m_unit + m_textHeight + pad);
}

int AlignmentLinesRenderer::rowAt(const QPointF &point) const
{
    for (int row = 0; row < m_targetBoxes.size(); ++row) {
        if (m_targetBoxes[row].adjusted(-4, -4, 4, 4).contains(point))
            return row;
    }
    return -1;
}

void AlignmentLinesRenderer::paint(QPainter *painter) const
{
    painter->save();
    painter->fillRect(QRectF(0, 0, m_width, m_height), m_style.background);
    painter->setRenderHint(QPainter::Antialiasing, true);
    const int selected = m_style.selectedRow;
    const double maxWidth = 4 * m_unit;

    auto drawLines = [&](int row, const QColor &base) {
        const QPointF to(m_targetBoxes[row].center().x(), m_bottomY);
        for (int column = 0; column < m_model.columns(); ++column) {
            double alpha = m_model.value(row, column);
            if (m_model.mode() == HeatmapMode::Energies) // how far above the row's mean
                alpha = std::clamp((alpha - m_model.rowMean(row)) / m_model.energyScale(), 0.0, 1.0);
            if (alpha < 0.01)
                continue;
            QColor color = base;
            color.setAlphaF(std::clamp(0.15 + 0.85 * alpha, 0.0, 1.0));
            QPen pen(color, std::max(0.5, alpha * maxWidth));
            pen.setCapStyle(Qt::FlatCap);
            if (m_model.isPaddingColumn(column))
                pen.setStyle(Qt::DashLine);
            painter->setPen(pen);
            painter->drawLine(QPointF(m_sourceBoxes[column].center().x(), m_topY), to);
        }
    };
    for (int row = 0; row < m_model.rows(); ++row) {
        if (row != selected)
            drawLines(row, m_style.foreground);
    }
    if (selected >= 0 && selected < m_model.rows())
        drawLines(selected, m_style.highlight); // on top of the others

    for (int column = 0; column < m_sourceBoxes.size(); ++column) {
        QFont font = m_boldFont;
        font.setItalic(m_model.isPaddingColumn(column));
        painter->setFont(font);
        painter->setPen(m_style.foreground);
        painter->drawText(m_sourceBoxes[column], Qt::AlignCenter, m_sourceLabels[column]);
    }
    painter->setFont(m_boldFont);
    for (int row = 0; row < m_targetBoxes.size(); ++row) {
        painter->setPen(row == selected ? m_style.highlight : m_style.foreground);
        painter->drawText(m_targetBoxes[row], Qt::AlignCenter, m_targetLabels[row]);
    }
    painter->restore();
}

void AlignmentRenderer::paintCursor(QPainter *painter, int row, int column) const
{
    if (row < 0 || row >= m_model.rows() || column < 0 || column >= m_model.columns())
        return;
    painter->save();
    painter->setBrush(Qt::NoBrush);
    const double width = std::max(2.0, 2 * m_unit);
    // Just inside the cell's edge, so that it is never taken for a gold mark (inset further).
    const QRectF frame = cellRect(row, column).adjusted(width / 2, width / 2, -width / 2, -width / 2);
    QPen pen(m_style.highlight, width, Qt::SolidLine);
    pen.setJoinStyle(Qt::MiterJoin);
    painter->setPen(pen);
    painter->drawRect(frame);
    // The halo: the frame reads on dark and on light cells alike.
    const double halo = std::max(1.0, m_unit);
    const double in = width / 2 + halo / 2;
    pen = QPen(QColor(255, 255, 255, 220), halo, Qt::SolidLine);
    pen.setJoinStyle(Qt::MiterJoin);
    painter->setPen(pen);
    painter->drawRect(frame.adjusted(in, in, -in, -in));
    painter->restore();
}

} // namespace attnviz
