// attnviz-cli import, run for real on the committed torch.save checkpoints (tests/data/torch):
// the file it writes loads and translates as PyTorch did; bad input exits 1 or 2 with a message.
#include "clirunner.h"

#include <attnviz/io/model_file.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/models/model.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QFileInfo>
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
    void checkpointAsModel();
    void toolkitModels_data();
    void toolkitModels();
    void wrongFileSaysWhatItIs_data();
    void wrongFileSaysWhatItIs();
};

void TestImportCli::toolkitModels_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("toolkit");
    const QString dir = QStringLiteral(ATTNVIZ_TEST_DATA_DIR);
    QTest::newRow("Joey directory") << dir + QStringLiteral("/joey/gru-bahdanau-bridge") << QStringLiteral("Joey NMT");
    QTest::newRow("Joey best.ckpt") << dir + QStringLiteral("/joey/gru-bahdanau-bridge/best.ckpt") << QStringLiteral("Joey NMT");
    // #16: raw text through the tokenizer record (pieces, translation line, tokenize).
    QTest::newRow("Joey subword-nmt") << dir + QStringLiteral("/joey/subword-nmt-bpe") << QStringLiteral("Joey NMT");
    QTest::newRow("Joey sentencepiece") << dir + QStringLiteral("/joey/sentencepiece/best.ckpt") << QStringLiteral("Joey NMT");
    QTest::newRow("OpenNMT-py") << dir + QStringLiteral("/onmt/lstm-general-feed/model_step_100.pt") << QStringLiteral("OpenNMT-py");
}

// A Joey NMT or OpenNMT-py model through the real program (#15): info names the toolkit,
// translate gives the toolkit's own greedy output, and import writes a model that does too.
void TestImportCli::toolkitModels()
{
    QFETCH(QString, path);
    QFETCH(QString, toolkit);
    const QString goldenPath = QFileInfo(path).isDir() ? path + QStringLiteral("/golden.json")
                                                       : QFileInfo(path).absolutePath() + QStringLiteral("/golden.json");
    std::ifstream in(goldenPath.toStdString());
    const nlohmann::json sentence = nlohmann::json::parse(in)["sentences"][0];
    const QString source = QString::fromStdString(sentence["source"].get<std::string>());
    const auto expected = sentence["greedy"]["tokens"].get<std::vector<std::string>>();

    const RunResult info = runCli({QStringLiteral("info"), QStringLiteral("--model"), path});
    QVERIFY2(info.exitCode == 0, qPrintable(info.err));
    QVERIFY2(info.out.contains(QStringLiteral("Imported from:")) && info.out.contains(toolkit), qPrintable(info.out));

    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("m.safetensors"));
    const RunResult imported = runCli({QStringLiteral("import"), path, QStringLiteral("--out"), out});
    QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
    for (const QString &model : {path, out}) {
        const RunResult translated = runCli({QStringLiteral("translate"), QStringLiteral("--model"), model,
                                             QStringLiteral("--json"), source});
        QVERIFY2(translated.exitCode == 0, qPrintable(translated.err));
        const nlohmann::json result = nlohmann::json::parse(translated.out.toStdString());
        QCOMPARE(result["target_tokens"].get<std::vector<std::string>>(), expected);
        if (sentence["greedy"].contains("translation"))
            QCOMPARE(result["translation"].get<std::string>(), sentence["greedy"]["translation"].get<std::string>());
    }
    if (!sentence.contains("source_pieces"))
        return;
    QString pieces;
    for (const auto &piece : sentence["source_pieces"])
        pieces += (pieces.isEmpty() ? QString() : QStringLiteral(" ")) + QString::fromStdString(piece.get<std::string>());
    for (const QString &model : {path, out}) {
        const RunResult tokenized = runCli({QStringLiteral("tokenize"), QStringLiteral("--model"), model, source});
        QVERIFY2(tokenized.exitCode == 0, qPrintable(tokenized.err));
        QCOMPARE(tokenized.out, pieces + QLatin1Char('\n'));
    }
    const QString input = dir.filePath(QStringLiteral("input.txt"));
    QFile file(input);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write((source + QLatin1Char('\n') + source + QLatin1Char('\n')).toUtf8());
    file.close();
    const RunResult lines = runCli({QStringLiteral("tokenize"), QStringLiteral("--model"), out, QStringLiteral("--input"), input});
    QCOMPARE(lines.out, pieces + QLatin1Char('\n') + pieces + QLatin1Char('\n'));
    const RunResult info2 = runCli({QStringLiteral("info"), QStringLiteral("--model"), out});
    QVERIFY2(info2.out.contains(QStringLiteral("Tokenizer:")) && info2.out.contains(QStringLiteral("Joey NMT")),
             qPrintable(info2.out));
}

