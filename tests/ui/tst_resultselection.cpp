// ResultSelection: the one owner of the output, hypothesis and step the window shows.
#include "resultselection.h"
#include "resultstatus.h"
#include "translationcontroller.h"

#include "syntheticresult.h"
#include "testmodels.h"

#include <attnviz/decoding/heads.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/models/model.h>

#include <QSignalSpy>
#include <QTest>

using namespace attnviz;

namespace {

// An output whose hypotheses have these numbers of steps (rows), over 4 source positions.
TranslationOutput outputWithSteps(const std::vector<int> &steps, int columns = 4)
{
    auto result =
        std::make_shared<TranslationResult>(*test::syntheticResult(steps.front(), columns));
    for (size_t i = 1; i < steps.size(); ++i)
        result->hypotheses.push_back(
            test::syntheticResult(steps[i], columns, unsigned(i + 1))->best());
    TranslationOutput output;
    output.sentence = QStringLiteral("a b c");
    output.result = std::move(result);
    return output;
}

} // namespace

class TestResultSelection : public QObject
{
    Q_OBJECT

private slots:
    void startsEmpty();
    void outputSignalsInOrder();
    void selectStep_data();
    void selectStep();
    void stepOutlivesTheOutput();
    void selectHypothesis();
    void failureKeepsNoResult();
    void paddingSlotsFromTheResult_data();
    void paddingSlotsFromTheResult();
    void outputLineDetokenizes();
    void changesTheHeadsShownWithoutDecoding();
};

void TestResultSelection::startsEmpty()
{
    ResultSelection selection;
    QVERIFY(!selection.hasResult());
    QVERIFY(!selection.result());
    QVERIFY(!selection.hypothesis());
    QCOMPARE(selection.step(), -1);
    QCOMPARE(selection.steps(), 0);
    QSignalSpy steps(&selection, &ResultSelection::stepChanged);
    selection.selectStep(3); // nothing to select
    QCOMPARE(selection.step(), -1);
    QCOMPARE(steps.count(), 0);
}

void TestResultSelection::outputSignalsInOrder()
{
    ResultSelection selection;
    QStringList order;
    connect(&selection, &ResultSelection::outputChanged, this,
            [&]() { order << QStringLiteral("output"); });
    connect(&selection, &ResultSelection::hypothesisChanged, this,
            [&](int index) { order << QStringLiteral("hypothesis %1").arg(index); });
    connect(&selection, &ResultSelection::stepChanged, this, [&](int step) {
        // Whoever hears of the step sees the hypothesis it belongs to.
        QCOMPARE(selection.steps(), 5);
        order << QStringLiteral("step %1").arg(step);
    });
    selection.setOutput(outputWithSteps({5, 3}));
    QCOMPARE(order,
             (QStringList {QStringLiteral("output"), QStringLiteral("hypothesis 0"),
                           QStringLiteral("step 0")}));
    QVERIFY(selection.hasResult());
    QCOMPARE(selection.hypothesisIndex(), 0);
    QCOMPARE(selection.hypothesis(), &selection.result()->hypotheses[0]);
    QCOMPARE(selection.output().sentence, QStringLiteral("a b c"));
    // The same step on the next output: no stepChanged.
    order.clear();
    selection.setOutput(outputWithSteps({5}));
    QCOMPARE(order, (QStringList {QStringLiteral("output"), QStringLiteral("hypothesis 0")}));
}

void TestResultSelection::selectStep_data()
{
    QTest::addColumn<int>("requested");
    QTest::addColumn<int>("expected");
    QTest::addColumn<int>("emitted");
    QTest::newRow("inside") << 2 << 2 << 1;
    QTest::newRow("last") << 4 << 4 << 1;
    QTest::newRow("past the end") << 9 << 4 << 1;
    QTest::newRow("negative") << -3 << 0 << 0; // already on 0
    QTest::newRow("the same") << 0 << 0 << 0;
}

void TestResultSelection::selectStep()
{
    QFETCH(int, requested);
    QFETCH(int, expected);
    QFETCH(int, emitted);
    ResultSelection selection;
    selection.setOutput(outputWithSteps({5}));
    QCOMPARE(selection.step(), 0);
    QSignalSpy steps(&selection, &ResultSelection::stepChanged);
    selection.selectStep(requested);
    QCOMPARE(selection.step(), expected);
    QCOMPARE(steps.count(), emitted);
    if (emitted)
        QCOMPARE(steps.first().first().toInt(), expected);
}

void TestResultSelection::stepOutlivesTheOutput()
{
    ResultSelection selection;
    selection.setOutput(outputWithSteps({6}));
    selection.selectStep(3);
    // A shorter output: the last step it has.
    selection.setOutput(outputWithSteps({2}));
    QCOMPARE(selection.step(), 1);
    // Nothing to show: the step is kept for the next output.
    selection.clear();
    QVERIFY(!selection.hasResult());
    QCOMPARE(selection.step(), 1);
    selection.setOutput(outputWithSteps({6}));
    QCOMPARE(selection.step(), 1);
}

void TestResultSelection::selectHypothesis()
{
    ResultSelection selection;
    selection.setOutput(outputWithSteps({6, 3, 4}));
    selection.selectStep(5);
    QSignalSpy hypotheses(&selection, &ResultSelection::hypothesisChanged);
    QSignalSpy steps(&selection, &ResultSelection::stepChanged);
    selection.selectHypothesis(1);
    QCOMPARE(selection.hypothesisIndex(), 1);
    QCOMPARE(selection.steps(), 3);
    QCOMPARE(selection.step(), 2); // clamped to the shorter hypothesis
    QCOMPARE(hypotheses.count(), 1);
    QCOMPARE(steps.count(), 1);
    selection.selectHypothesis(7);
    QCOMPARE(selection.hypothesisIndex(), 2);
    QCOMPARE(selection.steps(), 4);
    // A new output starts on its best hypothesis.
    selection.setOutput(outputWithSteps({6, 3}));
    QCOMPARE(selection.hypothesisIndex(), 0);
}

