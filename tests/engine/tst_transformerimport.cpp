// Reading the toolkits' transformer files (issue #23): what is not covered is refused, naming
// the config key; Marian's stored position tables are used as MarianMTModel uses them.
// The golden numbers of every fixture are in tst_transformer; this test is about the readers.
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_file.h>
#include <attnviz/io/model_import.h>
#include <attnviz/io/toolkit_import.h>
#include <attnviz/layers/transformer.h>

#include "io/file_io.h"
#include "io/safetensors.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace attnviz;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string dataDir = ATTNVIZ_SOURCE_DIR "/tests/data/transformer/";

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void writeText(const std::string &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

// The message of what `load` throws, or "" when it throws nothing.
template <typename Load>
std::string refusal(Load load)
{
    try {
        load();
    } catch (const std::exception &error) {
        return error.what();
    }
    return {};
}

json onmtTransformerOpt()
{
    return {{"model_task", "seq2seq"}, {"encoder_type", "transformer"}, {"decoder_type", "transformer"},
            {"enc_layers", 2},         {"dec_layers", 2},               {"hidden_size", 16},
            {"heads", 4},              {"transformer_ff", 32},          {"position_encoding", true}};
}

json marianJson()
{
    return json::parse(readText(dataDir + "marian-opus-swish/config.json"));
}

std::vector<std::string> marianVocab(const json &config)
{
    std::vector<std::string> vocab(config["vocab_size"].get<size_t>());
    for (size_t i = 0; i < vocab.size(); ++i)
        vocab[i] = "p" + std::to_string(i);
    vocab[0] = "</s>";
    vocab[1] = "<unk>";
    vocab.back() = "<pad>";
    return vocab;
}

} // namespace

class TestTransformerImport : public QObject
{
    Q_OBJECT

private slots:
    void onmtRefusalsNameTheKey_data();
    void onmtRefusalsNameTheKey();
    void joeyRefusalsNameTheKey_data();
    void joeyRefusalsNameTheKey();
    void marianRefusalsNameTheKey_data();
    void marianRefusalsNameTheKey();
    void marianStoredPositionsAreUsed();
    void marianStoredSinusoidChangesNothing();
    void marianBadPositionTableIsNamed();
};

void TestTransformerImport::onmtRefusalsNameTheKey_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value"); // JSON
    QTest::addColumn<QString>("expected");
    QTest::newRow("rotary") << "max_relative_positions" << "-1" << "opt.max_relative_positions -1";
    QTest::newRow("alibi") << "max_relative_positions" << "-2" << "ALiBi";
    QTest::newRow("relative") << "max_relative_positions" << "20" << "opt.max_relative_positions 20";
    QTest::newRow("no positions") << "position_encoding" << "false" << "opt.position_encoding";
    QTest::newRow("unknown positions") << "position_encoding_type" << "\"Rotary\"" << "opt.position_encoding_type";
    QTest::newRow("average attention") << "self_attn_type" << "\"average\"" << "opt.self_attn_type";
    QTest::newRow("rms norm") << "layer_norm" << "\"rms\"" << "RMSNorm";
    QTest::newRow("parallel residual") << "parallel_residual" << "true" << "opt.parallel_residual";
    QTest::newRow("multi-query") << "num_kv" << "1" << "opt.num_kv 1";
    QTest::newRow("experts") << "num_experts" << "4" << "opt.num_experts";
    QTest::newRow("activation") << "pos_ffn_activation_fn" << "\"tanh\"" << "opt.pos_ffn_activation_fn";
    QTest::newRow("heads") << "heads" << "3" << "opt.heads";
    QTest::newRow("mixed sizes") << "dec_hid_size" << "32" << "opt.dec_hid_size";
    QTest::newRow("epsilon") << "norm_eps" << "2.0" << "opt.norm_eps";
}

void TestTransformerImport::onmtRefusalsNameTheKey()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    const ModelConfig good = onmtConfig(onmtTransformerOpt(), "model.pt");
    QCOMPARE(int(good.family), int(Family::Transformer));
    json opt = onmtTransformerOpt();
    opt[key.toStdString()] = json::parse(value.toStdString());
    const std::string message = refusal([&] { onmtConfig(opt, "model.pt"); });
    QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
    QVERIFY2(message.find("model.pt") != std::string::npos, message.c_str());
}

