// The opus-mt-shaped sample (sample_models/eng-fra-marian/, tools/train_marian.py) is an
// opus-mt folder as Hugging Face's MarianTokenizer and MarianMTModel read it (#23), checked
// against what transformers itself gave (tests/golden/eng-fra-marian.json,
// tools/make_golden_marian.py): our SentencePiece segmenter on source.spm plus vocab.json
// gives MarianTokenizer's ids, config.json has opus-mt's special ids, and pytorch_model.bin
// holds the tensors of a tied post-norm Marian model with the shapes config.json says.
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>
#include <attnviz/io/sentencepiece.h>
#include <attnviz/io/torch_file.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace attnviz;

namespace {

const QString sampleDir = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian/");

std::string samplePath(const char *name)
{
    return QString(sampleDir + QLatin1String(name)).toStdString();
}

QJsonObject readJson(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (!doc.isObject())
        qFatal("%s: not a JSON object (%s)", qPrintable(path), qPrintable(error.errorString()));
    return doc.object();
}

std::vector<int64_t> shape(std::initializer_list<int64_t> dims)
{
    return dims;
}

} // namespace

class TestMarianSample : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void configHasOpusMtSpecialIds();
    void sourceIdsAreMarianTokenizers_data();
    void sourceIdsAreMarianTokenizers();
    void greedyPiecesDetokenizeToHfText();
    void weightsAreATiedMarianModel();
    void translatesAsTransformersDid_data();
    void translatesAsTransformersDid();

private:
    QJsonObject config, vocab, golden;
};

void TestMarianSample::initTestCase()
{
    config = readJson(sampleDir + QStringLiteral("config.json"));
    vocab = readJson(sampleDir + QStringLiteral("vocab.json"));
    golden = readJson(QStringLiteral(ATTNVIZ_GOLDEN_DIR "/eng-fra-marian.json"));
    QVERIFY(golden[QLatin1String("cases")].toArray().size() >= 5);
}

void TestMarianSample::configHasOpusMtSpecialIds()
{
    const int V = config[QLatin1String("vocab_size")].toInt();
    QCOMPARE(vocab.size(), V);
    QCOMPARE(config[QLatin1String("model_type")].toString(), QStringLiteral("marian"));
    QCOMPARE(vocab[QLatin1String("</s>")].toInt(-1), 0);
    QCOMPARE(vocab[QLatin1String("<unk>")].toInt(-1), 1);
    QCOMPARE(vocab[QLatin1String("<pad>")].toInt(-1), V - 1);
    QCOMPARE(config[QLatin1String("eos_token_id")].toInt(-1), 0);
    QCOMPARE(config[QLatin1String("pad_token_id")].toInt(-1), V - 1);
    QCOMPARE(config[QLatin1String("decoder_start_token_id")].toInt(-1), V - 1);
    QCOMPARE(config[QLatin1String("bad_words_ids")].toArray(), QJsonArray({QJsonArray({V - 1})}));
    QCOMPARE(config[QLatin1String("normalize_before")].toBool(true), false);
    QCOMPARE(config[QLatin1String("scale_embedding")].toBool(false), true);
    QCOMPARE(config[QLatin1String("activation_function")].toString(), QStringLiteral("swish"));
    // Ids are dense: every id below V names exactly one piece.
    std::vector<bool> seen(size_t(V), false);
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        const int id = it.value().toInt(-1);
        QVERIFY2(id >= 0 && id < V && !seen[size_t(id)], qPrintable(it.key()));
        seen[size_t(id)] = true;
    }
}

void TestMarianSample::sourceIdsAreMarianTokenizers_data()
{
    QTest::addColumn<QJsonObject>("testCase");
    for (const QJsonValue &value : golden[QLatin1String("cases")].toArray())
        QTest::newRow(qPrintable(value[QLatin1String("sentence")].toString())) << value.toObject();
}