// A checkpoint with its Langs opens directly as --model; info says what was found; import PATH
// writes a model that translates as PyTorch did.
void TestImportCli::checkpointAsModel()
{
    const QString checkpoint = data("saved/modules-and-langs.pt");
    const RunResult info = runCli({QStringLiteral("info"), QStringLiteral("--model"), checkpoint});
    QVERIFY2(info.exitCode == 0, qPrintable(info.err));
    QVERIFY2(info.out.contains(QStringLiteral("PyTorch tutorial (zip)")), qPrintable(info.out));
    QVERIFY2(info.out.contains(QStringLiteral("'input_lang' (source, 19 words)")), qPrintable(info.out));
    QVERIFY2(info.out.contains(QStringLiteral("epoch (3)")), qPrintable(info.out));

    std::ifstream in(ATTNVIZ_TORCH_DATA_DIR "/bahdanau/reference.json");
    const nlohmann::json c = nlohmann::json::parse(in)["cases"][0];
    const RunResult translated = runCli({QStringLiteral("translate"), QStringLiteral("--model"), checkpoint,
                                         QString::fromStdString(c["sentence"].get<std::string>())});
    QVERIFY2(translated.exitCode == 0, qPrintable(translated.err));

    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("m.safetensors"));
    const RunResult imported = runCli({QStringLiteral("import"), data("saved/legacy-checkpoint.pt"),
                                       QStringLiteral("--vocab"), data("saved/langs.pkl"), QStringLiteral("--out"), out});
    QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
    QVERIFY2(imported.out.contains(QStringLiteral("ignored: optimizer_state_dict (a dict)")), qPrintable(imported.out));
    const auto model = attnviz::Model::fromFile(out.toStdString());
    const attnviz::TranslationResult result = attnviz::translate(*model, c["sentence"].get<std::string>(), {});
    QCOMPARE(result.best().targetTokens, c["greedy"]["target_tokens"].get<std::vector<std::string>>());
    QVERIFY(std::abs(result.best().score - c["greedy"]["score"].get<double>()) < 1e-5);
}

void TestImportCli::wrongFileSaysWhatItIs_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("kind");
    QTest::newRow("passwd") << QByteArray("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
                            << QStringLiteral("a text file");
    QTest::newRow("png") << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << QStringLiteral("a PNG image");
    QTest::newRow("pharaoh") << QByteArray("0-0 1-1 2-3\n0-1 1-0\n") << QStringLiteral("a Pharaoh alignment file");
    QTest::newRow("json") << QByteArray("{\"name\": \"not a model\"}\n") << QStringLiteral("a JSON file");
    QTest::newRow("yaml") << QByteArray("name: my_model\ndata:\n  src: de\n") << QStringLiteral("a YAML file");
    QTest::newRow("zip") << QByteArray("PK\3\4\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x05\0\0\0a.txt", 35)
                         << QStringLiteral("a ZIP archive");
    QTest::newRow("pickle") << QByteArray("\x80\x04]\x94.", 5) << QStringLiteral("a Python pickle");
}

// Before, each of these said "header length 3475222254926655346 is over the limit of 100 MB".
void TestImportCli::wrongFileSaysWhatItIs()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, kind);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("passwd"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size());
    file.close();
    for (const char *command : {"info", "translate"}) {
        QStringList args {QString::fromLatin1(command), QStringLiteral("--model"), path};
        if (QByteArray(command) == "translate")
            args << QStringLiteral("hello");
        const RunResult r = runCli(args);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(path + QStringLiteral(": passwd is ") + kind + QStringLiteral(", not a model: ")),
                 qPrintable(r.err));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
    }
}

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
        << 1 << QStringLiteral("os-system.pt: holds an object of class 'os.system' (a record: nothing in the file was run), not a state dict or a module");
    QTest::newRow("truncated archive")
        << (QStringList {QStringLiteral("--checkpoint"), data("malicious/truncated.pt")} + vocabArgs()) << 1
        << QStringLiteral("truncated.pt: not a readable ZIP archive");
    QTest::newRow("no decoder") << (QStringList {QStringLiteral("--encoder"), data("bahdanau/encoder.pt")} + vocabArgs())
                                << 2 << QStringLiteral("give PATH (or --model PATH), or --encoder FILE and --decoder FILE");
    QTest::newRow("no vocabularies")
        << QStringList {QStringLiteral("--checkpoint"), data("combined.pt")} << 1
        << QStringLiteral("give the source and target vocabulary files, or the training pairs file");
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
