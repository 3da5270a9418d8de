// File → Export walkthrough… and attnviz-cli walkthrough: the pages of walkthroughrenderer.h as
// a PDF (one 16:9 page per stage and step, vector, text kept as text), a folder of PNG files (for
// slide programs), or an animated GIF (gifwriter.h). White background; the same pages as the window.
#pragma once

#include "walkthroughmodel.h"

#include <QByteArray>
#include <QImage>
#include <QList>
#include <QSize>
#include <QString>

namespace attnviz {

enum class WalkthroughFormat { Pdf, Gif, PngFolder };

// .pdf and .gif (any case) are files; any other path is a folder of PNG files.
WalkthroughFormat walkthroughFormatForPath(const QString &path);

inline constexpr QSize defaultWalkthroughImageSize{1920, 1080}; // PNG: a full-HD slide
inline constexpr QSize defaultWalkthroughGifSize{960, 540};
inline constexpr int defaultWalkthroughGifDelay = 2500; // milliseconds per page

QByteArray walkthroughPdf(const WalkthroughData &data, const QList<WalkthroughFrame> &frames);
QImage walkthroughImage(const WalkthroughData &data, WalkthroughFrame frame, QSize size = defaultWalkthroughImageSize);
QByteArray walkthroughGif(const WalkthroughData &data, const QList<WalkthroughFrame> &frames,
                          QSize size = defaultWalkthroughGifSize, int delayMilliseconds = defaultWalkthroughGifDelay);
// "page-005-step-2-encoder.png" ("…-query.png" for a transformer's first stage): in page order
// when sorted by name.
QString walkthroughPngName(int page, WalkthroughFrame frame, bool transformer = false);

struct WalkthroughExportOptions
{
    QSize imageSize;  // PNG and GIF; empty: their defaults
    int delayMilliseconds = defaultWalkthroughGifDelay;
};

// Writes the frames to path (by walkthroughFormatForPath), each file atomically; a folder is made
// when missing. False with *error naming the file when a write fails or there are no frames.
bool exportWalkthrough(const QString &path, const WalkthroughData &data, const QList<WalkthroughFrame> &frames,
                       const WalkthroughExportOptions &options, QString *error, int *filesWritten = nullptr);

} // namespace attnviz