void TestMarianSample::sourceIdsAreMarianTokenizers()
{
    QFETCH(QJsonObject, testCase);
    const SentencePieceSegmenter spm = SentencePieceSegmenter::fromFile(samplePath("source.spm"));
    std::vector<std::string> pieces = spm.encode(testCase[QLatin1String("sentence")].toString().toStdString());
    pieces.push_back("</s>"); // MarianTokenizer appends eos
    const QJsonArray expectedPieces = testCase[QLatin1String("source_pieces")].toArray();
    const QJsonArray expectedIds = testCase[QLatin1String("source_ids")].toArray();
    QCOMPARE(int(pieces.size()), expectedPieces.size());
    for (int i = 0; i < expectedPieces.size(); ++i) {
        const QString piece = QString::fromStdString(pieces[size_t(i)]);
        QCOMPARE(piece, expectedPieces[i].toString());
        // A piece missing from vocab.json is <unk> (1), as MarianTokenizer maps it.
        QCOMPARE(vocab.value(piece).toInt(1), expectedIds[i].toInt());
    }
}

void TestMarianSample::greedyPiecesDetokenizeToHfText()
{
    const SentencePieceSegmenter spm = SentencePieceSegmenter::fromFile(samplePath("target.spm"));
    QHash<int, QString> pieceOf;
    for (auto it = vocab.begin(); it != vocab.end(); ++it)
        pieceOf.insert(it.value().toInt(), it.key());
    const int pad = config[QLatin1String("pad_token_id")].toInt();
    for (const QJsonValue &value : golden[QLatin1String("cases")].toArray()) {
        const QJsonObject greedy = value[QLatin1String("greedy")].toObject();
        const QJsonArray ids = greedy[QLatin1String("ids")].toArray();
        QCOMPARE(ids.first().toInt(), pad);  // generate starts from decoder_start_token_id
        QCOMPARE(ids.last().toInt(), 0);     // and stopped at </s> (max_length 40 not reached)
        std::vector<std::string> pieces;
        for (int i = 1; i + 1 < ids.size(); ++i) {
            QVERIFY(ids[i].toInt() != pad);
            pieces.push_back(pieceOf.value(ids[i].toInt()).toStdString());
        }
        QCOMPARE(QString::fromStdString(spm.decode(pieces)), greedy[QLatin1String("text")].toString());
        const QJsonArray logProbs = greedy[QLatin1String("log_probs")].toArray();
        QCOMPARE(logProbs.size(), ids.size() - 1);
        // The cross-attention rows are distributions over the source positions.
        const int sourceLength = value[QLatin1String("source_ids")].toArray().size();
        const QJsonArray layers = value[QLatin1String("cross_attention")].toArray();
        QCOMPARE(layers.size(), config[QLatin1String("decoder_layers")].toInt());
        for (const QJsonValue &layer : layers) {
            QCOMPARE(layer.toArray().size(), config[QLatin1String("decoder_attention_heads")].toInt());
            for (const QJsonValue &head : layer.toArray()) {
                QCOMPARE(head.toArray().size(), logProbs.size());
                for (const QJsonValue &row : head.toArray()) {
                    QCOMPARE(row.toArray().size(), sourceLength);
                    double sum = 0;
                    for (const QJsonValue &p : row.toArray())
                        sum += p.toDouble();
                    QVERIFY(qAbs(sum - 1.0) < 1e-5);
                }
            }
        }
    }
}

