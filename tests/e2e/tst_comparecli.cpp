// attnviz-cli compare and timeline, run for real on the sample models and the sample run (#19).
#include "clirunner.h"

#include <QDir>
#include <QImage>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

QString sample(const char *name)
{
    return QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/") + QString::fromLatin1(name) + QStringLiteral(".safetensors");
}

const QString sampleRun = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_runs/dates-tiny");

QJsonObject json(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

double mean(const QJsonArray &values)
{
    double sum = 0;
    for (const QJsonValue &v : values)
        sum += v.toDouble();
    return values.isEmpty() ? 0 : sum / values.size();
}

bool writeLines(const QString &path, const QStringList &lines)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(lines.join(QLatin1Char('\n')).toUtf8() + '\n');
    return true;
}

} // namespace

class TestCompareCli : public QObject
{
    Q_OBJECT

private slots:
    void twoModelsOnOneSentence();
    void sameModelTwice();
    void useB();
    void corpusMeansAndAer();
    void mismatchedVocabularies();
    void usageErrors_data();
    void usageErrors();
    void timelineOrderedByStep();
    void timelineOutFile();
    void timelineInWords();
    void timelineAnimation();
    void transformers();
};

void TestCompareCli::twoModelsOnOneSentence()
{
    const QString sentence = QStringLiteral("the 3rd of may 1999");
    const RunResult r = runCli({QStringLiteral("compare"), QStringLiteral("--model"), sample("dates"),
                                QStringLiteral("--model"), sample("tiny"), QStringLiteral("--json"), sentence});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = json(r.out);
    for (const char *key : {"source_tokens", "target_tokens", "attention_a", "attention_b", "log_probs_a",
                            "log_probs_b", "jsd", "argmax_agreement", "mean_jsd", "agreement"})
        QVERIFY2(j.contains(QLatin1String(key)), key);
    // The shared output is A's translation, as `translate` prints it, EOS included.
    const QJsonObject a = json(runCli({QStringLiteral("translate"), QStringLiteral("--model"), sample("dates"),
                                       QStringLiteral("--json"), sentence})
                                   .out);
    QCOMPARE(j[QStringLiteral("target_tokens")], a[QStringLiteral("target_tokens")]);
    QCOMPARE(j[QStringLiteral("target_tokens")].toArray().last().toString(), QStringLiteral("EOS"));
    const int steps = j[QStringLiteral("target_tokens")].toArray().size();
    QCOMPARE(j[QStringLiteral("jsd")].toArray().size(), steps);
    QCOMPARE(j[QStringLiteral("attention_b")].toArray().size(), steps);
    // A's rows are its own greedy rows.
    const QJsonArray rowsA = j[QStringLiteral("attention_a")].toArray(), greedy = a[QStringLiteral("attention")].toArray();
    for (int i = 0; i < steps; ++i)
        for (int k = 0; k < greedy[i].toArray().size(); ++k)
            QVERIFY(std::abs(rowsA[i].toArray()[k].toDouble() - greedy[i].toArray()[k].toDouble()) < 1e-6);
    QVERIFY(std::abs(j[QStringLiteral("mean_jsd")].toDouble() - mean(j[QStringLiteral("jsd")].toArray())) < 1e-12);
    QVERIFY(std::abs(j[QStringLiteral("agreement")].toDouble() - mean(j[QStringLiteral("argmax_agreement")].toArray()))
            < 1e-12);
    for (const QJsonValue &d : j[QStringLiteral("jsd")].toArray())
        QVERIFY(d.toDouble() >= 0 && d.toDouble() <= std::log(2.0) + 1e-12);

    // The text table has one row per output token and the sentence's means.
    const RunResult text = runCli({QStringLiteral("compare"), QStringLiteral("--model"), sample("dates"),
                                   QStringLiteral("--model"), sample("tiny"), sentence});
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.contains(QStringLiteral("mean JSD ")), qPrintable(text.out));
}