void TestTransformerImport::joeyRefusalsNameTheKey_data()
{
    QTest::addColumn<QString>("from"); // replaced in the encoder's section, or in both
    QTest::addColumn<QString>("to");
    QTest::addColumn<bool>("bothSides");
    QTest::addColumn<QString>("expected");
    QTest::newRow("residual weight") << "    layer_norm: pre\n" << "    layer_norm: pre\n    alpha: 0.5\n" << false
                                     << "model.encoder.alpha";
    QTest::newRow("norm") << "    layer_norm: pre\n" << "    layer_norm: rms\n" << false << "layer_norm 'rms'";
    QTest::newRow("activation") << "    activation: relu\n" << "    activation: tanh\n" << true << "activation 'tanh'";
    QTest::newRow("activations differ") << "    activation: relu\n" << "    activation: gelu\n" << false
                                        << "model.decoder.activation differs from model.encoder.activation";
    QTest::newRow("scale factor") << "      scale: true\n" << "      scale: true\n      scale_factor: 2.0\n" << false
                                  << "scale_factor";
    QTest::newRow("mixed sizes") << "    ff_size: 32\n" << "    ff_size: 64\n" << false << "ff_size";
    QTest::newRow("heads") << "    num_heads: 4\n" << "    num_heads: 3\n" << true << "num_heads";
}

void TestTransformerImport::joeyRefusalsNameTheKey()
{
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(bool, bothSides);
    QFETCH(QString, expected);
    const std::string yaml = readText(dataDir + "joey-pre-tied-relu-scale/config.yaml");
    QCOMPARE(int(joeyConfigFromYaml(yaml, "config.yaml").config.family), int(Family::Transformer));
    std::string changed = yaml;
    size_t at = changed.find(from.toStdString());
    QVERIFY(at != std::string::npos);
    for (int side = 0; side < (bothSides ? 2 : 1); ++side) {
        QVERIFY(at != std::string::npos);
        changed.replace(at, size_t(from.size()), to.toStdString());
        at = changed.find(from.toStdString(), at + size_t(to.size()));
    }
    const std::string message = refusal([&] { joeyConfigFromYaml(changed, "config.yaml"); });
    QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
    QVERIFY2(message.find("config.yaml") != std::string::npos, message.c_str());
}

void TestTransformerImport::marianRefusalsNameTheKey_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("heads") << "decoder_attention_heads" << "2" << "decoder_attention_heads";
    QTest::newRow("ffn") << "decoder_ffn_dim" << "64" << "decoder_ffn_dim";
    QTest::newRow("activation") << "activation_function" << "\"tanh\"" << "activation_function 'tanh'";
    QTest::newRow("cross attention") << "add_cross_attention" << "true" << "add_cross_attention";
    QTest::newRow("vocab size") << "vocab_size" << "7" << "vocab_size is 7";
    QTest::newRow("length penalty") << "length_penalty" << "\"long\"" << "length_penalty";
}

void TestTransformerImport::marianRefusalsNameTheKey()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    const json good = marianJson();
    const std::vector<std::string> vocab = marianVocab(good);
    QCOMPARE(int(marianConfig(good, vocab, vocab, "config.json").family), int(Family::Transformer));
    json config = good;
    config[key.toStdString()] = json::parse(value.toStdString());
    const std::string message = refusal([&] { marianConfig(config, vocab, vocab, "config.json"); });
    QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
    QVERIFY2(message.find("config.json") != std::string::npos, message.c_str());
}

// The fixture's pytorch_model.bin holds both tables (sinusoid + noise); its goldens, from
// MarianMTModel.from_pretrained, are checked in tst_transformer. Here: they are read as stored.
void TestTransformerImport::marianStoredPositionsAreUsed()
{
    const ModelFile model = openMarianModel(dataDir + "marian-stored-positions");
    const TransformerConfig &t = model.config.transformer;
    QCOMPARE(int(t.positions), int(Positions::Learned));
    const json config = json::parse(readText(dataDir + "marian-stored-positions/config.json"));
    QCOMPARE(t.maxPositions, config["max_position_embeddings"].get<int>());
    const Tensor &encoder = model.tensors.at("encoder.positions.weight");
    QCOMPARE(encoder.shape, (std::vector<int64_t>{t.maxPositions, t.modelSize}));
    const MatrixRM sinusoid = sinusoidalPositions(t.maxPositions, t.modelSize, Positions::Halves);
    double difference = 0;
    for (Eigen::Index i = 0; i < sinusoid.size(); ++i)
        difference = std::max(difference, double(std::abs(encoder.values[size_t(i)] - sinusoid.data()[i])));
    QVERIFY2(difference > 0.1, "the stored table is the fixture's noisy one, not the sinusoid");
    QVERIFY(model.tensors.count("decoder.positions.weight") == 1);
}

