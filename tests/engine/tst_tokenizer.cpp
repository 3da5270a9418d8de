// The model file's tokenizer record and the Tokenizer built from it (#16): the record survives
// both containers, is stored as tools/train_subword.py writes it, bad records are refused naming
// the key, Joey NMT's pieces and translation lines come out of Tokenizer as out of Joey's own
// tokenizers (tests/data/subword/joey, tools/make_joey_tokenizer_fixtures.py), and translate()
// reads typed text through the model's tokenizer.
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_file.h>
#include <attnviz/io/model_summary.h>
#include <attnviz/io/tokenizer.h>
#include <attnviz/models/model.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <functional>

using namespace attnviz;

namespace {

const QString dataDir = QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/");

std::string readData(const QString &name)
{
    QFile file(dataDir + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(file.fileName()));
    return file.readAll().toStdString();
}

std::vector<std::string> lines(const std::string &text)
{
    std::vector<std::string> out;
    for (const QByteArray &line : QByteArray::fromStdString(text).split('\n'))
        out.push_back(line.toStdString());
    if (!out.empty() && out.back().empty())
        out.pop_back();
    return out;
}

std::vector<std::string> strings(const QJsonArray &array)
{
    std::vector<std::string> out;
    for (const QJsonValue &value : array)
        out.push_back(value.toString().toStdString());
    return out;
}

QString joined(const std::vector<std::string> &pieces)
{
    QStringList list;
    for (const std::string &piece : pieces)
        list << QString::fromStdString(piece);
    return list.join(QLatin1Char(' '));
}

QString errorOf(const std::function<void()> &action)
{
    try {
        action();
    } catch (const ModelError &error) {
        return QString::fromUtf8(error.what());
    }
    return QString();
}

TokenizerSide sentencePieceSide()
{
    TokenizerSide side;
    side.kind = TokenizerKind::SentencePiece;
    side.sentencePieceModel = readData(QStringLiteral("subword/joey/spm-bpe-identity.model"));
    return side;
}

// tiny.json's words as BPE pieces: "cold" is c@@ old before the last merge, "froid" fr@@ oid.
const char *tinyCodes = "#version: 0.2\na m</w>\nc o\nco l\ncol d</w>\nf r\no i\noi d</w>\n";

TokenizerSide bpeSide()
{
    TokenizerSide side;
    side.kind = TokenizerKind::Bpe;
    side.codes = tinyCodes;
    side.toolkit = TokenizerToolkit::JoeyNmt;
    side.lowercase = true;
    side.restrictToModelVocabulary = true;
    return side;
}

// tiny.json with its vocabularies renamed to pieces of the record.
ModelFile tinyModel(const std::optional<TokenizerRecord> &record)
{
    ModelFile model = loadModelFile(QString(dataDir + QStringLiteral("tiny.json")).toStdString());
    model.sourceVocab = {"SOS", "EOS", "i", "am", "cold"};
    model.targetVocab = {"SOS", "EOS", "j@@", "fr@@", "oid"};
    model.tokenizer = record;
    return model;
}

} // namespace

class TestTokenizer : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void storedAsTrainSubwordWritesIt();
    void noRecordIsWordLevel();
    void badRecords_data();
    void badRecords();
    void base64();
    void joeyCases_data();
    void joeyCases();
    void bpeDetokenization();
    void translateThroughTokenizer();
    void markings();
    void summary();
    void joeyWordAndCharLevels();
};

void TestTokenizer::roundTrip_data()
{
    QTest::addColumn<QString>("extension");
    QTest::addColumn<bool>("sentencePieceSource");
    QTest::newRow("safetensors, sentencepiece + bpe") << QStringLiteral(".safetensors") << true;
    QTest::newRow("json, sentencepiece + bpe") << QStringLiteral(".json") << true;
    QTest::newRow("safetensors, bpe + bpe") << QStringLiteral(".safetensors") << false;
    QTest::newRow("json, bpe + bpe") << QStringLiteral(".json") << false;
}