void TestResultSelection::failureKeepsNoResult()
{
    ResultSelection selection;
    selection.setOutput(outputWithSteps({4}));
    QSignalSpy outputs(&selection, &ResultSelection::outputChanged);
    QSignalSpy hypotheses(&selection, &ResultSelection::hypothesisChanged);
    selection.setFailure(QStringLiteral("no such word"));
    QCOMPARE(outputs.count(), 1);
    QCOMPARE(hypotheses.count(), 1); // whoever shows the hypothesis hears that there is none
    QVERIFY(!selection.result());
    QVERIFY(!selection.hypothesis());
    QCOMPARE(selection.error(), QStringLiteral("no such word"));
    selection.selectHypothesis(0); // nothing to choose from
    QVERIFY(!selection.hypothesis());
    selection.setOutput(outputWithSteps({4}));
    QCOMPARE(selection.error(), QString());
}

void TestResultSelection::paddingSlotsFromTheResult_data()
{
    QTest::addColumn<int>("attentionColumns");
    QTest::addColumn<bool>("padded");
    QTest::newRow("one per source position") << 4 << false;
    QTest::newRow("slots past the input") << 7 << true;
}

void TestResultSelection::paddingSlotsFromTheResult()
{
    QFETCH(int, attentionColumns);
    QFETCH(bool, padded);
    auto result = test::syntheticResult(3, 4); // 3 words and EOS
    Hypothesis &h = result->hypotheses.front();
    h.attention.conservativeResize(3, attentionColumns);
    QCOMPARE(hasPaddingSlots(*result, 0), padded);
    QVERIFY(!hasPaddingSlots(*result, 1)); // no such hypothesis
}

// The output line of a subword model is its pieces joined back as text (#16); a word-level
// model's is its tokens without EOS.
void TestResultSelection::outputLineDetokenizes()
{
    for (const bool subword : {false, true}) {
        ModelFile file = test::makeRandomModel(Architecture::Bahdanau);
        file.targetVocab = {"SOS", "EOS", "UNK", "je", "su@@", "is", "froid"};
        if (subword) {
            TokenizerRecord record;
            record.target.kind = TokenizerKind::Bpe;
            record.target.codes = "#version: 0.2\ns u\n";
            file.tokenizer = record;
        }
        TranslationOutput output;
        output.model = std::make_shared<const Model>(std::move(file));
        auto result = std::make_shared<TranslationResult>(translate(*output.model, "i am cold", {}));
        Hypothesis &h = result->hypotheses.front();
        h.targetTokens = {"je", "su@@", "is", "froid", "EOS"};
        h.translation = detokenize(*output.model, h.targetTokens);
        output.result = std::move(result);
        ResultSelection selection;
        selection.setOutput(output);
        QCOMPARE(outputLineText(selection), subword ? QStringLiteral("je suis froid") : QStringLiteral("je su@@ is froid"));
    }
}

// #23: a transformer's view changes in place, for every beam, with the hypothesis and step kept;
// an RNN result has no heads to change.
void TestResultSelection::changesTheHeadsShownWithoutDecoding()
{
    ResultSelection selection;
    QVERIFY(!selection.showsHeads());
    QVERIFY(!selection.setView(HeadSelection()));
    const auto model = std::make_shared<const Model>(test::makeTransformerModel(2, 4));
    DecodeOptions options;
    options.beamWidth = 3;
    TranslationOutput output;
    output.model = model;
    output.result = std::make_shared<TranslationResult>(translate(*model, "i am cold", options));
    QVERIFY(output.result->hypotheses.size() > 1);
    selection.setOutput(output);
    QVERIFY(selection.showsHeads());
    QCOMPARE(selection.view().layer, 1); // decoded with the last layer's mean, resolved
    selection.selectHypothesis(1);
    selection.selectStep(1);
    const TranslationResult *before = selection.result();
    QSignalSpy views(&selection, &ResultSelection::viewChanged);
    QSignalSpy hypotheses(&selection, &ResultSelection::hypothesisChanged);
    QSignalSpy steps(&selection, &ResultSelection::stepChanged);
    HeadSelection head;
    head.layer = 0;
    head.heads = {2};
    QVERIFY(selection.setView(head));
    QCOMPARE(views.count(), 1);
    QCOMPARE(hypotheses.count(), 1);
    QCOMPARE(steps.count(), 1);
    QCOMPARE(selection.hypothesisIndex(), 1);
    QCOMPARE(selection.step(), 1);
    QVERIFY(selection.view() == head);
    QVERIFY(selection.result() != before); // a new result: views holding the old one see it change
    for (const Hypothesis &h : selection.result()->hypotheses) {
        QVERIFY((h.attention - h.crossAttention.at(0, 2)).cwiseAbs().maxCoeff() == 0.0f);
        QVERIFY((h.contexts - h.attention * selection.result()->encoderOutputs).cwiseAbs().maxCoeff() < 1e-5f);
    }
    // The tokens stay: nothing was decoded again.
    QCOMPARE(selection.result()->hypotheses[1].targetIds, output.result->hypotheses[1].targetIds);
    // Out of range: refused, nothing changed.
    HeadSelection wrong;
    wrong.layer = 5;
    QVERIFY(!selection.setView(wrong));
    QCOMPARE(views.count(), 1);
    QVERIFY(selection.view() == head);
}

QTEST_GUILESS_MAIN(TestResultSelection)

#include "tst_resultselection.moc"
