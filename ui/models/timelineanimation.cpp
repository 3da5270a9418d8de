#include "timelineanimation.h"

#include "alignmentmodel.h"
#include "alignmentrenderer.h"
#include "apngwriter.h"
#include "gifwriter.h"

#include <QCoreApplication>
#include <QFontMetricsF>
#include <QPainter>

#include <cmath>
#include <memory>

namespace attnviz {

std::optional<AnimationFormat> animationFormatFromSuffix(const QString &suffix)
{
    if (suffix.compare(QLatin1String("gif"), Qt::CaseInsensitive) == 0)
        return AnimationFormat::Gif;
    if (suffix.compare(QLatin1String("apng"), Qt::CaseInsensitive) == 0)
        return AnimationFormat::Apng;
    return std::nullopt;
}

QRectF TimelineFrames::cell(int row, int column) const
{
    const size_t index = size_t(row) * size_t(columns) + size_t(column);
    return row >= 0 && column >= 0 && column < columns && index < cells.size() ? cells[index] : QRectF();
}

TimelineFrames timelineFrames(const Timeline &timeline, const QString &runLabel, int dpi)
{
    TimelineFrames frames;
    if (timeline.points.empty())
        return frames;
    const int dotsPerMeter = int(std::lround(dpi / 0.0254));
    QImage probe(1, 1, QImage::Format_RGB32);
    probe.setDotsPerMeterX(dotsPerMeter);
    probe.setDotsPerMeterY(dotsPerMeter);
    const double unit = dpi / 72.0;
    const QFont font = AlignmentStyle::defaultFont();
    const QFontMetricsF metrics(font, &probe);
    const double margin = std::round(8 * unit), lineHeight = std::ceil(metrics.lineSpacing());
    const double captionHeight = 2 * lineHeight + std::round(4 * unit);

    std::vector<std::unique_ptr<AlignmentModel>> models;
    QSizeF heatmap;
    for (const TimelinePoint &p : timeline.points) {
        auto model = std::make_unique<AlignmentModel>();
        model->setResult(std::make_shared<const TranslationResult>(p.result), 0);
        const AlignmentRenderer renderer(*model, AlignmentStyle(), &probe);
        heatmap = heatmap.expandedTo(renderer.size());
        models.push_back(std::move(model));
    }
    const int n = int(timeline.points.size());
    const QString widest = QCoreApplication::translate("attnviz::TimelineAnimation", "step %1 · %2/%3 · %4")
                               .arg(timeline.points.back().checkpoint.step)
                               .arg(n)
                               .arg(n)
                               .arg(QString::fromStdString(timeline.points.back().checkpoint.file));
    const double width = std::max(heatmap.width(), metrics.horizontalAdvance(widest));
    const QSize size(int(std::ceil(2 * margin + width)), int(std::ceil(2 * margin + captionHeight + heatmap.height())));
    const QPointF origin(margin, margin + captionHeight);
    for (int i = 0; i < n; ++i) {
        const TimelinePoint &p = timeline.points[size_t(i)];
        QImage image(size, QImage::Format_RGB32);
        image.setDotsPerMeterX(dotsPerMeter);
        image.setDotsPerMeterY(dotsPerMeter);
        image.fill(Qt::white);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::TextAntialiasing);
        painter.setFont(font);
        painter.setPen(Qt::black);
        const QString step = p.checkpoint.step < 0 ? QStringLiteral("-") : QString::number(p.checkpoint.step);
        painter.drawText(QRectF(margin, margin, width, lineHeight), Qt::AlignLeft | Qt::AlignVCenter,
                         QCoreApplication::translate("attnviz::TimelineAnimation", "step %1 · %2/%3 · %4")
                             .arg(step)
                             .arg(i + 1)
                             .arg(n)
                             .arg(QString::fromStdString(p.checkpoint.file)));
        painter.setPen(QColor(0x55, 0x55, 0x55));
        painter.drawText(QRectF(margin, margin + lineHeight, width, lineHeight), Qt::AlignLeft | Qt::AlignVCenter,
                         metrics.elidedText(runLabel, Qt::ElideMiddle, width));
        const AlignmentRenderer renderer(*models[size_t(i)], AlignmentStyle(), &image);
        painter.translate(origin);
        renderer.paint(&painter);
        if (i == 0) {
            const int rows = models[size_t(i)]->rows(), columns = models[size_t(i)]->columns();
            frames.columns = columns;
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < columns; ++c)
                    frames.cells.push_back(renderer.cellRect(r, c).translated(origin));
        }
        painter.end();
        frames.images << image;
    }
    return frames;
}

QByteArray timelineAnimation(const Timeline &timeline, const QString &runLabel, AnimationFormat format,
                             int delayMilliseconds)
{
    const QList<QImage> images = timelineFrames(timeline, runLabel).images;
    if (images.isEmpty())
        return {};
    return format == AnimationFormat::Gif ? encodeGif(images, delayMilliseconds)
                                          : encodeApng(images, delayMilliseconds);
}

} // namespace attnviz
