#include "alignmentmodel.h"

#include "testmodels.h"

#include <attnviz/analysis/alignment.h>

#include <cmath>

#include <attnviz/models/model.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/analysis/statistics.h>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace attnviz;

namespace {

// "i love you" -> "je t'aime EOS" with hand-written weights.
std::shared_ptr<TranslationResult> handMadeResult()
{
    auto result = std::make_shared<TranslationResult>();
    result->sourceWords = {"i", "love", "you"};
    result->sourceTokens = {"i", "love", "you", "EOS"};
    result->sourceIds = {3, 4, 5, 1};
    result->eosToken = "EOS";
    Hypothesis h;
    h.targetTokens = {"je", "t'aime", "EOS"};
    h.targetIds = {3, 4, 1};
    h.attention.resize(3, 4);
    h.attention << 0.70f, 0.10f, 0.10f, 0.10f, //
        0.02f, 0.83f, 0.10f, 0.05f,            //
        0.05f, 0.05f, 0.10f, 0.80f;
    result->hypotheses.push_back(h);
    return result;
}

std::shared_ptr<const Model> randomModel(Architecture architecture)
{
    return std::make_shared<const Model>(test::makeRandomModel(architecture), "random");
}

} // namespace

class TestAlignmentModel : public QObject
{
    Q_OBJECT

private slots:
    void emptyByDefault();
    void labelsAndValues();
    void toolTip_data();
    void toolTip();
    void colorScale_data();
    void colorScale();
    void paddingColumn_data();
    void paddingColumn();
    void itemModel();
    void colorMapChange();
    void temperature_data();
    void temperature();
    void energies_data();
    void energies();
    void goldMarks();
    void overriddenCells();
    void unknownWordsShowTheirText();
};

void TestAlignmentModel::emptyByDefault()
{
    AlignmentModel model;
    QCOMPARE(model.rows(), 0);
    QCOMPARE(model.columns(), 0);
    QVERIFY(!model.hasPaddingColumn());
    QCOMPARE(model.toolTip(0, 0), QString());
}

void TestAlignmentModel::labelsAndValues()
{
    AlignmentModel model;
    model.setResult(handMadeResult(), 0);
    QCOMPARE(model.rows(), 3);
    QCOMPARE(model.columns(), 4);
    QCOMPARE(model.rowLabel(1), QStringLiteral("t'aime"));
    QCOMPARE(model.columnLabel(3), QStringLiteral("EOS"));
    QCOMPARE(model.value(1, 1), double(0.83f));
    QCOMPARE(model.value(2, 3), double(0.80f));
    QCOMPARE(model.value(5, 0), 0.0); // out of range
    QVERIFY(!model.hasPaddingColumn());
    QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), QStringLiteral("love"));
    QCOMPARE(model.headerData(0, Qt::Vertical).toString(), QStringLiteral("je"));
}

void TestAlignmentModel::toolTip_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("expected");
    QTest::newRow("t'aime <- love") << 1 << 1 << QStringLiteral("α(t'aime ← love) = 0.83");
    QTest::newRow("je <- i") << 0 << 0 << QStringLiteral("α(je ← i) = 0.70");
    QTest::newRow("EOS <- EOS") << 2 << 3 << QStringLiteral("α(EOS ← EOS) = 0.80");
    QTest::newRow("outside") << 3 << 0 << QString();
}

void TestAlignmentModel::toolTip()
{
    QFETCH(int, row);
    QFETCH(int, column);
    QFETCH(QString, expected);
    AlignmentModel model;
    model.setResult(handMadeResult(), 0);
    QCOMPARE(model.toolTip(row, column), expected);
    if (!expected.isEmpty())
        QCOMPARE(model.data(model.index(row, column), Qt::ToolTipRole).toString(), expected);
}

