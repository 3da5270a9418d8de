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
    void familyModel();
    void optionalFieldsAreLeftOut();
};

void TestModelSummary::bahdanau()
{
    const ModelFile model = test::makeRandomModel(Architecture::Bahdanau);
    const QStringList expected = {
        QStringLiteral("Name=random-bahdanau"),
        QStringLiteral("Architecture=bahdanau"),
        QStringLiteral("Hidden size=4"),
        QStringLiteral("Encoder=gru, 1 layer, embedding 4, hidden 4"),
        QStringLiteral("Decoder=gru, 1 layer, embedding 4, hidden 4, input embedding_context, query previous, "
                       "init final"),
        QStringLiteral("Attention=additive, hidden 4"),
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
    QVERIFY(lines.contains(QStringLiteral("Architecture=luong")));
    QVERIFY(lines.contains(QStringLiteral("Attention=dot")));
    QVERIFY2(lines.filter(QStringLiteral("attentional context_state (tanh)")).size() == 1, qPrintable(lines.join(QLatin1Char('|'))));
}

void TestModelSummary::tutorialLegacy()
{
    const QStringList lines = summaryLines(test::makeRandomModel(Architecture::TutorialLegacy, LuongScore::General, false));
    QVERIFY(lines.contains(QStringLiteral("Architecture=tutorial_legacy")));
    QVERIFY(lines.contains(QStringLiteral("Attention=location, 5 slots")));
    QVERIFY2(lines.filter(QStringLiteral("input combine (none)")).size() == 1, qPrintable(lines.join(QLatin1Char('|'))));
}

void TestModelSummary::familyModel()
{
    ModelConfig config = luongConfig(8, LuongScore::General);
    config.encoder = {Cell::Lstm, 2, 3, 4, true, DirectionMerge::Concat, true};
    config.decoder.cell = Cell::Lstm;
    config.decoder.layers = 2;
    config.decoder.input = DecoderInput::InputFeeding;
    config.decoder.cellInit = InitRule::Final;
    config.sourceEos = false;
    const QStringList lines = summaryLines(test::makeRandomModel(config, "family"));
    QVERIFY2(lines.contains(QStringLiteral("Architecture=2-layer bidirectional LSTM encoder, 2-layer LSTM decoder, "
                                           "general attention on s_i, input feeding")),
             qPrintable(lines.join(QLatin1Char('|'))));
    QVERIFY(lines.contains(
        QStringLiteral("Encoder=lstm, 2 layers, embedding 3, hidden 4 per direction, bidirectional (concat), "
                       "embeddings x sqrt(d)")));
    QVERIFY(lines.contains(QStringLiteral("Source EOS=no")));
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
