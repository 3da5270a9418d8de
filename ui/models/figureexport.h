// The publication figure: the alignment heatmap painted by AlignmentRenderer (the same code that
// draws the window's view) on a white background, with an optional title, as PNG, SVG or PDF.
//
//     attnviz::AlignmentModel heatmap;
//     heatmap.setResult(result, 0);
//     QByteArray svg = attnviz::renderFigure(heatmap, attnviz::FigureFormat::Svg, {});
#pragma once

#include "colormap.h"

#include <QByteArray>
#include <QFont>
#include <QImage>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

class QPainter;
class QPaintDevice;
class QSizeF;

namespace attnviz {

class AlignmentModel;

enum class FigureFormat { Png, Svg, Pdf };

// PNG resolution at the figure's natural size in points: 300 dpi prints sharply as one column of
// a paper. The window and attnviz-cli export (--dpi, app/cli/export_command.h) share it.
constexpr int defaultFigureDpi = 300;

struct FigureOptions
{
    QString title;           // above the heatmap when not empty, wrapped to its width
    QString caption;         // one line under the title: which attention a transformer's heatmap is
    bool showValues = false; // alpha printed in each cell
    int dpi = defaultFigureDpi; // png: pixels per inch, also written in the file (pHYs)
};

// The title the window and attnviz-cli export give a figure: "the sentence  —  model name".
QString figureTitle(const QString &sentence, const QString &modelName);

// The captions of the comparison and attribution figures: DejaVu Sans, 10 pt.
QFont figureCaptionFont();
// A number as the figures print it: the minus sign of type (U+2212), none for what rounds to zero.
QString figureNumber(double value, int decimals);

// "png", "svg", "pdf" (any case); nullopt for anything else.
std::optional<FigureFormat> figureFormatFromName(const QString &name);

// The bytes of a file in the format. Fonts: DejaVu Sans. Sizes in points, so the figure reads
// well as one column of a paper (about 3.3 inches wide for a 10-word sentence).
QByteArray renderFigure(const AlignmentModel &heatmap, FigureFormat format, const FigureOptions &options);

// The title's lines as the figure draws them: wrapped at words (or inside a word longer than the
// heatmap) to the heatmap's width, at most three lines, the last elided ("…"); then the caption's
// line, elided to the same width.
QStringList figureTitleLines(const AlignmentModel &heatmap, const FigureOptions &options, QPaintDevice *device);

// The figure as an image (for the clipboard and PNG).
QImage renderFigureImage(const AlignmentModel &heatmap, const FigureOptions &options);

// Any drawing as PNG, SVG or PDF, as renderFigure writes the heatmap (the comparison figure uses
// it): `size` in the device's pixels, `paint` from (0, 0); PNG at `dpi`, SVG and PDF in points.
struct PaintedFigure
{
    std::function<QSizeF(QPaintDevice *)> size;
    std::function<void(QPainter &, QPaintDevice *)> paint;
    QString title; // the SVG's and PDF's title
};
QByteArray renderPaintedFigure(const PaintedFigure &figure, FigureFormat format, int dpi = defaultFigureDpi);
QImage renderPaintedImage(const PaintedFigure &figure, int dpi = defaultFigureDpi);

} // namespace attnviz
