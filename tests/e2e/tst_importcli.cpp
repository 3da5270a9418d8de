// attnviz-cli import, run for real on the committed torch.save checkpoints (tests/data/torch):
// the file it writes loads and translates as PyTorch did; bad input exits 1 or 2 with a message.
#include "clirunner.h"

#include <attnviz/io/model_file.h>
#include <attnviz/decoding/translate.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace {

QString data(const char *name)
{
    return QStringLiteral(ATTNVIZ_TORCH_DATA_DIR "/") + QString::fromLatin1(name);
}

QStringList vocabArgs()
{
    return {QStringLiteral("--source-vocab"), data("source_vocab.txt"), QStringLiteral("--target-vocab"),
            data("target_vocab.json")};
}

} // namespace

class TestImportCli : public QObject
{
    Q_OBJECT

private slots:
    void importsAndTranslates_data();
    void importsAndTranslates();
    void refuses_data();
    void refuses();
    void nameDefaultsToTheInputFile_data();
    void nameDefaultsToTheInputFile();
};

void TestImportCli::importsAndTranslates_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("architecture");
    const QStringList pair = {QStringLiteral("--encoder"), data("bahdanau/encoder.pt"), QStringLiteral("--decoder"),
                              data("bahdanau/decoder.pt")};
    QTest::newRow("pair + vocabulary files") << (pair + vocabArgs()) << QStringLiteral("bahdanau");
    QTest::newRow("pair + pairs file")
        << (pair + QStringList {QStringLiteral("--pairs"), data("pairs.txt"), QStringLiteral("--reverse"),
                                QStringLiteral("--filter")})
        << QStringLiteral("bahdanau");
    QTest::newRow("one checkpoint") << (QStringList {QStringLiteral("--checkpoint"), data("combined.pt")} + vocabArgs())
                                    << QStringLiteral("luong");
    QTest::newRow("original tutorial, no relu")
        << (QStringList {QStringLiteral("--encoder"), data("legacy/encoder.pt"), QStringLiteral("--decoder"),
                         data("legacy/decoder.pt"), QStringLiteral("--combine-activation"), QStringLiteral("none")}
            + vocabArgs())
        << QStringLiteral("tutorial_legacy");
}

void TestImportCli::importsAndTranslates()
{
    QFETCH(QStringList, args);
    QFETCH(QString, architecture);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("model.safetensors"));
    const RunResult r = runCli(QStringList {QStringLiteral("import"), QStringLiteral("--out"), out,
                                            QStringLiteral("--name"), QStringLiteral("mine")} + args);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith(QStringLiteral("wrote ") + out + QStringLiteral(": ") + architecture), qPrintable(r.out));

    const auto model = attnviz::Model::fromFile(out.toStdString());
    QCOMPARE(QString::fromStdString(attnviz::architectureName(*attnviz::architectureOf(model->config()))), architecture);
    QCOMPARE(model->config().name, std::string("mine"));
    if (architecture == QLatin1String("tutorial_legacy"))
        QCOMPARE(model->config().decoder.combineActivation, attnviz::Activation::Identity);
    if (architecture != QLatin1String("bahdanau"))
        return;
    // The written file translates as PyTorch did with the original checkpoints.
    std::ifstream in(ATTNVIZ_TORCH_DATA_DIR "/bahdanau/reference.json");
    const nlohmann::json c = nlohmann::json::parse(in)["cases"][0];
    const attnviz::TranslationResult result = attnviz::translate(*model, c["sentence"].get<std::string>(), {});
    QCOMPARE(result.best().targetTokens, c["greedy"]["target_tokens"].get<std::vector<std::string>>());
    QVERIFY(std::abs(result.best().score - c["greedy"]["score"].get<double>()) < 1e-5);

    const RunResult translated = runCli({QStringLiteral("translate"), QStringLiteral("--model"), out,
                                         QString::fromStdString(c["sentence"].get<std::string>())});
    QCOMPARE(translated.exitCode, 0);
}

