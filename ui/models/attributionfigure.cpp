#include "attributionfigure.h"

#include "alignmentrenderer.h"
#include "colormap.h"

#include <QFontMetricsF>
#include <QPaintDevice>
#include <QPainter>

#include <cmath>

namespace attnviz {
namespace {

constexpr double marginPoints = 8, gapPoints = 10, cellPoints = 24, barPoints = 10;

QFont valueFont()
{
    QFont font = AlignmentStyle::defaultFont();
    font.setPointSizeF(font.pointSizeF() * 0.75);
    return font;
}

// A bound's label: three significant digits, with the minus sign of type.
QString boundText(double value)
{
    return (value < 0 ? QStringLiteral("\u2212") : QString()) + QString::number(std::abs(value), 'g', 3);
}

QString agreementText(const RowAgreement &row)
{
    return QStringLiteral("\u03c1 %1 %2").arg(figureNumber(row.spearman, 2), row.top1 ? QStringLiteral("\u2713")
                                                                                       : QStringLiteral("\u2717"));
}

// Where each part goes, in device pixels.
struct Layout
{
    Layout(const AttributionView &view, const AttributionFigureOptions &options, const QPaintDevice *device)
    {
        auto *d = const_cast<QPaintDevice *>(device);
        unit = device->logicalDpiY() / 72.0;
        margin = std::round(marginPoints * unit);
        gap = std::round(gapPoints * unit);
        cell = cellPoints * unit;
        font = AlignmentStyle::defaultFont();
        const QFontMetricsF labels(font, d);
        const QFontMetricsF caption(figureCaptionFont(), d);
        lineHeight = std::ceil(caption.lineSpacing() + 4 * unit);
        titleHeight = options.title.isEmpty() ? 0 : lineHeight;
        for (const std::string &token : view.targetTokens)
            rowLabelWidth = std::max(rowLabelWidth, labels.horizontalAdvance(QString::fromStdString(token)));
        for (const std::string &token : view.sourceTokens)
            columnLabelHeight = std::max(columnLabelHeight, labels.horizontalAdvance(QString::fromStdString(token)));
        rowLabelWidth += 4 * unit;
        columnLabelHeight += 4 * unit;
        for (const RowAgreement &row : view.rows)
            agreementWidth = std::max(agreementWidth, labels.horizontalAdvance(agreementText(row)));
        agreementWidth = std::max(agreementWidth, labels.horizontalAdvance(QStringLiteral("\u03c1, top-1")));
        const double bound = attributionBound(view);
        barLabelWidth = std::max(labels.horizontalAdvance(boundText(-bound)), labels.horizontalAdvance(boundText(bound)))
                        + 4 * unit;
        columns = int(view.sourceTokens.size());
        rows = int(view.targetTokens.size());
        gridLeft = margin + rowLabelWidth;
        gridTop = margin + titleHeight + lineHeight + columnLabelHeight;
        const double gridRight = gridLeft + columns * cell;
        barLeft = gridRight + gap;
        agreementLeft = barLeft + barPoints * unit + barLabelWidth + gap;
        const double summaryWidth = caption.horizontalAdvance(attributionSummary(view));
        width = std::ceil(std::max(agreementLeft + agreementWidth, margin + summaryWidth) + margin);
        height = std::ceil(gridTop + rows * cell + lineHeight + 2 * unit + margin);
    }

