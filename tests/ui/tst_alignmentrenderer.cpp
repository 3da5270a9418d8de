// The heatmap renderer's fast paths give the picture the plain ones would: painting only an
// exposed rectangle (what a scroll area asks for) gives the same pixels there as painting the
// whole figure, and the cells filled pixel by pixel sit where cellRect() says, in the colours
// cellColor() says.
#include "alignmentrenderer.h"
#include "alignmentview.h"
#include "alignmentmodel.h"

#include "syntheticresult.h"
#include "testmodels.h"

#include <attnviz/analysis/alignment.h>
#include <attnviz/models/model.h>
#include <attnviz/decoding/translate.h>

#include <QImage>
#include <QPainter>
#include <QTest>


using namespace attnviz;

namespace {

QImage render(const AlignmentRenderer &sizing, const std::function<void(QPainter &)> &paint)
{
    QImage image(sizing.size().toSize(), QImage::Format_RGB32);
    image.fill(Qt::magenta); // anything not painted shows
    QPainter painter(&image);
    paint(painter);
    return image;
}

} // namespace

class TestAlignmentRenderer : public QObject
{
    Q_OBJECT

private slots:
    void exposedMatchesWhole_data();
    void exposedMatchesWhole();
    void cellsSitWhereCellRectSays_data();
    void cellsSitWhereCellRectSays();
    void viewFillsAroundTheDrawing();
    void cursorIsNoGoldMark();
    void colorBarLabelsStandClearOfTheTicks();
};

void TestAlignmentRenderer::exposedMatchesWhole_data()
{
    QTest::addColumn<bool>("legacy");
    QTest::addColumn<QRectF>("fraction"); // of the figure
    QTest::newRow("top left: labels meet") << false << QRectF(0, 0, 0.3, 0.3);
    QTest::newRow("inside the grid") << false << QRectF(0.45, 0.5, 0.2, 0.15);
    QTest::newRow("column labels only") << false << QRectF(0.5, 0.02, 0.2, 0.1);
    QTest::newRow("right edge: colour bar") << false << QRectF(0.75, 0.3, 0.25, 0.5);
    QTest::newRow("bottom strip") << false << QRectF(0, 0.9, 1, 0.1);
    QTest::newRow("padding column") << true << QRectF(0.6, 0.0, 0.4, 1);
}

void TestAlignmentRenderer::exposedMatchesWhole()
{
    QFETCH(bool, legacy);
    QFETCH(QRectF, fraction);
    AlignmentModel model;
    if (legacy) {
        // A tutorial_legacy result: attention over more slots than the input has.
        const auto tiny = std::make_shared<const Model>(test::makeRandomModel(Architecture::TutorialLegacy), "random");
        model.setResult(std::make_shared<TranslationResult>(translate(*tiny, "i am", {})), 0);
        QVERIFY(model.hasPaddingColumn());
    } else {
        model.setResult(test::syntheticResult(30, 41), 0);
    }
    GoldAlignment gold;
    gold.sure = {{0, 0}, {2, 1}};
    gold.possible = {{1, 1}};
    model.setGoldAlignment(gold);
    model.setAttentionOverrides({{1, 1, 1.0}});
    AlignmentStyle style;
    style.selectedRow = 1;
    style.showValues = true;
    QImage device(1, 1, QImage::Format_RGB32);
    const AlignmentRenderer renderer(model, style, &device);
    const QSizeF size = renderer.size();
    const QRect exposed = QRectF(fraction.x() * size.width(), fraction.y() * size.height(),
                                 fraction.width() * size.width(), fraction.height() * size.height())
                              .toAlignedRect()
                              .intersected(QRect(QPoint(0, 0), size.toSize()));

    const QImage whole = render(renderer, [&](QPainter &painter) { renderer.paint(&painter); });
    const QImage part = render(renderer, [&](QPainter &painter) {
        painter.setClipRect(exposed); // as a paint event clips
        renderer.paintExposed(&painter, exposed);
    });
    int differing = 0;
    for (int y = exposed.top(); y <= exposed.bottom(); ++y)
        for (int x = exposed.left(); x <= exposed.right(); ++x)
            differing += whole.pixel(x, y) != part.pixel(x, y);
    QCOMPARE(differing, 0);
    // And the part is not just background: the two would also agree on an empty drawing.
    QVERIFY(part.copy(exposed) != QImage(exposed.size(), QImage::Format_RGB32));
}

