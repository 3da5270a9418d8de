#include "testsettings.h"
#include "mainwindow.h"

#include "alignmentview.h"
#include "alignmentmodel.h"
#include "sentenceedit.h"

#include <attnviz/models/model.h>

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QComboBox>
#include <QMenuBar>
#include <QMimeData>
#include <QSpinBox>
#include <QMessageBox>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QElapsedTimer>
#include <QTest>
#include <QTextBrowser>
#include <QToolTip>

using attnviz::MainWindow;
using attnviz::SentenceEdit;

namespace {

const QString tinyModelPath = QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/tiny.json");

SentenceEdit *sentenceBox(const MainWindow &window)
{
    return window.findChild<SentenceEdit *>(QStringLiteral("sentence"));
}

QString infoText(const MainWindow &window)
{
    return window.findChild<QTextBrowser *>(QStringLiteral("modelInfo"))->toPlainText();
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void startsEmpty();
    void loadsModel();
    void badFileKeepsPreviousModel_data();
    void badFileKeepsPreviousModel();
    void fileMenu();
    void typingUpdatesHeatmap();
    void hoverShowsToolTip();
    void unknownWordsAreMarked_data();
    void unknownWordsAreMarked();
    void keyboardMovesStep();
    void forcedDecodingShowsPerplexity();
    void settingsRoundTrip();
    void recentModels();
    void sampleModels();
    void beamListsHypotheses();
    void zoomShortcuts();
    void droppedFileIsLoaded();
    void ctrlLFocusesSentence();
    void escapeStopsALongTranslation();

private:
    attnviz::test::IsolatedSettings m_settings;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_settings.isValid());
}

void TestMainWindow::init()
{
    QSettings().clear();
}

void TestMainWindow::startsEmpty()
{
    MainWindow window;
    QVERIFY(!window.model());
    QCOMPARE(infoText(window), QStringLiteral("No model loaded"));
}

void TestMainWindow::loadsModel()
{
    MainWindow window;
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    QVERIFY(window.loadModel(tinyModelPath));
    QCOMPARE(loaded.count(), 1);
    QVERIFY(window.model());
    QCOMPARE(window.modelPath(), tinyModelPath);
    const QString text = infoText(window);
    for (const char *expected :
         {"tiny-bahdanau", "bahdanau", "Hidden size", "5 words", "134", "eng -> fra",
          "Attention", "additive (Bahdanau)"})
        QVERIFY2(text.contains(QLatin1String(expected)), expected);
    QVERIFY(window.windowTitle().startsWith(QStringLiteral("tiny.json")));
}

void TestMainWindow::badFileKeepsPreviousModel_data()
{
    QTest::addColumn<QByteArray>("contents"); // empty: the file does not exist
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing file") << QByteArray() << QStringLiteral("cannot open file");
    QTest::newRow("not JSON") << QByteArrayLiteral("{ nope") << QStringLiteral("not valid JSON");
}

void TestMainWindow::badFileKeepsPreviousModel()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString badPath = QDir(dir.path()).filePath(QStringLiteral("bad.json"));
    if (!contents.isEmpty()) {
        QFile file(badPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(contents);
    }

    MainWindow window;
    QVERIFY(window.loadModel(tinyModelPath));
    const attnviz::Model *previous = window.model();
    const QString previousText = infoText(window);

    QSignalSpy failed(&window, &MainWindow::modelLoadFailed);
    QVERIFY(!window.loadModel(badPath));
    QCOMPARE(failed.count(), 1);
    const QString message = failed.first().first().toString();
    QVERIFY2(message.startsWith(badPath + QStringLiteral(": ")), qPrintable(message));
    QVERIFY2(message.contains(expected), qPrintable(message));

    QCOMPARE(window.model(), previous);
    QCOMPARE(window.model()->config().name, std::string("tiny-bahdanau"));
    QCOMPARE(window.modelPath(), tinyModelPath);
    QCOMPARE(infoText(window), previousText);

    // The message reaches the person in a box that does not block the event loop.
    auto *box = window.findChild<QMessageBox *>(QStringLiteral("loadErrorBox"));
    QVERIFY(box);
    QCOMPARE(box->text(), message);
    QVERIFY(box->isVisible());
    box->close();
}

