// attnviz-cli translate on hostile input files: invalid UTF-8, and a line over the word limit.
#include "clirunner.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString model = QStringLiteral(ATTNVIZ_GOLDEN_DIR "/tiny-bahdanau.safetensors");

QString writeFile(const QTemporaryDir &dir, const QByteArray &bytes)
{
    const QString path = dir.filePath(QStringLiteral("input.txt"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        return {};
    return path;
}

} // namespace

class TestHostileCli : public QObject
{
    Q_OBJECT

private slots:
    void invalidUtf8Input();
    void invalidUtf8InputAsJson();
    void lineOverTheWordLimitIsSkipped();
};

// Invalid bytes are separators (docs/decoding.md): every line is translated.
void TestHostileCli::invalidUtf8Input()
{
    QTemporaryDir dir;
    const QString input = writeFile(dir, QByteArray("i am \xff\xfe cold\n\xc3\ni \xed\xa0\x80 am\n"));
    QVERIFY(!input.isEmpty());
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), model,
                                QStringLiteral("--input"), input});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(r.out.count(QStringLiteral("source:")), 3);
    QVERIFY2(r.out.contains(QStringLiteral("source:      i am cold EOS")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("source:      EOS")), qPrintable(r.out));
}

// The JSON keeps the sentence, with each invalid byte as U+FFFD (before the fix, the whole run
// stopped at the first such line with "[json.exception.type_error.316] invalid UTF-8 byte").
void TestHostileCli::invalidUtf8InputAsJson()
{
    QTemporaryDir dir;
    const QString input = writeFile(dir, QByteArray("i am \xff cold\nthe end\n"));
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), model,
                                QStringLiteral("--input"), input, QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QStringList lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    const QJsonObject first = QJsonDocument::fromJson(lines[0].toUtf8()).object();
    QCOMPARE(first.value(QStringLiteral("sentence")).toString(), QStringLiteral("i am \uFFFD cold"));
}

// A line of more than 500 words is reported with its line number and skipped; exit code 1.
void TestHostileCli::lineOverTheWordLimitIsSkipped()
{
    QTemporaryDir dir;
    QByteArray longLine;
    for (int i = 0; i < 5000; ++i)
        longLine += "cold ";
    const QString input = writeFile(dir, QByteArray("i am cold\n") + longLine + "\ni am\n");
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), model,
                                QStringLiteral("--input"), input});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(input + QStringLiteral(":2: the sentence has 5000 words; attnviz "
                                                   "translates at most 500")),
             qPrintable(r.err));
    QCOMPARE(r.out.count(QStringLiteral("source:")), 2);
}

QTEST_GUILESS_MAIN(TestHostileCli)
#include "tst_hostilecli.moc"
