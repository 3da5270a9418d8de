// The walkthrough's state and texts (ui/models/walkthroughmodel.h), without a window: the
// position over stages x steps, the play timer, and the numbers the pages print, which must be
// the translation result's own (issue #18).
#include <walkthroughmodel.h>

#include <translationcontroller.h>

#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>

#include <QSignalSpy>
#include <QTest>

using namespace attnviz;

namespace {

std::string sample(const char *name)
{
    return std::string(ATTNVIZ_SOURCE_DIR) + "/sample_models/" + name + ".safetensors";
}

TranslationOutput translated(const std::string &modelPath, const QString &sentence, const DecodeOptions &options = {})
{
    TranslationOutput output;
    output.model = Model::fromFile(modelPath);
    output.sentence = sentence;
    output.result = std::make_shared<const TranslationResult>(translate(*output.model, sentence.toStdString(), options));
    return output;
}

QString plain(const QString &html)
{
    QString text = html;
    text.replace(QRegularExpression(QStringLiteral("<[^>]*>")), QString());
    return text.replace(QStringLiteral("&lt;"), QStringLiteral("<"));
}

} // namespace

class TestWalkthroughModel : public QObject
{
    Q_OBJECT
private slots:
    void positionCoversStagesTimesSteps();
    void playAdvancesAndStopsAtTheEnd();
    void textsCarryTheResultsNumbers_data();
    void textsCarryTheResultsNumbers();
    void locationAttentionShowsItsSlots();
    void beamHypothesisAndForcedReference();
    void framesOfAStepRange();
    void transformerTextsCarryTheHeadsNumbers();
};

void TestWalkthroughModel::positionCoversStagesTimesSteps()
{
    WalkthroughModel model;
    QCOMPARE(model.frameCount(), 0);
    QSignalSpy moved(&model, &WalkthroughModel::positionChanged);
    const TranslationOutput output = translated(sample("tiny"), QStringLiteral("i am cold ."));
    model.setOutput(output, 0);
    QVERIFY(model.hasData());
    const int steps = output.result->best().steps();
    QCOMPARE(model.frameCount(), 4 * steps);
    QCOMPARE(model.position(), 0);
    model.previous(); // clamped
    QCOMPARE(model.position(), 0);
    model.next();
    model.next();
    QCOMPARE(model.frame().step, 0);
    QCOMPARE(model.frame().stage, WalkthroughStage::Context);
    model.next();
    model.next();
    QCOMPARE(model.frame().step, 1);
    QCOMPARE(model.frame().stage, WalkthroughStage::Encoder);
    model.last();
    QCOMPARE(model.position(), 4 * steps - 1);
    QCOMPARE(model.frame().step, steps - 1);
    QCOMPARE(model.frame().stage, WalkthroughStage::Output);
    model.next(); // clamped
    QCOMPARE(model.position(), 4 * steps - 1);
    model.first();
    QCOMPARE(model.position(), 0);
    QVERIFY(moved.count() >= 6);
    // The same sentence again (a new hypothesis or top k) keeps the page; a new sentence starts over.
    model.setPosition(5);
    model.setOutput(output, 0);
    QCOMPARE(model.position(), 5);
    model.setOutput(translated(sample("tiny"), QStringLiteral("i am .")), 0);
    QCOMPARE(model.position(), 0);
    model.clear();
    QCOMPARE(model.frameCount(), 0);
}

void TestWalkthroughModel::playAdvancesAndStopsAtTheEnd()
{
    WalkthroughModel model;
    model.setOutput(translated(sample("tiny"), QStringLiteral("i am cold .")), 0);
    model.setSpeed(2);
    QCOMPARE(model.interval(), WalkthroughModel::baseInterval / 2);
    model.setSpeed(100);
    QCOMPARE(model.speed(), 8.0);
    QSignalSpy playing(&model, &WalkthroughModel::playingChanged);
    model.play();
    QVERIFY(model.isPlaying());
    QTRY_VERIFY_WITH_TIMEOUT(model.position() >= 1, 10000); // the real timer
    while (model.isPlaying())
        model.tick();
    QCOMPARE(model.position(), model.frameCount() - 1); // ends on the finished alignment
    QCOMPARE(playing.count(), 2);
    model.play(); // from the last page: starts over
    QCOMPARE(model.position(), 0);
    model.togglePlay();
    QVERIFY(!model.isPlaying());
}

