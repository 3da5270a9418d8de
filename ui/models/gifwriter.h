// An animated GIF89a writer, since Qt 6.4 reads GIF but cannot write it (docs/walkthrough.md:
// why GIF rather than APNG: every slide program and browser plays it, and Qt's own reader lets
// the tests decode what was written, frame by frame).
//
// One global palette of at most 256 colours for all frames: the most frequent colours of the
// frames (the walkthrough's pages are flat colours on white, so these are nearly all of them),
// every other colour drawn as its nearest. Each frame after the first stores only the rectangle
// that changed, LZW-compressed; the animation loops.
#pragma once

#include <QByteArray>
#include <QList>
#include <QImage>

namespace attnviz {

// Frames of one size; delay per frame in milliseconds (GIF keeps hundredths). Empty bytes when
// there are no frames or their sizes differ.
QByteArray encodeGif(const QList<QImage> &frames, int delayMilliseconds);

} // namespace attnviz
