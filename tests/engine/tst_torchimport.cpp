// Importing torch.save checkpoints: real ones written by Debian's PyTorch for each tutorial
// version must give PyTorch's own outputs, and hand-made malicious ones must be refused with
// their specific message. The files and references come from tools/make_torch_fixtures.py.
#include <attnviz/io/torch_import.h>
#include <attnviz/decoding/translate.h>

#include <nlohmann/json.hpp>

#include <QTest>

#include <cmath>
#include <fstream>

using namespace attnviz;
using nlohmann::json;

namespace {

constexpr double tolerance = 1e-5;

std::string dataPath(const std::string &name)
{
    return ATTNVIZ_TORCH_DATA_DIR "/" + name;
}

json readJson(const std::string &path)
{
    std::ifstream in(path);
    return json::parse(in);
}

TorchImportOptions pairOptions(const std::string &dir)
{
    TorchImportOptions options;
    options.encoderPath = dataPath(dir + "/encoder.pt");
    options.decoderPath = dataPath(dir + "/decoder.pt");
    options.sourceVocabPath = dataPath("source_vocab.json");
    options.targetVocabPath = dataPath("target_vocab.json");
    return options;
}

std::string importError(const TorchImportOptions &options)
{
    try {
        importTorchCheckpoint(options);
    } catch (const ModelError &error) {
        return error.what();
    }
    return "(no error)";
}

void compareRows(const MatrixRM &actual, const json &expected, const char *what)
{
    QCOMPARE(size_t(actual.rows()), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        QCOMPARE(size_t(actual.cols()), expected[i].size());
        for (size_t j = 0; j < expected[i].size(); ++j) {
            const double e = expected[i][j].get<double>();
            const double a = actual(Eigen::Index(i), Eigen::Index(j));
            QVERIFY2(std::abs(a - e) <= tolerance,
                     qPrintable(QStringLiteral("%1 [%2, %3]: %4 != %5").arg(QLatin1String(what)).arg(i).arg(j).arg(a).arg(e)));
        }
    }
}

void compareHypothesis(const Hypothesis &h, const json &e)
{
    QCOMPARE(h.targetTokens, e["target_tokens"].get<std::vector<std::string>>());
    const auto logProbs = e["log_probs"].get<std::vector<double>>();
    QCOMPARE(h.logProbs.size(), logProbs.size());
    for (size_t i = 0; i < logProbs.size(); ++i)
        QVERIFY2(std::abs(h.logProbs[i] - logProbs[i]) <= tolerance, qPrintable(QString::number(i)));
    compareRows(h.attention, e["attention"], "attention");
    compareRows(h.contexts, e["contexts"], "contexts");
}

} // namespace

class TestTorchImport : public QObject
{
    Q_OBJECT

    void matchesReference(ModelFile file, const std::string &dir);

private slots:
    void everyWayOfSaving_data();
    void everyWayOfSaving();
    void langPickleBeside();
    void vocabPickleRefusals();
    void matchesPyTorch_data();
    void matchesPyTorch();
    void detectsArchitecture_data();
    void detectsArchitecture();
    void combinedCheckpoint();
    void halfPrecision();
    void vocabularies();
    void pairsFileRebuildsTheVocabularies();
    void refusesMaliciousFiles_data();
    void refusesMaliciousFiles();
    void reportsMismatches_data();
    void reportsMismatches();
};

void TestTorchImport::matchesPyTorch_data()
{
    QTest::addColumn<QString>("dir");
    QTest::newRow("current tutorial (bahdanau)") << QStringLiteral("bahdanau");
    QTest::newRow("original tutorial (attn, attn_combine, relu)") << QStringLiteral("legacy");
    QTest::newRow("luong general") << QStringLiteral("luong");
}

// The imported tensors are PyTorch's, bit for bit, and decoding them gives PyTorch's outputs.
void TestTorchImport::matchesPyTorch()
{
    QFETCH(QString, dir);
    matchesReference(importTorchCheckpoint(pairOptions(dir.toStdString())), dir.toStdString());
}