void TestTokenizer::roundTrip()
{
    QFETCH(QString, extension);
    QFETCH(bool, sentencePieceSource);
    TokenizerRecord record;
    record.target = bpeSide();
    record.target.bpe.glossaries = {"[0-9]+"};
    record.target.bpe.merges = 6;
    record.target.bpeVocabulary = "fr 3\noid 1\n";
    record.target.bpeVocabularyThreshold = 2;
    if (sentencePieceSource) {
        record.source = sentencePieceSide();
        record.source.toolkit = TokenizerToolkit::JoeyNmt;
        record.source.normalize = true;
    } else {
        record.source = bpeSide();
        record.source.bpe.separator = "\xef\xbf\xad"; // ￭
        record.source.toolkit = TokenizerToolkit::OpenNmtPy;
        record.source.lowercase = false;
    }
    QTemporaryDir dir;
    const std::string path = QString(dir.path() + QStringLiteral("/model") + extension).toStdString();
    saveModelFile(tinyModel(record), path);
    const ModelFile loaded = loadModelFile(path);
    QVERIFY(loaded.tokenizer.has_value());
    QVERIFY(*loaded.tokenizer == record);
    // Saved again (what import and Save As do), the file is the same.
    const std::string again = QString(dir.path() + QStringLiteral("/again") + extension).toStdString();
    saveModelFile(loaded, again);
    QFile a(QString::fromStdString(path)), b(QString::fromStdString(again));
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QCOMPARE(a.readAll(), b.readAll());
}

void TestTokenizer::storedAsTrainSubwordWritesIt()
{
    // tools/train_subword.py: metadata "tokenizer" = json.dumps({"source": {"kind": "sentencepiece",
    // "model_base64": base64.b64encode(model)}, "target": ...}). Python's b64encode is Qt's toBase64.
    const QByteArray model = QByteArray::fromStdString(readData(QStringLiteral("subword/joey/spm-bpe-identity.model")));
    QJsonObject side {{QStringLiteral("kind"), QStringLiteral("sentencepiece")},
                      {QStringLiteral("model_base64"), QString::fromLatin1(model.toBase64())}};
    const QByteArray text = QJsonDocument(QJsonObject {{QStringLiteral("source"), side}, {QStringLiteral("target"), side}})
                                .toJson(QJsonDocument::Compact);
    const TokenizerRecord record = tokenizerRecordFromText(text.toStdString(), "sample.safetensors");
    QCOMPARE(record.source.kind, TokenizerKind::SentencePiece);
    QVERIFY(record.source.sentencePieceModel == model.toStdString());
    QVERIFY(record.target == record.source);

    // And written back the same way: the safetensors header holds that JSON as a string.
    const std::string bytes = serializeSafetensors(tinyModel(record));
    uint64_t headerSize = 0;
    std::memcpy(&headerSize, bytes.data(), 8);
    const QJsonObject header = QJsonDocument::fromJson(QByteArray::fromStdString(bytes.substr(8, headerSize))).object();
    const QJsonObject stored =
        QJsonDocument::fromJson(header[QStringLiteral("__metadata__")][QStringLiteral("tokenizer")].toString().toUtf8())
            .object();
    QCOMPARE(stored[QStringLiteral("source")][QStringLiteral("model_base64")].toString(),
             QString::fromLatin1(model.toBase64()));
    QCOMPARE(stored[QStringLiteral("target")][QStringLiteral("kind")].toString(), QStringLiteral("sentencepiece"));
}

