// File → Compare with…: the comparison's state and export (ComparisonController,
// ComparisonFigure) and the window the main window opens for it (#19).
#include "testsettings.h"
#include "comparewindow.h"
#include "comparisoncontroller.h"
#include "mainwindow.h"

#include <attnviz/analysis/compare.h>

#include <QApplication>
#include <QComboBox>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace attnviz;

namespace {

QString sample(const char *name)
{
    return QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/") + QString::fromLatin1(name) + QStringLiteral(".safetensors");
}

std::shared_ptr<const Model> load(const char *name)
{
    return Model::fromFile(sample(name).toStdString());
}

const QString sentence = QStringLiteral("the 3rd of may 1999");

// Closes the message boxes a failed compareWith() shows, so that the test does not wait on them.
void closeMessageBoxesSoon()
{
    QTimer::singleShot(0, []() {
        for (QWidget *w : QApplication::topLevelWidgets())
            if (auto *box = qobject_cast<QMessageBox *>(w))
                box->close();
    });
}

// Two Marian fixtures whose target vocabularies differ, compared from the main window on "i am
// cold ." (A: marian-opus-swish, B: marian-separate-vocabs); null when any step fails.
CompareWindow *openMarianPair(MainWindow &main)
{
    const QString dir = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/transformer/");
    if (!main.loadModel(dir + QStringLiteral("marian-opus-swish")))
        return nullptr;
    main.setSentence(QStringLiteral("i am cold ."));
    if (!main.waitForTranslation())
        return nullptr;
    CompareWindow *window = main.compareWith(dir + QStringLiteral("marian-separate-vocabs/config.json"));
    return window && window->controller()->waitForComparison() ? window : nullptr;
}

} // namespace

class TestCompareWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(m_settings.isValid()); }
    void controllerComparesAndSwitches();
    void identicalModelsHaveNoDifference();
    void controllerReportsMismatch();
    void exportsFigureAndNumbers();
    void windowFromMainWindow();
    void windowWithReference();
    void badSecondModel();
    void failureKeepsTheLastComparison();
    void transformerWithItself();
    void wordsWhenPiecesDiffer();
    void unitsChosenByHand();

private:
    test::IsolatedSettings m_settings;
};

void TestCompareWindow::controllerComparesAndSwitches()
{
    ComparisonController controller;
    QSignalSpy changed(&controller, &ComparisonController::comparisonChanged);
    controller.setModels(load("dates"), QStringLiteral("dates"), load("tiny"), QStringLiteral("tiny"));
    controller.setSentence(sentence, QString());
    QVERIFY(controller.isComputing()); // on the worker: the result arrives as comparisonChanged
    QVERIFY(changed.wait(30000));
    QCOMPARE(changed.count(), 1);
    QVERIFY(!controller.isComputing());
    QVERIFY(controller.figure());
    const auto a = translate(*load("dates"), sentence.toStdString(), {});
    QCOMPARE(controller.figure()->comparison().targetTokens, a.best().targetTokens);
    // The difference is A's row minus B's, and its scale covers the largest.
    const ModelComparison &c = controller.figure()->comparison();
    double largest = 0;
    for (int i = 0; i < c.attentionA.rows(); ++i)
        for (int j = 0; j < c.attentionA.cols(); ++j) {
            QCOMPARE(controller.figure()->difference(i, j), double(c.attentionA(i, j)) - double(c.attentionB(i, j)));
            largest = std::max(largest, std::abs(controller.figure()->difference(i, j)));
        }
    QVERIFY(controller.figure()->differenceBound() >= largest);
    QVERIFY(controller.figure()->differenceBound() < largest + 0.1 + 1e-9);

    controller.setSharedOutput(SharedOutput::B);
    QVERIFY(controller.waitForComparison());
    QCOMPARE(changed.count(), 2);
    QCOMPARE(controller.figure()->comparison().sharedOutput, std::string("b"));
    QCOMPARE(controller.figure()->comparison().targetTokens,
             translate(*load("tiny"), sentence.toStdString(), {}).best().targetTokens);
    controller.setSharedOutput(SharedOutput::B); // no change, no new comparison
    QVERIFY(!controller.isComputing());
    QCOMPARE(changed.count(), 2);
}

