#include "colormap.h"

#include <QCoreApplication>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

namespace attnviz {

namespace {

// viridisLite's viridis(11) and magma(11): matplotlib's maps sampled at 0, 0.1, ..., 1.
constexpr std::array<QRgb, 11> viridisStops = {
    0x440154, 0x482576, 0x414487, 0x35608d, 0x2a788e, 0x21908c,
    0x22a884, 0x43bf71, 0x7ad151, 0xbbdf27, 0xfde725};
constexpr std::array<QRgb, 11> magmaStops = {
    0x000004, 0x140e36, 0x3b0f70, 0x641a80, 0x8c2981, 0xb73779,
    0xde4968, 0xf7705c, 0xfe9f6d, 0xfecf92, 0xfcfdbf};
// ColorBrewer RdBu (11 classes), from blue (negative) to red (positive).
constexpr std::array<QRgb, 11> divergingStops = {
    0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7,
    0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f};

template<size_t N>
QColor interpolate(const std::array<QRgb, N> &stops, double t)
{
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
    const double position = t * double(N - 1);
    const size_t index = std::min(size_t(position), N - 2);
    const double f = position - double(index);
    const QColor a(stops[index]), b(stops[index + 1]);
    auto mix = [f](int x, int y) { return int(std::lround(x + (y - x) * f)); };
    return QColor(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()));
}

} // namespace

QColor colorMapColor(ColorMap map, double t)
{
    switch (map) {
    case ColorMap::Viridis:
        return interpolate(viridisStops, t);
    case ColorMap::Magma:
        return interpolate(magmaStops, t);
    case ColorMap::Grey:
        break;
    }
    // Black for 0 and white for 1, as in the alignment figures of Bahdanau et al. (2015).
    const int level = int(std::lround(255 * (std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0)));
    return QColor(level, level, level);
}

QList<ColorMap> allColorMaps()
{
    return {ColorMap::Viridis, ColorMap::Magma, ColorMap::Grey};
}

QString colorMapName(ColorMap map)
{
    switch (map) {
    case ColorMap::Viridis:
        return QStringLiteral("viridis");
    case ColorMap::Magma:
        return QStringLiteral("magma");
    case ColorMap::Grey:
        break;
    }
    return QStringLiteral("grey");
}

QString colorMapTitle(ColorMap map)
{
    switch (map) {
    case ColorMap::Viridis:
        return QCoreApplication::translate("ColorMap", "&Viridis");
    case ColorMap::Magma:
        return QCoreApplication::translate("ColorMap", "&Magma");
    case ColorMap::Grey:
        break;
    }
    return QCoreApplication::translate("ColorMap", "&Grey scale");
}

std::optional<ColorMap> colorMapFromName(const QString &name)
{
    for (ColorMap map : allColorMaps()) {
        if (colorMapName(map) == name)
            return map;
    }
    return std::nullopt;
}

QColor divergingColor(double t)
{
    return interpolate(divergingStops, (t + 1) / 2);
}

QColor contrastingTextColor(const QColor &background)
{
    // Relative luminance with the sRGB weights; 0.45 keeps white on viridis' mid teal.
    const double luminance =
        0.2126 * background.redF() + 0.7152 * background.greenF() + 0.0722 * background.blueF();
    return luminance > 0.45 ? QColor(Qt::black) : QColor(Qt::white);
}

} // namespace attnviz