void TestAlignmentModel::colorScale_data()
{
    QTest::addColumn<ColorMap>("map");
    QTest::addColumn<double>("value");
    QTest::addColumn<QColor>("expected");
    QTest::newRow("viridis 0") << ColorMap::Viridis << 0.0 << QColor(0x44, 0x01, 0x54);
    QTest::newRow("viridis 1") << ColorMap::Viridis << 1.0 << QColor(0xfd, 0xe7, 0x25);
    QTest::newRow("viridis 0.5") << ColorMap::Viridis << 0.5 << QColor(0x21, 0x90, 0x8c);
    QTest::newRow("viridis below 0") << ColorMap::Viridis << -3.0 << QColor(0x44, 0x01, 0x54);
    QTest::newRow("viridis above 1") << ColorMap::Viridis << 7.0 << QColor(0xfd, 0xe7, 0x25);
    QTest::newRow("magma 0") << ColorMap::Magma << 0.0 << QColor(0x00, 0x00, 0x04);
    QTest::newRow("magma 1") << ColorMap::Magma << 1.0 << QColor(0xfc, 0xfd, 0xbf);
    QTest::newRow("grey 0") << ColorMap::Grey << 0.0 << QColor(0, 0, 0);
    QTest::newRow("grey 1") << ColorMap::Grey << 1.0 << QColor(255, 255, 255);
}

void TestAlignmentModel::colorScale()
{
    QFETCH(ColorMap, map);
    QFETCH(double, value);
    QFETCH(QColor, expected);
    AlignmentModel model;
    model.setColorMap(map);
    QCOMPARE(model.colorForValue(value), expected);
    QCOMPARE(colorMapFromName(colorMapName(map)), std::optional<ColorMap>(map));
}

void TestAlignmentModel::paddingColumn_data()
{
    QTest::addColumn<Architecture>("architecture");
    QTest::addColumn<bool>("padded");
    QTest::newRow("bahdanau") << Architecture::Bahdanau << false;
    QTest::newRow("luong") << Architecture::Luong << false;
    QTest::newRow("tutorial_legacy") << Architecture::TutorialLegacy << true;
}

void TestAlignmentModel::paddingColumn()
{
    QFETCH(Architecture, architecture);
    QFETCH(bool, padded);
    const auto model = randomModel(architecture);
    auto result = std::make_shared<TranslationResult>(translate(*model, "i am", {}));
    const Hypothesis &h = result->best();
    AlignmentModel heatmap;
    heatmap.setResult(result, 0);

    QCOMPARE(heatmap.rows(), h.steps());
    QCOMPARE(heatmap.hasPaddingColumn(), padded);
    // "i am EOS", plus the padding column for L = 5 slots.
    QCOMPARE(heatmap.columns(), padded ? 4 : 3);
    QCOMPARE(heatmap.columnLabel(2), QStringLiteral("EOS"));
    for (int column = 0; column < heatmap.columns(); ++column)
        QCOMPARE(heatmap.isPaddingColumn(column), padded && column == 3);
    for (int row = 0; row < heatmap.rows(); ++row) {
        for (int column = 0; column < 3; ++column)
            QCOMPARE(heatmap.value(row, column), double(h.attention(row, column)));
        if (padded) {
            QCOMPARE(heatmap.value(row, 3), h.paddingMass[size_t(row)]);
            // The padding column holds what the source columns do not.
            double sum = 0;
            for (int column = 0; column < 4; ++column)
                sum += heatmap.value(row, column);
            QVERIFY2(std::abs(sum - 1) < 1e-5, qPrintable(QString::number(sum)));
        }
    }
    if (padded) {
        QCOMPARE(heatmap.paddingSlots(), 2);
        QCOMPARE(heatmap.columnLabel(3), QStringLiteral("pad (2 slots)"));
        QVERIFY(heatmap.toolTip(0, 3).contains(QStringLiteral("padding, 2 slots")));
        QCOMPARE(heatmap.data(heatmap.index(0, 3), AlignmentModel::PaddingRole).toBool(), true);
    }
}

void TestAlignmentModel::itemModel()
{
    AlignmentModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setResult(handMadeResult(), 0);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.columnCount(), 4);
    QCOMPARE(model.data(model.index(1, 1)).toString(), QStringLiteral("0.83"));
    QCOMPARE(model.data(model.index(1, 1), AlignmentModel::ValueRole).toDouble(), double(0.83f));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestAlignmentModel::colorMapChange()
{
    AlignmentModel model;
    model.setResult(handMadeResult(), 0);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setColorMap(ColorMap::Grey);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.data(model.index(0, 0), Qt::BackgroundRole).value<QColor>(),
             colorMapColor(ColorMap::Grey, double(0.70f)));
    model.setColorMap(ColorMap::Grey);
    QCOMPARE(changed.count(), 1); // unchanged: no signal
}