void TestCompareCli::sameModelTwice()
{
    const RunResult r = runCli({QStringLiteral("compare"), QStringLiteral("--model"), sample("tiny"),
                                QStringLiteral("--model"), sample("tiny"), QStringLiteral("--json"),
                                QStringLiteral("march 3 2011")});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = json(r.out);
    QCOMPARE(j[QStringLiteral("mean_jsd")].toDouble(), 0.0);
    QCOMPARE(j[QStringLiteral("agreement")].toDouble(), 1.0);
    QCOMPARE(j[QStringLiteral("log_probs_a")], j[QStringLiteral("log_probs_b")]);
}

void TestCompareCli::useB()
{
    const QString sentence = QStringLiteral("the 14 of december , 2023");
    const RunResult r = runCli({QStringLiteral("compare"), QStringLiteral("--model"), sample("dates"),
                                QStringLiteral("--model"), sample("tiny"), QStringLiteral("--use"), QStringLiteral("b"),
                                QStringLiteral("--json"), sentence});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject b = json(runCli({QStringLiteral("translate"), QStringLiteral("--model"), sample("tiny"),
                                       QStringLiteral("--json"), sentence})
                                   .out);
    QCOMPARE(json(r.out)[QStringLiteral("target_tokens")], b[QStringLiteral("target_tokens")]);
    QCOMPARE(json(r.out)[QStringLiteral("shared_output")].toString(), QStringLiteral("b"));
}

void TestCompareCli::corpusMeansAndAer()
{
    QTemporaryDir dir;
    QFile pairs(QStringLiteral(ATTNVIZ_SOURCE_DIR "/data/dates/dates-test.txt")),
        goldFile(QStringLiteral(ATTNVIZ_SOURCE_DIR "/data/dates/dates-test.gold"));
    QVERIFY(pairs.open(QIODevice::ReadOnly) && goldFile.open(QIODevice::ReadOnly));
    QStringList sources, targets, gold;
    for (int n = 0; n < 4; ++n) {
        const QStringList pair = QString::fromUtf8(pairs.readLine()).trimmed().split(QLatin1Char('\t'));
        sources << pair[0];
        targets << pair[1];
        gold << QString::fromUtf8(goldFile.readLine()).trimmed();
    }
    const QString src = dir.filePath(QStringLiteral("src.txt")), ref = dir.filePath(QStringLiteral("ref.txt")),
                  links = dir.filePath(QStringLiteral("gold.txt"));
    QVERIFY(writeLines(src, sources) && writeLines(ref, targets) && writeLines(links, gold));
    const RunResult r = runCli({QStringLiteral("compare"), QStringLiteral("--model"), sample("dates"),
                                QStringLiteral("--model"), sample("tiny"), QStringLiteral("--input"), src,
                                QStringLiteral("--targets"), ref, QStringLiteral("--gold"), links, QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = r.out.trimmed().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 5); // one per sentence, then the corpus
    double jsd = 0;
    for (int n = 0; n < 4; ++n) {
        const QJsonObject j = json(lines[n]);
        QCOMPARE(j[QStringLiteral("sentence")].toString(), sources[n]);
        QCOMPARE(j[QStringLiteral("shared_output")].toString(), QStringLiteral("target"));
        jsd += j[QStringLiteral("mean_jsd")].toDouble() / 4;
    }
    const QJsonObject corpus = json(lines[4])[QStringLiteral("corpus")].toObject();
    QCOMPARE(corpus[QStringLiteral("sentences")].toInt(), 4);
    QVERIFY(std::abs(corpus[QStringLiteral("mean_jsd")].toDouble() - jsd) < 1e-12);
    // Each model's AER is the one `align` gives it on the same files.
    for (const auto &[key, model] : {std::pair{"aer_a", sample("dates")}, std::pair{"aer_b", sample("tiny")}}) {
        const RunResult align = runCli({QStringLiteral("align"), QStringLiteral("--model"), model, QStringLiteral("--input"),
                                        src, QStringLiteral("--targets"), ref, QStringLiteral("--gold"), links,
                                        QStringLiteral("--json")});
        QCOMPARE(align.exitCode, 0);
        QCOMPARE(corpus[QLatin1String(key)].toDouble(), json(align.out)[QStringLiteral("aer")].toDouble());
    }
}

void TestCompareCli::mismatchedVocabularies()
{
    const RunResult r = runCli({QStringLiteral("compare"), QStringLiteral("--model"), sample("dates"),
                                QStringLiteral("--model"), sample("eng-fra-bahdanau"), QStringLiteral("march 3 2011")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("model A [")) || r.err.contains(QStringLiteral("target vocabulary has no")),
             qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("differ")), qPrintable(r.err));
}

void TestCompareCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString m = QStringLiteral("--model"), a = sample("tiny"), s = QStringLiteral("march 3 2011");
    QTest::newRow("one model") << QStringList{QStringLiteral("compare"), m, a, s} << QStringLiteral("give two models");
    QTest::newRow("three models") << QStringList{QStringLiteral("compare"), m, a, m, a, m, a, s}
                                  << QStringLiteral("(3 given)");
    QTest::newRow("use c") << QStringList{QStringLiteral("compare"), m, a, m, a, QStringLiteral("--use"), QStringLiteral("c"), s}
                           << QStringLiteral("--use is 'a' or 'b'");
    QTest::newRow("no sentence") << QStringList{QStringLiteral("compare"), m, a, m, a}
                                 << QStringLiteral("give the SENTENCE");
    QTest::newRow("gold without input") << QStringList{QStringLiteral("compare"), m, a, m, a, QStringLiteral("--gold"), a, s}
                                        << QStringLiteral("go with --input");
    QTest::newRow("timeline without sentence") << QStringList{QStringLiteral("timeline"), QStringLiteral("--run"), sampleRun}
                                               << QStringLiteral("give the SENTENCE");
}

void TestCompareCli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const RunResult r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
}

void TestCompareCli::timelineOrderedByStep()
{
    const QString sentence = QStringLiteral("the 3rd of may 1999");
    const RunResult r = runCli({QStringLiteral("timeline"), QStringLiteral("--run"), sampleRun, QStringLiteral("--json"), sentence});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = json(r.out);
    const QJsonArray checkpoints = j[QStringLiteral("checkpoints")].toArray();
    const QStringList files = QDir(sampleRun).entryList({QStringLiteral("*.safetensors")}, QDir::Files);
    QCOMPARE(checkpoints.size(), files.size());
    QVERIFY(checkpoints.size() >= 8);
    // In step order, which is not the order of the names ("model_step_1000" sorts before "model_step_500").
    QStringList order;
    for (int i = 0; i < checkpoints.size(); ++i) {
        const QJsonObject c = checkpoints[i].toObject();
        order << c[QStringLiteral("file")].toString();
        QCOMPARE(c[QStringLiteral("file")].toString(),
                 QStringLiteral("model_step_%1.safetensors").arg(c[QStringLiteral("step")].toInteger()));
        if (i > 0)
            QVERIFY(c[QStringLiteral("step")].toInteger() > checkpoints[i - 1].toObject()[QStringLiteral("step")].toInteger());
        for (const char *key : {"attention", "log_probs", "entropy", "agreement_with_last"})
            QVERIFY2(c.contains(QLatin1String(key)), key);
        QCOMPARE(c[QStringLiteral("attention")].toArray().size(), j[QStringLiteral("target_tokens")].toArray().size());
    }
    QVERIFY(order != files); // QDir sorts by name
    const QJsonObject last = checkpoints.last().toObject();
    QCOMPARE(last[QStringLiteral("agreement_with_last")].toDouble(), 1.0);
    // The fixed output is the last checkpoint's translation.
    const RunResult translated = runCli({QStringLiteral("translate"), QStringLiteral("--model"),
                                         sampleRun + QLatin1Char('/') + last[QStringLiteral("file")].toString(),
                                         QStringLiteral("--json"), sentence});
    QCOMPARE(j[QStringLiteral("target_tokens")], json(translated.out)[QStringLiteral("target_tokens")]);
    // Training sharpens the attention: the last checkpoint's rows have less entropy than the first's,
    // and the output becomes more likely.
    const QJsonObject first = checkpoints.first().toObject();
    QVERIFY(last[QStringLiteral("mean_entropy")].toDouble() < first[QStringLiteral("mean_entropy")].toDouble());
    QVERIFY(last[QStringLiteral("log_p")].toDouble() > first[QStringLiteral("log_p")].toDouble());
}

