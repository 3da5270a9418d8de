// The committed sample models: each loads and translates through the real CLI, and the synthetic
// dates model's attention finds the true source word (data/dates/dates-test.gold) for >= 95% of
// the output words of its held-out test set.
#include "clirunner.h"

#include <attnviz/analysis/alignment.h>
#include <attnviz/decoding/translate.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString sourceDir = QStringLiteral(ATTNVIZ_SOURCE_DIR);

} // namespace

class TestSampleModels : public QObject
{
    Q_OBJECT

private slots:
    void loadsAndTranslates_data();
    void loadsAndTranslates();
    void datesAttentionHitsGoldAlignment();
    void datesAlignmentErrorRateIsNearZero();
    void alignPerSentence();
};

void TestSampleModels::loadsAndTranslates_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("sentence");
    const QDir dir(sourceDir + QStringLiteral("/sample_models"));
    const QStringList models = dir.entryList({QStringLiteral("*.safetensors")}, QDir::Files, QDir::Name);
    QVERIFY(models.contains(QStringLiteral("dates.safetensors")));
    for (const QString &name : models) {
        const bool dates = name.startsWith(QStringLiteral("dates")) || name.startsWith(QStringLiteral("tiny"));
        QTest::newRow(qPrintable(name)) << dir.filePath(name)
                                        << (dates ? QStringLiteral("the 3rd of may 1999") : QStringLiteral("I am cold."));
    }
}

void TestSampleModels::loadsAndTranslates()
{
    QFETCH(QString, model);
    QFETCH(QString, sentence);
    const QString name = QFileInfo(model).fileName();
    const RunResult info = runCli({QStringLiteral("info"), QStringLiteral("--model"), model});
    QCOMPARE(info.exitCode, 0);
    QVERIFY(info.out.contains(QStringLiteral("Architecture:")));
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), model, QStringLiteral("--json"), sentence});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonArray tokens = j[QStringLiteral("target_tokens")].toArray();
    QVERIFY(tokens.size() >= 2);
    // A trained model finishes a short sentence, with its own EOS (the subword model's is </s>).
    const QString eos = name.contains(QStringLiteral("subword")) ? QStringLiteral("</s>") : QStringLiteral("EOS");
    QCOMPARE(tokens.last().toString(), eos);
    QVERIFY(j[QStringLiteral("unknown_words")].toArray().isEmpty());
    if (name.contains(QStringLiteral("subword"))) {
        // Typed text goes through the SentencePiece model in the file, and comes back as text.
        QCOMPARE(j[QStringLiteral("source_tokens")].toArray().first().toString(), QStringLiteral("\u2581I"));
        QCOMPARE(j[QStringLiteral("translation")].toString(), QStringLiteral("J'ai froid."));
    }
}

