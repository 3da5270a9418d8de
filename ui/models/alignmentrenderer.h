// Paints the alignment of an AlignmentModel onto any QPainter: the window's views and the
// exported figures (PNG, SVG and PDF, figureexport.h). Sizes are in points and fonts in point sizes, so the drawing has the same
// proportions on every device; the device only sets the resolution.
#pragma once

#include <QColor>
#include <QFont>
#include <QRgb>
#include <QPointF>
#include <QRectF>
#include <QStringList>
#include <QVector>

#include <vector>

class QPainter;
class QPaintDevice;
class QPalette;

namespace attnviz {

class AlignmentModel;

struct AlignmentStyle
{
    QFont font = defaultFont(); // labels
    double cellSize = 20;       // points, before zoom
    double zoom = 1;
    double labelZoom = 0;       // the labels' own zoom; 0: the same as zoom
    bool showValues = false;    // print alpha in every cell
    bool showColorBar = true;
    QColor background = Qt::white;
    QColor foreground = Qt::black;
    QColor highlight = QColor(0xe0, 0x40, 0x30); // the selected decoder step
    int selectedRow = -1;

    static QFont defaultFont(); // DejaVu Sans, 9 pt
    // Background and text from a widget palette (light or dark).
    static AlignmentStyle fromPalette(const QPalette &palette);
};

namespace detail {

// What both renderers share: the model, the style and its scale on the device.
class RendererBase
{
protected:
    RendererBase(const AlignmentModel &model, const AlignmentStyle &style, const QPaintDevice *device);

    const AlignmentModel &m_model;
    AlignmentStyle m_style;
    double m_unit = 1; // device pixels per point, zoom included
    QFont m_font, m_boldFont;
};

} // namespace detail

// The heatmap: source tokens across the top, output tokens down the side, a colour bar.
class AlignmentRenderer : private detail::RendererBase
{
public:
    AlignmentRenderer(const AlignmentModel &model, const AlignmentStyle &style,
                      const QPaintDevice *device);

    QSizeF size() const { return {m_width, m_height}; } // device pixels
    void paint(QPainter *painter) const;                 // at size(), from (0, 0)
    // Only what shows in `exposed` (a widget's paint event: a 200 x 200 heatmap in a scroll area
    // draws the labels and values of the cells in view, not all 40,000).
    void paintExposed(QPainter *painter, const QRectF &exposed) const;
    void paint(QPainter *painter, const QRectF &target) const; // scaled to fit, centred

    // Hit tests in the coordinates of paint(painter); -1 when outside.
    int rowAt(const QPointF &point) const;
    int columnAt(const QPointF &point) const;
    int columnLabelAt(const QPointF &point) const;
    int rowLabelAt(const QPointF &point) const;
    QRectF cellRect(int row, int column) const;
    // The keyboard's cell cursor (the window only, never in exports): a solid frame in the
    // highlight colour with a light halo inside, unlike any gold mark (sure: a solid thin frame
    // in the text colour; possible: a dotted one).
    void paintCursor(QPainter *painter, int row, int column) const;

    // The colour bar, in device pixels: the bar, where its ticks end and where their labels start
    // (a few points further, so that a tick does not read as a minus sign: "0", not "-0").
    struct ColorBarLayout
    {
        QRectF bar;
        double tickEnd = 0, labelLeft = 0;
    };
    ColorBarLayout colorBarLayout() const;

private:
    double columnX(int column) const;
    std::pair<int, int> visibleRows(const QRectF &exposed) const;          // [first, end)
    std::pair<int, int> visibleColumns(double left, double right) const; // [first, end)
    const std::vector<QRgb> &cellColors() const; // row-major
    void paintCellPixels(QPainter *painter, const QRectF &exposed) const;

    QFont m_valueFont;
    double m_cell = 0, m_left = 0, m_top = 0, m_gap = 0;
    double m_gridWidth = 0, m_gridHeight = 0, m_width = 0, m_height = 0;
    double m_labelHeight = 0; // text height for the labels
    QStringList m_rowLabels, m_columnLabels; // elided
    mutable std::vector<QRgb> m_cellColors;  // see cellColors()
};

// The second view: source words on top, output words below, one line per alpha_ij whose width
// and opacity grow with alpha (as in Bahdanau et al. and Seq2Seq-Vis).
class AlignmentLinesRenderer : private detail::RendererBase
{
public:
    AlignmentLinesRenderer(const AlignmentModel &model, const AlignmentStyle &style,
                           const QPaintDevice *device);

    QSizeF size() const { return {m_width, m_height}; }
    void paint(QPainter *painter) const;
    int rowAt(const QPointF &point) const; // output token under point, -1 when none

private:
    double m_width = 0, m_height = 0, m_topY = 0, m_bottomY = 0, m_textHeight = 0;
    QVector<QRectF> m_sourceBoxes, m_targetBoxes;
    QStringList m_sourceLabels, m_targetLabels;
};

} // namespace attnviz