void TestTokenizer::noRecordIsWordLevel()
{
    QTemporaryDir dir;
    const std::string path = QString(dir.path() + QStringLiteral("/model.safetensors")).toStdString();
    saveModelFile(tinyModel(std::nullopt), path);
    QVERIFY(!loadModelFile(path).tokenizer);
    const Model model(loadModelFile(path));
    QVERIFY(!model.sourceTokenizer() && !model.targetTokenizer());
    // The config's normalization splits the text, as before records existed.
    QCOMPARE(joined(translate(model, "I am cold!", {}).sourceWords), QStringLiteral("i am cold !"));
    const std::string bytes = serializeSafetensors(tinyModel(std::nullopt));
    QVERIFY(bytes.find("\"tokenizer\"") == std::string::npos);
}

void TestTokenizer::badRecords_data()
{
    QTest::addColumn<QString>("record");
    QTest::addColumn<QString>("message");
    const QString bpe = QStringLiteral(R"({"kind": "bpe", "codes": "a b\n"})");
    QTest::newRow("not an object") << QStringLiteral("[1]") << QStringLiteral("tokenizer must be a JSON object");
    QTest::newRow("no target") << QStringLiteral(R"({"source": %1})").arg(bpe) << QStringLiteral("tokenizer.target is missing");
    QTest::newRow("unknown side") << QStringLiteral(R"({"source": %1, "target": %1, "middle": 1})").arg(bpe)
                                  << QStringLiteral("tokenizer.middle: unknown key");
    QTest::newRow("unknown kind") << QStringLiteral(R"({"source": {"kind": "wordpiece"}, "target": %1})").arg(bpe)
                                  << QStringLiteral("tokenizer.source.kind 'wordpiece' is unknown");
    QTest::newRow("no kind") << QStringLiteral(R"({"source": %1, "target": {}})").arg(bpe)
                             << QStringLiteral("tokenizer.target.kind is missing");
    QTest::newRow("bad base64") << QStringLiteral(R"({"source": {"kind": "sentencepiece", "model_base64": "AB$D"}, "target": %1})").arg(bpe)
                                << QStringLiteral("tokenizer.source.model_base64 is not base64");
    QTest::newRow("not a sentencepiece model")
        << QStringLiteral(R"({"source": %1, "target": {"kind": "sentencepiece", "model_base64": "bm90IGEgbW9kZWw="}})").arg(bpe)
        << QStringLiteral("tokenizer.target.model_base64: not a SentencePiece model");
    QTest::newRow("no codes") << QStringLiteral(R"({"source": {"kind": "bpe"}, "target": %1})").arg(bpe)
                              << QStringLiteral("tokenizer.source.codes is missing");
    QTest::newRow("bad codes") << QStringLiteral(R"({"source": {"kind": "bpe", "codes": "a b c\n"}, "target": %1})").arg(bpe)
                               << QStringLiteral("tokenizer.source.codes: line 1");
    QTest::newRow("bad vocabulary") << QStringLiteral(R"({"source": {"kind": "bpe", "codes": "a b\n", "vocabulary": "a\n", "vocabulary_threshold": 1}, "target": %1})").arg(bpe)
                                    << QStringLiteral("tokenizer.source.vocabulary: line 1");
    QTest::newRow("unknown option") << QStringLiteral(R"({"source": {"kind": "bpe", "codes": "a b\n", "dropout": 0.1}, "target": %1})").arg(bpe)
                                    << QStringLiteral("tokenizer.source.dropout: unknown key");
    QTest::newRow("lowercase without joey") << QStringLiteral(R"({"source": {"kind": "word", "lowercase": true}, "target": %1})").arg(bpe)
                                            << QStringLiteral("tokenizer.source.lowercase is Joey NMT's pre-processing");
    QTest::newRow("merges not a number") << QStringLiteral(R"({"source": %1, "target": {"kind": "bpe", "codes": "a b\n", "merges": "all"}})").arg(bpe)
                                         << QStringLiteral("tokenizer.target.merges must be an integer");
    QTest::newRow("not JSON") << QStringLiteral("{") << QStringLiteral("tokenizer is not valid JSON");
}

