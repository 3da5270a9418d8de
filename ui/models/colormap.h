// Colour scales for attention weights and for signed vectors.
#pragma once

#include <QColor>
#include <QList>
#include <QString>

#include <optional>

namespace attnviz {

enum class ColorMap { Viridis, Magma, Grey };

// t is clamped to [0, 1]; 0 is the dark end of every map.
QColor colorMapColor(ColorMap map, double t);
QList<ColorMap> allColorMaps();
QString colorMapName(ColorMap map); // "viridis": the key stored in the settings
QString colorMapTitle(ColorMap map); // "&Viridis": for menus
std::optional<ColorMap> colorMapFromName(const QString &name);

// ColorBrewer RdBu: t in [-1, 1], blue for negative, white at 0, red for positive.
QColor divergingColor(double t);

// Black or white, whichever reads better on background.
QColor contrastingTextColor(const QColor &background);

} // namespace attnviz