void TestMainWindow::fileMenu()
{
    MainWindow window;
    QMenu *menu = window.menuBar()->findChild<QMenu *>();
    QVERIFY(menu);
    QStringList shortcuts;
    for (const QAction *action : menu->actions()) {
        if (!action->isSeparator())
            shortcuts << action->shortcut().toString(QKeySequence::PortableText);
    }
    // Open, Open folder, Import, Save as, Compare with, Open training run (a folder, files), Recent models,
    // Sample models, Export alignment, Export walkthrough, Export attribution (no shortcut),
    // Open alignment set, Save alignments, Close alignment set, Quit
    QCOMPARE(shortcuts, (QStringList {QStringLiteral("Ctrl+O"), QString(), QStringLiteral("Ctrl+I"), QStringLiteral("Ctrl+Shift+S"),
                                      QString(), QString(), QString(), QString(), QString(), QStringLiteral("Ctrl+E"),
                                      QStringLiteral("Ctrl+Shift+W"), QString(), QStringLiteral("Ctrl+Shift+O"),
                                      QStringLiteral("Ctrl+Alt+S"), QString(), QStringLiteral("Ctrl+Q")}));
    QCOMPARE(menu->title(), QStringLiteral("&File"));
}

void TestMainWindow::typingUpdatesHeatmap()
{
    MainWindow window;
    QVERIFY(window.loadModel(tinyModelPath));
    QTest::keyClicks(sentenceBox(window), QStringLiteral("i am cold"));
    QCOMPARE(window.sentence(), QStringLiteral("i am cold"));
    attnviz::AlignmentModel *heatmap = window.alignmentModel();
    QTRY_COMPARE(heatmap->columns(), 4);
    QCOMPARE(heatmap->columnLabel(0), QStringLiteral("i"));
    QCOMPARE(heatmap->columnLabel(3), QStringLiteral("EOS"));
    QVERIFY(heatmap->rows() >= 1);
    QVERIFY(!heatmap->hasPaddingColumn());
    QVERIFY(!window.outputText().isEmpty());
    QVERIFY(window.statusText().contains(QStringLiteral("tiny-bahdanau")));
    QVERIFY(window.statusText().contains(QStringLiteral(" ms")));

    // Deleting a word: the heatmap follows.
    QTest::keyClick(sentenceBox(window), Qt::Key_End);
    for (int i = 0; i < 5; ++i)
        QTest::keyClick(sentenceBox(window), Qt::Key_Backspace);
    QTRY_COMPARE(heatmap->columns(), 3);
    QCOMPARE(heatmap->columnLabel(1), QStringLiteral("am"));
}

void TestMainWindow::hoverShowsToolTip()
{
    MainWindow window;
    window.resize(900, 600);
    window.show();
    QVERIFY(window.loadModel(tinyModelPath));
    window.setSentence(QStringLiteral("i am cold"));
    QVERIFY(window.waitForTranslation());
    attnviz::AlignmentView *view = window.heatmapView();
    attnviz::AlignmentModel *heatmap = window.alignmentModel();
    QCOMPARE(heatmap->columns(), 4);
    const int row = heatmap->rows() - 1;
    const QString text = view->toolTipAt(view->cellRect(row, 2).center());
    const QString expected = QStringLiteral("α(%1 ← cold) = %2")
                                 .arg(heatmap->rowLabel(row),
                                      QString::number(heatmap->value(row, 2), 'f', 2));
    QCOMPARE(text, expected);
    // The real hover: a tooltip event on the cell shows the same text.
    const QPoint position = view->cellRect(row, 2).center();
    QHelpEvent help(QEvent::ToolTip, position, view->mapToGlobal(position));
    QApplication::sendEvent(view, &help);
    QTRY_COMPARE(QToolTip::text(), expected);
    // Row labels name the step and the full token.
    const QRect firstCell = view->cellRect(0, 0);
    QCOMPARE(view->toolTipAt(QPoint(firstCell.left() - 3, firstCell.center().y())),
             QStringLiteral("Step 1: %1").arg(heatmap->rowLabel(0)));
    // Outside every cell: nothing.
    QCOMPARE(view->toolTipAt(QPoint(1, view->height() - 2)), QString());
}

void TestMainWindow::unknownWordsAreMarked_data()
{
    QTest::addColumn<QString>("sentence");
    QTest::addColumn<QString>("unknown");
    QTest::addColumn<int>("start");
    QTest::addColumn<int>("length");
    QTest::newRow("one word") << QStringLiteral("i am zebra") << QStringLiteral("zebra") << 5 << 5;
    QTest::newRow("capitalized") << QStringLiteral("Zebra am cold") << QStringLiteral("zebra") << 0 << 5;
}

