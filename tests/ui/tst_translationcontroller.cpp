#include "translationcontroller.h"

#include "testmodels.h"

#include <attnviz/models/model.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTimer>
#include <QTest>

using namespace attnviz;

namespace {

std::shared_ptr<const Model> randomModel(Architecture architecture)
{
    return std::make_shared<const Model>(test::makeRandomModel(architecture), "random");
}

TranslationOutput outputAt(const QSignalSpy &spy, int index)
{
    return spy.at(index).first().value<TranslationOutput>();
}

} // namespace

class TestTranslationController : public QObject
{
    Q_OBJECT

private slots:
    void sentenceGivesResult();
    void quickChangesGiveOnlyTheNewest();
    void staleResultIsDropped();
    void inputErrorIsReported();
    void pastedPageIsReported();
    void guiThreadKeepsRunning();
    void cancelStopsTheRunningTranslation();
    void newInputDoesNotWaitForTheRunningOne_data();
    void newInputDoesNotWaitForTheRunningOne();
    void emptyInputClears_data();
    void emptyInputClears();
    void forcedDecoding();
    void beamSearch();
    void attentionOverrides();
};

void TestTranslationController::sentenceGivesResult()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    controller.setModel(randomModel(Architecture::Bahdanau));
    controller.setSentence(QStringLiteral("I am cold."));
    QTRY_COMPARE(ready.count(), 1);
    const TranslationOutput output = outputAt(ready, 0);
    QCOMPARE(output.sentence, QStringLiteral("I am cold."));
    QVERIFY(output.result);
    // "." is outside the vocabulary of the random model.
    QCOMPARE(output.result->sourceTokens,
             (std::vector<std::string> {"i", "am", "cold", "UNK", "EOS"}));
    QCOMPARE(output.result->unknownWords, (std::vector<std::string> {"."}));
    QCOMPARE(output.result->hypotheses.size(), size_t(1));
    // Both ablations, decoded in the same worker task.
    QVERIFY(output.summed);
    QVERIFY(output.mean);
    QCOMPARE(output.summed->kind, Ablation::Summed);
    QCOMPARE(output.mean->kind, Ablation::Mean);
    QCOMPARE(output.summed->logProbs.size(), output.summed->targetTokens.size());
    QVERIFY(output.milliseconds >= 0);
    QVERIFY(!controller.isBusy());
}

void TestTranslationController::quickChangesGiveOnlyTheNewest()
{
    TranslationController controller;
    controller.setDebounceInterval(40);
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    controller.setModel(randomModel(Architecture::Luong));
    // Typing: each keystroke within the debounce delay of the previous one.
    for (const char *text : {"i", "i a", "i am", "i am c", "i am cold"})
        controller.setSentence(QString::fromLatin1(text));
    QTRY_COMPARE(ready.count(), 1);
    QTest::qWait(100);
    QCOMPARE(ready.count(), 1);
    QCOMPARE(outputAt(ready, 0).sentence, QStringLiteral("i am cold"));
}

void TestTranslationController::staleResultIsDropped()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    controller.setModel(randomModel(Architecture::Bahdanau));
    controller.setSentence(QStringLiteral("i am"));
    controller.delayNextRequestForTesting(300); // the first request is slow...
    controller.translateNow();
    controller.setSentence(QStringLiteral("i am cold")); // ...and overtaken while it runs
    controller.translateNow();
    QVERIFY(controller.waitForIdle(5000));
    QTest::qWait(50); // anything late would be delivered by now
    QCOMPARE(ready.count(), 1);
    QCOMPARE(outputAt(ready, 0).sentence, QStringLiteral("i am cold"));
    QCOMPARE(outputAt(ready, 0).result->sourceTokens.size(), size_t(4));
}

