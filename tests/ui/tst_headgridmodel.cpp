// HeadGridModel (#23): the Heads grid's clicks, keys and presets, as views of ResultSelection.
#include "headgridmodel.h"
#include "resultselection.h"

#include "testmodels.h"

#include <attnviz/decoding/translate.h>
#include <attnviz/models/model.h>

#include <QSignalSpy>
#include <QTest>

using namespace attnviz;

namespace {

TranslationOutput translated(std::shared_ptr<const Model> model, int beam = 1)
{
    DecodeOptions options;
    options.beamWidth = beam;
    TranslationOutput output;
    output.model = model;
    output.result = std::make_shared<TranslationResult>(translate(*model, "i am cold", options));
    return output;
}

} // namespace

class TestHeadGridModel : public QObject
{
    Q_OBJECT

private slots:
    void rnnHasNoHeads();
    void clicksChooseTheView();
    void keyboardCursor();
    void presets();
};

void TestHeadGridModel::rnnHasNoHeads()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    QVERIFY(!grid.available());
    QVERIFY(grid.note().contains(QStringLiteral("No translation")));
    const auto rnn = std::make_shared<const Model>(test::makeRandomModel(Architecture::Bahdanau));
    selection.setOutput(translated(rnn));
    QVERIFY(!grid.available());
    QCOMPARE(grid.layers(), 0);
    QVERIFY(grid.note().contains(QStringLiteral("RNN")));
    QVERIFY(!grid.crossAttention(0, 0));
    grid.clickHead(0, 0, Qt::NoModifier); // nothing to do, nothing thrown
    QVERIFY(grid.presetNames().isEmpty());
}

void TestHeadGridModel::clicksChooseTheView()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    selection.setOutput(translated(std::make_shared<const Model>(test::makeTransformerModel(3, 4)), 2));
    QVERIFY(grid.available());
    QCOMPARE(grid.layers(), 3);
    QCOMPARE(grid.heads(), 4);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 3, mean of 4 heads"));
    QVERIFY(grid.isSelected(2, 0) && grid.isSelected(2, 3) && !grid.isSelected(1, 0));
    QSignalSpy changed(&grid, &HeadGridModel::changed);

    grid.clickHead(1, 2, Qt::NoModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 3"));
    QVERIFY(grid.isSelected(1, 2) && !grid.isSelected(2, 0));
    QVERIFY((selection.hypothesis()->attention - *grid.crossAttention(1, 2)).cwiseAbs().maxCoeff() == 0.0f);
    // Ctrl adds a head of the same layer: the heatmap is their mean.
    grid.clickHead(1, 0, Qt::ControlModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, heads 1, 3"));
    const MatrixRM mean = (*grid.crossAttention(1, 0) + *grid.crossAttention(1, 2)) / 2.0f;
    QVERIFY((selection.hypothesis()->attention - mean).cwiseAbs().maxCoeff() < 1e-6f);
    // Shift on a selected head takes it out; the last one stays.
    grid.clickHead(1, 2, Qt::ShiftModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 1"));
    grid.clickHead(1, 0, Qt::ShiftModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 1"));
    // Ctrl on another layer starts there.
    grid.clickHead(0, 3, Qt::ControlModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 1, head 4"));
    grid.clickLayer(0);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 1, mean of 4 heads"));
    grid.selectAllLayers();
    QCOMPARE(grid.viewName(), QStringLiteral("all 3 layers, mean of 12 heads"));
    QVERIFY(grid.isSelected(0, 0) && grid.isSelected(2, 3));
    QVERIFY(changed.count() >= 7);
    // The second beam's heads are its own.
    selection.selectHypothesis(1);
    QVERIFY(grid.crossAttention(0, 0) == &selection.result()->hypotheses[1].crossAttention.at(0, 0));
}

void TestHeadGridModel::keyboardCursor()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    selection.setOutput(translated(std::make_shared<const Model>(test::makeTransformerModel(2, 4))));
    QCOMPARE(grid.cursor(), QPoint(0, 0));
    grid.moveCursor(0, 1, false);
    grid.moveCursor(5, 0, false); // clamped to the last layer
    QCOMPARE(grid.cursor(), QPoint(1, 1));
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, mean of 4 heads")); // moving alone selects nothing
    grid.activateCursor(Qt::NoModifier);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 2"));
    grid.moveCursor(0, 1, true); // Shift+Right extends
    grid.moveCursor(0, 1, true);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, heads 2, 3, 4"));
    grid.moveCursor(0, -1, true); // back onto a selected head: kept
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, heads 2, 3, 4"));
    grid.moveCursor(0, -10, false);
    QCOMPARE(grid.cursor(), QPoint(0, 1));
}

void TestHeadGridModel::presets()
{
    ResultSelection selection;
    HeadGridModel grid(&selection);
    ModelFile file = test::makeTransformerModel(2, 4);
    file.config.transformer.toolkit = "marian";
    selection.setOutput(translated(std::make_shared<const Model>(file)));
    const QStringList names = grid.presetNames();
    QCOMPARE(names.size(), 3);
    QCOMPARE(names.front(), QStringLiteral("Marian's alignment: last layer, head 1"));
    QCOMPARE(names.back(), QStringLiteral("All layers, mean of heads"));
    QCOMPARE(grid.presetIndex(), 1); // decoded with the engine's default: the last layer's mean
    grid.applyPreset(int(names.size()) - 1);
    QVERIFY(grid.view().allLayers);
    QCOMPARE(grid.presetIndex(), int(names.size()) - 1);
    grid.clickHead(0, 1, Qt::NoModifier);
    QCOMPARE(grid.presetIndex(), -1);
    grid.applyPreset(0);
    QCOMPARE(grid.presetIndex(), 0);
    QCOMPARE(grid.viewName(), QStringLiteral("layer 2, head 1"));
}

QTEST_MAIN(TestHeadGridModel)
#include "tst_headgridmodel.moc"
