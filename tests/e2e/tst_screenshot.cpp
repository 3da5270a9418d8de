// Runs the real attnviz GUI in --screenshot mode on the committed test model.
#include <QDir>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString guiPath = QStringLiteral(ATTNVIZ_GUI_PATH);
const QString tinyModelPath = QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/tiny.json");

} // namespace

class TestScreenshot : public QObject
{
    Q_OBJECT

private slots:
    void rendersWindow();
    void badModelFails();
};

void TestScreenshot::rendersWindow()
{
    QTemporaryDir dir;
    const QString output = QDir(dir.path()).filePath(QStringLiteral("window.png"));
    QProcess process;
    process.start(guiPath,
                  {QStringLiteral("--model"), tinyModelPath, QStringLiteral("--sentence"),
                   QStringLiteral("i am cold"), QStringLiteral("--screenshot"), output});
    QVERIFY(process.waitForFinished(60000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    const QImage image(output);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 400 && image.height() >= 300);
}

void TestScreenshot::badModelFails()
{
    QTemporaryDir dir;
    const QString output = QDir(dir.path()).filePath(QStringLiteral("window.png"));
    QProcess process;
    process.start(guiPath,
                  {QStringLiteral("--model"), QStringLiteral("/nonexistent/m.json"),
                   QStringLiteral("--screenshot"), output});
    QVERIFY(process.waitForFinished(60000));
    QCOMPARE(process.exitCode(), 1);
    QVERIFY(process.readAllStandardError().contains("/nonexistent/m.json: cannot open file"));
    QVERIFY(!QFile::exists(output));
}

QTEST_GUILESS_MAIN(TestScreenshot)

#include "tst_screenshot.moc"
