// ContributionsModel: how c_i is made at the selected step, as a table model.
#include "contributionsmodel.h"

#include "colormap.h"
#include "datesoutput.h"
#include "resultselection.h"

#include <attnviz/decoding/translate.h>

#include <QAbstractItemModelTester>
#include <QColor>
#include <QTest>

using namespace attnviz;

namespace { } // namespace

class TestContributionsModel : public QObject
{
    Q_OBJECT

private slots:
    void emptyWithoutAResult();
    void followsTheStep_data();
    void followsTheStep();
    void colours();
    void headers();
};

void TestContributionsModel::emptyWithoutAResult()
{
    ResultSelection selection;
    ContributionsModel model(&selection);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnCount(), 3);
    selection.setOutput(test::datesOutput("the 3rd of may 1999"));
    QVERIFY(model.rowCount() > 0);
    selection.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestContributionsModel::followsTheStep_data()
{
    QTest::addColumn<int>("step");
    QTest::addColumn<QString>("largest"); // the source word that adds most to c_i
    // The dates model's output is "1999 05 03 EOS": each number reads its own source word.
    QTest::newRow("1999") << 0 << QStringLiteral("1999");
    QTest::newRow("05") << 1 << QStringLiteral("may");
}

void TestContributionsModel::followsTheStep()
{
    QFETCH(int, step);
    QFETCH(QString, largest);
    ResultSelection selection;
    ContributionsModel model(&selection);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    selection.setOutput(test::datesOutput("the 3rd of may 1999"));
    selection.selectStep(step);
    const TranslationResult &result = *selection.result();
    QCOMPARE(model.rowCount(), result.sourceLength());
    const std::vector<Contribution> parts = contextContributions(result, result.best(), step);
    int strongest = 0;
    for (int j = 0; j < model.rowCount(); ++j) {
        QCOMPARE(model.index(j, 0).data().toString(),
                 QString::fromStdString(result.sourceTokens[size_t(j)]));
        QCOMPARE(model.index(j, 1).data(Qt::UserRole).toDouble(), parts[size_t(j)].norm);
        QCOMPARE(model.index(j, 2).data(Qt::UserRole).toDouble(), parts[size_t(j)].cosine);
        QCOMPARE(model.index(j, 1).data().toString(),
                 QString::number(parts[size_t(j)].norm, 'f', 3));
        if (parts[size_t(j)].norm > parts[size_t(strongest)].norm)
            strongest = j;
    }
    QCOMPARE(model.index(strongest, 0).data().toString(), largest);
    QVERIFY(parts[size_t(strongest)].cosine > 0.9); // and it points the way c_i does
}

void TestContributionsModel::colours()
{
    ResultSelection selection;
    ContributionsModel model(&selection);
    model.setBarColor(QColor(0, 0, 255));
    selection.setOutput(test::datesOutput("the 3rd of may 1999"));
    selection.selectStep(1);
    const TranslationResult &result = *selection.result();
    const std::vector<Contribution> parts = contextContributions(result, result.best(), 1);
    double largest = 0;
    for (const Contribution &part : parts)
        largest = std::max(largest, part.norm);
    std::vector<double> alpha;
    for (int j = 0; j < model.rowCount(); ++j)
        alpha.push_back(double(result.best().attention(1, j)));
    const double strongest = *std::max_element(alpha.begin(), alpha.end());
    double faintest = 1;
    for (int j = 0; j < model.rowCount(); ++j) {
        // The bar: the bar colour, more opaque the larger the part against the largest.
        const QColor bar = model.index(j, 1).data(Qt::BackgroundRole).value<QColor>();
        QCOMPARE(bar.rgb(), QColor(0, 0, 255).rgb());
        QVERIFY(std::abs(bar.alphaF() - (0.15 + 0.6 * parts[size_t(j)].norm / largest)) < 0.01);
        // The cosine: the diverging scale, faded by the row's α against the step's largest
        // (issue #22: words with α near 0 showed strong red cells), with text that reads on it.
        const double share = alpha[j] / strongest;
        QVERIFY(std::abs(model.index(j, 2).data(ContributionsModel::ShareRole).toDouble() - share)
                < 1e-9);
        const QColor sign = model.index(j, 2).data(Qt::BackgroundRole).value<QColor>();
        QCOMPARE(sign.rgb(), divergingColor(parts[size_t(j)].cosine).rgb());
        QVERIFY2(std::abs(sign.alphaF() - (0.06 + 0.94 * share)) < 0.01,
                 qPrintable(QString::number(sign.alphaF())));
        if (share >= 0.5)
            QCOMPARE(model.index(j, 2).data(Qt::ForegroundRole).value<QColor>(),
                     contrastingTextColor(divergingColor(parts[size_t(j)].cosine)));
        else
            QVERIFY(!model.index(j, 2).data(Qt::ForegroundRole).isValid());
        QVERIFY(!model.index(j, 0).data(Qt::BackgroundRole).isValid());
        faintest = std::min(faintest, double(sign.alphaF()));
        QCOMPARE(model.index(j, 0).data(ContributionsModel::ShareRole).toDouble(),
                 model.index(j, 2).data(ContributionsModel::ShareRole).toDouble());
    }
    // The strongest word is drawn in full, a word the step hardly attends to faintly.
    QCOMPARE(model.index(int(std::max_element(alpha.begin(), alpha.end()) - alpha.begin()), 2)
                 .data(Qt::BackgroundRole)
                 .value<QColor>()
                 .alphaF(),
             1.0);
    QVERIFY2(faintest < 0.2, qPrintable(QString::number(faintest)));
}

void TestContributionsModel::headers()
{
    ResultSelection selection;
    ContributionsModel model(&selection);
    QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QStringLiteral("Source word"));
    QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), QStringLiteral("‖αᵢⱼ hⱼ‖"));
    QCOMPARE(model.headerData(2, Qt::Horizontal).toString(), QStringLiteral("cos(αᵢⱼ hⱼ, cᵢ)"));
    QVERIFY(!model.headerData(0, Qt::Vertical).isValid());
}

QTEST_GUILESS_MAIN(TestContributionsModel)

#include "tst_contributionsmodel.moc"
