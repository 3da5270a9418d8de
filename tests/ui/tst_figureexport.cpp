// The publication figure in PNG, SVG and PDF, drawn by the same renderer as the window's view.
#include <figureexport.h>
#include <alignmentmodel.h>

#include <attnviz/decoding/translate.h>

#include <alignmentrenderer.h>

#include <QFontMetricsF>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Figure
{
    std::shared_ptr<const attnviz::Model> model;
    std::shared_ptr<const attnviz::TranslationResult> result;
    attnviz::AlignmentModel heatmap;
};

void makeFigure(Figure &f, const std::string &modelPath, const std::string &sentence)
{
    f.model = attnviz::Model::fromFile(modelPath);
    f.result = std::make_shared<const attnviz::TranslationResult>(attnviz::translate(*f.model, sentence, {}));
    f.heatmap.setResult(f.result, 0);
}

} // namespace

class TestFigureExport : public QObject
{
    Q_OBJECT

private slots:
    void svgIsValidAndKeepsEveryLabelAsText();
    void pdfHasOnePage();
    void pngSizeFollowsTheDpi();
    void defaultPngPrintsAt300Dpi();
    void longTitleWrapsToTheHeatmap();
    void svgCellsHaveNoSeams();
    void formatNames();
};

void TestFigureExport::svgIsValidAndKeepsEveryLabelAsText()
{
    Figure f;
    makeFigure(f, ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors", "the 3rd of may , 1999");
    attnviz::FigureOptions options;
    options.title = QStringLiteral("the 3rd of may , 1999 \u2014 dates");
    const QByteArray svg = attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Svg, options);
    QSvgRenderer renderer(svg);
    QVERIFY(renderer.isValid());
    QVERIFY(renderer.defaultSize().width() > 100);
    for (const std::string &token : f.result->sourceTokens)
        QVERIFY2(svg.contains(QByteArray(">" + QByteArray::fromStdString(token) + "</text>")), token.c_str());
    for (const std::string &token : f.result->best().targetTokens)
        QVERIFY2(svg.contains(QByteArray(">" + QByteArray::fromStdString(token) + "</text>")), token.c_str());
    QVERIFY(svg.contains("the 3rd of may , 1999 \xe2\x80\x94 dates</text>"));
    QVERIFY(!svg.contains("<image")); // vector, not a picture inside an SVG
}

void TestFigureExport::pdfHasOnePage()
{
    Figure f;
    makeFigure(f, ATTNVIZ_GOLDEN_DIR "/tiny-legacy-relu.safetensors", "i am cold");
    const QByteArray pdf = attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Pdf, {});
    QVERIFY(pdf.startsWith("%PDF"));
    QCOMPARE(pdf.count("/Type /Page\n") + pdf.count("/Type /Page ") + pdf.count("/Type /Page/") + pdf.count("/Type/Page\n"), 1);
    QVERIFY(pdf.contains("/Count 1"));
}

void TestFigureExport::pngSizeFollowsTheDpi()
{
    Figure f;
    makeFigure(f, ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors", "december 25 , 2001");
    attnviz::FigureOptions options;
    options.dpi = 72; // one pixel a point: the figure's natural size
    const QImage one = attnviz::renderFigureImage(f.heatmap, options);
    options.dpi = 144;
    const QImage two = attnviz::renderFigureImage(f.heatmap, options);
    options.dpi = 288;
    const QImage four = attnviz::renderFigureImage(f.heatmap, options);
    QVERIFY(one.width() > 100 && one.height() > 50);
    // Each size is rounded to whole pixels, so allow a few pixels per doubling.
    QVERIFY(std::abs(two.width() - 2 * one.width()) <= 3);
    QVERIFY(std::abs(two.height() - 2 * one.height()) <= 3);
    QVERIFY(std::abs(four.width() - 4 * one.width()) <= 6);
    QCOMPARE(two.pixelColor(0, 0), QColor(Qt::white));
    // The PNG bytes decode to the same image size, and say their resolution (pHYs).
    QImage decoded;
    QVERIFY(decoded.loadFromData(attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Png, options), "PNG"));
    QCOMPARE(decoded.size(), four.size());
    QCOMPARE(decoded.dotsPerMeterX(), qRound(288 / 0.0254));
}