void TestAlignmentRenderer::cellsSitWhereCellRectSays_data()
{
    QTest::addColumn<double>("zoom");
    QTest::newRow("zoom 1") << 1.0;
    QTest::newRow("zoom 0.4: under 11 pixels a cell") << 0.4;
    QTest::newRow("zoom 1.37: fractional edges") << 1.37;
}

void TestAlignmentRenderer::cellsSitWhereCellRectSays()
{
    QFETCH(double, zoom);
    AlignmentModel model;
    model.setResult(test::syntheticResult(23, 31), 0);
    AlignmentStyle style;
    style.zoom = zoom;
    QImage device(1, 1, QImage::Format_RGB32);
    const AlignmentRenderer renderer(model, style, &device);
    const QImage image = render(renderer, [&](QPainter &painter) { renderer.paint(&painter); });
    // Every cell's colour fills it, but for one pixel at its edges (where a scaled image and
    // a rectangle may round the other way).
    for (int row = 0; row < model.rows(); ++row) {
        for (int column = 0; column < model.columns(); ++column) {
            const QRect inner = renderer.cellRect(row, column).toAlignedRect().adjusted(1, 1, -1, -1);
            const QRgb expected = model.cellColor(row, column).rgb();
            for (const QPoint &p : {inner.topLeft(), inner.topRight(), inner.bottomLeft(), inner.bottomRight(),
                                    inner.center()})
                QVERIFY2(image.pixel(p) == expected,
                         qPrintable(QStringLiteral("cell (%1, %2) at (%3, %4)").arg(row).arg(column).arg(p.x()).arg(p.y())));
        }
    }
}