void TestCompareWindow::identicalModelsHaveNoDifference()
{
    ComparisonController controller;
    const auto tiny = load("tiny");
    controller.setModels(tiny, QStringLiteral("tiny"), tiny, QStringLiteral("tiny"));
    controller.setSentence(sentence, QString());
    QVERIFY(controller.waitForComparison());
    QCOMPARE(controller.figure()->differenceBound(), 0.1);
    QCOMPARE(controller.figure()->difference(0, 0), 0.0);
    QVERIFY(comparisonSummary(controller.figure()->comparison()).startsWith(QStringLiteral("mean JSD 0.000 nats")));
}

void TestCompareWindow::controllerReportsMismatch()
{
    ComparisonController controller;
    QSignalSpy failed(&controller, &ComparisonController::comparisonFailed);
    controller.setModels(load("dates"), QStringLiteral("dates"), load("eng-fra-bahdanau"), QStringLiteral("eng-fra"));
    controller.setSentence(QStringLiteral("march 3 2011"), QString());
    QVERIFY(!controller.waitForComparison());
    QCOMPARE(failed.count(), 1);
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("differ")),
             qPrintable(failed.first().first().toString()));
    QVERIFY(!controller.figure());
    QTemporaryDir dir;
    QString error;
    QVERIFY(!controller.exportTo(dir.filePath(QStringLiteral("x.png")), 300, &error));
    QVERIFY(!error.isEmpty());
}

void TestCompareWindow::exportsFigureAndNumbers()
{
    ComparisonController controller;
    controller.setModels(load("dates"), QStringLiteral("dates"), load("tiny"), QStringLiteral("tiny"));
    controller.setSentence(sentence, QString());
    QVERIFY(controller.waitForComparison());
    QTemporaryDir dir;
    QString error;
    const int steps = int(controller.figure()->comparison().targetTokens.size());
    // PNG at the dpi asked for: the figure's size in points times dpi / 72.
    const QString png = dir.filePath(QStringLiteral("c.png"));
    QVERIFY2(controller.exportTo(png, 144, &error), qPrintable(error));
    QImage probe(1, 1, QImage::Format_ARGB32);
    probe.setDotsPerMeterX(int(std::lround(144 / 0.0254)));
    probe.setDotsPerMeterY(int(std::lround(144 / 0.0254)));
    const QSizeF expected = controller.figure()->size(&probe);
    const QImage image(png);
    QCOMPARE(image.width(), int(std::ceil(expected.width())));
    QCOMPARE(image.height(), int(std::ceil(expected.height())));
    // Three panels side by side: wider than tall for this one-line sentence.
    QVERIFY(image.width() > 2 * image.height());
    for (const char *suffix : {"svg", "pdf"}) {
        const QString path = dir.filePath(QStringLiteral("c.") + QLatin1String(suffix));
        QVERIFY2(controller.exportTo(path, 300, &error), qPrintable(error));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.readAll().startsWith(QByteArray(suffix) == "svg" ? QByteArray("<?xml") : QByteArray("%PDF")));
    }
    const QString csv = dir.filePath(QStringLiteral("c.csv"));
    QVERIFY(controller.exportTo(csv, 300, &error));
    QFile csvFile(csv);
    QVERIFY(csvFile.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csvFile.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), steps + 1);
    QCOMPARE(lines.front(), QByteArray("step,token,jsd,agreement,entropy_a,entropy_b,log_p_a,log_p_b"));
    QVERIFY(lines[1].startsWith("0,1999,"));
    const QString json = dir.filePath(QStringLiteral("c.json"));
    QVERIFY(controller.exportTo(json, 300, &error));
    QFile jsonFile(json);
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QJsonObject j = QJsonDocument::fromJson(jsonFile.readAll()).object();
    QCOMPARE(j[QStringLiteral("model_b")].toString(), QStringLiteral("tiny"));
    QCOMPARE(j[QStringLiteral("sentence")].toString(), sentence);
    QCOMPARE(j[QStringLiteral("jsd")].toArray().size(), steps);
    QVERIFY(!controller.exportTo(dir.filePath(QStringLiteral("c.txt")), 300, &error));
    QVERIFY(error.contains(QStringLiteral(".png, .svg")));
}

