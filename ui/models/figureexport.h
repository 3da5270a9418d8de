// The publication figure: the alignment heatmap painted by AlignmentRenderer (the same code that
// draws the window's view) on a white background, with an optional title, as PNG, SVG or PDF.
//
//     attnviz::AlignmentModel heatmap;
//     heatmap.setResult(result, 0);
//     QByteArray svg = attnviz::renderFigure(heatmap, attnviz::FigureFormat::Svg, {});
#pragma once

#include "colormap.h"

#include <QByteArray>
#include <QImage>
#include <QString>

#include <optional>

namespace attnviz {

class AlignmentModel;

enum class FigureFormat { Png, Svg, Pdf };

struct FigureOptions
{
    QString title;          // drawn above the heatmap when not empty
    bool showValues = false; // alpha printed in each cell
    int scale = 1;          // png: pixels per point (1, 2 or 4)
};

// The title the window and attnviz-cli export give a figure: "the sentence  —  model name".
QString figureTitle(const QString &sentence, const QString &modelName);

// "png", "svg", "pdf" (any case); nullopt for anything else.
std::optional<FigureFormat> figureFormatFromName(const QString &name);

// The bytes of a file in the format. Fonts: DejaVu Sans. Sizes in points, so the figure reads
// well as one column of a paper (about 3.3 inches wide for a 10-word sentence).
QByteArray renderFigure(const AlignmentModel &heatmap, FigureFormat format, const FigureOptions &options);

// The figure as an image (for the clipboard and PNG).
QImage renderFigureImage(const AlignmentModel &heatmap, const FigureOptions &options);

} // namespace attnviz