void TestMarianSample::weightsAreATiedMarianModel()
{
    const TorchFile file = TorchFile::open(samplePath("pytorch_model.bin"));
    const StateDict weights = collectTensors(file, file.root());
    const int64_t V = config[QLatin1String("vocab_size")].toInt();
    const int64_t d = config[QLatin1String("d_model")].toInt();
    const int64_t ffn = config[QLatin1String("encoder_ffn_dim")].toInt();
    auto expectShape = [&](const std::string &name, const std::vector<int64_t> &expected) {
        const auto it = weights.find(name);
        QVERIFY2(it != weights.end(), name.c_str());
        QVERIFY2(it->second.shape == expected, name.c_str());
    };
    expectShape("model.shared.weight", shape({V, d}));
    expectShape("lm_head.weight", shape({V, d}));
    expectShape("final_logits_bias", shape({1, V}));
    for (int l = 0; l < config[QLatin1String("encoder_layers")].toInt(); ++l) {
        const std::string p = "model.encoder.layers." + std::to_string(l) + ".";
        expectShape(p + "self_attn.q_proj.weight", shape({d, d}));
        expectShape(p + "self_attn_layer_norm.weight", shape({d}));
        expectShape(p + "fc1.weight", shape({ffn, d}));
        expectShape(p + "fc2.weight", shape({d, ffn}));
    }
    for (int l = 0; l < config[QLatin1String("decoder_layers")].toInt(); ++l) {
        const std::string p = "model.decoder.layers." + std::to_string(l) + ".";
        expectShape(p + "encoder_attn.k_proj.weight", shape({d, d}));
        expectShape(p + "encoder_attn_layer_norm.bias", shape({d}));
    }
    // Sinusoidal positions are not saved (MarianMTModel's _keys_to_ignore_on_save); no final layer norm.
    QVERIFY(!weights.count("model.encoder.embed_positions.weight"));
    QVERIFY(!weights.count("model.decoder.layer_norm.weight"));
    // Tied: the output projection is the shared embedding; pad's row is not special-cased in the file.
    QVERIFY(weights.at("lm_head.weight").values == weights.at("model.shared.weight").values);
    QVERIFY(weights.at("model.encoder.embed_tokens.weight").values == weights.at("model.shared.weight").values);
}

void TestMarianSample::translatesAsTransformersDid_data()
{
    QTest::addColumn<int>("index");
    for (int i = 0; i < golden[QLatin1String("cases")].toArray().size(); ++i)
        QTest::addRow("%d", i) << i;
}

// The folder opened by the engine: the typed sentence through source.spm, greedy and beam-4
// output equal to generate()'s, the log-probabilities and every head's cross-attention to 1e-5.
void TestMarianSample::translatesAsTransformersDid()
{
    QFETCH(int, index);
    static const auto model = std::make_shared<const Model>(openModel(samplePath("")).model, "eng-fra-marian");
    const QJsonObject c = golden[QLatin1String("cases")].toArray()[index].toObject();
    const auto ids = [](const QJsonValue &array, int skip) {
        std::vector<int> out;
        for (const QJsonValue &v : array.toArray())
            out.push_back(v.toInt());
        out.erase(out.begin(), out.begin() + std::min<size_t>(skip, out.size()));
        return out;
    };
    const std::string sentence = c[QLatin1String("sentence")].toString().toStdString();
    DecodeOptions greedy;
    greedy.maxLength = 39; // generate(max_length=40) counts the start token
    const TranslationResult g = translate(*model, sentence, greedy);
    QCOMPARE(g.sourceIds, ids(c[QLatin1String("source_ids")], 0));
    const QJsonObject expected = c[QLatin1String("greedy")].toObject();
    QCOMPARE(g.best().targetIds, ids(expected[QLatin1String("ids")], 1)); // without the start token
    QCOMPARE(QString::fromStdString(g.best().translation), expected[QLatin1String("text")].toString());
    const QJsonArray logProbs = expected[QLatin1String("log_probs")].toArray();
    for (int t = 0; t < logProbs.size(); ++t)
        QVERIFY(std::abs(g.best().logProbs[t] - logProbs[t].toDouble()) <= 1e-5);
    const QJsonArray cross = c[QLatin1String("cross_attention")].toArray();
    for (int l = 0; l < cross.size(); ++l) {
        for (int h = 0; h < cross[l].toArray().size(); ++h) {
            const QJsonArray rows = cross[l].toArray()[h].toArray();
            for (int t = 0; t < rows.size(); ++t)
                for (int j = 0; j < rows[t].toArray().size(); ++j)
                    QVERIFY(std::abs(g.best().crossAttention.at(l, h)(t, j) - rows[t].toArray()[j].toDouble()) <= 1e-5);
        }
    }
    DecodeOptions beam = greedy;
    beam.beamWidth = 4;
    const TranslationResult b = translate(*model, sentence, beam);
    QCOMPARE(b.best().targetIds, ids(c[QLatin1String("beam4")].toObject()[QLatin1String("ids")], 1));
}

QTEST_GUILESS_MAIN(TestMarianSample)
#include "tst_mariansample.moc"