void TestWalkthroughModel::textsCarryTheResultsNumbers_data()
{
    QTest::addColumn<QString>("name");
    for (const char *name : {"tiny", "eng-fra-bahdanau", "eng-fra-luong", "eng-fra-legacy", "dates"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void TestWalkthroughModel::textsCarryTheResultsNumbers()
{
    QFETCH(QString, name);
    const QString sentence = name == QLatin1String("dates") ? QStringLiteral("the 3rd of may 1999")
                                                             : QStringLiteral("i am cold .");
    const TranslationOutput output = translated(sample(qPrintable(name)), sentence);
    const Hypothesis &h = output.result->best();
    const WalkthroughData data = makeWalkthroughData(*output.model, output.result, 0, 5, sentence);
    QCOMPARE(data.steps(), h.steps());
    QCOMPARE(data.columns(), int(h.attention.cols()));
    for (int i = 0; i < h.steps(); ++i) {
        // The softmax of the step's strongest column, with the raw scores filled in.
        int j = 0;
        for (int k = 1; k < h.attention.cols(); ++k)
            if (h.attention(i, k) > h.attention(i, j))
                j = k;
        const QString softmax = plain(walkthroughSoftmaxFormula(data, i));
        QVERIFY2(softmax.contains(QStringLiteral("exp(%1)").arg(walkthroughNumber(h.energies(i, j)))), qPrintable(softmax));
        QVERIFY2(softmax.endsWith(QStringLiteral("= ") + walkthroughNumber(h.attention(i, j))), qPrintable(softmax));
        QVERIFY(softmax.contains(QStringLiteral("exp(%1)").arg(walkthroughNumber(h.energies(i, 0)))));
        const QString context = plain(walkthroughContextFormula(data, i));
        QVERIFY2(context.contains(walkthroughNumber(h.attention(i, 0)) + QStringLiteral("·h1")), qPrintable(context));
        QVERIFY(context.contains(QStringLiteral("cos(c%1, c) = %2").arg(i + 1).arg(walkthroughNumber(h.cosine[i]))));
        // Stage 4: the greedy word is the argmax, with the probability of its log p.
        const StepDetail &s = data.details.steps[i];
        QCOMPARE(s.top.front().id, h.targetIds[i]);
        const QString out = plain(walkthroughOutputText(data, i));
        QVERIFY2(out.contains(QString::fromStdString(h.targetTokens[i]).toHtmlEscaped()), qPrintable(out));
        QVERIFY(out.contains(walkthroughNumber(std::exp(h.logProbs[i]), 3)));
        QVERIFY(out.contains(QString::fromStdString(s.withSummedContext.token).toHtmlEscaped()));
        double sum = 0;
        for (const WordProbability &w : s.top)
            sum += w.probability;
        QVERIFY(sum <= 1.0 + 1e-6);
    }
    QCOMPARE(output.result->ablation.has_value(), false);
    QVERIFY(plain(walkthroughQueryText(data, 1)).contains(data.details.queryIsPrevious ? QStringLiteral("s1") : QStringLiteral("s2")));
}

void TestWalkthroughModel::locationAttentionShowsItsSlots()
{
    const TranslationOutput output = translated(sample("eng-fra-legacy"), QStringLiteral("i am cold ."));
    const WalkthroughData data = makeWalkthroughData(*output.model, output.result, 0, 5, output.sentence);
    QVERIFY(!data.details.scoresReadAnnotations);
    QVERIFY(data.columns() > data.sourceLength());
    QCOMPARE(data.columnLabels.at(data.sourceLength()), QStringLiteral("pad %1").arg(data.sourceLength() + 1));
    QVERIFY(plain(data.scoreFormula).contains(QStringLiteral("without h")));
}

void TestWalkthroughModel::beamHypothesisAndForcedReference()
{
    DecodeOptions beam;
    beam.beamWidth = 3;
    const TranslationOutput output = translated(sample("eng-fra-bahdanau"), QStringLiteral("i am cold ."), beam);
    QVERIFY(output.result->hypotheses.size() >= 2);
    WalkthroughModel model;
    model.setOutput(output, 1);
    QCOMPARE(model.data()->hypothesis, 1);
    QCOMPARE(model.data()->targetTokens.size(), int(output.result->hypotheses[1].targetTokens.size()));
    for (int i = 0; i < model.data()->targetTokens.size(); ++i)
        QCOMPARE(model.data()->targetTokens[i].toStdString(), output.result->hypotheses[1].targetTokens[i]);

    DecodeOptions forced;
    forced.target = "je suis malade .";
    const TranslationOutput reference = translated(sample("eng-fra-bahdanau"), QStringLiteral("i am cold ."), forced);
    model.setOutput(reference, 0);
    const WalkthroughData &d = *model.data();
    QVERIFY(d.forced);
    QCOMPARE(d.targetTokens.size(), int(reference.result->best().targetTokens.size()));
    bool someRankAboveOne = false;
    for (int i = 0; i < d.steps(); ++i) {
        QCOMPARE(d.details.steps[i].chosen.token, reference.result->best().targetTokens[i]);
        someRankAboveOne |= d.details.steps[i].chosenRank > 1;
        QVERIFY(plain(walkthroughOutputText(d, i))
                    .contains(QStringLiteral("rank %1 of %2").arg(d.details.steps[i].chosenRank).arg(d.vocabularySize)));
    }
    QVERIFY2(someRankAboveOne, "the model would not say 'malade' for 'cold': a rank above 1 somewhere");
    model.setTopK(3);
    QCOMPARE(int(model.data()->details.steps[0].top.size()), 3);
}

void TestWalkthroughModel::framesOfAStepRange()
{
    const QList<WalkthroughFrame> all = walkthroughFrames(5);
    QCOMPARE(all.size(), 20);
    QCOMPARE(all[6].step, 1);
    QCOMPARE(all[6].stage, WalkthroughStage::Context);
    const QList<WalkthroughFrame> some = walkthroughFrames(5, 1, 2);
    QCOMPARE(some.size(), 8);
    QCOMPARE(some.front().step, 1);
    QCOMPARE(some.back().step, 2);
    QCOMPARE(some.back().stage, WalkthroughStage::Output);
}

// The Marian sample: the texts print the explained head's numbers (issue #23).
void TestWalkthroughModel::transformerTextsCarryTheHeadsNumbers()
{
    TranslationOutput output;
    output.model = std::make_shared<const Model>(openModel(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian").model,
                                                 "eng-fra-marian");
    output.sentence = QStringLiteral("I am cold.");
    output.result = std::make_shared<const TranslationResult>(translate(*output.model, "I am cold.", {}));
    const Hypothesis &h = output.result->best();
    const int L = output.model->layers();
    const WalkthroughData data = makeWalkthroughData(*output.model, output.result, 0, 5, output.sentence, {}, 0, 1);
    QVERIFY(data.transformer());
    QCOMPARE(data.headName, QStringLiteral("layer 1, head 2"));
    QCOMPARE(data.attention, h.crossAttention.at(0, 1));
    QCOMPARE(data.energies, h.crossEnergies.at(0, 1));
    QCOMPARE(walkthroughStageTitle(WalkthroughStage::Encoder, true), QStringLiteral("Query"));
    QVERIFY2(plain(data.scoreFormula).contains(QStringLiteral("q · kj / √dk")), qPrintable(plain(data.scoreFormula)));
    for (int i = 0; i < h.steps(); ++i) {
        int j = 0;
        for (int k = 1; k < data.attention.cols(); ++k)
            if (data.attention(i, k) > data.attention(i, j))
                j = k;
        const QString softmax = plain(walkthroughSoftmaxFormula(data, i));
        // e_ij = q . k_j / sqrt(d_k) with the head's numbers, then its softmax.
        const double dot = data.details.keys.row(j).dot(data.details.steps[i].query.transpose());
        QVERIFY2(softmax.contains(QStringLiteral("= %1 / %2 = %3")
                                      .arg(walkthroughNumber(dot), walkthroughNumber(std::sqrt(data.details.headSize)),
                                           walkthroughNumber(data.energies(i, j)))),
                 qPrintable(softmax));
        QVERIFY2(softmax.endsWith(QStringLiteral("= ") + walkthroughNumber(data.attention(i, j))), qPrintable(softmax));
        const QString context = plain(walkthroughContextFormula(data, i));
        QVERIFY2(context.contains(walkthroughNumber(data.attention(i, 0)) + QStringLiteral("·v1")), qPrintable(context));
        QVERIFY(context.contains(QStringLiteral("Wo [o%1(1) ; … ; o%1(%2)] + bo").arg(i + 1).arg(data.details.heads)));
        const StepDetail &s = data.details.steps[i];
        const QString out = plain(walkthroughOutputText(data, i));
        QVERIFY(out.contains(walkthroughNumber(std::exp(h.logProbs[i]), 3)));
        QVERIFY2(out.contains(QStringLiteral("With head 2 of layer 1 uniform")), qPrintable(out));
        QVERIFY2(out.contains(plain(QString::fromStdString(s.withUniformHead.token).toHtmlEscaped())), qPrintable(out));
    }
    QVERIFY(plain(walkthroughQueryText(data, 0)).contains(QStringLiteral("post-norm")));
    // The model's head, kept across results; out of range for another model: back to the default.
    WalkthroughModel model;
    model.setHead(0, 1);
    model.setOutput(output, 0);
    QCOMPARE(model.data()->details.layer, 0);
    QCOMPARE(model.data()->details.head, 1);
    model.setHead(L + 3, 0);
    QCOMPARE(model.data()->details.layer, L - 1);
}

QTEST_MAIN(TestWalkthroughModel)
#include "tst_walkthroughmodel.moc"
