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

QImage renderFigureImage(const AlignmentModel &heatmap, const FigureOptions &options)
{
    // The image's resolution makes one point options.dpi / 72 pixels.
    QImage probe(1, 1, QImage::Format_ARGB32);
    setDpi(probe, options.dpi);
    const FigureLayout layout(heatmap, options, &probe);
    QImage image(static_cast<int>(layout.width), static_cast<int>(layout.height), QImage::Format_ARGB32);
    setDpi(image, options.dpi);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    layout.paint(painter);
    return image;
}

QByteArray renderFigure(const AlignmentModel &heatmap, FigureFormat format, const FigureOptions &options)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    switch (format) {
    case FigureFormat::Png:
        renderFigureImage(heatmap, options).save(&buffer, "PNG");
        break;
    case FigureFormat::Svg: {
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setResolution(72); // one unit per point
        svg.setTitle(options.title.isEmpty() ? QStringLiteral("Attention alignment") : options.title);
        svg.setDescription(QStringLiteral("Written by attnviz"));
        const FigureLayout layout(heatmap, options, &svg);
        svg.setSize(QSize(static_cast<int>(layout.width), static_cast<int>(layout.height)));
        svg.setViewBox(QRectF(0, 0, layout.width, layout.height));
        QPainter painter(&svg);
        layout.paint(painter);
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
        pdf.setTitle(options.title);
        const FigureLayout probe(heatmap, options, &pdf);
        pdf.setPageLayout(QPageLayout(QPageSize(QSizeF(probe.width, probe.height), QPageSize::Point),
                                      QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
        const FigureLayout layout(heatmap, options, &pdf);
        QPainter painter(&pdf);
        layout.paint(painter);
        break;
    }
    }
    return bytes;
}

} // namespace attnviz
