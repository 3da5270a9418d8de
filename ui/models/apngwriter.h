// An animated PNG (APNG) writer: Qt writes each frame as a PNG, and its compressed image data
// becomes one frame of the animation (acTL, then fcTL + IDAT/fdAT per frame). Unlike GIF, every
// frame keeps its full colours; Qt reads only the first frame (a viewer without APNG support
// shows it as a still image).
#pragma once

#include <QByteArray>
#include <QImage>
#include <QList>

namespace attnviz {

// Frames of one size; delay per frame in milliseconds (at most 65535). The animation loops.
// Empty bytes when there are no frames or their sizes differ.
QByteArray encodeApng(const QList<QImage> &frames, int delayMilliseconds);

// The CRC-32 of PNG chunks (ISO 3309, the one zlib computes) over a chunk's type and data.
quint32 pngCrc32(const QByteArray &bytes);

} // namespace attnviz