void TestTorchImport::matchesReference(ModelFile file, const std::string &dir)
{
    const json reference = readJson(dataPath(dir + "/reference.json"));

    QCOMPARE(file.tensors.size(), reference["tensors"].size());
    for (const auto &[name, expected] : reference["tensors"].items()) {
        // The tutorial's names are those of attnviz-seq2seq/1.
        const auto it = file.tensors.find(tensorNameFromV1(name));
        QVERIFY2(it != file.tensors.end(), name.c_str());
        QCOMPARE(it->second.shape, expected["shape"].get<std::vector<int64_t>>());
        const auto values = expected["data"].get<std::vector<double>>();
        QCOMPARE(it->second.values.size(), values.size());
        for (size_t i = 0; i < values.size(); ++i)
            QCOMPARE(it->second.values[i], static_cast<float>(values[i]));
    }

    const Model model(std::move(file), dir);
    for (const json &c : reference["cases"]) {
        const std::string sentence = c["sentence"].get<std::string>();
        compareHypothesis(translate(model, sentence, {}).best(), c["greedy"]);
        if (QTest::currentTestFailed())
            return;
        DecodeOptions forced;
        forced.target = c["forced"]["target"].get<std::string>();
        compareHypothesis(translate(model, sentence, forced).best(), c["forced"]);
        if (QTest::currentTestFailed())
            return;
    }
}

void TestTorchImport::everyWayOfSaving_data()
{
    QTest::addColumn<QString>("checkpoint"); // one file...
    QTest::addColumn<QString>("encoder");    // ...or two
    QTest::addColumn<QString>("decoder");
    QTest::addColumn<bool>("langsInside");
    QTest::addColumn<QString>("ignored");
    QTest::newRow("general checkpoint (.tar)") << QStringLiteral("saved/general-checkpoint.tar") << QString() << QString()
                                               << false << QStringLiteral("epoch (12), optimizer_state_dict (a dict), loss (0.750000)");
    QTest::newRow("general checkpoint, legacy format") << QStringLiteral("saved/legacy-checkpoint.pt") << QString()
                                                       << QString() << false << QStringLiteral("epoch (12)");
    QTest::newRow("general checkpoint, cuda:0") << QStringLiteral("saved/cuda-checkpoint.tar") << QString() << QString()
                                                << false << QStringLiteral("loss");
    QTest::newRow("general checkpoint, mps, legacy") << QStringLiteral("saved/mps-legacy-checkpoint.pt") << QString()
                                                     << QString() << false << QStringLiteral("loss");
    QTest::newRow("model_state_dict with prefixes") << QStringLiteral("saved/model-state-dict.pt") << QString()
                                                    << QString() << false << QStringLiteral("scheduler (a dict)");
    QTest::newRow("modules and Langs in one file") << QStringLiteral("saved/modules-and-langs.pt") << QString()
                                                   << QString() << true << QStringLiteral("epoch (3)");
    QTest::newRow("whole modules, two files") << QString() << QStringLiteral("saved/encoder-module.pt")
                                              << QStringLiteral("saved/decoder-module.pt") << false << QString();
    QTest::newRow("whole modules, two legacy files") << QString() << QStringLiteral("saved/legacy-encoder-module.pt")
                                                     << QStringLiteral("saved/legacy-decoder-module.pt") << false << QString();
    QTest::newRow("general checkpoint as both files") << QString() << QStringLiteral("saved/general-checkpoint.tar")
                                                      << QStringLiteral("saved/general-checkpoint.tar") << false
                                                      << QStringLiteral("epoch (12)");
}

// Each way users save the tutorial's model imports and translates as PyTorch did (1e-5).
void TestTorchImport::everyWayOfSaving()
{
    QFETCH(QString, checkpoint);
    QFETCH(QString, encoder);
    QFETCH(QString, decoder);
    QFETCH(bool, langsInside);
    QFETCH(QString, ignored);
    TorchImportOptions options = pairOptions("bahdanau");
    options.encoderPath = encoder.isEmpty() ? std::string() : dataPath(encoder.toStdString());
    options.decoderPath = decoder.isEmpty() ? std::string() : dataPath(decoder.toStdString());
    options.checkpointPath = checkpoint.isEmpty() ? std::string() : dataPath(checkpoint.toStdString());
    if (langsInside)
        options.sourceVocabPath = options.targetVocabPath = {};
    TorchImportReport report;
    ModelFile file = importTorchCheckpoint(options, &report);
    QString listed;
    for (const std::string &entry : report.ignored)
        listed += QString::fromStdString(entry) + QStringLiteral(", ");
    QVERIFY2(listed.contains(ignored), qPrintable(listed));
    if (langsInside)
        QVERIFY2(report.vocabularies.find("'input_lang' (source, 19 words)") != std::string::npos, report.vocabularies.c_str());
    matchesReference(std::move(file), "bahdanau");
}