namespace {

// A copy of the safetensors fixture with `extra` tensors added to model.safetensors.
std::string folderWithTables(const QTemporaryDir &dir, const std::map<std::string, Tensor> &extra)
{
    const std::string from = dataDir + "marian-gelu-noscale-safetensors-1x3";
    const std::string to = dir.filePath(QStringLiteral("model")).toStdString();
    fs::create_directories(to);
    for (const auto &entry : fs::directory_iterator(from))
        fs::copy_file(entry.path(), fs::path(to) / entry.path().filename(), fs::copy_options::overwrite_existing);
    const std::string weights = to + "/model.safetensors";
    std::map<std::string, Tensor> tensors = detail::readSafetensors(detail::FileSource(weights), weights).tensors;
    for (const auto &[name, tensor] : extra)
        tensors[name] = tensor;
    writeText(weights, detail::writeSafetensors(tensors, {{"format", "pt"}}));
    return to;
}

Tensor tableTensor(const MatrixRM &table)
{
    Tensor tensor;
    tensor.shape = {table.rows(), table.cols()};
    tensor.values = FloatBuffer(std::vector<float>(table.data(), table.data() + table.size()));
    return tensor;
}

} // namespace

void TestTransformerImport::marianStoredSinusoidChangesNothing()
{
    const ModelFile plain = openMarianModel(dataDir + "marian-gelu-noscale-safetensors-1x3");
    const int d = plain.config.transformer.modelSize;
    QTemporaryDir dir;
    const MatrixRM sinusoid = sinusoidalPositions(64, d, Positions::Halves);
    const std::string same = folderWithTables(dir, {{"model.encoder.embed_positions.weight", tableTensor(sinusoid)},
                                                    {"model.decoder.embed_positions.weight", tableTensor(sinusoid)}});
    const ModelFile read = openMarianModel(same);
    QCOMPARE(int(read.config.transformer.positions), int(Positions::Halves));
    QCOMPARE(read.tensors.count("encoder.positions.weight"), size_t(0));

    // Only the decoder's table differs: the encoder keeps the sinusoid, the translation changes.
    MatrixRM shifted = sinusoid;
    shifted.array() += 0.25f;
    QTemporaryDir other;
    const std::string changed = folderWithTables(other, {{"model.decoder.embed_positions.weight", tableTensor(shifted)}});
    const ModelFile learned = openMarianModel(changed);
    QCOMPARE(int(learned.config.transformer.positions), int(Positions::Learned));
    const Tensor &encoder = learned.tensors.at("encoder.positions.weight");
    QCOMPARE(encoder.values[size_t(d + 1)], sinusoid(1, 1));
    QCOMPARE(learned.tensors.at("decoder.positions.weight").values[size_t(d + 1)], shifted(1, 1));

    const Model a(plain), b(learned);
    const std::vector<int> source = {5, 6, 0};
    const std::vector<int> target = {7, 8, 0};
    const TranslationResult ra = translateIds(a, source, {}, &target), rb = translateIds(b, source, {}, &target);
    QVERIFY(std::abs(ra.best().logProbs[1] - rb.best().logProbs[1]) > 1e-4);
}

void TestTransformerImport::marianBadPositionTableIsNamed()
{
    QTemporaryDir dir;
    const std::string folder
        = folderWithTables(dir, {{"model.encoder.embed_positions.weight", tableTensor(MatrixRM::Zero(64, 5))}});
    const std::string message = refusal([&] { openMarianModel(folder); });
    QVERIFY2(message.find("model.encoder.embed_positions.weight") != std::string::npos, message.c_str());
    QVERIFY2(message.find("[64, 5]") != std::string::npos, message.c_str());
    QVERIFY2(message.find("model.safetensors") != std::string::npos, message.c_str());
}

QTEST_APPLESS_MAIN(TestTransformerImport)
#include "tst_transformerimport.moc"
