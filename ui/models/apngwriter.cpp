#include "apngwriter.h"

#include <QBuffer>
#include <QImageWriter>

#include <algorithm>
#include <array>

namespace attnviz {

quint32 pngCrc32(const QByteArray &bytes)
{
    static const std::array<quint32, 256> table = [] {
        std::array<quint32, 256> t{};
        for (quint32 n = 0; n < 256; ++n) {
            quint32 c = n;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }();
    quint32 c = 0xffffffffu;
    for (const char byte : bytes)
        c = table[(c ^ quint8(byte)) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

namespace {

void put32(QByteArray &out, quint32 value)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        out.append(char((value >> shift) & 0xff));
}

void put16(QByteArray &out, quint16 value)
{
    out.append(char(value >> 8));
    out.append(char(value & 0xff));
}

void putChunk(QByteArray &out, const char *type, const QByteArray &data)
{
    put32(out, quint32(data.size()));
    const QByteArray typed = QByteArray(type, 4) + data;
    out += typed;
    put32(out, pngCrc32(typed));
}

struct Png
{
    QByteArray header;      // IHDR's data
    QList<QByteArray> data; // the IDAT chunks' data, in order
};

bool readPng(const QImage &image, Png *png)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "png");
    if (!writer.write(image.convertToFormat(QImage::Format_RGB32)))
        return false;
    qsizetype at = 8; // after the signature
    while (at + 12 <= bytes.size()) {
        const auto byte = [&](qsizetype i) { return quint32(quint8(bytes[i])); };
        const quint32 length = byte(at) << 24 | byte(at + 1) << 16 | byte(at + 2) << 8 | byte(at + 3);
        if (at + 12 + qsizetype(length) > bytes.size())
            return false;
        const QByteArray type = bytes.mid(at + 4, 4);
        const QByteArray data = bytes.mid(at + 8, qsizetype(length));
        if (type == "IHDR")
            png->header = data;
        else if (type == "IDAT")
            png->data << data;
        at += 12 + qsizetype(length);
    }
    return png->header.size() == 13 && !png->data.isEmpty();
}

} // namespace

QByteArray encodeApng(const QList<QImage> &frames, int delayMilliseconds)
{
    if (frames.isEmpty())
        return {};
    const QSize size = frames.front().size();
    QList<Png> pngs;
    for (const QImage &frame : frames) {
        Png png;
        if (frame.size() != size || !readPng(frame, &png) || (!pngs.isEmpty() && png.header != pngs.front().header))
            return {};
        pngs << png;
    }
    QByteArray out("\x89PNG\r\n\x1a\n", 8);
    putChunk(out, "IHDR", pngs.front().header);
    QByteArray control;
    put32(control, quint32(pngs.size()));
    put32(control, 0); // loop for ever
    putChunk(out, "acTL", control);
    quint32 sequence = 0;
    const quint16 delay = quint16(std::clamp(delayMilliseconds, 0, 65535));
    for (int i = 0; i < pngs.size(); ++i) {
        QByteArray frameControl;
        put32(frameControl, sequence++);
        put32(frameControl, quint32(size.width()));
        put32(frameControl, quint32(size.height()));
        put32(frameControl, 0); // x offset
        put32(frameControl, 0); // y offset
        put16(frameControl, delay);
        put16(frameControl, 1000); // the delay's unit: milliseconds
        frameControl.append(char(0)); // dispose: none (the next frame covers it all)
        frameControl.append(char(0)); // blend: source
        putChunk(out, "fcTL", frameControl);
        for (const QByteArray &data : pngs[i].data) {
            if (i == 0) {
                putChunk(out, "IDAT", data); // the default image is the first frame
            } else {
                QByteArray frameData;
                put32(frameData, sequence++);
                putChunk(out, "fdAT", frameData + data);
            }
        }
    }
    putChunk(out, "IEND", {});
    return out;
}

} // namespace attnviz
