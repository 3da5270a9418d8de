#include "testmodels.h"

#include <attnviz/io/model_summary.h>

#include <QTest>

using namespace attnviz;

namespace {

// "label=value" lines, easy to compare and to read in a failure message.
QStringList summaryLines(const ModelFile &model)
{
    QStringList lines;
    for (const ModelSummaryField &field : modelSummary(model))
        lines << QString::fromStdString(field.label + "=" + field.value);
    return lines;
}

} // namespace

class TestModelSummary : public QObject
{
    Q_OBJECT

private slots:
    void bahdanau();
    void luong();
    void tutorialLegacy();
    void optionalFieldsAreLeftOut();
};

void TestModelSummary::bahdanau()
{
    const ModelFile model = test::makeRandomModel(Architecture::Bahdanau);
    const QStringList expected = {
        QStringLiteral("Name=random-bahdanau"),
        QStringLiteral("Architecture=bahdanau"),
        QStringLiteral("Hidden size=4"),
        QStringLiteral("Normalization=tutorial"),
        QStringLiteral("Source vocabulary=6 words"),
        QStringLiteral("Target vocabulary=7 words"),
        QStringLiteral("Parameters=%1").arg(model.parameterCount()),
        QStringLiteral("Languages=eng -> fra"),
        QStringLiteral("Description=random weights for tests"),
    };
    QCOMPARE(summaryLines(model), expected);
}

void TestModelSummary::luong()
{
    const QStringList lines =
        summaryLines(test::makeRandomModel(Architecture::Luong, LuongScore::Dot));
    QVERIFY(lines.contains(QStringLiteral("Luong score=dot")));
    QVERIFY(!lines.contains(QStringLiteral("Max length=0")));
}

void TestModelSummary::tutorialLegacy()
{
    const QStringList lines = summaryLines(test::makeRandomModel(
        Architecture::TutorialLegacy, LuongScore::General, CombineActivation::None));
    QVERIFY(lines.contains(QStringLiteral("Max length=5")));
    QVERIFY(lines.contains(QStringLiteral("Combine activation=none")));
    QVERIFY(!lines.contains(QStringLiteral("Luong score=general")));
}

void TestModelSummary::optionalFieldsAreLeftOut()
{
    ModelFile model = test::makeRandomModel(Architecture::Bahdanau);
    model.config.name.clear();
    model.config.description.clear();
    model.config.sourceLanguage.clear();
    const QStringList lines = summaryLines(model);
    QCOMPARE(lines.first(), QStringLiteral("Name=(unnamed)"));
    QVERIFY(lines.contains(QStringLiteral("Languages=? -> fra")));
    QVERIFY(!lines.last().startsWith(QStringLiteral("Description")));
}

QTEST_APPLESS_MAIN(TestModelSummary)

#include "tst_modelsummary.moc"
