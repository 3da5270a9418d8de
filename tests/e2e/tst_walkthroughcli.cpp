// attnviz-cli walkthrough, run for real on the sample models (issue #18): a PDF page, a GIF
// frame or a PNG file per stage and step (EOS included), --steps and --top-k, and clear errors.
#include "clirunner.h"

#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QTemporaryDir>
#include <QTest>

#include "pdftext.h"

namespace {

const QString sourceDir = QStringLiteral(ATTNVIZ_SOURCE_DIR);

QString sample(const char *name)
{
    return sourceDir + QStringLiteral("/sample_models/") + QLatin1String(name) + QStringLiteral(".safetensors");
}

// The steps of the translation, from the engine itself.
int stepsOf(const QString &model, const char *sentence, const char *target = nullptr)
{
    attnviz::DecodeOptions options;
    if (target)
        options.target = target;
    return attnviz::translate(*attnviz::Model::fromFile(model.toStdString()), sentence, options).best().steps();
}

int pdfPages(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray pdf = file.readAll();
    return int(pdf.count("/Type /Page\n") + pdf.count("/Type /Page ") + pdf.count("/Type /Page/")
               + pdf.count("/Type/Page\n"));
}

} // namespace

class TestWalkthroughCli : public QObject
{
    Q_OBJECT
private slots:
    void pdfHasStagesTimesSteps_data();
    void pdfHasStagesTimesSteps();
    void gifAndPngFolder();
    void stepRange();
    void errors();
    void helpListsTheCommand();
    void openNmtSubwordOptions();
    void transformerHead();
};

// The Marian sample (3 decoder layers of 4 heads): --layer/--head choose the head explained; the
// JSON's numbers are the engine's result for that head, the PDF has 4 pages a step (issue #23).
void TestWalkthroughCli::transformerHead()
{
    const QString marian = sourceDir + QStringLiteral("/sample_models/eng-fra-marian");
    const char *sentence = "I am cold.";
    const auto model =
        std::make_shared<const attnviz::Model>(attnviz::openModel(marian.toStdString()).model, "eng-fra-marian");
    const attnviz::TranslationResult result = attnviz::translate(*model, sentence, {});
    const attnviz::Hypothesis &h = result.best();
    RunResult r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), marian, QStringLiteral("--layer"),
                          QStringLiteral("2"), QStringLiteral("--head"), QStringLiteral("3"), QStringLiteral("--json"),
                          QLatin1String(sentence)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const nlohmann::json j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["layer"].get<int>(), 2);
    QCOMPARE(j["head"].get<int>(), 3);
    QCOMPARE(j["heads"].get<int>(), 4);
    QCOMPARE(j["head_size"].get<int>(), 24);
    QCOMPARE(j["steps"].size(), size_t(h.steps()));
    for (int i = 0; i < h.steps(); ++i) {
        const nlohmann::json &s = j["steps"][size_t(i)];
        QCOMPARE(s["query"].size(), size_t(24));
        QCOMPARE(s["weights"].size(), size_t(result.sourceLength()));
        for (int k = 0; k < result.sourceLength(); ++k) {
            QVERIFY(std::abs(s["weights"][size_t(k)].get<double>() - h.crossAttention.at(1, 2)(i, k)) <= 1e-6);
            QVERIFY(std::abs(s["energies"][size_t(k)].get<double>() - h.crossEnergies.at(1, 2)(i, k)) <= 1e-5);
        }
        QCOMPARE(s["chosen"]["id"].get<int>(), h.targetIds[i]);
        QCOMPARE(s["chosen_rank"].get<int>(), 1);
        QVERIFY(std::abs(std::log(s["chosen"]["probability"].get<double>()) - h.logProbs[i]) <= 1e-5);
        QVERIFY(s.contains("with_uniform_head"));
        QCOMPARE(s["output"].size(), size_t(96));
    }
    // The default: the last layer's first head.
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), marian, QStringLiteral("--json"),
                QStringLiteral("--steps"), QStringLiteral("1"), QLatin1String(sentence)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const nlohmann::json d = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(d["layer"].get<int>(), 3);
    QCOMPARE(d["head"].get<int>(), 1);
    QCOMPARE(d["steps"].size(), size_t(1));

    QTemporaryDir dir;
    const QString pdf = dir.filePath(QStringLiteral("marian.pdf"));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), marian, QStringLiteral("--layer"),
                QStringLiteral("2"), QStringLiteral("--head"), QStringLiteral("3"), QStringLiteral("--out"), pdf,
                QLatin1String(sentence)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(pdfPages(pdf), 4 * h.steps());
    const QString text = pdfText(pdf);
    QVERIFY2(!text.isEmpty(), "pdftotext (poppler-utils, scripts/setup.sh) is needed to read the PDF's text");
    for (const char *word : {"Query", "layer 2, head 3", "With head 3 of layer 2 uniform", "residual"})
        QVERIFY2(text.contains(QLatin1String(word)), word);
    const QString gif = dir.filePath(QStringLiteral("marian.gif"));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), marian, QStringLiteral("--steps"),
                QStringLiteral("1-2"), QStringLiteral("--out"), gif, QLatin1String(sentence)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(QImageReader(gif).imageCount(), 8);

    // One head of one layer, in range; not for an RNN; --out or --json.
    for (const QStringList &bad : {QStringList{QStringLiteral("--head"), QStringLiteral("mean")},
                                   QStringList{QStringLiteral("--head"), QStringLiteral("5")},
                                   QStringList{QStringLiteral("--layer"), QStringLiteral("0")},
                                   QStringList{QStringLiteral("--layer"), QStringLiteral("all")}}) {
        r = runCli(QStringList{QStringLiteral("walkthrough"), QStringLiteral("--model"), marian, QStringLiteral("--json")}
                   + bad + QStringList{QLatin1String(sentence)});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(bad.front()), qPrintable(r.err));
    }
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--head"),
                QStringLiteral("1"), QStringLiteral("--json"), QStringLiteral("i am cold .")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("transformers")), qPrintable(r.err));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), marian, QLatin1String(sentence)});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("--json")), qPrintable(r.err));
}