void TestTokenizer::badRecords()
{
    QFETCH(QString, record);
    QFETCH(QString, message);
    // As a safetensors file's metadata entry, through the loader.
    std::string bytes = serializeSafetensors(tinyModel(std::nullopt));
    uint64_t headerSize = 0;
    std::memcpy(&headerSize, bytes.data(), 8);
    QJsonObject header = QJsonDocument::fromJson(QByteArray::fromStdString(bytes.substr(8, headerSize))).object();
    QJsonObject metadata = header[QStringLiteral("__metadata__")].toObject();
    metadata[QStringLiteral("tokenizer")] = record;
    header[QStringLiteral("__metadata__")] = metadata;
    QByteArray text = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (text.size() % 8)
        text += ' ';
    const uint64_t size = static_cast<uint64_t>(text.size());
    std::string file(reinterpret_cast<const char *>(&size), 8);
    file += text.toStdString() + bytes.substr(8 + headerSize);
    const QString error = errorOf([&] { loadModelFromBytes(file, "m.safetensors", false); });
    QVERIFY2(error.startsWith(QStringLiteral("m.safetensors: ")) && error.contains(message), qPrintable(error));
}

void TestTokenizer::base64()
{
    for (const char *text : {"", "a", "ab", "abc", "abcd", "\xff\x00\x80"}) {
        const std::string bytes(text, std::strlen(text) + (text[0] == '\xff' ? 1 : 0));
        const QByteArray qt = QByteArray::fromStdString(bytes).toBase64();
        QCOMPARE(QByteArray::fromStdString(base64Encode(bytes)), qt);
        QVERIFY(base64Decode(qt.toStdString()) == bytes);
    }
    for (const char *bad : {"A", "AB=C", "AB==AAAA", "A===", "AB\nC", "ABC*"})
        QVERIFY2(!base64Decode(bad), bad);
}

void TestTokenizer::joeyCases_data()
{
    QTest::addColumn<QJsonObject>("spec");
    QTest::addColumn<bool>("restricted");
    const QJsonArray cases = QJsonDocument::fromJson(QByteArray::fromStdString(readData(QStringLiteral("subword/joey/cases.json")))).array();
    for (const QJsonValue &value : cases) {
        const QJsonObject spec = value.toObject();
        for (const bool restricted : {false, true})
            QTest::newRow(qPrintable(spec[QLatin1String("name")].toString() + (restricted ? QStringLiteral(", restricted") : QString())))
                << spec << restricted;
    }
}

// Typed line -> Tokenizer (record as importJoey writes it) -> Joey's pieces; Joey's pieces ->
// Tokenizer::decode -> Joey's post_process.
void TestTokenizer::joeyCases()
{
    QFETCH(QJsonObject, spec);
    QFETCH(bool, restricted);
    TokenizerSide side;
    side.toolkit = TokenizerToolkit::JoeyNmt;
    side.lowercase = spec[QLatin1String("lowercase")].toBool();
    side.normalize = spec[QLatin1String("normalize")].toBool();
    side.restrictToModelVocabulary = restricted;
    if (spec[QLatin1String("kind")] == QLatin1String("sentencepiece")) {
        side.kind = TokenizerKind::SentencePiece;
        side.sentencePieceModel = readData(QStringLiteral("subword/joey/") + spec[QLatin1String("model")].toString());
    } else {
        side.kind = TokenizerKind::Bpe;
        side.codes = readData(QStringLiteral("subword/joey/") + spec[QLatin1String("codes")].toString());
    }
    const std::vector<std::string> vocabulary = lines(readData(QStringLiteral("subword/joey/") + spec[QLatin1String("vocabulary")].toString()));
    const std::vector<std::string> specials(vocabulary.begin(), vocabulary.begin() + 4); // <unk> <pad> <s> </s>
    const Tokenizer tokenizer(side, vocabulary, specials, "<unk>", "case");
    const std::vector<std::string> input = lines(readData(QStringLiteral("subword/joey/input.txt")));
    const QJsonArray expected = spec[QLatin1String(restricted ? "restricted" : "unrestricted")].toArray();
    QCOMPARE(size_t(expected.size()), input.size());
    for (size_t i = 0; i < input.size(); ++i) {
        const std::vector<std::string> pieces = tokenizer.encode(input[i]);
        const std::vector<std::string> want = strings(expected[int(i)].toArray());
        QVERIFY2(pieces == want, qPrintable(QStringLiteral("line %1: %2 instead of %3").arg(i + 1).arg(joined(pieces), joined(want))));
    }
    if (!restricted)
        return;
    const QJsonArray detokenized = spec[QLatin1String("detokenized")].toArray();
    QCOMPARE(size_t(detokenized.size()), input.size());
    for (size_t i = 0; i < input.size(); ++i) {
        std::vector<std::string> pieces = strings(expected[int(i)].toArray());
        pieces.insert(pieces.begin() + pieces.size() / 2, "<pad>"); // a special symbol: dropped, as Joey's _remove_special
        QCOMPARE(QString::fromStdString(tokenizer.decode(pieces)), detokenized[int(i)].toString());
    }
}

