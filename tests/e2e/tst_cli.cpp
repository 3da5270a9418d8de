// Runs the real attnviz-cli on the committed test model and on broken copies of it.
#include "clirunner.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QProcess>
#include <QTest>

namespace {

const QString tinyModelPath = QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/tiny.json");

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private slots:
    void info();
    void startsWithoutQt();
    void malformedModel();
    void usage_data();
    void usage();
    void helpColumnsLineUp();

private:
    QTemporaryDir m_dir;
};

void TestCli::info()
{
    const RunResult result =
        runCli({QStringLiteral("info"), QStringLiteral("--model"), tinyModelPath});
    QCOMPARE(result.exitCode, 0);
    QCOMPARE(result.err, QString());
    const char *expectedLines[] = {
        "^Name: +tiny-bahdanau$",        "^Architecture: +bahdanau$",     "^Hidden size: +2$",
        "^Source vocabulary: +5 words$", "^Target vocabulary: +5 words$", "^Parameters: +134$",
        "^Languages: +eng -> fra$",
    };
    for (const char *pattern : expectedLines) {
        const QRegularExpression line(QString::fromLatin1(pattern),
                                      QRegularExpression::MultilineOption);
        QVERIFY2(line.match(result.out).hasMatch(),
                 qPrintable(line.pattern() + u'\n' + result.out));
    }
}

// Only `export` loads Qt, from attnviz-cli-figures.so (app/cli/figure_renderer.h): the other
// commands start without its 40 shared libraries (docs/performance.md, cold start).
void TestCli::startsWithoutQt()
{
    QProcess ldd;
    ldd.start(QStringLiteral("ldd"), {QStringLiteral(ATTNVIZ_CLI_PATH)});
    QVERIFY(ldd.waitForFinished(10000));
    const QString libraries = QString::fromLocal8Bit(ldd.readAllStandardOutput());
    QVERIFY2(libraries.contains(QLatin1String("libc.so")), qPrintable(libraries)); // ldd did run
    QVERIFY2(!libraries.contains(QLatin1String("Qt6")), qPrintable(libraries));
}

void TestCli::malformedModel()
{
    // tiny.json with a hidden size that no longer matches its tensors.
    QFile source(tinyModelPath);
    QVERIFY(source.open(QIODevice::ReadOnly));
    QByteArray contents = source.readAll();
    QVERIFY(contents.contains("\"hidden_size\": 2"));
    contents.replace("\"hidden_size\": 2", "\"hidden_size\": 3");
    const QString badPath = QDir(m_dir.path()).filePath(QStringLiteral("bad.json"));
    QFile bad(badPath);
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write(contents);
    bad.close();

    const RunResult result = runCli({QStringLiteral("info"), QStringLiteral("--model"), badPath});
    QCOMPARE(result.exitCode, 1);
    QCOMPARE(result.out, QString());
    QCOMPARE(result.err,
             QStringLiteral("attnviz-cli: ") + badPath
                 + QStringLiteral(": tensor 'decoder.attention.energy_layer.weight': expected shape [1, 3], found [1, 2]\n"));
}

void TestCli::usage_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("stdoutPattern");
    QTest::addColumn<QString>("stderrPattern");

    const QString info = QStringLiteral("info"), model = QStringLiteral("--model");
    const QString usage = QStringLiteral("Usage: attnviz-cli");
    QTest::newRow("help") << QStringList {QStringLiteral("--help")} << 0 << usage
                          << QStringLiteral("^$");
    QTest::newRow("info help") << QStringList {info, QStringLiteral("--help")} << 0
                               << QStringLiteral("Usage: attnviz-cli info --model FILE")
                               << QStringLiteral("^$");
    QTest::newRow("no command") << QStringList {} << 2 << QStringLiteral("^$")
                                << QStringLiteral("attnviz-cli: missing command\n\nUsage:");
    QTest::newRow("unknown command")
        << QStringList {QStringLiteral("frobnicate")} << 2 << QStringLiteral("^$")
        << QStringLiteral("unknown command 'frobnicate'");
    QTest::newRow("unknown option")
        << QStringList {info, model, tinyModelPath, QStringLiteral("--bogus")} << 2
        << QStringLiteral("^$")
        << QStringLiteral("unknown option '--bogus'(.|\\n)*Usage: attnviz-cli info");
    QTest::newRow("missing value") << QStringList {info, model} << 2 << QStringLiteral("^$")
                                   << QStringLiteral("option '--model' needs a value");
    QTest::newRow("missing file") << QStringList {info, model,
                                                  QStringLiteral("/nonexistent/m.safetensors")}
                                  << 1 << QStringLiteral("^$")
                                  << QStringLiteral(
                                         "^attnviz-cli: /nonexistent/m.safetensors: cannot "
                                         "open file: No such file or directory\\n$");
}

void TestCli::usage()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, stdoutPattern);
    QFETCH(QString, stderrPattern);
    const RunResult result = runCli(args);
    QCOMPARE(result.exitCode, exitCode);
    QVERIFY2(QRegularExpression(stdoutPattern).match(result.out).hasMatch(),
             qPrintable(result.out));
    QVERIFY2(QRegularExpression(stderrPattern).match(result.err).hasMatch(),
             qPrintable(result.err));
}

// Issue 22: in every command's help (and the list of commands) the descriptions start in one
// column, two spaces or more past the longest option.
void TestCli::helpColumnsLineUp()
{
    const RunResult global = runCli({QStringLiteral("--help")});
    QCOMPARE(global.exitCode, 0);
    const auto checkRows = [](const QString &text, const QString &heading) {
        const QStringList lines = text.section(heading + QLatin1Char('\n'), 1).split(QLatin1Char('\n'));
        const QRegularExpression row(QStringLiteral("^  (\\S.*?\\S)( {2,})\\S"));
        int column = -1, rows = 0;
        for (const QString &line : lines) {
            if (line.isEmpty())
                break;
            const QRegularExpressionMatch m = row.match(line);
            QVERIFY2(m.hasMatch(), qPrintable(line + u'\n' + text));
            const int start = int(m.capturedEnd(2));
            QVERIFY2(column < 0 || start == column, qPrintable(line + u'\n' + text));
            column = start;
            ++rows;
        }
        QVERIFY2(rows >= 2, qPrintable(text));
    };
    checkRows(global.out, QStringLiteral("Commands:"));
    if (QTest::currentTestFailed())
        return;
    QStringList names;
    const QRegularExpression command(QStringLiteral("^  (\\S+)  "), QRegularExpression::MultilineOption);
    for (auto it = command.globalMatch(global.out); it.hasNext();)
        names << it.next().captured(1);
    QVERIFY2(names.contains(QStringLiteral("import")) && names.contains(QStringLiteral("export")), qPrintable(global.out));
    for (const QString &name : names) {
        const RunResult help = runCli({name, QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        checkRows(help.out, QStringLiteral("Options:"));
        if (QTest::currentTestFailed())
            return;
    }
}

QTEST_GUILESS_MAIN(TestCli)

#include "tst_cli.moc"