// Issue 22: the default was one pixel a point (a 4-row dates figure 180 x 152 px); it is now
// the figure's size in points at 300 dpi, what prints sharply in one column of a paper.
void TestFigureExport::defaultPngPrintsAt300Dpi()
{
    Figure f;
    makeFigure(f, ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors", "may 3 1999");
    QCOMPARE(attnviz::FigureOptions().dpi, 300);
    attnviz::FigureOptions natural;
    natural.dpi = 72;
    const QImage points = attnviz::renderFigureImage(f.heatmap, natural);
    QImage image;
    QVERIFY(image.loadFromData(attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Png, {}), "PNG"));
    QVERIFY2(std::abs(image.width() - points.width() * 300.0 / 72) <= 4, qPrintable(QString::number(image.width())));
    QVERIFY(std::abs(image.height() - points.height() * 300.0 / 72) <= 4);
    QCOMPARE(image.dotsPerMeterY(), qRound(300 / 0.0254));
    QVERIFY(image.width() >= 600); // about 2 inches of a 3.3-inch column
}

// Issue 22: a long title set the figure's width and left the heatmap stranded on the left. It
// now wraps to the heatmap's width (at most three lines, the last elided) and never widens it.
void TestFigureExport::longTitleWrapsToTheHeatmap()
{
    Figure f;
    makeFigure(f, ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors", "may 3 1999");
    attnviz::FigureOptions options;
    options.dpi = 72;
    const QImage plain = attnviz::renderFigureImage(f.heatmap, options);
    const QSize plainSvg = QSvgRenderer(attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Svg, options)).defaultSize();
    QImage device(1, 1, QImage::Format_ARGB32);
    device.setDotsPerMeterX(qRound(72 / 0.0254));
    device.setDotsPerMeterY(qRound(72 / 0.0254));
    const double heatmapWidth = attnviz::AlignmentRenderer(f.heatmap, attnviz::AlignmentStyle(), &device).size().width();
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(10);
    const QFontMetricsF metrics(font, &device);

    const QString twoLines = QStringLiteral("may 3 1999  \u2014  a model with a rather long name");
    QString endless;
    for (int i = 0; i < 40; ++i)
        endless += QStringLiteral("word%1 ").arg(i);
    const QString oneWord = QString(200, QLatin1Char('w')); // no place to break: broken inside
    for (const QString &title : {QStringLiteral("x"), twoLines, endless, oneWord}) {
        options.title = title;
        const QImage image = attnviz::renderFigureImage(f.heatmap, options);
        QCOMPARE(image.width(), plain.width());
        QVERIFY(image.height() > plain.height());
        QCOMPARE(QSvgRenderer(attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Svg, options)).defaultSize().width(),
                 plainSvg.width());
        const QStringList lines = attnviz::figureTitleLines(f.heatmap, options, &device);
        QVERIFY(!lines.isEmpty() && lines.size() <= 3);
        for (const QString &line : lines)
            QVERIFY2(metrics.horizontalAdvance(line) <= heatmapWidth + 0.5, qPrintable(line));
        // Nothing drawn in the right margin: the text fits.
        for (int y = 0; y < image.height(); ++y)
            for (int x = image.width() - 4; x < image.width(); ++x)
                QCOMPARE(image.pixelColor(x, y), QColor(Qt::white));
    }
    options.title = twoLines;
    const QStringList wrapped = attnviz::figureTitleLines(f.heatmap, options, &device);
    QCOMPARE(wrapped.size(), 2);
    QCOMPARE(wrapped.join(QLatin1Char(' ')).simplified(), twoLines.simplified());
    options.title = endless;
    const QStringList elided = attnviz::figureTitleLines(f.heatmap, options, &device);
    QCOMPARE(elided.size(), 3);
    QVERIFY2(elided.last().endsWith(QChar(0x2026)), qPrintable(elided.last()));
}