void TestTokenizer::bpeDetokenization()
{
    TokenizerSide side;
    side.kind = TokenizerKind::Bpe;
    side.codes = tinyCodes;
    for (const TokenizerToolkit toolkit : {TokenizerToolkit::Plain, TokenizerToolkit::OpenNmtPy, TokenizerToolkit::JoeyNmt}) {
        side.toolkit = toolkit;
        const Tokenizer tokenizer(side, {}, {"<s>", "</s>"}, "<unk>", "bpe");
        // OpenNMT-py's apply_reverse: re.sub(r"(@@ )|(@@ ?$)", "", " ".join(tokens)); Joey's
        // post_process: " ".join(...).replace("@@ ", ""), a final "@@" removed.
        QCOMPARE(tokenizer.decode({"fr@@", "oid", "j@@"}), std::string("froid j"));
        QCOMPARE(tokenizer.decode({"fr@@", "oi@@", "d", "."}), std::string("froid ."));
        QCOMPARE(tokenizer.decode({"<unk>", "fr@@"}), std::string("<unk> fr"));
        QCOMPARE(joined(tokenizer.encode("am cold froid")), QStringLiteral("am cold fr@@ oid"));
    }
    side.toolkit = TokenizerToolkit::JoeyNmt;
    const Tokenizer joey(side, {}, {"<s>", "</s>", "<unk>"}, "<unk>", "bpe");
    QCOMPARE(joey.decode({"<s>", "fr@@", "oid", "</s>", "<unk>"}), std::string("froid <unk>"));
}

void TestTokenizer::translateThroughTokenizer()
{
    TokenizerRecord record;
    record.source = bpeSide();
    record.target = bpeSide();
    const Model model(tinyModel(record), "tiny-bpe");
    QVERIFY(model.sourceTokenizer() && model.targetTokenizer());
    // Joey's lowercase, then the codes: "COLD" -> "cold"; "Am" -> "am"; "colder" is split back to
    // pieces of the vocabulary (unknown ones stand as <unk>-less UNK ids: tiny.json has none).
    const TranslationResult r = translate(model, "I Am COLD", {});
    QCOMPARE(joined(r.sourceWords), QStringLiteral("i am cold"));
    QCOMPARE(joined(r.sourceTokens), QStringLiteral("i am cold EOS"));
    QVERIFY(r.unknownWords.empty());
    // The translation line is the target pieces detokenized (EOS and SOS dropped).
    std::vector<std::string> tokens = r.best().targetTokens;
    QCOMPARE(QString::fromStdString(r.best().translation), QString::fromStdString(model.targetTokenizer()->decode(
                                                                [&] { tokens.pop_back(); return tokens; }())));
    QCOMPARE(detokenize(model, {"j@@", "fr@@", "oid", "EOS"}), std::string("jfroid"));
    // Forced decoding reads the target through the target side's tokenizer.
    DecodeOptions forced;
    forced.target = "Froid";
    QCOMPARE(joined(translate(model, "i am cold", forced).targetWords), QStringLiteral("fr@@ oid"));
}