    QFont font;
    int rows = 0, columns = 0;
    double unit = 1, margin = 0, gap = 0, cell = 0, lineHeight = 0, titleHeight = 0;
    double rowLabelWidth = 0, columnLabelHeight = 0, agreementWidth = 0, barLabelWidth = 0;
    double gridLeft = 0, gridTop = 0, barLeft = 0, agreementLeft = 0, width = 0, height = 0;
};

} // namespace

double attributionBound(const AttributionView &view)
{
    const Eigen::MatrixXd &v = view.attribution.values;
    double bound = 0;
    for (Eigen::Index i = 0; i < v.rows(); ++i)
        for (Eigen::Index j = 0; j < v.cols(); ++j)
            if (std::isfinite(v(i, j)))
                bound = std::max(bound, std::abs(v(i, j)));
    return bound;
}

QString attributionMethodText(const AttributionView &view)
{
    QString method = QString::fromLatin1(attributionMethodName(view.attribution.method));
    if (view.attribution.method == AttributionMethod::IntegratedGradients && view.steps > 0)
        method += QStringLiteral(", %1 steps").arg(view.steps);
    return method;
}

QString attributionSummary(const AttributionView &view)
{
    const QString with = view.alphaView.empty() ? QStringLiteral("attention")
                                                : QStringLiteral("attention (%1)").arg(QString::fromStdString(view.alphaView));
    return QStringLiteral("Agreement with %1: Spearman %2, Kendall %3, top-1 %4%, JSD %5")
        .arg(with, figureNumber(view.mean.spearman, 3), figureNumber(view.mean.kendall, 3))
        .arg(int(std::lround(100 * view.meanTop1)))
        .arg(QString::number(view.mean.jsd, 'f', 3));
}

QSizeF attributionFigureSize(const AttributionView &view, const AttributionFigureOptions &options,
                             const QPaintDevice *device)
{
    const Layout l(view, options, device);
    return {l.width, l.height};
}

void paintAttributionFigure(QPainter &painter, const AttributionView &view, const AttributionFigureOptions &options,
                            const QPaintDevice *device)
{
    const Layout l(view, options, device);
    painter.fillRect(QRectF(0, 0, l.width, l.height), Qt::white);
    painter.setPen(Qt::black);
    painter.setFont(figureCaptionFont());
    const QFontMetricsF caption(figureCaptionFont(), const_cast<QPaintDevice *>(device));
    const double textWidth = l.width - 2 * l.margin;
    if (!options.title.isEmpty())
        painter.drawText(QRectF(l.margin, l.margin, textWidth, l.lineHeight), Qt::AlignLeft | Qt::AlignTop,
                         caption.elidedText(options.title, Qt::ElideRight, textWidth));
    const bool signedScale = isSignedAttribution(view.attribution.method);
    painter.drawText(QRectF(l.margin, l.margin + l.titleHeight, textWidth, l.lineHeight), Qt::AlignLeft | Qt::AlignTop,
                     QStringLiteral("Attribution: %1%2")
                         .arg(attributionMethodText(view), signedScale ? QString() : QStringLiteral(" (unsigned)")));

    const double bound = attributionBound(view);
    const Eigen::MatrixXd &v = view.attribution.values;
    painter.setFont(l.font);
    for (int i = 0; i < l.rows; ++i) {
        painter.setPen(Qt::black);
        painter.drawText(QRectF(l.margin, l.gridTop + i * l.cell, l.rowLabelWidth - 4 * l.unit, l.cell),
                         Qt::AlignRight | Qt::AlignVCenter, QString::fromStdString(view.targetTokens[size_t(i)]));
        for (int j = 0; j < l.columns && i < v.rows() && j < v.cols(); ++j) {
            // Whole device pixels, so that no seam of background shows between cells.
            const double left = std::round(l.gridLeft + j * l.cell), top = std::round(l.gridTop + i * l.cell);
            const QRectF r(left, top, std::round(l.gridLeft + (j + 1) * l.cell) - left,
                           std::round(l.gridTop + (i + 1) * l.cell) - top);
            const double value = v(i, j);
            QColor color(0xe0, 0xe0, 0xe0); // not computed (n/a)
            if (std::isfinite(value))
                color = bound <= 0 ? (signedScale ? divergingColor(0) : colorMapColor(ColorMap::Viridis, 0))
                        : signedScale ? divergingColor(value / bound)
                                      : colorMapColor(ColorMap::Viridis, std::abs(value) / bound);
            painter.fillRect(r, color);
            if (options.showValues) {
                painter.setFont(valueFont());
                painter.setPen(contrastingTextColor(color));
                painter.drawText(r, Qt::AlignCenter,
                                 std::isfinite(value) ? figureNumber(value, 2) : QStringLiteral("n/a"));
                painter.setFont(l.font);
            }
        }
        if (size_t(i) < view.rows.size()) {
            painter.setPen(Qt::black);
            painter.drawText(QRectF(l.agreementLeft, l.gridTop + i * l.cell, l.agreementWidth, l.cell),
                             Qt::AlignLeft | Qt::AlignVCenter, agreementText(view.rows[size_t(i)]));
        }
    }
    painter.setPen(Qt::black);
    for (int j = 0; j < l.columns; ++j) {
        painter.save();
        painter.translate(l.gridLeft + (j + 0.5) * l.cell, l.gridTop - 4 * l.unit);
        painter.rotate(-90);
        painter.drawText(QRectF(0, -l.cell / 2, l.columnLabelHeight, l.cell), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromStdString(view.sourceTokens[size_t(j)]));
        painter.restore();
    }
    const double labelHeight = QFontMetricsF(l.font, const_cast<QPaintDevice *>(device)).height();
    painter.drawText(QRectF(l.agreementLeft, l.gridTop - labelHeight - 2 * l.unit, l.agreementWidth, labelHeight),
                     Qt::AlignLeft | Qt::AlignBottom, QStringLiteral("\u03c1, top-1"));
    painter.setPen(QPen(QColor(0x80, 0x80, 0x80), 0));
    painter.drawRect(QRectF(l.gridLeft, l.gridTop, l.columns * l.cell, l.rows * l.cell));

    // The scale: +bound at the top; 0 in the middle (signed) or at the bottom.
    const QRectF bar(l.barLeft, l.gridTop, barPoints * l.unit, l.rows * l.cell);
    const int steps = 64;
    for (int k = 0; k < steps; ++k) {
        const double t = 1.0 - (k + 0.5) / steps; // 1 at the top, 0 at the bottom
        painter.fillRect(QRectF(bar.left(), bar.top() + bar.height() * k / steps, bar.width(), bar.height() / steps + 0.5),
                         signedScale ? divergingColor(2 * t - 1) : colorMapColor(ColorMap::Viridis, t));
    }
    painter.drawRect(bar);
    painter.setPen(Qt::black);
    const double labelX = bar.right() + 3 * l.unit;
    painter.drawText(QRectF(labelX, bar.top(), l.barLabelWidth, labelHeight), Qt::AlignLeft | Qt::AlignTop,
                     (signedScale ? QStringLiteral("+") : QString()) + boundText(bound));
    if (signedScale)
        painter.drawText(QRectF(labelX, bar.center().y() - labelHeight / 2, l.barLabelWidth, labelHeight),
                         Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("0"));
    painter.drawText(QRectF(labelX, bar.bottom() - labelHeight, l.barLabelWidth, labelHeight),
                     Qt::AlignLeft | Qt::AlignBottom, signedScale ? boundText(-bound) : QStringLiteral("0"));

    painter.setFont(figureCaptionFont());
    painter.drawText(QRectF(l.margin, l.gridTop + l.rows * l.cell + 2 * l.unit, textWidth, l.lineHeight),
                     Qt::AlignLeft | Qt::AlignBottom, attributionSummary(view));
}

QByteArray renderAttributionFigure(const AttributionView &view, FigureFormat format,
                                   const AttributionFigureOptions &options)
{
    PaintedFigure painted;
    painted.size = [&](QPaintDevice *device) { return attributionFigureSize(view, options, device); };
    painted.paint = [&](QPainter &painter, QPaintDevice *device) { paintAttributionFigure(painter, view, options, device); };
    painted.title = options.title.isEmpty()
                        ? QStringLiteral("Attribution (%1)").arg(QString::fromLatin1(attributionMethodName(view.attribution.method)))
                        : options.title;
    return renderPaintedFigure(painted, format, options.dpi);
}

} // namespace attnviz
