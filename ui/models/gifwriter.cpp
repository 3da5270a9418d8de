#include "gifwriter.h"

#include <QHash>

#include <algorithm>
#include <climits>
#include <unordered_map>
#include <vector>

namespace attnviz {
namespace {

void put16(QByteArray &out, int value)
{
    out.append(char(value & 0xff));
    out.append(char((value >> 8) & 0xff));
}

// The palette: the 256 most frequent colours (fewer if the frames have fewer).
QList<QRgb> palette(const QList<QImage> &frames)
{
    QHash<QRgb, qint64> counts;
    for (const QImage &frame : frames)
        for (int y = 0; y < frame.height(); ++y) {
            const auto *line = reinterpret_cast<const QRgb *>(frame.constScanLine(y));
            for (int x = 0; x < frame.width(); ++x)
                ++counts[line[x] | 0xff000000u];
        }
    std::vector<std::pair<qint64, QRgb>> byCount;
    byCount.reserve(size_t(counts.size()));
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        byCount.emplace_back(it.value(), it.key());
    std::sort(byCount.begin(), byCount.end(), [](const auto &a, const auto &b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    QList<QRgb> colors;
    for (size_t i = 0; i < std::min<size_t>(256, byCount.size()); ++i)
        colors << byCount[i].second;
    return colors;
}

class Quantizer
{
public:
    explicit Quantizer(const QList<QRgb> &colors)
        : m_colors(colors)
    {
        for (int i = 0; i < colors.size(); ++i)
            m_index.insert(colors[i], uchar(i));
    }

    uchar operator()(QRgb rgb)
    {
        rgb |= 0xff000000u;
        const auto found = m_index.constFind(rgb);
        if (found != m_index.cend())
            return found.value();
        int best = 0, bestDistance = INT_MAX;
        for (int i = 0; i < m_colors.size(); ++i) {
            const int dr = qRed(rgb) - qRed(m_colors[i]), dg = qGreen(rgb) - qGreen(m_colors[i]),
                      db = qBlue(rgb) - qBlue(m_colors[i]);
            const int distance = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
            if (distance < bestDistance) {
                bestDistance = distance;
                best = i;
            }
        }
        m_index.insert(rgb, uchar(best));
        return uchar(best);
    }

private:
    QList<QRgb> m_colors;
    QHash<QRgb, uchar> m_index;
};

// Codes of variable width, least significant bit first, in sub-blocks of at most 255 bytes.
class BitWriter
{
public:
    void write(int code, int bits)
    {
        m_buffer |= quint32(code) << m_bits;
        m_bits += bits;
        while (m_bits >= 8) {
            m_bytes.append(char(m_buffer & 0xff));
            m_buffer >>= 8;
            m_bits -= 8;
        }
    }

    QByteArray blocks()
    {
        if (m_bits > 0)
            m_bytes.append(char(m_buffer & 0xff));
        QByteArray out;
        for (qsizetype i = 0; i < m_bytes.size(); i += 255) {
            const qsizetype n = std::min<qsizetype>(255, m_bytes.size() - i);
            out.append(char(n));
            out.append(m_bytes.constData() + i, n);
        }
        out.append(char(0));
        return out;
    }

private:
    QByteArray m_bytes;
    quint32 m_buffer = 0;
    int m_bits = 0;
};

// GIF's LZW with 8-bit pixels: codes grow from 9 to 12 bits; a full table is cleared.
QByteArray compress(const std::vector<uchar> &pixels)
{
    constexpr int minimumCodeSize = 8, clearCode = 256, endCode = 257, maxCode = 4096;
    BitWriter out;
    std::unordered_map<quint32, int> table;
    table.reserve(maxCode);
    int codeSize = minimumCodeSize + 1, next = endCode + 1;
    out.write(clearCode, codeSize);
    if (pixels.empty()) {
        out.write(endCode, codeSize);
        return out.blocks();
    }
    int prefix = pixels[0];
    for (size_t i = 1; i < pixels.size(); ++i) {
        const quint32 key = quint32(prefix) << 8 | pixels[i];
        const auto found = table.find(key);
        if (found != table.end()) {
            prefix = found->second;
            continue;
        }
        out.write(prefix, codeSize);
        table.emplace(key, next);
        if (next == (1 << codeSize) && codeSize < 12)
            ++codeSize;
        ++next;
        if (next == maxCode) {
            out.write(clearCode, codeSize);
            table.clear();
            codeSize = minimumCodeSize + 1;
            next = endCode + 1;
        }
        prefix = pixels[i];
    }
    out.write(prefix, codeSize);
    // The decoder adds an entry for the last code too, and may widen its codes before the end.
    if (next == (1 << codeSize) && codeSize < 12)
        ++codeSize;
    out.write(endCode, codeSize);
    return out.blocks();
}

// The smallest rectangle where a and b differ (a 1 x 1 one when they are the same).
QRect changedRect(const QImage &a, const QImage &b)
{
    int top = a.height(), bottom = -1, left = a.width(), right = -1;
    for (int y = 0; y < a.height(); ++y) {
        const auto *la = reinterpret_cast<const QRgb *>(a.constScanLine(y));
        const auto *lb = reinterpret_cast<const QRgb *>(b.constScanLine(y));
        for (int x = 0; x < a.width(); ++x) {
            if (la[x] == lb[x])
                continue;
            top = std::min(top, y);
            bottom = std::max(bottom, y);
            left = std::min(left, x);
            right = std::max(right, x);
        }
    }
    if (bottom < 0)
        return QRect(0, 0, 1, 1);
    return QRect(QPoint(left, top), QPoint(right, bottom));
}

} // namespace

QByteArray encodeGif(const QList<QImage> &input, int delayMilliseconds)
{
    if (input.isEmpty())
        return {};
    const QSize size = input.front().size();
    QList<QImage> frames;
    for (const QImage &frame : input) {
        if (frame.size() != size || size.isEmpty() || size.width() > 65535 || size.height() > 65535)
            return {};
        frames << frame.convertToFormat(QImage::Format_RGB32);
    }
    const QList<QRgb> colors = palette(frames);
    Quantizer quantize(colors);

    QByteArray out("GIF89a");
    put16(out, size.width());
    put16(out, size.height());
    out.append(char(0xf7)); // a global colour table of 256 entries, 8 bits per primary
    out.append(char(0));    // background colour
    out.append(char(0));    // no aspect ratio
    for (int i = 0; i < 256; ++i) {
        const QRgb c = i < colors.size() ? colors[i] : qRgb(0, 0, 0);
        out.append(char(qRed(c)));
        out.append(char(qGreen(c)));
        out.append(char(qBlue(c)));
    }
    // NETSCAPE2.0: loop for ever.
    out.append("\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00", 19);
    const int delay = std::clamp((delayMilliseconds + 5) / 10, 1, 65535);
    for (int f = 0; f < frames.size(); ++f) {
        const QRect rect = f == 0 ? QRect(QPoint(0, 0), size) : changedRect(frames[f - 1], frames[f]);
        out.append("\x21\xf9\x04", 3);
        out.append(char(0x04)); // disposal 1: leave the frame for the next to draw on
        put16(out, delay);
        out.append(char(0)); // no transparent colour
        out.append(char(0));
        out.append(char(0x2c));
        put16(out, rect.x());
        put16(out, rect.y());
        put16(out, rect.width());
        put16(out, rect.height());
        out.append(char(0)); // no local table, not interlaced
        std::vector<uchar> pixels;
        pixels.reserve(size_t(rect.width()) * size_t(rect.height()));
        for (int y = rect.top(); y <= rect.bottom(); ++y) {
            const auto *line = reinterpret_cast<const QRgb *>(frames[f].constScanLine(y));
            for (int x = rect.left(); x <= rect.right(); ++x)
                pixels.push_back(quantize(line[x]));
        }
        out.append(char(8)); // the LZW minimum code size
        out.append(compress(pixels));
    }
    out.append(char(0x3b));
    return out;
}

} // namespace attnviz