void TestCompareWindow::windowFromMainWindow()
{
    MainWindow main;
    QVERIFY(main.loadModel(sample("dates")));
    main.setSentence(sentence);
    QVERIFY(main.waitForTranslation());
    CompareWindow *window = main.compareWith(sample("tiny"));
    QVERIFY(window);
    QVERIFY(window->isVisible());
    QVERIFY(window->controller()->waitForComparison());
    const ModelComparison &c = window->controller()->figure()->comparison();
    QCOMPARE(window->table()->rowCount(), int(c.targetTokens.size()));
    QCOMPARE(window->table()->item(0, 0)->text(), QStringLiteral("1999"));
    QCOMPARE(window->table()->item(0, 1)->text(), QString::number(c.rows.jsd[0], 'f', 4));
    QCOMPARE(window->sharedOutputBox()->count(), 2);
    QVERIFY(window->windowTitle().contains(QStringLiteral("tiny")));
    // Choosing B's translation recomputes.
    window->sharedOutputBox()->setCurrentIndex(1);
    emit window->sharedOutputBox()->activated(1);
    QVERIFY(window->controller()->waitForComparison());
    QCOMPARE(window->controller()->sharedOutput(), SharedOutput::B);
    QCOMPARE(window->controller()->figure()->comparison().sharedOutput, std::string("b"));
    window->close();
}

void TestCompareWindow::windowWithReference()
{
    MainWindow main;
    QVERIFY(main.loadModel(sample("dates")));
    main.setSentence(sentence);
    main.setReference(QStringLiteral("1999 05 04"));
    QVERIFY(main.waitForTranslation());
    CompareWindow *window = main.compareWith(sample("tiny"));
    QVERIFY(window);
    QCOMPARE(window->sharedOutputBox()->count(), 3);
    QVERIFY(window->controller()->waitForComparison());
    QVERIFY(!window->sharedOutputBox()->isEnabled());
    QCOMPARE(window->controller()->figure()->comparison().targetTokens,
             (std::vector<std::string>{"1999", "05", "04", "EOS"}));
    window->close();
}

void TestCompareWindow::badSecondModel()
{
    MainWindow main;
    closeMessageBoxesSoon();
    QVERIFY(!main.compareWith(sample("tiny"))); // no model A yet
    QVERIFY(main.loadModel(sample("dates")));
    closeMessageBoxesSoon();
    QVERIFY(!main.compareWith(QStringLiteral(ATTNVIZ_SOURCE_DIR "/README.md")));
    // A model that reads the sentence differently: the window opens and says why.
    main.setSentence(QStringLiteral("march 3 2011"));
    QVERIFY(main.waitForTranslation());
    CompareWindow *window = main.compareWith(sample("eng-fra-bahdanau"));
    QVERIFY(window);
    QVERIFY(!window->controller()->waitForComparison());
    QVERIFY(window->messageLabel()->isVisibleTo(window));
    QVERIFY2(window->messageLabel()->text().contains(QStringLiteral("differ")), qPrintable(window->messageLabel()->text()));
    QCOMPARE(window->table()->rowCount(), 0);
    window->close();
}

void TestCompareWindow::failureKeepsTheLastComparison()
{
    // A sentence too long to translate fails; the comparison shown before stays, and says so.
    auto *controller = new ComparisonController;
    controller->setModels(load("dates"), QStringLiteral("dates"), load("tiny"), QStringLiteral("tiny"));
    CompareWindow window(controller);
    controller->setSentence(sentence, QString());
    QVERIFY(controller->waitForComparison());
    const std::vector<std::string> shown = controller->figure()->comparison().targetTokens;
    const int rows = window.table()->rowCount();
    QSignalSpy failed(controller, &ComparisonController::comparisonFailed);
    QStringList words;
    for (int i = 0; i < 2000; ++i)
        words << QStringLiteral("may");
    controller->setSentence(words.join(QLatin1Char(' ')), QString());
    QVERIFY(!controller->waitForComparison());
    QCOMPARE(failed.count(), 1);
    QVERIFY2(controller->failure().contains(QStringLiteral("words")), qPrintable(controller->failure()));
    QVERIFY(controller->figure());
    QCOMPARE(controller->figure()->comparison().targetTokens, shown);
    QCOMPARE(window.table()->rowCount(), rows);
    QVERIFY2(window.messageLabel()->text().contains(QStringLiteral("the last comparison")),
             qPrintable(window.messageLabel()->text()));
}