void TestSampleModels::datesAttentionHitsGoldAlignment()
{
    const QString data = sourceDir + QStringLiteral("/data/dates/dates-test");
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"),
                                sourceDir + QStringLiteral("/sample_models/dates.safetensors"), QStringLiteral("--input"),
                                data + QStringLiteral(".src"), QStringLiteral("--targets"), data + QStringLiteral(".ref"),
                                QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    QFile goldFile(data + QStringLiteral(".gold"));
    QVERIFY(goldFile.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList gold = QString::fromUtf8(goldFile.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const QStringList results = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(results.size(), gold.size());
    QVERIFY(gold.size() >= 500);
    int hits = 0, total = 0;
    for (int n = 0; n < gold.size(); ++n) {
        const QJsonArray attention = QJsonDocument::fromJson(results[n].toUtf8()).object()[QStringLiteral("attention")].toArray();
        for (const QString &link : gold[n].split(QLatin1Char(' '))) {
            const int source = link.section(QLatin1Char('-'), 0, 0).toInt();
            const int target = link.section(QLatin1Char('-'), 1, 1).toInt();
            const QJsonArray row = attention[target].toArray();
            int best = 0;
            for (int j = 1; j < row.size(); ++j)
                if (row[j].toDouble() > row[best].toDouble())
                    best = j;
            hits += best == source;
            ++total;
        }
    }
    const double accuracy = double(hits) / total;
    qInfo("dates: attention argmax on the gold source word for %d of %d target words (%.2f%%)", hits, total,
          100 * accuracy);
    QVERIFY2(accuracy >= 0.95, qPrintable(QString::number(100 * accuracy) + QStringLiteral("%")));
}

// The same test set through `attnviz-cli align`: AER (Och & Ney) against the true alignment.
void TestSampleModels::datesAlignmentErrorRateIsNearZero()
{
    const QString data = sourceDir + QStringLiteral("/data/dates/dates-test");
    const RunResult r = runCli({QStringLiteral("align"), QStringLiteral("--model"),
                                sourceDir + QStringLiteral("/sample_models/dates.safetensors"), QStringLiteral("--input"),
                                data + QStringLiteral(".src"), QStringLiteral("--targets"), data + QStringLiteral(".ref"),
                                QStringLiteral("--gold"), data + QStringLiteral(".gold"), QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(j[QStringLiteral("sentences")].toInt(), 500);
    QCOMPARE(j[QStringLiteral("sure_links")].toInt(), 1500);
    qInfo("dates: precision %.4f, recall %.4f, AER %.4f", j[QStringLiteral("precision")].toDouble(),
          j[QStringLiteral("recall")].toDouble(), j[QStringLiteral("aer")].toDouble());
    QVERIFY(j[QStringLiteral("aer")].toDouble() < 0.05);
    // A gold file whose link points past the sentence is refused with its line.
    QTemporaryDir dir;
    QFile bad(dir.filePath(QStringLiteral("bad.gold")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("0-0\n9-0\n");
    bad.close();
    QFile src(dir.filePath(QStringLiteral("s.txt"))), ref(dir.filePath(QStringLiteral("r.txt")));
    QVERIFY(src.open(QIODevice::WriteOnly) && ref.open(QIODevice::WriteOnly));
    src.write("may 3 1999\nmay 4 1999\n");
    ref.write("1999 05 03\n1999 05 04\n");
    src.close();
    ref.close();
    const RunResult refused = runCli({QStringLiteral("align"), QStringLiteral("--model"),
                                      sourceDir + QStringLiteral("/sample_models/dates.safetensors"),
                                      QStringLiteral("--input"), src.fileName(), QStringLiteral("--targets"),
                                      ref.fileName(), QStringLiteral("--gold"), bad.fileName()});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains(bad.fileName() + QStringLiteral(":2: link 9-0 is outside the sentence")),
             qPrintable(refused.err));
}

// Issue 22: `align --per-sentence` finds the misaligned sentences without a script; each row is
// that sentence's own score (as the engine counts it), and the rows add up to the totals.
void TestSampleModels::alignPerSentence()
{
    const QString data = sourceDir + QStringLiteral("/data/dates/dates-test");
    const QString modelPath = sourceDir + QStringLiteral("/sample_models/dates.safetensors");
    const QStringList args = {QStringLiteral("align"), QStringLiteral("--model"), modelPath, QStringLiteral("--input"),
                              data + QStringLiteral(".src"), QStringLiteral("--targets"), data + QStringLiteral(".ref"),
                              QStringLiteral("--gold"), data + QStringLiteral(".gold"), QStringLiteral("--per-sentence")};
    const RunResult json = runCli(args + QStringList {QStringLiteral("--json")});
    QCOMPARE(json.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(json.out.toUtf8()).object();
    const QJsonArray rows = j[QStringLiteral("per_sentence")].toArray();
    QCOMPARE(rows.size(), 500);
    int modelLinks = 0, sureLinks = 0;
    QList<int> misaligned;
    for (int n = 0; n < rows.size(); ++n) {
        const QJsonObject row = rows[n].toObject();
        QCOMPARE(row[QStringLiteral("line")].toInt(), n + 1);
        modelLinks += row[QStringLiteral("model_links")].toInt();
        sureLinks += row[QStringLiteral("sure_links")].toInt();
        if (row[QStringLiteral("aer")].toDouble() > 0)
            misaligned << n;
    }
    QCOMPARE(modelLinks, j[QStringLiteral("model_links")].toInt());
    QCOMPARE(sureLinks, j[QStringLiteral("sure_links")].toInt());
    QVERIFY2(!misaligned.isEmpty() && misaligned.size() < 50, qPrintable(QString::number(misaligned.size())));

    // The rows with errors, and one without, are the engine's count for that sentence alone.
    const auto model = attnviz::Model::fromFile(modelPath.toStdString());
    const auto lines = [](const QString &path) {
        QFile file(path);
        file.open(QIODevice::ReadOnly);
        return QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    };
    const QStringList sources = lines(data + QStringLiteral(".src")), targets = lines(data + QStringLiteral(".ref"));
    QFile goldFile(data + QStringLiteral(".gold"));
    QVERIFY(goldFile.open(QIODevice::ReadOnly));
    const auto gold = attnviz::parsePharaoh(goldFile.readAll().toStdString(), "gold");
    QList<int> checked = misaligned;
    checked << (misaligned.first() == 0 ? 1 : 0);
    for (int n : checked) {
        attnviz::DecodeOptions options;
        options.target = targets[n].toStdString();
        const auto result = attnviz::translate(*model, sources[n].toStdString(), options);
        const attnviz::AlignmentCounts counts = attnviz::countAgreement(attnviz::hardLinks(result, result.best()), gold[size_t(n)]);
        const QJsonObject row = rows[n].toObject();
        QCOMPARE(row[QStringLiteral("model_links")].toInt(), int(counts.a));
        QCOMPARE(row[QStringLiteral("model_and_sure")].toInt(), int(counts.aAndS));
        QCOMPARE(row[QStringLiteral("aer")].toDouble(), counts.alignmentErrorRate());
    }

    // The text table: a header, one row per line in order, then the totals.
    const RunResult text = runCli(args);
    QCOMPARE(text.exitCode, 0);
    const QStringList out = text.out.split(QLatin1Char('\n'));
    QVERIFY2(out[0].startsWith(QStringLiteral("line  precision  recall  AER")), qPrintable(out[0]));
    for (int n = 0; n < 500; ++n) {
        const QStringList fields = out[n + 1].split(QLatin1Char(' '), Qt::SkipEmptyParts);
        QCOMPARE(fields.size(), 6);
        QCOMPARE(fields[0].toInt(), n + 1);
        QCOMPARE(fields[3].toDouble() > 0, misaligned.contains(n));
        QCOMPARE(fields[4].toInt(), rows[n].toObject()[QStringLiteral("model_links")].toInt());
    }
    QVERIFY2(text.out.contains(QStringLiteral("\n\nsentences: 500\n")), qPrintable(text.out.right(200)));
}

QTEST_GUILESS_MAIN(TestSampleModels)
#include "tst_samplemodels.moc"
