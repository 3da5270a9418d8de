#include "figureexport.h"

#include "alignmentrenderer.h"
#include "alignmentmodel.h"

#include <QBuffer>
#include <QFontMetricsF>
#include <QPageLayout>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QTextLayout>

#include <cmath>

namespace attnviz {
namespace {

constexpr double marginPoints = 8;

AlignmentStyle figureStyle(const FigureOptions &options)
{
    AlignmentStyle style; // white background, black text, DejaVu Sans
    style.showValues = options.showValues;
    style.selectedRow = -1;
    return style;
}

QFont titleFont()
{
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(10);
    return font;
}

constexpr int maxTitleLines = 3;

QStringList wrapTitle(const QString &title, QPaintDevice *device, double width)
{
    if (title.isEmpty())
        return {};
    const QFontMetricsF metrics(titleFont(), device);
    QTextLayout layout(title, titleFont(), device);
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    QStringList lines;
    layout.beginLayout();
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(width);
        if (lines.size() == maxTitleLines - 1) {
            lines << metrics.elidedText(title.mid(line.textStart()).trimmed(), Qt::ElideRight, width);
            break;
        }
        lines << title.mid(line.textStart(), line.textLength()).trimmed();
    }
    layout.endLayout();
    return lines;
}

// The layout of one figure on one device: margins, the title's lines, then the heatmap. The
// title never widens the figure (a long sentence would leave the heatmap stranded on the left).
// Margins and title are whole device pixels, so that the heatmap's cells fall on pixels.
struct FigureLayout
{
    FigureLayout(const AlignmentModel &heatmap, const FigureOptions &options, QPaintDevice *device)
        : renderer(heatmap, figureStyle(options), device)
        , titleLines(wrapTitle(options.title, device, renderer.size().width()))
    {
        const double unit = device->logicalDpiY() / 72.0;
        const QFontMetricsF metrics(titleFont(), device);
        if (!options.caption.isEmpty())
            titleLines << metrics.elidedText(options.caption, Qt::ElideRight, renderer.size().width());
        lineHeight = metrics.lineSpacing();
        titleHeight = titleLines.isEmpty() ? 0 : std::ceil(titleLines.size() * lineHeight + 4 * unit);
        margin = std::round(marginPoints * unit);
        width = std::ceil(renderer.size().width() + 2 * margin);
        height = std::ceil(renderer.size().height() + titleHeight + 2 * margin);
    }

    void paint(QPainter &painter) const
    {
        painter.fillRect(QRectF(0, 0, width, height), Qt::white);
        painter.setFont(titleFont());
        painter.setPen(Qt::black);
        for (int i = 0; i < titleLines.size(); ++i)
            painter.drawText(QRectF(margin, margin + i * lineHeight, width - 2 * margin, lineHeight),
                             Qt::AlignLeft | Qt::AlignTop, titleLines[i]);
        painter.save();
        painter.translate(margin, margin + titleHeight);
        renderer.paint(&painter);
        painter.restore();
    }

    AlignmentRenderer renderer;
    QStringList titleLines;
    double lineHeight = 0, titleHeight = 0, margin = 0, width = 0, height = 0;
};

void setDpi(QImage &image, double dpi)
{
    const int dotsPerMeter = static_cast<int>(std::lround(dpi / 0.0254));
    image.setDotsPerMeterX(dotsPerMeter);
    image.setDotsPerMeterY(dotsPerMeter);
}

} // namespace

QFont figureCaptionFont()
{
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(10);
    return font;
}

QString figureNumber(double value, int decimals)
{
    const QString digits = QString::number(std::abs(value), 'f', decimals);
    const bool zero = digits.count(QLatin1Char('0')) + 1 == digits.size();
    return (value < 0 && !zero ? QStringLiteral("\u2212") : QString()) + digits;
}

QString figureTitle(const QString &sentence, const QString &modelName)
{
    return sentence + QStringLiteral("  \u2014  ") + modelName;
}

