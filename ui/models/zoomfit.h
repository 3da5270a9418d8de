// The "fit" zoom of the alignment views, computed without a widget so that it can be tested.
#pragma once

#include <QSizeF>

#include <functional>

namespace attnviz {

// The largest zoom in [minimum, maximum] at which a drawing of size sizeAt(zoom) fits inside
// `available` (both dimensions); `minimum` when even that is too large (the view then scrolls).
// sizeAt must grow with the zoom; it is called about 20 times. The drawing's own rounding is
// taken into account, so the result never asks for a scroll bar it does not need.
double fitZoom(const std::function<QSizeF(double)> &sizeAt, const QSizeF &available,
               double minimum, double maximum);

// The heatmap's rule (docs/gui.md, "Zoom"): cells may shrink to 0.8 of their natural 20 pt and
// grow until the drawing fills the view, but to at most maxFitCellPoints, so that a two-word
// sentence does not become a poster; labels grow with the cells up to maxFitLabelZoom only,
// and never shrink below their natural 9 pt.
constexpr double minFitZoom = 0.8;
constexpr double maxFitCellPoints = 64;
constexpr double maxFitLabelZoom = 1.6;

} // namespace attnviz