void TestMainWindow::unknownWordsAreMarked()
{
    QFETCH(QString, sentence);
    QFETCH(QString, unknown);
    QFETCH(int, start);
    QFETCH(int, length);
    MainWindow window;
    QVERIFY(window.loadModel(tinyModelPath));
    window.setSentence(sentence);
    QVERIFY(window.waitForTranslation());
    QVERIFY2(window.statusText().contains(QStringLiteral("Unknown words: ") + unknown),
             qPrintable(window.statusText()));
    QCOMPARE(sentenceBox(window)->underlinedRanges(), (QList<std::pair<int, int>> {{start, length}}));

    window.setSentence(QStringLiteral("i am cold"));
    QVERIFY(window.waitForTranslation());
    QVERIFY(!window.statusText().contains(QStringLiteral("Unknown")));
    QVERIFY(sentenceBox(window)->underlinedRanges().isEmpty());
}

void TestMainWindow::keyboardMovesStep()
{
    MainWindow window;
    QVERIFY(window.loadModel(tinyModelPath));
    window.setReference(QStringLiteral("j ai froid"));
    window.setSentence(QStringLiteral("i am cold"));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.alignmentModel()->rows(), 4); // j ai froid EOS
    QCOMPARE(window.selectedStep(), 0);
    QSignalSpy selected(&window, &MainWindow::stepSelected);
    attnviz::AlignmentView *view = window.heatmapView();
    QTest::keyClick(view, Qt::Key_Down);
    QTest::keyClick(view, Qt::Key_Down);
    QCOMPARE(window.selectedStep(), 2);
    // A click on a row selects its step too.
    QTest::mouseClick(view, Qt::LeftButton, {}, view->cellRect(0, 1).center());
    QCOMPARE(window.selectedStep(), 0);
    QTest::mouseClick(view, Qt::LeftButton, {}, view->cellRect(2, 3).center());
    QCOMPARE(window.selectedStep(), 2);
    QTest::keyClick(view, Qt::Key_Up);
    QCOMPARE(window.selectedStep(), 1);
    QTest::keyClick(view, Qt::Key_End);
    QCOMPARE(window.selectedStep(), 3);
    QTest::keyClick(view, Qt::Key_Down); // stays on the last step
    QCOMPARE(window.selectedStep(), 3);
    QCOMPARE(selected.count(), 6);
    QCOMPARE(view->selectedStep(), 3);
}

void TestMainWindow::forcedDecodingShowsPerplexity()
{
    MainWindow window;
    QVERIFY(window.loadModel(tinyModelPath));
    window.setReference(QStringLiteral("j ai froid"));
    window.setSentence(QStringLiteral("i am cold"));
    QVERIFY(window.waitForTranslation());
    QVERIFY2(window.outputText().startsWith(QStringLiteral("j ai froid   (forced; perplexity ")),
             qPrintable(window.outputText()));
    QCOMPARE(window.alignmentModel()->rowLabel(2), QStringLiteral("froid"));
}

void TestMainWindow::settingsRoundTrip()
{
    {
        MainWindow window;
        QCOMPARE(window.colorMap(), attnviz::ColorMap::Viridis);
        QVERIFY(!window.showValues());
        window.setColorMap(attnviz::ColorMap::Magma);
        window.setShowValues(true);
        QVERIFY(window.loadModel(tinyModelPath));
        window.setSentence(QStringLiteral("i am cold"));
        QVERIFY(window.waitForTranslation());
        window.close();
    }
    MainWindow window;
    QCOMPARE(window.colorMap(), attnviz::ColorMap::Magma);
    QCOMPARE(window.alignmentModel()->colorMap(), attnviz::ColorMap::Magma);
    QVERIFY(window.showValues());
    QVERIFY(!window.model());
    window.restoreSession();
    QVERIFY(window.model());
    QCOMPARE(QFileInfo(window.modelPath()), QFileInfo(tinyModelPath));
    QCOMPARE(window.sentence(), QStringLiteral("i am cold"));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.alignmentModel()->columns(), 4);
}

void TestMainWindow::recentModels()
{
    QTemporaryDir dir;
    QStringList paths;
    for (int i = 0; i < MainWindow::maxRecentModels + 2; ++i) {
        paths << QDir(dir.path()).filePath(QStringLiteral("m%1.json").arg(i));
        QVERIFY(QFile::copy(tinyModelPath, paths.last()));
    }
    MainWindow window;
    for (const QString &path : paths)
        QVERIFY(window.loadModel(path));
    QVERIFY(window.loadModel(paths[5])); // again: moves to the top, no duplicate
    auto *menu = window.findChild<QMenu *>();
    QMenu *recent = nullptr;
    for (QAction *action : menu->actions()) {
        if (action->menu() && action->text() == QStringLiteral("&Recent models"))
            recent = action->menu();
    }
    QVERIFY(recent);
    const QList<QAction *> actions = recent->actions();
    QCOMPARE(actions.size(), MainWindow::maxRecentModels);
    QCOMPARE(actions.first()->text(), QStringLiteral("&1 m5.json"));
    QCOMPARE(actions.at(1)->text(), QStringLiteral("&2 m9.json"));
    QCOMPARE(actions.first()->toolTip(), paths[5]);
}