// pickle.dump((input_lang, output_lang)) beside two module files: --vocab.
void TestTorchImport::langPickleBeside()
{
    TorchImportOptions options;
    options.encoderPath = dataPath("saved/encoder-module.pt");
    options.decoderPath = dataPath("saved/decoder-module.pt");
    options.vocabPicklePath = dataPath("saved/langs.pkl");
    TorchImportReport report;
    ModelFile file = importTorchCheckpoint(options, &report);
    QCOMPARE(file.sourceVocab, readVocabularyFile(dataPath("source_vocab.json")));
    QVERIFY2(report.vocabularies.find("langs.pkl") != std::string::npos, report.vocabularies.c_str());
    matchesReference(std::move(file), "bahdanau");
}

// --vocab with a pickle that holds no Lang: the message says what it holds.
void TestTorchImport::vocabPickleRefusals()
{
    TorchImportOptions options;
    options.encoderPath = dataPath("saved/encoder-module.pt");
    options.decoderPath = dataPath("saved/decoder-module.pt");
    options.vocabPicklePath = dataPath("saved/langs.pkl");
    QCOMPARE(importError(options), std::string("(no error)"));
    options.vocabPicklePath = dataPath("malicious/os-system.pt");
    QVERIFY2(importError(options).find("os-system.pt: holds 0 Lang-like objects (index2word/word2index), not two")
                 != std::string::npos,
             importError(options).c_str());
}

void TestTorchImport::detectsArchitecture_data()
{
    QTest::addColumn<QString>("dir");
    QTest::addColumn<int>("architecture");
    QTest::addColumn<int>("luongScore");
    QTest::addColumn<int>("maxLength");
    QTest::newRow("bahdanau") << QStringLiteral("bahdanau") << int(Architecture::Bahdanau) << -1 << 0;
    QTest::newRow("legacy: L = rows of attn.weight")
        << QStringLiteral("legacy") << int(Architecture::TutorialLegacy) << -1 << 10;
    QTest::newRow("luong general") << QStringLiteral("luong") << int(Architecture::Luong)
                                   << int(LuongScore::General) << 0;
}

void TestTorchImport::detectsArchitecture()
{
    QFETCH(QString, dir);
    QFETCH(int, architecture);
    QFETCH(int, luongScore);
    QFETCH(int, maxLength);
    const std::string d = dir.toStdString();
    const ModelConfig config = detectArchitecture(readTorchStateDict(dataPath(d + "/encoder.pt")),
                                                  readTorchStateDict(dataPath(d + "/decoder.pt")), d);
    QCOMPARE(int(*architectureOf(config)), architecture);
    QCOMPARE(config.decoder.hiddenSize, 4);
    QCOMPARE(config.sosToken, std::string("SOS"));
    QCOMPARE(config.eosToken, std::string("EOS"));
    QVERIFY(!config.unkToken);
    if (luongScore >= 0)
        QCOMPARE(config.attention.score, LuongScore(luongScore) == LuongScore::General ? Score::General : Score::Dot);
    if (architectureOf(config) == Architecture::TutorialLegacy) {
        QCOMPARE(config.attention.locationSlots, maxLength);
        QCOMPARE(config.decoder.combineActivation, Activation::Relu);
    }
}