void TestTranslationController::guiThreadKeepsRunning()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    controller.setModel(randomModel(Architecture::Bahdanau));
    controller.setSentence(QStringLiteral("i am cold"));
    controller.delayNextRequestForTesting(400);
    QElapsedTimer clock;
    clock.start();
    controller.translateNow();
    QVERIFY(clock.elapsed() < 100); // the request returns at once...
    QVERIFY(controller.isBusy());
    int ticks = 0;
    QTimer timer;
    connect(&timer, &QTimer::timeout, [&ticks]() { ++ticks; });
    timer.start(10);
    QTRY_COMPARE(ready.count(), 1);
    // ...and the event loop ran all the while the worker was busy.
    QVERIFY2(ticks >= 10, qPrintable(QString::number(ticks)));
    QVERIFY(clock.elapsed() >= 400);
}

// A slow request (the test hook's 5 s stands in for a long translation; the engine stops at
// its next decoder step the same way: tst_hostile.cpp) is stopped by cancel(): the worker is
// free at once, and nothing of the stopped request is ever delivered.
void TestTranslationController::cancelStopsTheRunningTranslation()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    QSignalSpy started(&controller, &TranslationController::translationStarted);
    QSignalSpy cancelled(&controller, &TranslationController::translationCancelled);
    controller.setModel(randomModel(Architecture::Bahdanau));
    controller.setSentence(QStringLiteral("i am cold"));
    controller.delayNextRequestForTesting(5000);
    QElapsedTimer clock;
    clock.start();
    controller.translateNow();
    QCOMPARE(started.count(), 1);
    QTest::qWait(50);
    QVERIFY(controller.isBusy());
    controller.cancel();
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(!controller.isBusy());
    controller.cancel(); // nothing left to stop: no second signal
    QCOMPARE(cancelled.count(), 1);
    // The worker is free: the next translation does not wait out the 5 s.
    controller.translateNow();
    QVERIFY(controller.waitForIdle(4000));
    QVERIFY2(clock.elapsed() < 4000, qPrintable(QString::number(clock.elapsed())));
    QTest::qWait(50);
    QCOMPARE(ready.count(), 1);
}

void TestTranslationController::newInputDoesNotWaitForTheRunningOne_data()
{
    QTest::addColumn<bool>("newModel");
    QTest::newRow("a new sentence") << false;
    QTest::newRow("a new model") << true;
}

// A keystroke or a model switch while a long translation runs stops it; the new input is
// translated at once, and only its result arrives.
void TestTranslationController::newInputDoesNotWaitForTheRunningOne()
{
    QFETCH(bool, newModel);
    TranslationController controller;
    controller.setDebounceInterval(0);
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    controller.setModel(randomModel(Architecture::Bahdanau));
    controller.setSentence(QStringLiteral("i am"));
    controller.delayNextRequestForTesting(5000);
    QElapsedTimer clock;
    clock.start();
    controller.translateNow();
    QTest::qWait(50);
    if (newModel)
        controller.setModel(randomModel(Architecture::Luong));
    else
        controller.setSentence(QStringLiteral("i am cold"));
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 4000);
    QVERIFY2(clock.elapsed() < 4000, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(outputAt(ready, 0).sentence, newModel ? QStringLiteral("i am") : QStringLiteral("i am cold"));
    QCOMPARE(architectureOf(outputAt(ready, 0).model->config()), newModel ? Architecture::Luong : Architecture::Bahdanau);
    QTest::qWait(50);
    QCOMPARE(ready.count(), 1);
}

void TestTranslationController::inputErrorIsReported()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    QSignalSpy failed(&controller, &TranslationController::translationFailed);
    controller.setModel(randomModel(Architecture::TutorialLegacy)); // L = 5 slots
    controller.setSentence(QStringLiteral("i am cold i am")); // 5 words + EOS
    QTRY_COMPARE(failed.count(), 1);
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(QStringLiteral("tutorial_legacy")), qPrintable(message));
    QCOMPARE(ready.count(), 0);

    controller.setSentence(QStringLiteral("i am cold"));
    QTRY_COMPARE(ready.count(), 1);
    QCOMPARE(failed.count(), 1);
}