void TestMainWindow::sampleModels()
{
    const QDir dir(MainWindow::sampleModelsDirectory());
    QVERIFY2(dir.exists(QStringLiteral("dates.safetensors")), qPrintable(dir.path()));
}

void TestMainWindow::beamListsHypotheses()
{
    MainWindow window;
    QVERIFY(window.loadModel(tinyModelPath));
    auto *decoding = window.findChild<QComboBox *>(QStringLiteral("decoding"));
    auto *beamWidth = window.findChild<QSpinBox *>(QStringLiteral("beamWidth"));
    auto *hypotheses = window.findChild<QComboBox *>(QStringLiteral("hypotheses"));
    QVERIFY(!beamWidth->isEnabled());
    decoding->setCurrentIndex(1);
    QVERIFY(beamWidth->isEnabled());
    beamWidth->setValue(3);
    window.setSentence(QStringLiteral("i am cold"));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.controller()->options().beamWidth, 3);
    QVERIFY2(hypotheses->count() >= 2, qPrintable(QString::number(hypotheses->count())));
    QVERIFY(hypotheses->itemText(0).startsWith(QStringLiteral("1  ")));
    QVERIFY(!hypotheses->isHidden());

    // A reference switches to forced decoding: one hypothesis, beam controls off.
    window.setReference(QStringLiteral("j ai froid"));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(hypotheses->count(), 1);
    QVERIFY(hypotheses->isHidden());
    QVERIFY(!beamWidth->isEnabled());
    QCOMPARE(window.controller()->options().target, std::optional<std::string>("j ai froid"));
}

void TestMainWindow::zoomShortcuts()
{
    MainWindow window;
    QAction *zoomIn = nullptr, *zoomOut = nullptr;
    for (QAction *action : window.findChildren<QAction *>()) {
        if (action->shortcut() == QKeySequence(QStringLiteral("Ctrl+=")))
            zoomIn = action;
        if (action->shortcut() == QKeySequence(QStringLiteral("Ctrl+-")))
            zoomOut = action;
    }
    QVERIFY(zoomIn && zoomOut);
    QCOMPARE(window.heatmapView()->zoom(), 1.0);
    zoomIn->trigger();
    QCOMPARE(window.heatmapView()->zoom(), 1.25);
    zoomOut->trigger();
    zoomOut->trigger();
    QCOMPARE(window.heatmapView()->zoom(), 0.8);
}

void TestMainWindow::droppedFileIsLoaded()
{
    MainWindow window;
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    QMimeData data;
    data.setUrls({QUrl::fromLocalFile(tinyModelPath)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &drop);
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(window.modelPath(), tinyModelPath);
}

void TestMainWindow::ctrlLFocusesSentence()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    window.heatmapView()->setFocus();
    QTRY_VERIFY(window.heatmapView()->hasFocus());
    QTest::keySequence(&window, QKeySequence(QStringLiteral("Ctrl+L")));
    QTRY_VERIFY(sentenceBox(window)->hasFocus());
}

// A translation that takes long says so after 300 ms; Esc stops it and the window says how to
// go on; Ctrl+T translates again. (The test hook's delay stands in for a long translation.)
void TestMainWindow::escapeStopsALongTranslation()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.loadModel(tinyModelPath));
    QVERIFY(!window.stopAction()->isEnabled());
    window.controller()->delayNextRequestForTesting(5000);
    window.setSentence(QStringLiteral("i am cold"));
    QTRY_VERIFY_WITH_TIMEOUT(window.stopAction()->isEnabled(), 2000);
    QVERIFY2(window.statusText().contains(QStringLiteral("Translating")), qPrintable(window.statusText()));
    QElapsedTimer clock;
    clock.start();
    QTest::keyClick(&window, Qt::Key_Escape);
    QVERIFY(!window.controller()->isBusy());
    QVERIFY(!window.stopAction()->isEnabled());
    QVERIFY2(window.outputText().startsWith(QStringLiteral("Translation stopped")), qPrintable(window.outputText()));
    QCOMPARE(window.alignmentModel()->rows(), 0);
    // Ctrl+T: the same sentence again, at once (the worker is not still asleep).
    QTest::keyClick(&window, Qt::Key_T, Qt::ControlModifier);
    QVERIFY(window.waitForTranslation());
    QVERIFY2(clock.elapsed() < 4000, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(window.alignmentModel()->rows() > 0);
    QVERIFY(!window.outputText().startsWith(QStringLiteral("Translation stopped")));
}

QTEST_MAIN(TestMainWindow)

#include "tst_mainwindow.moc"