// The model is loaded as translate loads it (loadModel): an OpenNMT-py checkpoint with
// --bpe-codes walks through the pieces; a missing codes file is named.
void TestWalkthroughCli::openNmtSubwordOptions()
{
    QTemporaryDir dir;
    const QString model = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/onmt/lstm-general-feed/model_step_100.pt");
    const QString codes = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/subword/codes.bpe");
    const QString out = dir.filePath(QStringLiteral("w.gif"));
    RunResult r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), model, QStringLiteral("--bpe-codes"),
                          codes, QStringLiteral("--steps"), QStringLiteral("1"), QStringLiteral("--out"), out,
                          QStringLiteral("the lower newest .")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QStringLiteral("4 pages (steps 1 to 1")), qPrintable(r.out));
    QVERIFY(QFile::exists(out));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), model, QStringLiteral("--bpe-codes"),
                QStringLiteral("/nonexistent/codes.bpe"), QStringLiteral("--out"), out, QStringLiteral("the lower .")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("/nonexistent/codes.bpe")), qPrintable(r.err));
}

void TestWalkthroughCli::pdfHasStagesTimesSteps_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("target");
    QTest::newRow("tiny") << sample("tiny") << QString();
    QTest::newRow("bahdanau forced") << sample("eng-fra-bahdanau") << QStringLiteral("j ai froid .");
    QTest::newRow("luong") << sample("eng-fra-luong") << QString();
    QTest::newRow("legacy") << sample("eng-fra-legacy") << QString();
}

