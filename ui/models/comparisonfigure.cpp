#include "comparisonfigure.h"

#include "alignmentrenderer.h"
#include "colormap.h"

#include <QFontMetricsF>
#include <QPaintDevice>
#include <QPainter>

#include <cmath>

namespace attnviz {
namespace {

constexpr double marginPoints = 8, gapPoints = 18, cellPoints = 20, barPoints = 10;

// Where each part goes, in device pixels.
struct Layout
{
    Layout(const ComparisonFigure &figure, const QPaintDevice *device)
        : a(figure.heatmapA(), AlignmentStyle(), device)
        , b(figure.heatmapB(), AlignmentStyle(), device)
    {
        unit = device->logicalDpiY() / 72.0;
        margin = std::round(marginPoints * unit);
        gap = std::round(gapPoints * unit);
        cell = cellPoints * unit;
        font = AlignmentStyle::defaultFont();
        const QFontMetricsF labels(font, const_cast<QPaintDevice *>(device));
        const QFontMetricsF caption(figureCaptionFont(), const_cast<QPaintDevice *>(device));
        captionHeight = std::ceil(caption.lineSpacing() + 4 * unit);
        const ModelComparison &c = figure.comparison();
        for (const std::string &token : c.targetTokens)
            rowLabelWidth = std::max(rowLabelWidth, labels.horizontalAdvance(QString::fromStdString(token)));
        for (const std::string &token : c.sourceTokens)
            columnLabelHeight = std::max(columnLabelHeight, labels.horizontalAdvance(QString::fromStdString(token)));
        rowLabelWidth += 4 * unit;
        columnLabelHeight += 4 * unit;
        const double barLabel = labels.horizontalAdvance(figureNumber(-1, 2)) + 4 * unit;
        diffWidth = rowLabelWidth + cell * double(c.sourceTokens.size()) + gap / 2 + barPoints * unit + barLabel;
        diffHeight = columnLabelHeight + cell * double(c.targetTokens.size());
        summaryHeight = std::ceil(caption.lineSpacing() + 6 * unit);
        width = std::ceil(2 * margin + a.size().width() + gap + b.size().width() + gap + diffWidth);
        height = std::ceil(2 * margin + captionHeight
                           + std::max({a.size().height(), b.size().height(), diffHeight}) + summaryHeight);
    }

