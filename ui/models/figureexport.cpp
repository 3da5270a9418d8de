#include "figureexport.h"

#include "alignmentrenderer.h"
#include "alignmentmodel.h"

#include <QBuffer>
#include <QFontMetricsF>
#include <QPageLayout>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>

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

// The layout of one figure on one device: margins, the title line, then the heatmap.
struct FigureLayout
{
    FigureLayout(const AlignmentModel &heatmap, const FigureOptions &options, QPaintDevice *device)
        : renderer(heatmap, figureStyle(options), device)
        , title(options.title)
    {
        unit = device->logicalDpiY() / 72.0;
        const QFontMetricsF metrics(titleFont(), device);
        titleHeight = title.isEmpty() ? 0 : metrics.height() + 4 * unit;
        const double titleWidth = title.isEmpty() ? 0 : metrics.horizontalAdvance(title);
        const double margin = marginPoints * unit;
        width = std::ceil(std::max(renderer.size().width(), titleWidth) + 2 * margin);
        height = std::ceil(renderer.size().height() + titleHeight + 2 * margin);
    }

    void paint(QPainter &painter) const
    {
        const double margin = marginPoints * unit;
        painter.fillRect(QRectF(0, 0, width, height), Qt::white);
        if (!title.isEmpty()) {
            painter.setFont(titleFont());
            painter.setPen(Qt::black);
            painter.drawText(QRectF(margin, margin, width - 2 * margin, titleHeight), Qt::AlignLeft | Qt::AlignTop, title);
        }
        painter.save();
        painter.translate(margin, margin + titleHeight);
        renderer.paint(&painter);
        painter.restore();
    }

    AlignmentRenderer renderer;
    QString title;
    double unit = 1, titleHeight = 0, width = 0, height = 0;
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

QImage renderFigureImage(const AlignmentModel &heatmap, const FigureOptions &options)
{
    // The image's resolution makes one point options.scale pixels.
    QImage probe(1, 1, QImage::Format_ARGB32);
    setDpi(probe, 72.0 * options.scale);
    const FigureLayout layout(heatmap, options, &probe);
    QImage image(static_cast<int>(layout.width), static_cast<int>(layout.height), QImage::Format_ARGB32);
    setDpi(image, 72.0 * options.scale);
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