void TestAlignmentRenderer::viewFillsAroundTheDrawing()
{
    // A small heatmap in a large view is centred; the margins are the view's background.
    AlignmentModel model;
    model.setResult(test::syntheticResult(3, 4), 0);
    QWidget window;
    window.resize(900, 700);
    auto *view = new AlignmentView(AlignmentView::Kind::Heatmap, &model, &window);
    view->setGeometry(0, 0, 900, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QImage image = view->grab().toImage();
    const QRgb background = view->palette().color(QPalette::Base).rgb();
    const QRect cell = view->cellRect(0, 0);
    QVERIFY(cell.left() > 100 && cell.top() > 100); // centred, so there are margins
    for (const QPoint &p : {QPoint(2, 2), QPoint(image.width() - 3, 2), QPoint(2, image.height() - 3),
                            QPoint(image.width() - 3, image.height() - 3), QPoint(image.width() / 2, 2),
                            QPoint(image.width() / 2, image.height() - 3)})
        QVERIFY2(image.pixel(p) == background, qPrintable(QStringLiteral("(%1, %2)").arg(p.x()).arg(p.y())));
    QCOMPARE(image.pixel(cell.center()), model.cellColor(0, 0).rgb());
}

namespace {

// Of the pixels in `rect` that are far from the cell's fill: how many there are, how many are
// near `color`, and the longest unbroken run along a row.
struct Marks
{
    int count = 0, near = 0, longestRun = 0;
};

Marks marksIn(const QImage &image, const QRect &rect, QRgb fill, const QColor &color)
{
    Marks marks;
    for (int y = rect.top(); y <= rect.bottom(); ++y) {
        int run = 0;
        for (int x = rect.left(); x <= rect.right(); ++x) {
            // Marked: far from the fill (antialiased edges in between do not count).
            const QColor pixel = image.pixelColor(x, y);
            const QColor cell = QColor::fromRgb(fill);
            if (std::abs(pixel.red() - cell.red()) + std::abs(pixel.green() - cell.green())
                    + std::abs(pixel.blue() - cell.blue())
                < 150) {
                run = 0;
                continue;
            }
            ++marks.count;
            marks.longestRun = std::max(marks.longestRun, ++run);
            if (std::abs(pixel.red() - color.red()) + std::abs(pixel.green() - color.green())
                    + std::abs(pixel.blue() - color.blue())
                < 60)
                ++marks.near;
        }
    }
    return marks;
}

} // namespace

// Issue #22: the keyboard's cell cursor and a "possible" gold link were both dashed squares.
// The cursor is a solid frame in the highlight colour; a possible link a dotted frame in the
// text colour, a sure one solid.
void TestAlignmentRenderer::cursorIsNoGoldMark()
{
    AlignmentModel model;
    auto result = test::syntheticResult(4, 4);
    result->sourceWordIndex = {0, 1, 2}; // three words and EOS
    model.setResult(result, 0);
    GoldAlignment gold;
    gold.possible = {{1, 1}};
    gold.sure = {{2, 2}};
    model.setGoldAlignment(gold);
    AlignmentStyle style;
    style.cellSize = 40;
    QImage device(1, 1, QImage::Format_RGB32);
    const AlignmentRenderer renderer(model, style, &device);
    QCOMPARE(model.goldMark(1, 1), GoldMark::Possible);
    QCOMPARE(model.goldMark(2, 2), GoldMark::Sure);
    const QImage image = render(renderer, [&](QPainter &painter) {
        renderer.paint(&painter);
        renderer.paintCursor(&painter, 0, 3);
    });
    const auto cell = [&](int row, int column) {
        return renderer.cellRect(row, column).toAlignedRect().adjusted(1, 1, -1, -1);
    };
    const auto fill = [&](int row, int column) { return model.cellColor(row, column).rgb(); };
    const Marks cursor = marksIn(image, cell(0, 3), fill(0, 3), style.highlight);
    const Marks possible = marksIn(image, cell(1, 1), fill(1, 1), style.highlight);
    const Marks sure = marksIn(image, cell(2, 2), fill(2, 2), style.highlight);
    const int side = cell(0, 3).width();
    // The cursor: a frame in the highlight colour, unbroken along its edges.
    QVERIFY2(cursor.near > 2 * side, qPrintable(QString::number(cursor.near)));
    QVERIFY2(cursor.longestRun > side / 2, qPrintable(QString::number(cursor.longestRun)));
    // No gold mark uses the highlight colour.
    QCOMPARE(possible.near, 0);
    QCOMPARE(sure.near, 0);
    // Possible: dotted (no long runs), fewer marked pixels than sure; sure: solid.
    QVERIFY(possible.count > 0);
    QVERIFY2(possible.longestRun < side / 4, qPrintable(QString::number(possible.longestRun)));
    QVERIFY2(sure.longestRun > side / 2, qPrintable(QString::number(sure.longestRun)));
    QVERIFY(possible.count < sure.count);
    // An unmarked cell without the cursor shows nothing but its fill.
    QCOMPARE(marksIn(image, cell(3, 0), fill(3, 0), style.highlight).count, 0);
}

// Issue 22: the labels sat 1 pt from the ticks, so that at 150 dpi "0" read "-0". Now 3.5 pt,
// and the pixels between a tick's end and its label are background.
void TestAlignmentRenderer::colorBarLabelsStandClearOfTheTicks()
{
    AlignmentModel model;
    model.setResult(test::syntheticResult(4, 5), 0);
    QImage device(1, 1, QImage::Format_RGB32);
    device.setDotsPerMeterX(qRound(150 / 0.0254));
    device.setDotsPerMeterY(qRound(150 / 0.0254));
    const AlignmentRenderer renderer(model, AlignmentStyle(), &device);
    const double pixelsPerPoint = 150.0 / 72;
    const AlignmentRenderer::ColorBarLayout bar = renderer.colorBarLayout();
    QVERIFY2((bar.labelLeft - bar.tickEnd) / pixelsPerPoint >= 3, qPrintable(QString::number(bar.labelLeft - bar.tickEnd)));
    QVERIFY(bar.tickEnd > bar.bar.right());
    QVERIFY(renderer.size().width() > bar.labelLeft);

    QImage image(renderer.size().toSize(), QImage::Format_RGB32);
    image.setDotsPerMeterX(device.dotsPerMeterX());
    image.setDotsPerMeterY(device.dotsPerMeterY());
    QPainter painter(&image);
    renderer.paint(&painter);
    painter.end();
    const QColor background = AlignmentStyle().background;
    for (const auto &tick : model.colorBarTicks()) {
        const int y = qRound(bar.bar.top() + bar.bar.height() * (1 - tick.first));
        // The tick's own pixels reach it, the label's text starts after the gap.
        for (int x = int(std::ceil(bar.tickEnd)) + 1; x < int(bar.labelLeft) - 1; ++x)
            for (int dy = -2; dy <= 2; ++dy)
                QVERIFY2(image.pixelColor(x, std::clamp(y + dy, 0, image.height() - 1)) == background,
                         qPrintable(QStringLiteral("tick %1 at %2,%3").arg(tick.second).arg(x).arg(y + dy)));
    }
}

QTEST_MAIN(TestAlignmentRenderer)

#include "tst_alignmentrenderer.moc"