namespace {

double rowEntropy(const AlignmentModel &model, int row)
{
    double entropy = 0;
    for (int column = 0; column < model.columns(); ++column) {
        const double p = model.value(row, column);
        if (p > 0)
            entropy -= p * std::log(p);
    }
    return entropy;
}

std::shared_ptr<const TranslationResult> translated(Architecture architecture, const char *sentence)
{
    const auto model = randomModel(architecture);
    return std::make_shared<const TranslationResult>(translate(*model, sentence, DecodeOptions {}));
}

} // namespace

void TestAlignmentModel::temperature_data()
{
    QTest::addColumn<Architecture>("architecture");
    QTest::newRow("bahdanau") << Architecture::Bahdanau;
    QTest::newRow("luong") << Architecture::Luong;
    QTest::newRow("tutorial_legacy") << Architecture::TutorialLegacy;
}

void TestAlignmentModel::temperature()
{
    QFETCH(Architecture, architecture);
    const bool legacy = architecture == Architecture::TutorialLegacy;
    const auto result = translated(architecture, "i am cold");
    const Hypothesis &h = result->best();
    AlignmentModel model;
    model.setResult(result, 0);
    QCOMPARE(model.temperature(), 1.0);
    QVERIFY(model.rows() > 0);

    // tau = 1: exactly the model's own alpha (and padding mass).
    const int sourceColumns = result->sourceLength();
    for (int row = 0; row < model.rows(); ++row) {
        for (int column = 0; column < sourceColumns; ++column)
            QCOMPARE(model.value(row, column), double(h.attention(row, column)));
        if (legacy)
            QCOMPARE(model.value(row, model.columns() - 1), h.paddingMass[size_t(row)]);
    }

    // Each row still sums to 1 (padding column = the mass past T), and a higher tau flattens it.
    std::vector<double> before;
    for (int row = 0; row < model.rows(); ++row)
        before.push_back(rowEntropy(model, row));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setTemperature(3.0);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.colorBarTitle(), QStringLiteral("α, τ = 3"));
    for (int row = 0; row < model.rows(); ++row) {
        double sum = 0;
        for (int column = 0; column < model.columns(); ++column)
            sum += model.value(row, column);
        QVERIFY2(std::abs(sum - 1) < 1e-5, qPrintable(QString::number(sum)));
        QVERIFY(rowEntropy(model, row) > before[size_t(row)]);
    }
    // softmax(e / tau) over all slots, row 0.
    const Vector expected = softmaxAtTemperature(h.energies.row(0).transpose(), 3.0);
    QVERIFY(std::abs(model.value(0, 0) - double(expected(0))) < 1e-6);
    model.setTemperature(0.2); // sharper
    for (int row = 0; row < model.rows(); ++row)
        QVERIFY(rowEntropy(model, row) < before[size_t(row)] + 1e-9);
    model.setTemperature(1.0);
    QCOMPARE(model.value(0, 0), double(h.attention(0, 0)));
}

void TestAlignmentModel::energies_data()
{
    temperature_data();
}

void TestAlignmentModel::energies()
{
    QFETCH(Architecture, architecture);
    const bool legacy = architecture == Architecture::TutorialLegacy;
    const auto result = translated(architecture, "i am cold");
    const Hypothesis &h = result->best();
    AlignmentModel model;
    model.setResult(result, 0);
    model.setMode(HeatmapMode::Energies);
    QCOMPARE(model.mode(), HeatmapMode::Energies);
    double largest = 0;
    for (int row = 0; row < model.rows(); ++row) {
        double mean = 0;
        for (int column = 0; column < result->sourceLength(); ++column) {
            QCOMPARE(model.value(row, column), double(h.energies(row, column)));
            mean += model.value(row, column);
        }
        if (legacy) {
            // The padding column's score: its softmax share is the padding mass.
            double lse = -INFINITY, sum = 0;
            for (int j = result->sourceLength(); j < h.energies.cols(); ++j)
                lse = std::max(lse, double(h.energies(row, j)));
            for (int j = result->sourceLength(); j < h.energies.cols(); ++j)
                sum += std::exp(double(h.energies(row, j)) - lse);
            QVERIFY(std::abs(model.value(row, model.columns() - 1) - (lse + std::log(sum))) < 1e-9);
            mean += model.value(row, model.columns() - 1);
        }
        mean /= model.columns();
        QVERIFY(std::abs(model.rowMean(row) - mean) < 1e-9);
        for (int column = 0; column < model.columns(); ++column)
            largest = std::max(largest, std::abs(model.value(row, column) - mean));
    }
    QVERIFY(std::abs(model.energyScale() - largest) < 1e-9);
    // Diverging colours centred on the row mean; the bar says so.
    QCOMPARE(model.cellColor(0, 0), divergingColor((model.value(0, 0) - model.rowMean(0)) / model.energyScale()));
    QCOMPARE(model.colorBarTitle(), QStringLiteral("e − row mean"));
    QCOMPARE(model.colorBarTicks().at(1).second, QStringLiteral("mean"));
    QVERIFY(model.toolTip(0, 0).startsWith(QStringLiteral("e(")));
    model.setMode(HeatmapMode::Attention);
    QCOMPARE(model.value(0, 0), double(h.attention(0, 0)));
    QCOMPARE(model.colorBarTitle(), QStringLiteral("α"));
}