void TestCompareWindow::transformerWithItself()
{
    // The Marian sample against itself in the window: no difference, every argmax agrees, and the
    // view compared (the last layer's mean over heads) is named.
    const QString marian = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian");
    MainWindow main;
    QVERIFY(main.loadModel(marian));
    main.setSentence(QStringLiteral("i am cold ."));
    QVERIFY(main.waitForTranslation());
    CompareWindow *window = main.compareWith(marian);
    QVERIFY(window);
    QVERIFY(window->controller()->waitForComparison());
    const ModelComparison &c = window->controller()->figure()->comparison();
    QCOMPARE(c.rows.meanJsd, 0.0);
    QCOMPARE(c.rows.meanAgreement, 1.0);
    QCOMPARE(window->controller()->figure()->difference(0, 0), 0.0);
    QVERIFY2(window->unitsLabel()->text().contains(QStringLiteral("mean of")), qPrintable(window->unitsLabel()->text()));
    QVERIFY(!window->messageLabel()->isVisibleTo(window));

    // The Attention box lists the default, the presets and every head (3 layers x 4 heads here);
    // choosing one head compares that head, and the window names it.
    QComboBox *views = window->viewBox();
    QVERIFY(views->isVisibleTo(window));
    QCOMPARE(views->currentIndex(), 0);
    const int head = views->findText(QStringLiteral("Layer 1, head 2"));
    QVERIFY(head > 0);
    QVERIFY(views->count() >= 12);
    views->setCurrentIndex(head - 1);
    QTest::keyClick(views, Qt::Key_Down); // what a person does: the next item, by the keyboard
    QCOMPARE(views->currentIndex(), head);
    QVERIFY(window->controller()->waitForComparison());
    const ModelComparison &one = window->controller()->figure()->comparison();
    QCOMPARE(one.viewA, std::string("layer 1, head 2"));
    QCOMPARE(one.rows.meanJsd, 0.0);
    QVERIFY2(window->unitsLabel()->text().contains(QStringLiteral("layer 1, head 2")),
             qPrintable(window->unitsLabel()->text()));
    window->close();
}

void TestCompareWindow::unitsChosenByHand()
{
    // Pieces forced on two models whose pieces differ: the clear message, the last comparison
    // (in words) kept; Words again works; an RNN pair shows no Attention box.
    MainWindow main;
    CompareWindow *window = openMarianPair(main);
    QVERIFY(window);
    QComboBox *units = window->unitsBox();
    QCOMPARE(units->currentText(), QStringLiteral("Automatic"));
    QTest::keyClick(units, Qt::Key_Down);
    QCOMPARE(units->currentText(), QStringLiteral("Pieces"));
    QCOMPARE(window->controller()->units(), std::optional<TokenUnits>(TokenUnits::Pieces));
    QVERIFY(!window->controller()->waitForComparison());
    QVERIFY(window->messageLabel()->isVisibleTo(window));
    QVERIFY2(window->messageLabel()->text().contains(QStringLiteral("the last comparison")),
             qPrintable(window->messageLabel()->text()));
    QCOMPARE(window->controller()->figure()->comparison().units, TokenUnits::Words);
    QTest::keyClick(units, Qt::Key_Down);
    QCOMPARE(units->currentText(), QStringLiteral("Words"));
    QVERIFY(window->controller()->waitForComparison());
    QVERIFY(!window->messageLabel()->isVisibleTo(window));
    QCOMPARE(window->controller()->figure()->comparison().units, TokenUnits::Words);
    window->close();

    auto *controller = new ComparisonController;
    controller->setModels(load("dates"), QStringLiteral("dates"), load("dates"), QStringLiteral("dates"));
    CompareWindow rnn(controller);
    QVERIFY(!rnn.viewBox()->isVisibleTo(&rnn));
    QVERIFY(rnn.unitsBox()->isVisibleTo(&rnn));
}

void TestCompareWindow::wordsWhenPiecesDiffer()
{
    // Two Marian models with other target vocabularies: compared in words, and the window says so.
    MainWindow main;
    CompareWindow *window = openMarianPair(main);
    QVERIFY(window);
    QCOMPARE(window->controller()->figure()->comparison().units, TokenUnits::Words);
    QCOMPARE(window->controller()->figure()->labelB(), QStringLiteral("marian-separate-vocabs"));
    QVERIFY2(window->unitsLabel()->text().contains(QStringLiteral("in words")), qPrintable(window->unitsLabel()->text()));
    QCOMPARE(window->table()->item(0, 0)->text(),
             QString::fromStdString(window->controller()->figure()->comparison().targetTokens.front()));
    window->close();
}

QTEST_MAIN(TestCompareWindow)
#include "tst_comparewindow.moc"