// 5,000 words pasted at once: over the engine's limit, said in the window, not decoded.
void TestTranslationController::pastedPageIsReported()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    QSignalSpy failed(&controller, &TranslationController::translationFailed);
    controller.setModel(randomModel(Architecture::Bahdanau));
    controller.setSentence(QStringLiteral("i am cold ").repeated(1667));
    QTRY_COMPARE(failed.count(), 1);
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(QStringLiteral("5001 words; attnviz translates at most 500")),
             qPrintable(message));
    QCOMPARE(ready.count(), 0);
}

void TestTranslationController::emptyInputClears_data()
{
    QTest::addColumn<bool>("withModel");
    QTest::addColumn<QString>("sentence");
    QTest::newRow("no model") << false << QStringLiteral("i am cold");
    QTest::newRow("blank sentence") << true << QStringLiteral("   ");
}

void TestTranslationController::emptyInputClears()
{
    QFETCH(bool, withModel);
    QFETCH(QString, sentence);
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    QSignalSpy cleared(&controller, &TranslationController::cleared);
    if (withModel)
        controller.setModel(randomModel(Architecture::Bahdanau));
    controller.setSentence(sentence);
    QTRY_COMPARE(cleared.count(), 1);
    QCOMPARE(ready.count(), 0);
}

void TestTranslationController::forcedDecoding()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    controller.setModel(randomModel(Architecture::Bahdanau));
    DecodeOptions options;
    options.target = "je suis froid";
    controller.setOptions(options);
    controller.setSentence(QStringLiteral("i am cold"));
    QTRY_COMPARE(ready.count(), 1);
    const auto &result = *outputAt(ready, 0).result;
    QVERIFY(result.forced);
    QCOMPARE(result.best().targetTokens,
             (std::vector<std::string> {"je", "suis", "froid", "EOS"}));
}

void TestTranslationController::beamSearch()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    controller.setModel(randomModel(Architecture::Luong));
    DecodeOptions options;
    options.beamWidth = 3;
    controller.setOptions(options);
    controller.setSentence(QStringLiteral("i am cold"));
    QTRY_COMPARE(ready.count(), 1);
    const auto &hypotheses = outputAt(ready, 0).result->hypotheses;
    QCOMPARE(hypotheses.size(), size_t(3));
    QVERIFY(hypotheses[0].normalizedScore >= hypotheses[1].normalizedScore); // the beam's ranking
    QCOMPARE(controller.options().beamWidth, 3);
    QCOMPARE(controller.options().ablation, Ablation::None);
}

void TestTranslationController::attentionOverrides()
{
    TranslationController controller;
    QSignalSpy ready(&controller, &TranslationController::resultReady);
    controller.setModel(randomModel(Architecture::Bahdanau));
    controller.setSentence(QStringLiteral("i am cold"));
    QVERIFY(controller.waitForIdle(10000));
    const MatrixRM original = outputAt(ready, ready.count() - 1).result->best().attention;

    controller.setAttentionOverride({0, 1, 1.0});
    controller.setAttentionOverride({0, 2, 1.0}); // the same step: replaces the first
    QCOMPARE(controller.attentionOverrides().size(), size_t(1));
    QCOMPARE(controller.options().attentionOverrides.front().position, 2);
    QVERIFY(controller.waitForIdle(10000));
    TranslationOutput output = outputAt(ready, ready.count() - 1);
    QCOMPARE(output.attentionOverrides.size(), size_t(1));
    const MatrixRM &forced = output.result->best().attention;
    for (int j = 0; j < forced.cols(); ++j)
        QCOMPARE(forced(0, j), j == 2 ? 1.0f : 0.0f);

    controller.clearAttentionOverrides();
    QVERIFY(controller.waitForIdle(10000));
    output = outputAt(ready, ready.count() - 1);
    QVERIFY(output.attentionOverrides.empty());
    QCOMPARE(output.result->best().attention, original);

    // Another sentence: the steps and positions no longer apply.
    controller.setAttentionOverride({1, 0, 0.5});
    controller.setSentence(QStringLiteral("i am"));
    QVERIFY(controller.attentionOverrides().empty());
}

QTEST_MAIN(TestTranslationController)

#include "tst_translationcontroller.moc"
