// attnviz-cli walkthrough, run for real on the sample models (issue #18): a PDF page, a GIF
// frame or a PNG file per stage and step (EOS included), --steps and --top-k, and clear errors.
#include "clirunner.h"

#include <attnviz/decoding/translate.h>

#include <QDir>
#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QTemporaryDir>
#include <QTest>

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
};

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
