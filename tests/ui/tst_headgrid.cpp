// The Heads panel (#23): clicks, keys and the preset combo reach HeadGridModel, the label names
// the view, and an RNN shows the note.
#include "headgrid.h"
#include "headgridmodel.h"
#include "resultselection.h"

#include "testmodels.h"

#include <attnviz/decoding/translate.h>
#include <attnviz/models/model.h>

#include <QComboBox>
#include <QScrollArea>
#include <QScrollBar>
#include <QTest>

using namespace attnviz;

class TestHeadGrid : public QObject
{
    Q_OBJECT

private slots:
    void clicksKeysAndPresets();
    void rnnShowsTheNote();
    void smallestCellsScroll();
};

void TestHeadGrid::clicksKeysAndPresets()
{
    ResultSelection selection;
    HeadGridModel model(&selection);
    HeadGrid grid(&model);
    const auto transformer = std::make_shared<const Model>(test::makeTransformerModel(3, 4));
    TranslationOutput output;
    output.model = transformer;
    output.result = std::make_shared<TranslationResult>(translate(*transformer, "i am cold", DecodeOptions()));
    selection.setOutput(output);
    grid.resize(400, 400);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    QCOMPARE(grid.viewText(), QStringLiteral("Heatmap: cross-attention · layer 3 · mean of 4 heads"));
    QCOMPARE(grid.presets()->count(), 2);
    QVERIFY(grid.presets()->isEnabled());

    HeadGridCanvas *canvas = grid.canvas();
    QTest::mouseClick(canvas, Qt::LeftButton, Qt::NoModifier, canvas->cellRect(1, 2).center());
    QCOMPARE(grid.viewText(), QStringLiteral("Heatmap: cross-attention · layer 2 · head 3"));
    QCOMPARE(grid.presets()->currentIndex(), -1);
    QTest::mouseClick(canvas, Qt::LeftButton, Qt::ControlModifier, canvas->cellRect(1, 0).center());
    QCOMPARE(grid.viewText(), QStringLiteral("Heatmap: cross-attention · layer 2 · heads 1, 3"));
    QTest::mouseClick(canvas, Qt::LeftButton, Qt::NoModifier, canvas->cellRect(0, -1).center());
    QCOMPARE(grid.viewText(), QStringLiteral("Heatmap: cross-attention · layer 1 · mean of 4 heads"));

    canvas->setFocus();
    QTest::keyClick(canvas, Qt::Key_Down);
    QTest::keyClick(canvas, Qt::Key_Right);
    QTest::keyClick(canvas, Qt::Key_Return);
    QCOMPARE(grid.viewText(), QStringLiteral("Heatmap: cross-attention · layer 2 · head 2"));
    QTest::keyClick(canvas, Qt::Key_Right, Qt::ShiftModifier);
    QCOMPARE(grid.viewText(), QStringLiteral("Heatmap: cross-attention · layer 2 · heads 2, 3"));

    grid.presets()->setCurrentIndex(1);
    emit grid.presets()->activated(1);
    QCOMPARE(grid.viewText(), QStringLiteral("Heatmap: cross-attention · all 3 layers, mean of 12 heads"));
    // A thumbnail is drawn with the colour map: the grid is not blank.
    const QImage image = canvas->grab().toImage();
    const QRect cell = canvas->cellRect(0, 0);
    QVERIFY(image.pixelColor(cell.center()) != canvas->palette().base().color());
}

void TestHeadGrid::rnnShowsTheNote()
{
    ResultSelection selection;
    HeadGridModel model(&selection);
    HeadGrid grid(&model);
    const auto rnn = std::make_shared<const Model>(test::makeRandomModel(Architecture::Bahdanau));
    TranslationOutput output;
    output.model = rnn;
    output.result = std::make_shared<TranslationResult>(translate(*rnn, "i am cold", DecodeOptions()));
    selection.setOutput(output);
    QVERIFY(grid.viewText().contains(QStringLiteral("only for transformer models")));
    QVERIFY(!grid.presets()->isEnabled());
    QCOMPARE(grid.presets()->count(), 0);
    QTest::mouseClick(grid.canvas(), Qt::LeftButton, Qt::NoModifier, QPoint(80, 40)); // nothing, no crash
}

// Eight heads in 250 px: the smallest cells, and the grid scrolls instead of shrinking further.
void TestHeadGrid::smallestCellsScroll()
{
    ResultSelection selection;
    HeadGridModel model(&selection);
    HeadGrid grid(&model);
    const auto transformer = std::make_shared<const Model>(test::makeTransformerModel(3, 8));
    TranslationOutput output;
    output.model = transformer;
    output.result = std::make_shared<TranslationResult>(translate(*transformer, "i am cold", DecodeOptions()));
    selection.setOutput(output);
    grid.resize(250, 500);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    HeadGridCanvas *canvas = grid.canvas();
    QCOMPARE(canvas->cellSize(), int(HeadGridCanvas::minimumCellSize));
    auto *scroll = qobject_cast<QScrollArea *>(canvas->parentWidget()->parentWidget());
    QVERIFY(scroll);
    QVERIFY(canvas->width() > scroll->viewport()->width());
    QVERIFY(scroll->horizontalScrollBar()->isVisible());
    grid.resize(1200, 500); // wider: larger cells, no scroll bar
    QTRY_VERIFY(canvas->cellSize() > HeadGridCanvas::minimumCellSize);
    QTRY_VERIFY(!scroll->horizontalScrollBar()->isVisible());
}

QTEST_MAIN(TestHeadGrid)
#include "tst_headgrid.moc"
