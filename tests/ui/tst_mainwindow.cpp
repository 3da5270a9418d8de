#include "mainwindow.h"

#include <attnviz/model.h>

#include <QAction>
#include <QDir>
#include <QFile>
#include <QMenuBar>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

using attnviz::MainWindow;

namespace {

const QString tinyModelPath = QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/tiny.json");

QString infoText(const MainWindow &window)
{
    return window.findChild<QTextBrowser *>(QStringLiteral("modelInfo"))->toPlainText();
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private slots:
    void startsEmpty();
    void loadsModel();
    void badFileKeepsPreviousModel_data();
    void badFileKeepsPreviousModel();
    void fileMenu();
};

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
         {"tiny-bahdanau", "bahdanau", "Hidden size", "5 words", "134", "eng -> fra"})
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
    QCOMPARE(shortcuts, (QStringList {QStringLiteral("Ctrl+O"), QStringLiteral("Ctrl+Q")}));
}

QTEST_MAIN(TestMainWindow)

#include "tst_mainwindow.moc"