void TestCompareCli::timelineInWords()
{
    // The Marian sample given twice as a run: in words, the fixed output and the source are the
    // words `translate --units words` reads, and each checkpoint's attention has a row per word.
    const QString marian = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian");
    const QString sentence = QStringLiteral("Tomorrow's weather is unbelievably beautiful.");
    const RunResult r = runCli({QStringLiteral("timeline"), QStringLiteral("--run"), marian, QStringLiteral("--run"), marian,
                                QStringLiteral("--units"), QStringLiteral("words"), QStringLiteral("--json"), sentence});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = json(r.out);
    QCOMPARE(j[QStringLiteral("units")].toString(), QStringLiteral("words"));
    const RunResult words = runCli({QStringLiteral("translate"), QStringLiteral("--model"), marian, QStringLiteral("--units"),
                                    QStringLiteral("words"), QStringLiteral("--json"), sentence});
    QCOMPARE(words.exitCode, 0);
    const QJsonObject t = json(words.out);
    QCOMPARE(j[QStringLiteral("target_tokens")], t[QStringLiteral("target_tokens")]);
    QCOMPARE(j[QStringLiteral("source_tokens")], t[QStringLiteral("source_tokens")]);
    const QJsonArray checkpoints = j[QStringLiteral("checkpoints")].toArray();
    QCOMPARE(checkpoints.size(), 2);
    QCOMPARE(checkpoints[0].toObject()[QStringLiteral("attention")].toArray().size(),
             t[QStringLiteral("target_tokens")].toArray().size());
    // In pieces (the default) there are more rows.
    const RunResult pieces = runCli({QStringLiteral("timeline"), QStringLiteral("--run"), marian, QStringLiteral("--run"),
                                     marian, QStringLiteral("--json"), sentence});
    QCOMPARE(json(pieces.out)[QStringLiteral("units")].toString(), QStringLiteral("pieces"));
    QVERIFY(json(pieces.out)[QStringLiteral("target_tokens")].toArray().size()
            > j[QStringLiteral("target_tokens")].toArray().size());
}

void TestCompareCli::timelineOutFile()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("timeline.json")), gold = dir.filePath(QStringLiteral("gold.txt"));
    QVERIFY(writeLines(gold, {QStringLiteral("4-0 3-1 1-2")}));
    const QStringList args = {QStringLiteral("timeline"), QStringLiteral("--run"), sampleRun, QStringLiteral("--target"),
                              QStringLiteral("1999 05 03"), QStringLiteral("--gold"), gold, QStringLiteral("the 3rd of may 1999")};
    const RunResult printed = runCli(args + QStringList{QStringLiteral("--json")});
    const RunResult written = runCli(args + QStringList{QStringLiteral("--out"), out});
    QCOMPARE(written.exitCode, 0);
    QVERIFY(written.out.isEmpty());
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(file.readAll()), printed.out);
    const QJsonObject j = json(printed.out);
    QCOMPARE(j[QStringLiteral("fixed_output")].toString(), QStringLiteral("target"));
    QCOMPARE(j[QStringLiteral("target_tokens")].toArray().size(), 4);
    const QJsonArray checkpoints = j[QStringLiteral("checkpoints")].toArray();
    // With gold links each checkpoint has an AER, and the trained model's is below the untrained one's.
    QVERIFY(checkpoints.last().toObject()[QStringLiteral("aer")].toDouble()
            < checkpoints.first().toObject()[QStringLiteral("aer")].toDouble());
}