void TestAlignmentModel::goldMarks()
{
    AlignmentModel model;
    auto result = handMadeResult();
    result->sourceWordIndex = {0, 1, 2};
    model.setResult(result, 0);
    QCOMPARE(model.goldMark(1, 1), GoldMark::None); // no gold links set
    GoldAlignment gold;
    gold.sure = {{1, 1}, {2, 1}};
    gold.possible = {{0, 0}};
    model.setGoldAlignment(gold);
    QCOMPARE(model.goldMark(1, 1), GoldMark::Sure);     // t'aime <- love
    QCOMPARE(model.goldMark(1, 2), GoldMark::Sure);     // t'aime <- you
    QCOMPARE(model.goldMark(0, 0), GoldMark::Possible); // je <- i
    QCOMPARE(model.goldMark(0, 1), GoldMark::None);
    QVERIFY(!model.linkAt(1, 3)); // source EOS
    QVERIFY(!model.linkAt(2, 0)); // target EOS
    QCOMPARE(model.linkAt(0, 2).value(), (Link {2, 0}));
    // Issue #22: Space on the EOS column did nothing, silently. Each refusal says why.
    QVERIFY(model.whyNoLink(1, 3).startsWith(QStringLiteral("EOS column")));
    QVERIFY(model.whyNoLink(1, 3).contains(QStringLiteral("Pharaoh")));
    QVERIFY(model.whyNoLink(2, 0).startsWith(QStringLiteral("EOS row")));
    QCOMPARE(model.whyNoLink(0, 2), QString()); // a word pair can hold one
    QCOMPARE(model.whyNoLink(9, 9), QString()); // no cell
}

void TestAlignmentModel::overriddenCells()
{
    AlignmentModel model;
    model.setResult(handMadeResult(), 0);
    QVERIFY(!model.isOverridden(1, 0));
    model.setAttentionOverrides({{1, 0, 1.0}});
    QVERIFY(model.isOverridden(1, 0));
    QVERIFY(!model.isOverridden(1, 1));
    QVERIFY(model.toolTip(1, 0).endsWith(QStringLiteral("(forced)")));
}

// Issue #22: unknown words showed as UNK alone in the heatmap's labels.
void TestAlignmentModel::unknownWordsShowTheirText()
{
    const auto model = randomModel(Architecture::Bahdanau);
    AlignmentModel alignment;
    alignment.setResult(std::make_shared<TranslationResult>(translate(*model, "I am cold.", {})), 0);
    QCOMPARE(alignment.columnLabel(0), QStringLiteral("i"));
    QCOMPARE(alignment.columnLabel(3), QStringLiteral(".→UNK"));
    QCOMPARE(alignment.columnLabel(4), QStringLiteral("EOS"));
    QCOMPARE(alignment.columnToolTip(3), QStringLiteral("UNK (typed: .)"));
    // Forced decoding: the reference's unknown words too.
    DecodeOptions forced;
    forced.target = "je zzz";
    alignment.setResult(std::make_shared<TranslationResult>(translate(*model, "I am cold", forced)),
                        0);
    QVERIFY(alignment.rows() >= 2);
    QCOMPARE(alignment.rowLabel(1), QStringLiteral("zzz→UNK"));
}

QTEST_MAIN(TestAlignmentModel)

#include "tst_alignmentmodel.moc"