namespace {

// The heatmap's cells in an SVG written by QSvgGenerator: the rectangles of a cell's size, each
// in a group with its fill and its translation.
struct SvgRect
{
    QRectF rect; // in the SVG's user units (points)
    QString fill;
};

QVector<SvgRect> svgCells(const QByteArray &svg, double cell)
{
    QVector<SvgRect> cells;
    const QRegularExpression group(QStringLiteral(
        R"re(<g fill="(#[0-9a-f]{6})"[^>]*transform="matrix\(1,0,0,1,([-\d.e]+),([-\d.e]+)\)"[^>]*>((?:\s*<rect[^>]*/>)+)\s*</g>)re"));
    const QRegularExpression rect(QStringLiteral(R"re(<rect x="([-\d.e]+)" y="([-\d.e]+)" width="([\d.e]+)" height="([\d.e]+)")re"));
    for (auto g = group.globalMatch(QString::fromUtf8(svg)); g.hasNext();) {
        const auto m = g.next();
        const QPointF offset(m.captured(2).toDouble(), m.captured(3).toDouble());
        for (auto r = rect.globalMatch(m.captured(4)); r.hasNext();) {
            const auto c = r.next();
            const QRectF box(c.captured(1).toDouble(), c.captured(2).toDouble(), c.captured(3).toDouble(),
                             c.captured(4).toDouble());
            if (std::abs(box.width() - cell) < 0.01 && std::abs(box.height() - cell) < 0.01)
                cells << SvgRect {box.translated(offset), m.captured(1)};
        }
    }
    return cells;
}

int brightness(const QImage &image, int x, int y)
{
    const QColor c = image.pixelColor(x, y);
    return c.red() + c.green() + c.blue();
}

} // namespace

// Issue 22: rsvg drew a faint seam of background between cells whose antialiased edges merely
// met. The SVG now asks for crisp edges, so that each pixel takes one cell's colour.
void TestFigureExport::svgCellsHaveNoSeams()
{
    Figure f;
    makeFigure(f, ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors", "the 3rd of may , 1999");
    const QByteArray svg = attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Svg, {});
    const double cell = attnviz::AlignmentStyle().cellSize; // one unit a point
    // Crisp edges for the shapes, and the cells abutting: no gap, no overlap.
    QVERIFY(QRegularExpression(QStringLiteral("<svg [^>]*shape-rendering=\"crispEdges\"")).match(QString::fromUtf8(svg)).hasMatch());
    QVERIFY(QSvgRenderer(svg).isValid());
    const QVector<SvgRect> cells = svgCells(svg, cell);
    QCOMPARE(cells.size(), f.heatmap.rows() * f.heatmap.columns());
    int edges = 0;
    for (const SvgRect &a : cells) {
        for (const SvgRect &b : cells) {
            const bool right = std::abs(b.rect.top() - a.rect.top()) < 0.01 && std::abs(b.rect.left() - a.rect.left() - cell) < 0.01;
            const bool below = std::abs(b.rect.left() - a.rect.left()) < 0.01 && std::abs(b.rect.top() - a.rect.top() - cell) < 0.01;
            if (right)
                QVERIFY(std::abs(a.rect.right() - b.rect.left()) < 0.001);
            if (below)
                QVERIFY(std::abs(a.rect.bottom() - b.rect.top()) < 0.001);
            edges += right + below;
        }
    }
    QCOMPARE(edges, (f.heatmap.columns() - 1) * f.heatmap.rows() + f.heatmap.columns() * (f.heatmap.rows() - 1));

    // And as rsvg draws it, at a scale that puts the edges between pixels.
    const QString rsvg = QStandardPaths::findExecutable(QStringLiteral("rsvg-convert"));
    if (rsvg.isEmpty())
        QSKIP("rsvg-convert (librsvg2-bin) is not installed: the SVG was checked, not drawn");
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("figure.svg")));
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(svg) == svg.size());
    file.close();
    const double zoom = 1.37;
    QProcess process;
    process.start(rsvg, {QStringLiteral("--zoom"), QString::number(zoom), QStringLiteral("-o"),
                         dir.filePath(QStringLiteral("figure.png")), file.fileName()});
    QVERIFY(process.waitForFinished(30000));
    QCOMPARE(process.exitCode(), 0);
    QImage image(dir.filePath(QStringLiteral("figure.png")));
    QVERIFY(!image.isNull());
    // rsvg: the SVG's size in millimetres at 96 pixels an inch, so a point is 96/72 pixels.
    const double pixels = zoom * 96 / 72;
    QRectF grid;
    for (const SvgRect &c : cells)
        grid = grid.isNull() ? c.rect : grid.united(c.rect);
    const QRect inside = QRectF(grid.topLeft() * pixels, grid.bottomRight() * pixels).toAlignedRect().adjusted(3, 3, -3, -3);
    QVERIFY(image.rect().contains(inside));
    // A seam is lighter than the pixels on both sides of it; a plain edge is between them.
    int seams = 0;
    for (int y = inside.top(); y <= inside.bottom(); ++y) {
        for (int x = inside.left(); x <= inside.right(); ++x) {
            const int here = brightness(image, x, y);
            const int across = here > std::max(brightness(image, x - 2, y), brightness(image, x + 2, y)) + 12;
            const int down = here > std::max(brightness(image, x, y - 2), brightness(image, x, y + 2)) + 12;
            if (across + down > 0)
                qWarning("seam at pixel %d,%d", x, y);
            seams += across + down;
        }
    }
    QCOMPARE(seams, 0);
}

void TestFigureExport::formatNames()
{
    QCOMPARE(attnviz::figureFormatFromName(QStringLiteral("SVG")), std::optional(attnviz::FigureFormat::Svg));
    QCOMPARE(attnviz::figureFormatFromName(QStringLiteral("pdf")), std::optional(attnviz::FigureFormat::Pdf));
    QVERIFY(!attnviz::figureFormatFromName(QStringLiteral("jpg")));
}

QTEST_MAIN(TestFigureExport)
#include "tst_figureexport.moc"
