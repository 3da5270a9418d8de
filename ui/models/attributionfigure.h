// The Attribution view as a publication figure (issue #20): the attribution heatmap on the
// alignment heatmap's rows and columns, in the figures' look (white background, DejaVu Sans,
// sizes in points), with its scale (diverging for signed methods, viridis for the gradient norm),
// each row's agreement with attention in the right margin and the sentence's figures below; as
// PNG, SVG or PDF through renderPaintedFigure, as the alignment and comparison figures are.
// The window's Attribution tab (Export…, File → Export attribution…) and attnviz-cli attribute
// --image write it. docs/attribution.md.
//
//     const attnviz::AttributionView view = attnviz::makeAttributionView(a, result, 0, 50);
//     QByteArray pdf = attnviz::renderAttributionFigure(view, attnviz::FigureFormat::Pdf, {});
#pragma once

#include "attributionmodel.h"
#include "figureexport.h"

#include <QString>

class QPainter;
class QPaintDevice;
class QSizeF;

namespace attnviz {

struct AttributionFigureOptions
{
    QString title;              // above the heatmap when not empty (elided to one line)
    bool showValues = true;     // each value printed in its cell, as the tab shows them
    int dpi = defaultFigureDpi; // png
};

// The largest finite |value|: the scale runs from −bound to +bound (signed) or 0 to bound.
double attributionBound(const AttributionView &view);

// "integrated-gradients, 50 steps": the method as the figure's heading names it.
QString attributionMethodText(const AttributionView &view);
// "Agreement with attention: Spearman 0.512, Kendall 0.400, top-1 75%, JSD 0.214" (below the grid).
QString attributionSummary(const AttributionView &view);

// In the device's pixels; paint draws from (0, 0) on white.
QSizeF attributionFigureSize(const AttributionView &view, const AttributionFigureOptions &options,
                             const QPaintDevice *device);
void paintAttributionFigure(QPainter &painter, const AttributionView &view, const AttributionFigureOptions &options,
                            const QPaintDevice *device);

QByteArray renderAttributionFigure(const AttributionView &view, FigureFormat format,
                                   const AttributionFigureOptions &options);

} // namespace attnviz