void TestTokenizer::markings()
{
    const Tokenizer spm(sentencePieceSide(), {}, {}, "", "spm");
    QCOMPARE(spm.marking().style, SubwordMarking::WordStartPrefix);
    QCOMPARE(spm.marking().marker, std::string("\u2581"));
    TokenizerSide bpe = bpeSide();
    bpe.bpe.separator = "\xef\xbf\xad";
    QCOMPARE(Tokenizer(bpe, {}, {}, "", "bpe").marking().style, SubwordMarking::ContinuationSuffix);
    QCOMPARE(Tokenizer(bpe, {}, {}, "", "bpe").marking().marker, std::string("\xef\xbf\xad"));
    TokenizerSide word;
    QCOMPARE(Tokenizer(word, {}, {}, "", "word").marking().style, SubwordMarking::Words);
}

void TestTokenizer::summary()
{
    TokenizerRecord record;
    record.source = sentencePieceSide();
    record.target = bpeSide();
    bool found = false;
    for (const ModelSummaryField &field : modelSummary(tinyModel(record))) {
        if (field.label == "Tokenizer") {
            QCOMPARE(QString::fromStdString(field.value),
                     QStringLiteral("source sentencepiece; target bpe (Joey NMT, lowercase, separator @@, vocabulary-restricted)"));
            found = true;
        }
    }
    QVERIFY(found);
    for (const ModelSummaryField &field : modelSummary(tinyModel(std::nullopt)))
        QVERIFY(field.label != "Tokenizer");
}

// What Joey NMT 2.3's BasicTokenizer gave (level char with lowercase and normalize, level word
// with normalize; run with its own code, the vocabulary's specials set):
//   char: pre_process("  Été  là !") -> ['é','t','é','▁','l','à','!'], post_process(+ '</s>') -> 'été là!'
//   word: pre_process('  Tom  a ”vu” ! ') -> ['Tom','a','"vu"!'], post_process(+ '<pad>') -> 'Tom a "vu"!'
void TestTokenizer::joeyWordAndCharLevels()
{
    const std::vector<std::string> specials = {"<unk>", "<pad>", "<s>", "</s>"};
    TokenizerSide chars;
    chars.kind = TokenizerKind::Character;
    chars.toolkit = TokenizerToolkit::JoeyNmt;
    chars.lowercase = chars.normalize = true;
    const Tokenizer c(chars, {}, specials, "<unk>", "char");
    const std::vector<std::string> pieces = c.encode("  \xc3\x89t\xc3\xa9  l\xc3\xa0 !");
    QCOMPARE(joined(pieces), QStringLiteral("\u00e9 t \u00e9 \u2581 l \u00e0 !"));
    std::vector<std::string> withEos = pieces;
    withEos.push_back("</s>");
    QCOMPARE(QString::fromStdString(c.decode(withEos)), QStringLiteral("\u00e9t\u00e9 l\u00e0!"));
    QCOMPARE(c.marking().style, SubwordMarking::Characters);

    TokenizerSide words;
    words.toolkit = TokenizerToolkit::JoeyNmt;
    words.normalize = true;
    const Tokenizer w(words, {}, specials, "<unk>", "word");
    const std::vector<std::string> tokens = w.encode("  Tom  a \xe2\x80\x9dvu\xe2\x80\x9d ! ");
    QCOMPARE(joined(tokens), QStringLiteral("Tom a \"vu\"!"));
    std::vector<std::string> withPad = tokens;
    withPad.push_back("<pad>");
    QCOMPARE(w.decode(withPad), std::string("Tom a \"vu\"!"));
}

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
