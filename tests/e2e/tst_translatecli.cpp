// attnviz-cli translate, run for real: its JSON against the engine's rules, and its exit codes.
#include "clirunner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString golden(const char *name)
{
    return QStringLiteral(ATTNVIZ_GOLDEN_DIR "/") + QString::fromLatin1(name) + QStringLiteral(".safetensors");
}

QStringList words(const QJsonValue &array)
{
    QStringList out;
    for (const QJsonValue &v : array.toArray())
        out << v.toString();
    return out;
}

} // namespace

class TestTranslateCli : public QObject
{
    Q_OBJECT

private slots:
    void jsonMatchesPyTorchGolden();
    void legacyReportsPaddingAndRefusesTooLongInput();
    void beamsAndAblation();
    void inputFileWithTargets();
    void usageErrors_data();
    void usageErrors();
};

// The first case of tests/golden/tiny-bahdanau.json, through the CLI instead of the library.
void TestTranslateCli::jsonMatchesPyTorchGolden()
{
    QFile file(QStringLiteral(ATTNVIZ_GOLDEN_DIR "/tiny-bahdanau.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject c = QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("cases")].toArray()[0].toObject();
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-bahdanau"),
                                QStringLiteral("--json"), c[QStringLiteral("sentence")].toString()});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonObject greedy = c[QStringLiteral("greedy")].toObject();
    QCOMPARE(words(j[QStringLiteral("source_tokens")]), words(c[QStringLiteral("source_tokens")]));
    QCOMPARE(words(j[QStringLiteral("target_tokens")]), words(greedy[QStringLiteral("target_tokens")]));
    const QJsonArray attention = j[QStringLiteral("attention")].toArray();
    const QJsonArray expected = greedy[QStringLiteral("attention")].toArray();
    QCOMPARE(attention.size(), expected.size());
    for (int i = 0; i < attention.size(); ++i)
        for (int k = 0; k < expected[i].toArray().size(); ++k)
            QVERIFY(std::abs(attention[i].toArray()[k].toDouble() - expected[i].toArray()[k].toDouble()) < 1e-5);
    QVERIFY(std::abs(j[QStringLiteral("score")].toDouble() - greedy[QStringLiteral("score")].toDouble()) < 1e-5);
    QCOMPARE(j[QStringLiteral("summed_context")].toArray().size(), 6);
    QVERIFY(!j.contains(QStringLiteral("padding_mass")));
}

void TestTranslateCli::legacyReportsPaddingAndRefusesTooLongInput()
{
    const RunResult ok = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-legacy-notes"),
                                 QStringLiteral("--json"), QStringLiteral("i am cold")});
    QCOMPARE(ok.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(ok.out.toUtf8()).object();
    // 3 words + EOS columns; the other 2 of the 6 slots are padding, whose mass is reported.
    const QJsonArray row = j[QStringLiteral("attention")].toArray()[0].toArray();
    QCOMPARE(row.size(), 4);
    double real = 0;
    for (const QJsonValue &v : row)
        real += v.toDouble();
    const double padding = j[QStringLiteral("padding_mass")].toArray()[0].toDouble();
    QVERIFY(padding > 0);
    QVERIFY(std::abs(real + padding - 1.0) < 1e-5);

    const RunResult tooLong = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-legacy-notes"),
                                      QStringLiteral("i am very very very cold")});
    QCOMPARE(tooLong.exitCode, 1);
    QVERIFY2(tooLong.err.contains(QStringLiteral("at most 5 words")), qPrintable(tooLong.err));
    QCOMPARE(tooLong.out, QString());
}

void TestTranslateCli::beamsAndAblation()
{
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-luong-general"),
                                QStringLiteral("--beam"), QStringLiteral("3"), QStringLiteral("--ablation"),
                                QStringLiteral("summed"), QStringLiteral("--json"), QStringLiteral("he is cold")});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonArray beams = j[QStringLiteral("beams")].toArray();
    QCOMPARE(beams.size(), 3);
    QCOMPARE(words(beams[0].toObject()[QStringLiteral("target_tokens")]), words(j[QStringLiteral("target_tokens")]));
    for (int k = 1; k < beams.size(); ++k)
        QVERIFY(beams[k - 1].toObject()[QStringLiteral("normalized_score")].toDouble()
                >= beams[k].toObject()[QStringLiteral("normalized_score")].toDouble());
    const QJsonObject ablation = j[QStringLiteral("ablation")].toObject();
    QCOMPARE(ablation[QStringLiteral("kind")].toString(), QStringLiteral("summed"));
    QCOMPARE(ablation[QStringLiteral("log_probs")].toArray().size(), ablation[QStringLiteral("target_tokens")].toArray().size());
}

void TestTranslateCli::inputFileWithTargets()
{
    QTemporaryDir dir;
    QFile src(dir.filePath(QStringLiteral("src.txt"))), ref(dir.filePath(QStringLiteral("ref.txt")));
    QVERIFY(src.open(QIODevice::WriteOnly) && ref.open(QIODevice::WriteOnly));
    src.write("i am cold\nyou are very very very very tired\nhe is\n");
    ref.write("je suis froid\ntu es fatigue\nil a zzz\n");
    src.close();
    ref.close();
    // tiny-legacy-notes fits 5 words: line 2 is reported and skipped, the others are translated.
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-legacy-notes"),
                                QStringLiteral("--input"), src.fileName(), QStringLiteral("--targets"), ref.fileName(),
                                QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(src.fileName() + QStringLiteral(":2: ")), qPrintable(r.err));
    const QStringList lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    const QJsonObject first = QJsonDocument::fromJson(lines[0].toUtf8()).object();
    QVERIFY(first[QStringLiteral("forced")].toBool());
    QCOMPARE(words(first[QStringLiteral("target_tokens")]),
             (QStringList{QStringLiteral("je"), QStringLiteral("suis"), QStringLiteral("froid"), QStringLiteral("EOS")}));
    const QJsonObject third = QJsonDocument::fromJson(lines[1].toUtf8()).object();
    QCOMPARE(words(third[QStringLiteral("unknown_target_words")]), QStringList{QStringLiteral("zzz")});
    QVERIFY(third[QStringLiteral("perplexity")].toDouble() > 1.0);
}

void TestTranslateCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString t = QStringLiteral("translate"), m = QStringLiteral("--model"), f = golden("tiny-bahdanau");
    QTest::newRow("no sentence") << QStringList{t, m, f} << QStringLiteral("give the SENTENCE");
    QTest::newRow("zero beam") << QStringList{t, m, f, QStringLiteral("--beam"), QStringLiteral("0"), QStringLiteral("x")}
                               << QStringLiteral("--beam needs a whole number");
    QTest::newRow("bad ablation") << QStringList{t, m, f, QStringLiteral("--ablation"), QStringLiteral("zero"), QStringLiteral("x")}
                                  << QStringLiteral("'summed' or 'mean'");
    QTest::newRow("both inputs") << QStringList{t, m, f, QStringLiteral("--input"), f, QStringLiteral("x")}
                                 << QStringLiteral("not both");
}

void TestTranslateCli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const RunResult r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestTranslateCli)
#include "tst_translatecli.moc"
