#include "walkthroughexport.h"

#include "exportwriter.h"
#include "gifwriter.h"
#include "walkthroughrenderer.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QPageLayout>
#include <QPainter>
#include <QPdfWriter>

namespace attnviz {

WalkthroughFormat walkthroughFormatForPath(const QString &path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("pdf"))
        return WalkthroughFormat::Pdf;
    if (suffix == QLatin1String("gif"))
        return WalkthroughFormat::Gif;
    return WalkthroughFormat::PngFolder;
}

QByteArray walkthroughPdf(const WalkthroughData &data, const QList<WalkthroughFrame> &frames)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    {
        QPdfWriter writer(&buffer);
        writer.setCreator(QStringLiteral("attnviz"));
        writer.setTitle(QCoreApplication::translate("attnviz::Walkthrough", "Walkthrough: %1").arg(data.sentence));
        writer.setResolution(72); // a device pixel is a point: the page's own units
        writer.setPageLayout(QPageLayout(QPageSize(QSizeF(walkthroughPageWidth, walkthroughPageHeight), QPageSize::Point),
                                         QPageLayout::Portrait, QMarginsF()));
        QPainter painter(&writer);
        for (int i = 0; i < frames.size(); ++i) {
            if (i > 0)
                writer.newPage();
            paintWalkthroughPage(&painter, data, frames[i], QRectF(0, 0, writer.width(), writer.height()));
        }
    }
    return bytes;
}

QImage walkthroughImage(const WalkthroughData &data, WalkthroughFrame frame, QSize size)
{
    QImage image(size, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    paintWalkthroughPage(&painter, data, frame, QRectF(QPointF(0, 0), QSizeF(size)));
    return image;
}

QByteArray walkthroughGif(const WalkthroughData &data, const QList<WalkthroughFrame> &frames, QSize size,
                          int delayMilliseconds)
{
    QList<QImage> images;
    for (const WalkthroughFrame &frame : frames)
        images << walkthroughImage(data, frame, size);
    return encodeGif(images, delayMilliseconds);
}

QString walkthroughPngName(int page, WalkthroughFrame frame, bool transformer)
{
    // The stage's title (walkthroughStageTitle) in a file name's words: a transformer's first
    // stage shows the head's query, not the encoder.
    static const char *const stages[] = {"encoder", "scores", "context", "output"};
    const bool query = transformer && frame.stage == WalkthroughStage::Encoder;
    return QStringLiteral("page-%1-step-%2-%3.png")
        .arg(page + 1, 3, 10, QLatin1Char('0'))
        .arg(frame.step + 1)
        .arg(QLatin1String(query ? "query" : stages[int(frame.stage)]));
}

bool exportWalkthrough(const QString &path, const WalkthroughData &data, const QList<WalkthroughFrame> &frames,
                       const WalkthroughExportOptions &options, QString *error, int *filesWritten)
{
    if (filesWritten)
        *filesWritten = 0;
    if (frames.isEmpty() || data.steps() == 0) {
        *error = QCoreApplication::translate("attnviz::Walkthrough", "There are no steps to export.");
        return false;
    }
    switch (walkthroughFormatForPath(path)) {
    case WalkthroughFormat::Pdf:
        if (!writeFileAtomically(path, walkthroughPdf(data, frames), error))
            return false;
        break;
    case WalkthroughFormat::Gif: {
        const QSize size = options.imageSize.isEmpty() ? defaultWalkthroughGifSize : options.imageSize;
        if (!writeFileAtomically(path, walkthroughGif(data, frames, size, options.delayMilliseconds), error))
            return false;
        break;
    }
    case WalkthroughFormat::PngFolder: {
        const QSize size = options.imageSize.isEmpty() ? defaultWalkthroughImageSize : options.imageSize;
        if (!QDir().mkpath(path)) {
            *error = QCoreApplication::translate("attnviz::Walkthrough", "Cannot make the folder %1.")
                         .arg(QDir::toNativeSeparators(path));
            return false;
        }
        const QDir folder(path);
        for (int i = 0; i < frames.size(); ++i) {
            QByteArray bytes;
            QBuffer buffer(&bytes);
            buffer.open(QIODevice::WriteOnly);
            walkthroughImage(data, frames[i], size).save(&buffer, "PNG");
            if (!writeFileAtomically(folder.filePath(walkthroughPngName(i, frames[i], data.transformer())), bytes, error))
                return false;
            if (filesWritten)
                ++*filesWritten;
        }
        return true;
    }
    }
    if (filesWritten)
        *filesWritten = 1;
    return true;
}

} // namespace attnviz