// torch.save(seq2seq.state_dict()): one file, encoder.* and decoder.* prefixes.
void TestTorchImport::combinedCheckpoint()
{
    TorchImportOptions options = pairOptions("unused");
    options.encoderPath.clear();
    options.decoderPath.clear();
    options.checkpointPath = dataPath("combined.pt");
    options.name = "combined";
    const ModelFile file = importTorchCheckpoint(options);
    QCOMPARE(architectureOf(file.config), std::optional(Architecture::Luong));
    QCOMPARE(file.config.attention.score, Score::Dot);
    QCOMPARE(file.config.name, std::string("combined"));
    QVERIFY(file.tensors.count("decoder.attentional.weight")); // the tutorial's concat
    QVERIFY(!file.tensors.count("decoder.attention.linear.weight"));
}

void TestTorchImport::halfPrecision()
{
    const StateDict half = readTorchStateDict(dataPath("bahdanau/encoder-half.pt"));
    const StateDict full = readTorchStateDict(dataPath("bahdanau/encoder.pt"));
    QCOMPARE(half.size(), full.size());
    for (const auto &[name, tensor] : full) {
        const Tensor &h = half.at(name);
        QCOMPARE(h.shape, tensor.shape);
        for (size_t i = 0; i < tensor.values.size(); ++i) // binary16 keeps 11 significant bits
            QVERIFY(std::abs(h.values[i] - tensor.values[i]) <= std::abs(tensor.values[i]) / 2048 + 1e-7);
    }
}

void TestTorchImport::vocabularies()
{
    for (const char *side : {"source", "target"}) {
        const auto fromJson = readVocabularyFile(dataPath(std::string(side) + "_vocab.json"));
        QCOMPARE(readVocabularyFile(dataPath(std::string(side) + "_vocab.txt")), fromJson);
        QCOMPARE(fromJson.front(), std::string("SOS"));
    }
}

// pairs.txt by hand: with reverse and filter, French is the source; "This line..." fails the
// English prefixes, "She is a very ... writer ." has 10 words and the no-tab line is skipped.
void TestTorchImport::pairsFileRebuildsTheVocabularies()
{
    const TutorialVocabularies filtered = tutorialVocabularies(dataPath("pairs.txt"), true, true);
    const std::vector<std::string> expectedTarget = {"SOS", "EOS", "i", "am", "cold", ".", "you", "are", "very",
                                                     "tired", "!", "he", "is", "here", "we", "re", "happy"};
    QCOMPARE(filtered.target, expectedTarget);
    QCOMPARE(filtered.source[2], std::string("j"));
    QCOMPARE(filtered.source[9], std::string("fatigue"));

    const json expected = readJson(dataPath("pairs-vocabs.json")); // tools/export_tutorial.py's answer
    QCOMPARE(filtered.source, expected["reverse_filter"]["source"].get<std::vector<std::string>>());
    const TutorialVocabularies plain = tutorialVocabularies(dataPath("pairs.txt"), false, false);
    QCOMPARE(plain.source, expected["plain"]["source"].get<std::vector<std::string>>());
    QCOMPARE(plain.target, expected["plain"]["target"].get<std::vector<std::string>>());

    TorchImportOptions options = pairOptions("bahdanau");
    options.sourceVocabPath.clear();
    options.targetVocabPath.clear();
    options.pairsPath = dataPath("pairs.txt");
    options.reversePairs = options.filterPairs = true;
    const ModelFile fromPairs = importTorchCheckpoint(options);
    const ModelFile fromFiles = importTorchCheckpoint(pairOptions("bahdanau"));
    QCOMPARE(fromPairs.sourceVocab, fromFiles.sourceVocab);
    QCOMPARE(fromPairs.targetVocab, fromFiles.targetVocab);
    QCOMPARE(serializeSafetensors(fromPairs), serializeSafetensors(fromFiles));
}