void TestWalkthroughCli::pdfHasStagesTimesSteps()
{
    QFETCH(QString, model);
    QFETCH(QString, target);
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("w.pdf"));
    QStringList args {QStringLiteral("walkthrough"), QStringLiteral("--model"), model, QStringLiteral("--out"), out};
    if (!target.isEmpty())
        args << QStringLiteral("--target") << target;
    args << QStringLiteral("i am cold .");
    const RunResult r = runCli(args);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const int steps = stepsOf(model, "i am cold .", target.isEmpty() ? nullptr : qPrintable(target));
    QCOMPARE(pdfPages(out), 4 * steps);
    QVERIFY2(r.out.contains(QStringLiteral("%1 pages").arg(4 * steps)), qPrintable(r.out));
}

void TestWalkthroughCli::gifAndPngFolder()
{
    QTemporaryDir dir;
    const QString gif = dir.filePath(QStringLiteral("w.gif"));
    const int steps = stepsOf(sample("tiny"), "i am cold .");
    RunResult r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--out"), gif,
                          QStringLiteral("i am cold .")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QImageReader reader(gif);
    QCOMPARE(reader.imageCount(), 4 * steps);

    const QString folder = dir.filePath(QStringLiteral("slides"));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--out"), folder,
                QStringLiteral("--top-k"), QStringLiteral("3"), QStringLiteral("i am cold .")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QStringList pngs = QDir(folder).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
    QCOMPARE(pngs.size(), 4 * steps);
    const QImage first(QDir(folder).filePath(pngs.front()));
    QCOMPARE(first.size(), QSize(1920, 1080));
}

void TestWalkthroughCli::stepRange()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("w.pdf"));
    const int steps = stepsOf(sample("tiny"), "i am cold .");
    QVERIFY(steps >= 3);
    RunResult r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--out"), out,
                          QStringLiteral("--steps"), QStringLiteral("2-3"), QStringLiteral("i am cold .")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(pdfPages(out), 8);
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--out"), out,
                QStringLiteral("--steps"), QStringLiteral("2-"), QStringLiteral("i am cold .")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(pdfPages(out), 4 * (steps - 1));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--out"), out,
                QStringLiteral("--steps"), QStringLiteral("%1").arg(steps + 1), QStringLiteral("i am cold .")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("has %1 steps").arg(steps)), qPrintable(r.err));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--out"), out,
                QStringLiteral("--steps"), QStringLiteral("3-1"), QStringLiteral("i am cold .")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains(QStringLiteral("--steps")));
}

void TestWalkthroughCli::errors()
{
    QTemporaryDir dir;
    RunResult r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--out"),
                          dir.filePath(QStringLiteral("w.pdf"))});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains(QStringLiteral("SENTENCE")));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), sample("tiny"), QStringLiteral("--out"),
                QStringLiteral("/proc/no-such/w.pdf"), QStringLiteral("i am cold .")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("w.pdf")), qPrintable(r.err));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--model"), dir.filePath(QStringLiteral("none.safetensors")),
                QStringLiteral("--out"), dir.filePath(QStringLiteral("w.pdf")), QStringLiteral("i am cold .")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.err.contains(QStringLiteral("none.safetensors")));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("w.pdf"))));
}

void TestWalkthroughCli::helpListsTheCommand()
{
    RunResult r = runCli({QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains(QStringLiteral("walkthrough")));
    r = runCli({QStringLiteral("walkthrough"), QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    for (const char *option : {"--model", "--out", "--target", "--top-k", "--steps", "--beam", "--hypothesis"})
        QVERIFY2(r.out.contains(QLatin1String(option)), option);
    r = runCli({QStringLiteral("--bash-completion")});
    QVERIFY(r.out.contains(QStringLiteral("walkthrough")));
    r = runCli({QStringLiteral("--manpage")});
    QVERIFY(r.out.contains(QStringLiteral("walkthrough")));
}

QTEST_GUILESS_MAIN(TestWalkthroughCli)
#include "tst_walkthroughcli.moc"