void TestImportCli::refuses_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("malicious pickle")
        << (QStringList {QStringLiteral("--encoder"), data("malicious/os-system.pt"), QStringLiteral("--decoder"),
                         data("bahdanau/decoder.pt")} + vocabArgs())
        << 1 << QStringLiteral("os-system.pt: holds an object of class 'os.system' (a record: nothing in the file was run)");
    QTest::newRow("truncated archive")
        << (QStringList {QStringLiteral("--checkpoint"), data("malicious/truncated.pt")} + vocabArgs()) << 1
        << QStringLiteral("truncated.pt: not a readable ZIP archive");
    QTest::newRow("no decoder") << (QStringList {QStringLiteral("--encoder"), data("bahdanau/encoder.pt")} + vocabArgs())
                                << 2 << QStringLiteral("give --encoder FILE and --decoder FILE, or --checkpoint");
    QTest::newRow("no vocabularies")
        << QStringList {QStringLiteral("--checkpoint"), data("combined.pt")} << 2
        << QStringLiteral("give --source-vocab FILE and --target-vocab FILE, or --pairs FILE");
    QTest::newRow("bad activation")
        << (QStringList {QStringLiteral("--checkpoint"), data("combined.pt"), QStringLiteral("--combine-activation"),
                         QStringLiteral("tanh")} + vocabArgs())
        << 2 << QStringLiteral("--combine-activation is 'relu' or 'none', not 'tanh'");
}

void TestImportCli::refuses()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("model.safetensors"));
    const RunResult r = runCli(QStringList {QStringLiteral("import"), QStringLiteral("--out"), out} + args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(!QFile::exists(out));
}

void TestImportCli::nameDefaultsToTheInputFile_data()
{
    QTest::addColumn<QString>("encoder"); // copied under these names; empty: --checkpoint combined.pt
    QTest::addColumn<QString>("decoder");
    QTest::addColumn<QString>("name");
    QTest::newRow("checkpoint") << QString() << QString() << QStringLiteral("combined");
    QTest::newRow("pair with a shared prefix")
        << QStringLiteral("eng-fra-encoder.pt") << QStringLiteral("eng-fra-decoder.pt") << QStringLiteral("eng-fra");
    QTest::newRow("the tutorial's names: the folder")
        << QStringLiteral("encoder.pt") << QStringLiteral("decoder.pt") << QStringLiteral("my-run");
    QTest::newRow("a shared letter is no name")
        << QStringLiteral("enc.pt") << QStringLiteral("embed.pt") << QStringLiteral("my-run");
}

// Issue 22: without --name the model was nameless, and the window and figures showed "".
void TestImportCli::nameDefaultsToTheInputFile()
{
    QFETCH(QString, encoder);
    QFETCH(QString, decoder);
    QFETCH(QString, name);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QStringList args;
    if (encoder.isEmpty()) {
        args = {QStringLiteral("--checkpoint"), data("combined.pt")};
    } else {
        const QString folder = dir.filePath(QStringLiteral("my-run"));
        QVERIFY(QDir().mkpath(folder));
        QVERIFY(QFile::copy(data("bahdanau/encoder.pt"), folder + u'/' + encoder));
        QVERIFY(QFile::copy(data("bahdanau/decoder.pt"), folder + u'/' + decoder));
        args = {QStringLiteral("--encoder"), folder + u'/' + encoder, QStringLiteral("--decoder"), folder + u'/' + decoder};
    }
    const QString out = dir.filePath(QStringLiteral("model.safetensors"));
    const RunResult r = runCli(QStringList {QStringLiteral("import"), QStringLiteral("--out"), out} + args + vocabArgs());
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(QString::fromStdString(attnviz::Model::fromFile(out.toStdString())->config().name), name);
}

QTEST_GUILESS_MAIN(TestImportCli)

#include "tst_importcli.moc"