void TestCompareCli::timelineAnimation()
{
    QTemporaryDir dir;
    const QString gif = dir.filePath(QStringLiteral("run.gif"));
    const RunResult r = runCli({QStringLiteral("timeline"), QStringLiteral("--run"), sampleRun, QStringLiteral("--out"), gif,
                                QStringLiteral("the 3rd of may 1999")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QStringLiteral("11 frames")), qPrintable(r.out));
    QImageReader reader(gif);
    QList<QImage> frames;
    for (QImage frame; reader.read(&frame);)
        frames << frame.convertToFormat(QImage::Format_RGB32);
    QCOMPARE(frames.size(), 11); // one per checkpoint
    for (const QImage &frame : frames)
        QCOMPARE(frame.size(), frames.front().size());
    QVERIFY(frames.front() != frames.back());
    // A suffix it cannot animate is JSON as before; a folder that does not exist leaves nothing.
    const RunResult missing = runCli({QStringLiteral("timeline"), QStringLiteral("--run"), sampleRun, QStringLiteral("--out"),
                                      dir.filePath(QStringLiteral("no/run.apng")), QStringLiteral("the 3rd of may 1999")});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("no/run.apng"))));
}

void TestCompareCli::transformers()
{
    // The Marian sample against itself: no difference, agreement 1, the view in the JSON.
    const QString marian = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian");
    const RunResult same = runCli({QStringLiteral("compare"), QStringLiteral("--model"), marian, QStringLiteral("--model"),
                                   marian, QStringLiteral("--json"), QStringLiteral("i am cold .")});
    QCOMPARE(same.exitCode, 0);
    const QJsonObject j = json(same.out);
    QCOMPARE(j[QStringLiteral("mean_jsd")].toDouble(), 0.0);
    QCOMPARE(j[QStringLiteral("agreement")].toDouble(), 1.0);
    QCOMPARE(j[QStringLiteral("view_a")].toString(), QStringLiteral("layer 3, mean of 4 heads"));
    QCOMPARE(j[QStringLiteral("units")].toString(), QStringLiteral("pieces"));
    const RunResult head = runCli({QStringLiteral("compare"), QStringLiteral("--model"), marian, QStringLiteral("--model"),
                                   marian, QStringLiteral("--layer"), QStringLiteral("1"), QStringLiteral("--head"),
                                   QStringLiteral("2"), QStringLiteral("--json"), QStringLiteral("i am cold .")});
    QCOMPARE(json(head.out)[QStringLiteral("view_b")].toString(), QStringLiteral("layer 1, head 2"));
    // Pieces that differ: refused in pieces, compared in words.
    const QString a = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/transformer/marian-opus-swish");
    const QString b = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/transformer/marian-separate-vocabs");
    const QStringList args = {QStringLiteral("compare"), QStringLiteral("--model"), a, QStringLiteral("--model"), b,
                              QStringLiteral("--max-length"), QStringLiteral("3"), QStringLiteral("--json")};
    const RunResult pieces = runCli(args + QStringList{QStringLiteral("--units"), QStringLiteral("pieces"), QStringLiteral("i am cold .")});
    QCOMPARE(pieces.exitCode, 1);
    QVERIFY2(pieces.err.contains(QStringLiteral("model B")), qPrintable(pieces.err));
    const RunResult words = runCli(args + QStringList{QStringLiteral("--units"), QStringLiteral("words"), QStringLiteral("i am cold .")});
    QCOMPARE(words.exitCode, 0);
    const QJsonObject w = json(words.out);
    QCOMPARE(w[QStringLiteral("units")].toString(), QStringLiteral("words"));
    QCOMPARE(w[QStringLiteral("source_tokens")].toArray().size(), 5); // i am cold . </s>
    // An RNN has no heads to choose.
    const RunResult rnn = runCli({QStringLiteral("compare"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--model"),
                                  sample("tiny"), QStringLiteral("--layer"), QStringLiteral("1"), QStringLiteral("may 1999")});
    QCOMPARE(rnn.exitCode, 2);
}

QTEST_GUILESS_MAIN(TestCompareCli)
#include "tst_comparecli.moc"