std::optional<FigureFormat> figureFormatFromName(const QString &name)
{
    const QString n = name.toLower();
    if (n == QLatin1String("png"))
        return FigureFormat::Png;
    if (n == QLatin1String("svg"))
        return FigureFormat::Svg;
    if (n == QLatin1String("pdf"))
        return FigureFormat::Pdf;
    return std::nullopt;
}

QStringList figureTitleLines(const AlignmentModel &heatmap, const FigureOptions &options, QPaintDevice *device)
{
    return FigureLayout(heatmap, options, device).titleLines;
}

namespace {

PaintedFigure paintedHeatmap(const AlignmentModel &heatmap, const FigureOptions &options)
{
    PaintedFigure figure;
    figure.size = [&heatmap, options](QPaintDevice *device) {
        const FigureLayout layout(heatmap, options, device);
        return QSizeF(layout.width, layout.height);
    };
    figure.paint = [&heatmap, options](QPainter &painter, QPaintDevice *device) {
        FigureLayout(heatmap, options, device).paint(painter);
    };
    figure.title = options.caption.isEmpty() ? options.title : options.title + QStringLiteral("  \u2014  ") + options.caption;
    return figure;
}

} // namespace

QImage renderFigureImage(const AlignmentModel &heatmap, const FigureOptions &options)
{
    return renderPaintedImage(paintedHeatmap(heatmap, options), options.dpi);
}

QByteArray renderFigure(const AlignmentModel &heatmap, FigureFormat format, const FigureOptions &options)
{
    return renderPaintedFigure(paintedHeatmap(heatmap, options), format, options.dpi);
}

QImage renderPaintedImage(const PaintedFigure &figure, int dpi)
{
    // The image's resolution makes one point dpi / 72 pixels.
    QImage probe(1, 1, QImage::Format_ARGB32);
    setDpi(probe, dpi);
    const QSizeF size = figure.size(&probe);
    QImage image(static_cast<int>(std::ceil(size.width())), static_cast<int>(std::ceil(size.height())),
                 QImage::Format_ARGB32);
    setDpi(image, dpi);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    figure.paint(painter, &image);
    return image;
}

QByteArray renderPaintedFigure(const PaintedFigure &figure, FigureFormat format, int dpi)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    switch (format) {
    case FigureFormat::Png:
        renderPaintedImage(figure, dpi).save(&buffer, "PNG");
        break;
    case FigureFormat::Svg: {
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setResolution(72); // one unit per point
        svg.setTitle(figure.title.isEmpty() ? QStringLiteral("Attention alignment") : figure.title);
        svg.setDescription(QStringLiteral("Written by attnviz"));
        const QSizeF size = figure.size(&svg);
        svg.setSize(QSize(static_cast<int>(std::ceil(size.width())), static_cast<int>(std::ceil(size.height()))));
        svg.setViewBox(QRectF(QPointF(0, 0), size));
        QPainter painter(&svg);
        figure.paint(painter, &svg);
        painter.end();
        // Where two antialiased cell edges meet, rsvg and browsers show a faint seam of background
        // between the cells; crisp edges fill each pixel from one cell. QSvgGenerator cannot say
        // so, hence the attribute on the root, for every shape (text keeps its antialiasing).
        const int root = bytes.indexOf("<svg ");
        if (root >= 0)
            bytes.insert(root + 5, "shape-rendering=\"crispEdges\" ");
        break;
    }
    case FigureFormat::Pdf: {
        QPdfWriter pdf(&buffer);
        pdf.setResolution(72);
        pdf.setCreator(QStringLiteral("attnviz"));
        pdf.setTitle(figure.title);
        const QSizeF size = figure.size(&pdf);
        pdf.setPageLayout(QPageLayout(QPageSize(size, QPageSize::Point), QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
        QPainter painter(&pdf);
        figure.paint(painter, &pdf);
        break;
    }
    }
    return bytes;
}

} // namespace attnviz