    AlignmentRenderer a, b;
    QFont font;
    double unit = 1, margin = 0, gap = 0, cell = 0, captionHeight = 0, summaryHeight = 0;
    double rowLabelWidth = 0, columnLabelHeight = 0, diffWidth = 0, diffHeight = 0, width = 0, height = 0;
};

} // namespace

ComparisonFigure::ComparisonFigure(ModelComparison comparison, QString labelA, QString labelB)
    : m_comparison(std::move(comparison))
    , m_labelA(std::move(labelA))
    , m_labelB(std::move(labelB))
    , m_heatmapA(std::make_unique<AlignmentModel>())
    , m_heatmapB(std::make_unique<AlignmentModel>())
{
    m_heatmapA->setResult(std::make_shared<const TranslationResult>(m_comparison.a), 0);
    m_heatmapB->setResult(std::make_shared<const TranslationResult>(m_comparison.b), 0);
    double largest = 0;
    for (Eigen::Index i = 0; i < m_comparison.attentionA.rows(); ++i)
        for (Eigen::Index j = 0; j < m_comparison.attentionA.cols(); ++j)
            largest = std::max(largest, std::abs(difference(int(i), int(j))));
    m_bound = std::max(0.1, std::ceil(largest * 10 - 1e-9) / 10);
}

double ComparisonFigure::difference(int row, int column) const
{
    return double(m_comparison.attentionA(row, column)) - double(m_comparison.attentionB(row, column));
}

QSizeF ComparisonFigure::size(const QPaintDevice *device) const
{
    const Layout layout(*this, device);
    return {layout.width, layout.height};
}

void ComparisonFigure::paint(QPainter &painter, const QPaintDevice *device) const
{
    const Layout l(*this, device);
    painter.fillRect(QRectF(0, 0, l.width, l.height), Qt::white);
    painter.setPen(Qt::black);
    const double top = l.margin + l.captionHeight;
    const double xB = l.margin + l.a.size().width() + l.gap;
    const double xD = xB + l.b.size().width() + l.gap;
    painter.setFont(figureCaptionFont());
    const auto caption = [&](double x, double w, const QString &text) {
        painter.drawText(QRectF(x, l.margin, w, l.captionHeight), Qt::AlignLeft | Qt::AlignTop,
                         painter.fontMetrics().elidedText(text, Qt::ElideRight, int(w)));
    };
    caption(l.margin, l.a.size().width(), QStringLiteral("A: ") + m_labelA);
    caption(xB, l.b.size().width(), QStringLiteral("B: ") + m_labelB);
    caption(xD, l.diffWidth, QStringLiteral("\u03b1(A) \u2212 \u03b1(B)"));
    painter.save();
    painter.translate(l.margin, top);
    l.a.paint(&painter);
    painter.restore();
    painter.save();
    painter.translate(xB, top);
    l.b.paint(&painter);
    painter.restore();

    // The difference: the same rows and columns, blue where B attends more, red where A does.
    painter.setFont(l.font);
    const ModelComparison &c = m_comparison;
    const double gridLeft = xD + l.rowLabelWidth, gridTop = top + l.columnLabelHeight;
    const int rows = int(c.targetTokens.size()), columns = int(c.sourceTokens.size());
    for (int i = 0; i < rows; ++i) {
        painter.drawText(QRectF(xD, gridTop + i * l.cell, l.rowLabelWidth - 4 * l.unit, l.cell),
                         Qt::AlignRight | Qt::AlignVCenter, QString::fromStdString(c.targetTokens[size_t(i)]));
        for (int j = 0; j < columns; ++j)
            painter.fillRect(QRectF(gridLeft + j * l.cell, gridTop + i * l.cell, l.cell, l.cell),
                             divergingColor(difference(i, j) / m_bound));
    }
    for (int j = 0; j < columns; ++j) {
        painter.save();
        painter.translate(gridLeft + (j + 0.5) * l.cell, gridTop - 4 * l.unit);
        painter.rotate(-90);
        painter.drawText(QRectF(0, -l.cell / 2, l.columnLabelHeight, l.cell), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromStdString(c.sourceTokens[size_t(j)]));
        painter.restore();
    }
    painter.setPen(QPen(QColor(0x80, 0x80, 0x80), 0));
    painter.drawRect(QRectF(gridLeft, gridTop, columns * l.cell, rows * l.cell));
    // Its scale: +bound at the top, 0, −bound at the bottom.
    const QRectF bar(gridLeft + columns * l.cell + l.gap / 2, gridTop, barPoints * l.unit, rows * l.cell);
    const int steps = 64;
    for (int k = 0; k < steps; ++k)
        painter.fillRect(QRectF(bar.left(), bar.top() + bar.height() * k / steps, bar.width(), bar.height() / steps + 0.5),
                         divergingColor(1.0 - 2.0 * (k + 0.5) / steps));
    painter.drawRect(bar);
    painter.setPen(Qt::black);
    const double labelX = bar.right() + 3 * l.unit;
    const double h = QFontMetricsF(l.font, const_cast<QPaintDevice *>(device)).height();
    painter.drawText(QRectF(labelX, bar.top(), 60 * l.unit, h), Qt::AlignLeft | Qt::AlignTop,
                     QStringLiteral("+") + QString::number(m_bound, 'f', 1));
    painter.drawText(QRectF(labelX, bar.center().y() - h / 2, 60 * l.unit, h), Qt::AlignLeft | Qt::AlignVCenter,
                     QStringLiteral("0"));
    painter.drawText(QRectF(labelX, bar.bottom() - h, 60 * l.unit, h), Qt::AlignLeft | Qt::AlignBottom,
                     figureNumber(-m_bound, 1));

    painter.setFont(figureCaptionFont());
    painter.drawText(QRectF(l.margin, l.height - l.margin - l.summaryHeight, l.width - 2 * l.margin, l.summaryHeight),
                     Qt::AlignLeft | Qt::AlignBottom, comparisonSummary(c));
}

QString comparisonSummary(const ModelComparison &c)
{
    int agreeing = 0;
    for (int a : c.rows.agreement)
        agreeing += a;
    return QStringLiteral("mean JSD %1 nats \u00b7 argmax agreement %2/%3 \u00b7 log p A %4, B %5")
        .arg(QString::number(c.rows.meanJsd, 'f', 3))
        .arg(agreeing)
        .arg(c.rows.agreement.size())
        .arg(figureNumber(c.logProbA, 2), figureNumber(c.logProbB, 2));
}

QByteArray renderComparisonFigure(const ComparisonFigure &figure, FigureFormat format, int dpi)
{
    PaintedFigure painted;
    painted.size = [&figure](QPaintDevice *device) { return figure.size(device); };
    painted.paint = [&figure](QPainter &painter, QPaintDevice *device) { figure.paint(painter, device); };
    painted.title = QStringLiteral("Attention of two models: ") + figure.labelA() + QStringLiteral(" and ")
                    + figure.labelB();
    return renderPaintedFigure(painted, format, dpi);
}

} // namespace attnviz