void TestTorchImport::refusesMaliciousFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("message");
    const auto row = [](const char *file, const char *message) {
        QTest::newRow(file) << QString::fromLatin1(file) << QString::fromLatin1(message);
    };
    // Code-execution pickles are read as records, never run: not a state dict.
    row("os-system.pt", "holds an object of class 'os.system' (a record: nothing in the file was run), not a state dict");
    row("builtins-eval.pt", "holds an object of class 'builtins.eval' (a record: nothing in the file was run)");
    row("reduce-trick.pt", "'x' is an object of class 'posix.system' (a record: nothing in the file was run), not a tensor");
    row("build-on-class.pt", "data.pkl: BUILD on the name 'os.system' at byte 23 (setting attributes of a class is refused)");
    row("copyreg-extension.pt", "data.pkl: refusing extension code 241 at byte 2");
    row("deep-marks.pt", "data.pkl: MARKs nested deeper than 64 levels at byte 66");
    row("deep-tuples.pt", "data.pkl: nesting deeper than 64 levels at byte 66");
    row("unknown-opcode.pt", "data.pkl: unknown opcode 0xff at byte 2");
    row("storage-too-large.pt", "storage '0' claims 1000 float32 elements, but 'archive/data/0' holds 16 bytes");
    row("tensor-outside-storage.pt", "tensor 'w' of shape [5, 2] at offset 0 does not fit in storage '0' of 4 elements");
    row("non-contiguous.pt", "tensor 'w': strides [1, 2] of shape [2, 2] are not contiguous (row-major)");
    row("element-count-overflow.pt", "tensor 'w': the element count of [1099511627776, 1099511627776] overflows");
    row("missing-storage.pt", "tensor 'w': its storage 'archive/data/0' is not in the archive");
    row("complex-storage.pt", "data.pkl: storage type 'torch.ComplexFloatStorage' is not one attnviz reads");
    row("no-data-pkl.pt", "a ZIP archive without '<name>/data.pkl': not written by torch.save");
    row("truncated.pt", "not a readable ZIP archive (truncated or damaged?)");
    row("cyclic-dict.pt", "data.pkl: dicts nested deeper than 64 levels");
    row("not-a-dict.pt", "holds a list, not a state dict");
    row("legacy-truncated.pt", "the object pickle: ends in the middle of an opcode at byte 15");
}

void TestTorchImport::refusesMaliciousFiles()
{
    QFETCH(QString, file);
    QFETCH(QString, message);
    const std::string path = dataPath("malicious/" + file.toStdString());
    try {
        readTorchStateDict(path);
        QFAIL("not refused");
    } catch (const ModelError &error) {
        const QString what = QString::fromStdString(error.what());
        QVERIFY2(what.startsWith(QString::fromStdString(path + ": ")), qPrintable(what));
        QVERIFY2(what.contains(message), qPrintable(what));
    }
}

void TestTorchImport::reportsMismatches_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<QString>("message");
    QTest::newRow("vocabularies swapped") << QStringLiteral("swap vocabs")
                                          << QStringLiteral("source vocabulary has 17 words, but "
                                                            "'encoder.embedding.weight' has 19 rows");
    QTest::newRow("files swapped") << QStringLiteral("swap files") << QStringLiteral("swapped?");
    QTest::newRow("combined file as the decoder")
        << QStringLiteral("combined as decoder")
        << QStringLiteral("holds both encoder.* and decoder.* tensors: give it as the one checkpoint");
    QTest::newRow("one vocabulary") << QStringLiteral("one vocab")
                                    << QStringLiteral("give both the source and the target vocabulary files");
    QTest::newRow("not a checkpoint") << QStringLiteral("json as encoder")
                                      << QStringLiteral("not a PyTorch checkpoint");
}

void TestTorchImport::reportsMismatches()
{
    QFETCH(QString, change);
    QFETCH(QString, message);
    TorchImportOptions options = pairOptions("bahdanau");
    if (change == QLatin1String("swap vocabs"))
        std::swap(options.sourceVocabPath, options.targetVocabPath);
    else if (change == QLatin1String("swap files"))
        std::swap(options.encoderPath, options.decoderPath);
    else if (change == QLatin1String("combined as decoder"))
        options.decoderPath = dataPath("combined.pt");
    else if (change == QLatin1String("one vocab"))
        options.targetVocabPath.clear();
    else if (change == QLatin1String("json as encoder"))
        options.encoderPath = dataPath("source_vocab.json");
    const QString what = QString::fromStdString(importError(options));
    QVERIFY2(what.contains(message), qPrintable(what));
}

QTEST_APPLESS_MAIN(TestTorchImport)

#include "tst_torchimport.moc"
