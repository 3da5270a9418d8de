#include "testmodels.h"

#include <attnviz/io/model_file.h>
#include <attnviz/models/model.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <fstream>
#include <cstring>
#include <functional>
#include <limits>

using namespace attnviz;
using nlohmann::json;

namespace {

const std::string safetensorsName = "model.safetensors";
const std::string jsonName = "model.json";

// A safetensors file taken apart, so that tests can change the header and put it back.
struct SafetensorsParts
{
    json header;
    std::string data;
};

SafetensorsParts splitSafetensors(const std::string &bytes)
{
    uint64_t headerSize = 0;
    for (int i = 7; i >= 0; --i)
        headerSize = (headerSize << 8) | static_cast<unsigned char>(bytes[size_t(i)]);
    return {json::parse(bytes.substr(8, headerSize)), bytes.substr(8 + headerSize)};
}

std::string joinSafetensors(const std::string &headerText, const std::string &data,
                            uint64_t declaredHeaderSize)
{
    std::string bytes;
    for (int i = 0; i < 8; ++i)
        bytes.push_back(char((declaredHeaderSize >> (8 * i)) & 0xff));
    return bytes + headerText + data;
}

std::string joinSafetensors(const std::string &headerText, const std::string &data = {})
{
    return joinSafetensors(headerText, data, headerText.size());
}

ModelFile validModel()
{
    return test::makeRandomModel(Architecture::Bahdanau);
}

std::string validBytes()
{
    return serializeSafetensors(validModel());
}

std::string withHeader(const std::function<void(json &header, std::string &data)> &change)
{
    SafetensorsParts parts = splitSafetensors(validBytes());
    change(parts.header, parts.data);
    return joinSafetensors(parts.header.dump(), parts.data);
}

std::string withTensorEntry(const std::string &name, const std::function<void(json &)> &change)
{
    return withHeader([&](json &header, std::string &) { change(header[name]); });
}

std::string withMetadata(const std::string &key, const json &value)
{
    return withHeader([&](json &header, std::string &) { header["__metadata__"][key] = value; });
}

std::string withConfig(const ModelFile &model, const std::function<void(json &)> &change)
{
    SafetensorsParts parts = splitSafetensors(serializeSafetensors(model));
    json config = json::parse(parts.header["__metadata__"]["config"].get<std::string>());
    change(config);
    parts.header["__metadata__"]["config"] = config.dump();
    return joinSafetensors(parts.header.dump(), parts.data);
}

std::string withConfig(const std::function<void(json &)> &change)
{
    return withConfig(validModel(), change);
}

std::string withModel(const std::function<void(ModelFile &)> &change,
                      Architecture architecture = Architecture::Bahdanau)
{
    ModelFile model = test::makeRandomModel(architecture);
    change(model);
    return serializeSafetensors(model);
}

// The committed version 1 model (tests/data/tiny.json, bahdanau H = 2) with its config changed.
std::string withV1Config(const std::function<void(json &)> &change)
{
    std::ifstream in(ATTNVIZ_TEST_DATA_DIR "/tiny.json");
    json document = json::parse(in);
    change(document["config"]);
    return document.dump();
}

std::string withJson(const std::function<void(json &)> &change)
{
    json document = json::parse(serializeJsonModel(validModel()));
    change(document);
    return document.dump();
}

struct HalfTensor
{
    std::string name;
    const char *dtype; // "F16" or "BF16"
    std::vector<uint16_t> bits;
};

// Appends raw 16-bit values to the data section and points the tensors at them.
std::string withHalfTensors(const std::vector<HalfTensor> &tensors)
{
    return withHeader([&](json &header, std::string &data) {
        for (const HalfTensor &tensor : tensors) {
            const size_t begin = data.size();
            for (const uint16_t value : tensor.bits) {
                data.push_back(char(value & 0xff));
                data.push_back(char(value >> 8));
            }
            header[tensor.name]["dtype"] = tensor.dtype;
            header[tensor.name]["data_offsets"] = {begin, data.size()};
        }
    });
}

void addRow(const char *name, const std::string &bytes, const std::string &expected,
            bool asJson = false)
{
    QTest::newRow(name) << QByteArray::fromStdString(bytes) << asJson
                        << QString::fromStdString(expected);
}

bool sameBits(const FloatBuffer &a, const FloatBuffer &b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void compareModels(const ModelFile &actual, const ModelFile &expected)
{
    const json actualConfig = configToJson(actual.config);
    const json expectedConfig = configToJson(expected.config);
    QVERIFY2(actualConfig == expectedConfig,
             (actualConfig.dump() + " != " + expectedConfig.dump()).c_str());
    QCOMPARE(actual.config.unkToken, expected.config.unkToken);
    QVERIFY(actual.sourceVocab == expected.sourceVocab);
    QVERIFY(actual.targetVocab == expected.targetVocab);
    QCOMPARE(actual.tensors.size(), expected.tensors.size());
    for (const auto &[name, tensor] : expected.tensors) {
        const auto it = actual.tensors.find(name);
        QVERIFY2(it != actual.tensors.end(), name.c_str());
        QVERIFY2(it->second.shape == tensor.shape, name.c_str());
        QVERIFY2(sameBits(it->second.values, tensor.values), name.c_str());
    }
}

} // namespace

class TestModelFile : public QObject
{
    Q_OBJECT

private slots:
    void validModelsLoad_data();
    void validModelsLoad();
    void malformedInput_data();
    void malformedInput();
    void corruptedBytesAreRejectedCleanly_data();
    void corruptedBytesAreRejectedCleanly();
    void missingFile();
    void directoryIsNotAModel();
    void roundTrip_data();
    void roundTrip();
    void serializationIsDeterministic();
    void saveRefusesInvalidModel();
    void halfPrecisionTensors();
    void nonFiniteHalfValueIsRejected();
    void jsonModelEqualsSafetensorsModel();
    void unknownConfigKeysAreIgnored();
    void committedTinyModelLoads();
    void expectedShapes();
    void mappedWeightsAreReadInPlace();
};

void TestModelFile::validModelsLoad_data()
{
    QTest::addColumn<int>("architecture");
    QTest::addColumn<int>("luongScore");
    QTest::addColumn<int>("tensorCount");
    QTest::newRow("bahdanau") << int(Architecture::Bahdanau) << int(LuongScore::General) << 18;
    QTest::newRow("luong general") << int(Architecture::Luong) << int(LuongScore::General) << 15;
    QTest::newRow("luong dot") << int(Architecture::Luong) << int(LuongScore::Dot) << 14;
    QTest::newRow("tutorial_legacy") << int(Architecture::TutorialLegacy) << 0 << 16;
}

void TestModelFile::validModelsLoad()
{
    QFETCH(int, architecture);
    QFETCH(int, luongScore);
    QFETCH(int, tensorCount);
    const ModelFile model =
        test::makeRandomModel(Architecture(architecture), LuongScore(luongScore));
    const ModelFile loaded =
        loadModelFromBytes(serializeSafetensors(model), safetensorsName, false);
    QCOMPARE(int(loaded.tensors.size()), tensorCount);
    QCOMPARE(loaded.parameterCount(), model.parameterCount());
}

void TestModelFile::malformedInput_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("asJson");
    QTest::addColumn<QString>("expected");

    // The container.
    addRow("fewer than 8 bytes", "abc", "expected at least 8 bytes, found 3");
    addRow("header past end", joinSafetensors("{}", "", 1000),
           "header length 1000 is past the end of the file (only 2 bytes follow");
    addRow("header over 100 MB", joinSafetensors("{}", "", 200'000'000),
           "header length 200000000 is over the limit of 100 MB");
    addRow("header not JSON", joinSafetensors("{not json"),
           "header is not valid JSON: parse error at line 1, column 3");
    addRow("header nested too deeply", joinSafetensors(std::string(100'000, '[')),
           "header nests arrays and objects deeper than 32 levels");
    addRow("header not an object", joinSafetensors("[1, 2]"),
           "header is not a JSON object, found array [1,2]");
    addRow("entry not an object", withHeader([](json &h, std::string &) { h["x"] = 5; }),
           "tensor 'x': expected an object with dtype, shape and data_offsets, found number 5");
    for (const char *key : {"dtype", "shape", "data_offsets"}) {
        addRow((std::string("missing ") + key).c_str(),
               withTensorEntry("decoder.out.bias", [&](json &e) { e.erase(key); }),
               std::string("tensor 'decoder.out.bias': missing '") + key + "'");
    }
    addRow("dtype not a string",
           withTensorEntry("decoder.out.bias", [](json &e) { e["dtype"] = 32; }),
           "tensor 'decoder.out.bias': 'dtype' must be a string, found number 32");
    addRow("unknown dtype",
           withTensorEntry("decoder.out.bias", [](json &e) { e["dtype"] = "I64"; }),
           "tensor 'decoder.out.bias': unsupported dtype 'I64' (expected F32, F16 or BF16)");
    addRow("shape not an array",
           withTensorEntry("decoder.out.bias", [](json &e) { e["shape"] = "7"; }),
           "tensor 'decoder.out.bias': 'shape' must be an array of non-negative integers, "
           "found string \"7\"");
    addRow("negative dimension",
           withTensorEntry("decoder.out.bias", [](json &e) { e["shape"] = {-7}; }),
           "'shape' must contain non-negative integers, found number -7");
    addRow("fractional dimension",
           withTensorEntry("decoder.out.bias", [](json &e) { e["shape"] = {7.5}; }),
           "'shape' must contain non-negative integers, found number 7.5");
    addRow("element count overflows",
           withTensorEntry("decoder.out.bias",
                           [](json &e) {
                               e["shape"] = {uint64_t(1) << 62, 4};
                           }),
           "tensor 'decoder.out.bias': the element count of shape [4611686018427387904, 4] "
           "overflows a 64-bit integer");
    addRow("dimension beyond int64",
           withTensorEntry("decoder.out.bias",
                           [](json &e) { e["shape"] = {std::numeric_limits<uint64_t>::max()}; }),
           "shape dimension 18446744073709551615 does not fit in a 64-bit signed integer");
    addRow("offsets not a pair",
           withTensorEntry("decoder.out.bias", [](json &e) { e["data_offsets"] = {0}; }),
           "'data_offsets' must be an array of two non-negative integers, found array [0]");
    addRow("negative offset",
           withTensorEntry("decoder.out.bias",
                           [](json &e) {
                               e["data_offsets"] = {-4, 24};
                           }),
           "'data_offsets' must be an array of two non-negative integers, found array [-4,24]");
    addRow("fractional offset",
           withTensorEntry("decoder.out.bias",
                           [](json &e) {
                               e["data_offsets"] = {0.5, 28};
                           }),
           "'data_offsets' must be an array of two non-negative integers");
    addRow("offsets end before begin",
           withTensorEntry("decoder.out.bias",
                           [](json &e) {
                               e["data_offsets"] = {28, 0};
                           }),
           "tensor 'decoder.out.bias': data_offsets [28, 0] end before they begin");
    addRow("offsets out of range",
           withTensorEntry("decoder.out.bias",
                           [](json &e) {
                               e["data_offsets"] = {0, 99'999'999};
                           }),
           "tensor 'decoder.out.bias': data_offsets [0, 99999999] reach past the end of the "
           "data section");
    addRow("offsets length mismatch",
           withTensorEntry("decoder.out.bias",
                           [](json &e) {
                               e["data_offsets"] = {0, 24};
                           }),
           "tensor 'decoder.out.bias': data_offsets [0, 24] span 24 bytes, but shape [7] of F32 "
           "needs 7 elements of 4 bytes");
    addRow("huge shape against small offsets",
           withTensorEntry("decoder.out.bias",
                           [](json &e) {
                               e["shape"] = {uint64_t(1) << 40, uint64_t(1) << 20};
                           }),
           "span 28 bytes, but shape [1099511627776, 1048576] of F32 needs");
    addRow("overlapping tensors", withHeader([](json &h, std::string &) {
               h["decoder.out.bias"]["data_offsets"] = h["encoder.rnn.bias_ih_l0"]["data_offsets"];
               h["decoder.out.bias"]["shape"] = h["encoder.rnn.bias_ih_l0"]["shape"];
           }),
           "overlap in the data section");
    {
        SafetensorsParts parts = splitSafetensors(validBytes());
        std::string header = parts.header.dump();
        header.insert(1, "\"decoder.out.bias\":" + parts.header["decoder.out.bias"].dump() + ",");
        addRow("duplicate tensor name", joinSafetensors(header, parts.data),
               "duplicate tensor name 'decoder.out.bias'");
    }

    // Metadata.
    addRow("missing metadata", withHeader([](json &h, std::string &) { h.erase("__metadata__"); }),
           "'__metadata__' is missing");
    addRow("metadata not an object",
           withHeader([](json &h, std::string &) { h["__metadata__"] = 1; }),
           "'__metadata__' must be an object of strings, found number 1");
    for (const char *key : {"format", "config", "source_vocab", "target_vocab"}) {
        addRow((std::string("metadata without ") + key).c_str(),
               withHeader([&](json &h, std::string &) { h["__metadata__"].erase(key); }),
               std::string("'__metadata__' has no '") + key + "' entry");
    }
    addRow("metadata value not a string", withMetadata("config", json::object()),
           "'__metadata__' value 'config' must be a string, found object {}");
    addRow("unknown format", withMetadata("format", "attnviz-seq2seq/3"),
           "unknown format 'attnviz-seq2seq/3' (expected 'attnviz-seq2seq/2' or 'attnviz-seq2seq/1')");

    // Config (version 2).
    addRow("config not JSON", withMetadata("config", "{oops"), "config is not valid JSON");
    addRow("config not an object", withMetadata("config", "[1]"),
           "config must be a JSON object, found array [1]");
    addRow("config duplicate key",
           withMetadata("config", R"({"sos_token":"SOS","sos_token":"BOS"})"),
           "config has duplicate key 'sos_token'");
    for (const char *key : {"encoder", "decoder", "attention", "sos_token", "eos_token"}) {
        addRow((std::string("config without ") + key).c_str(),
               withConfig([&](json &c) { c.erase(key); }),
               std::string("config: missing required key '") + key + "'");
    }
    for (const auto &[object, key] : {std::pair{"encoder", "cell"}, {"encoder", "hidden_size"},
                                      {"decoder", "input"}, {"decoder", "query"}, {"decoder", "init"},
                                      {"decoder", "attentional"}, {"attention", "score"},
                                      {"attention", "hidden_size"}}) {
        const std::string path = std::string(object) + "." + key;
        addRow(("config without " + path).c_str(), withConfig([&](json &c) { c[object].erase(key); }),
               "config: missing required key '" + path + "'");
    }
    addRow("config encoder not an object", withConfig([](json &c) { c["encoder"] = 3; }),
           "config: encoder must be a JSON object, found number 3");
    const std::pair<const char *, json> badHiddenSizes[] = {
        {"hidden_size string", "4"},
        {"hidden_size fractional", 4.5},
        {"hidden_size zero", 0},
        {"hidden_size negative", -4},
        {"hidden_size too large", int64_t(1) << 40},
    };
    for (const auto &[name, value] : badHiddenSizes) {
        addRow(name, withConfig([&](json &c) { c["decoder"]["hidden_size"] = value; }),
               "config: 'decoder.hidden_size' must be an integer from 1 to 1048576, found "
                   + std::string(value.type_name()) + " " + value.dump());
    }
    addRow("a million layers", withConfig([](json &c) { c["encoder"]["layers"] = 1000000; }),
           "config: 'encoder.layers' must be an integer from 1 to 64, found number 1000000");
    addRow("sos_token not a string", withConfig([](json &c) { c["sos_token"] = 1; }),
           "config: 'sos_token' must be a string, found number 1");
    addRow("bidirectional not a bool", withConfig([](json &c) { c["encoder"]["bidirectional"] = "yes"; }),
           "config: 'encoder.bidirectional' must be true or false, found string \"yes\"");
    addRow("cell not a string", withConfig([](json &c) { c["decoder"]["cell"] = 2; }),
           "config: 'decoder.cell' must be a string, found number 2");
    addRow("unknown score", withConfig([](json &c) { c["attention"]["score"] = "transformer"; }),
           "config: attention.score: unknown value 'transformer' (expected dot, general, bilinear, additive, "
           "concat or location)");
    addRow("unknown init", withConfig([](json &c) { c["decoder"]["init"] = "brige"; }),
           "config: decoder.init: unknown value 'brige' (expected zero, final, last, bridge, onmt_bridge or "
           "first_layers)");
    addRow("unknown normalization", withConfig([](json &c) { c["normalization"] = "lower"; }),
           "config: normalization: unknown value 'lower' (expected tutorial, none or lowercase)");
    addRow("lstm decoder without cell_init", withConfig([](json &c) { c["decoder"]["cell"] = "lstm"; }),
           "config: missing required key 'decoder.cell_init'");
    // Options that do not fit together.
    addRow("init final with other layers", withConfig([](json &c) { c["encoder"]["layers"] = 2; }),
           "config: decoder.init 'final' needs decoder.layers (1) = encoder.layers (2)");
    addRow("init final with other sizes", withConfig([](json &c) { c["encoder"]["bidirectional"] = true; }),
           "config: decoder.init 'final' needs decoder.hidden_size (4) = directions x encoder.hidden_size (8)");
    addRow("context input with the current query", withConfig([](json &c) { c["decoder"]["query"] = "current"; }),
           "config: decoder.input 'embedding_context' feeds c_t to the RNN, so c_t cannot depend on the RNN's new "
           "state: it needs decoder.query 'previous'");
    addRow("dot with other sizes", withConfig([](json &c) {
               c["attention"] = {{"score", "dot"}};
               c["decoder"]["hidden_size"] = 8;
               c["decoder"]["init"] = "zero";
           }),
           "config: attention.score 'dot' needs the query (decoder.hidden_size 8) to be the size of the annotations "
           "(4)");
    addRow("cell state of a GRU encoder", withConfig([](json &c) {
               c["decoder"]["cell"] = "lstm";
               c["decoder"]["cell_init"] = "final";
           }),
           "config: decoder.cell_init 'final' needs an LSTM encoder (a GRU has no cell state)");
    addRow("location with the current query", withConfig([](json &c) {
               c["attention"] = {{"score", "location"}, {"slots", 5}};
               c["decoder"]["input"] = "embedding";
               c["decoder"]["query"] = "current";
           }),
           "config: attention.score 'location' needs decoder.query 'previous'");

    // Config (version 1, tests/data/tiny.json).
    addRow("v1 config without architecture", withV1Config([](json &c) { c.erase("architecture"); }),
           "config: missing required key 'architecture'", true);
    addRow("v1 unknown architecture", withV1Config([](json &c) { c["architecture"] = "transformer"; }),
           "config: architecture: unknown value 'transformer' (expected bahdanau, luong or tutorial_legacy)", true);
    addRow("v1 hidden_size zero", withV1Config([](json &c) { c["hidden_size"] = 0; }),
           "config: 'hidden_size' must be an integer from 1 to 1048576, found number 0", true);
    addRow("v1 luong without luong_score", withV1Config([](json &c) { c["architecture"] = "luong"; }),
           "config: missing required key 'luong_score'", true);
    addRow("v1 unknown luong_score", withV1Config([](json &c) {
               c["architecture"] = "luong";
               c["luong_score"] = "concat";
           }),
           "config: luong_score: unknown value 'concat' (expected dot or general)", true);
    addRow("v1 legacy without max_length", withV1Config([](json &c) { c["architecture"] = "tutorial_legacy"; }),
           "config: missing required key 'max_length'", true);
    addRow("v1 unknown combine_activation", withV1Config([](json &c) {
               c["architecture"] = "tutorial_legacy";
               c["max_length"] = 5;
               c["combine_activation"] = "tanh";
           }),
           "config: combine_activation: unknown value 'tanh' (expected relu or none)", true);
    // Version 1 tensor names are checked against the version 2 table after renaming.
    addRow("v1 luong tensors of a bahdanau model", withV1Config([](json &c) {
               c["architecture"] = "luong";
               c["luong_score"] = "dot";
           }),
           "missing tensor 'decoder.attentional.bias' (expected shape [2])", true);

    // Tensors against the architecture.
    addRow("missing tensor", withModel([](ModelFile &m) { m.tensors.erase("decoder.out.bias"); }),
           "missing tensor 'decoder.out.bias' (expected shape [7])");
    addRow("unexpected tensor", withModel([](ModelFile &m) {
               m.tensors["decoder.extra"] = Tensor {{1}, {0.5f}};
           }),
           "unexpected tensor 'decoder.extra' (not part of a model of this configuration: GRU encoder, GRU "
           "decoder, additive attention on s_{i-1})");
    addRow("wrong shape", withModel([](ModelFile &m) {
               m.tensors["decoder.out.weight"] = Tensor {{7, 3}, std::vector<float>(21, 0.5f)};
           }),
           "tensor 'decoder.out.weight': expected shape [7, 4], found [7, 3]");
    addRow(
        "luong dot with W",
        withModel([](ModelFile &m) { m.config.attention.score = Score::Dot; }, Architecture::Luong),
        "unexpected tensor 'decoder.attention.linear.weight'");
    addRow("luong general without W",
           withModel([](ModelFile &m) { m.tensors.erase("decoder.attention.linear.weight"); },
                     Architecture::Luong),
           "missing tensor 'decoder.attention.linear.weight' (expected shape [4, 4])");
    addRow("legacy max_length differs from attn rows",
           withModel([](ModelFile &m) { m.config.attention.locationSlots = 6; }, Architecture::TutorialLegacy),
           "tensor 'decoder.attention.location.bias': expected shape [6], found [5]");
    addRow("source vocab larger than embedding",
           withModel([](ModelFile &m) { m.sourceVocab.push_back("hot"); }),
           "source vocabulary has 7 words, but 'encoder.embedding.weight' has 6 rows");
    addRow("target vocab smaller than embedding",
           withModel([](ModelFile &m) { m.targetVocab.pop_back(); }),
           "target vocabulary has 6 words, but 'decoder.embedding.weight' has 7 rows");

    // Vocabularies and special tokens.
    addRow("vocab not JSON", withMetadata("source_vocab", "[oops"),
           "source_vocab is not valid JSON");
    addRow("vocab not an array", withMetadata("target_vocab", "{}"),
           "target_vocab must be a JSON array of strings, found object {}");
    addRow("vocab entry not a string", withMetadata("source_vocab", R"(["SOS", 3])"),
           "source_vocab must be a JSON array of strings, but entry 1 is number 3");
    addRow("duplicate source word", withModel([](ModelFile &m) { m.sourceVocab[5] = "i"; }),
           "source vocabulary has duplicate word 'i' (ids 3 and 5)");
    addRow("duplicate target word", withModel([](ModelFile &m) { m.targetVocab[6] = "SOS"; }),
           "target vocabulary has duplicate word 'SOS' (ids 0 and 6)");
    addRow("sos_token not in target", withModel([](ModelFile &m) { m.config.sosToken = "BOS"; }),
           "sos_token 'BOS' is not in the target vocabulary");
    addRow("eos_token not in source", withModel([](ModelFile &m) { m.sourceVocab[1] = "END"; }),
           "eos_token 'EOS' is not in the source vocabulary");
    addRow("eos_token not in target", withModel([](ModelFile &m) { m.targetVocab[1] = "END"; }),
           "eos_token 'EOS' is not in the target vocabulary");
    addRow("unk_token not in source", withModel([](ModelFile &m) { m.config.unkToken = "<unk>"; }),
           "unk_token '<unk>' is not in the source vocabulary");

    // Weights.
    addRow("NaN weight",
           withModel([](ModelFile &m) { m.tensors["decoder.out.weight"].values[3] = NAN; }),
           "tensor 'decoder.out.weight': non-finite value nan at flat index 3");
    addRow("infinite weight", withModel([](ModelFile &m) {
               m.tensors["encoder.rnn.bias_hh_l0"].values[0] = -INFINITY;
           }),
           "tensor 'encoder.rnn.bias_hh_l0': non-finite value -inf at flat index 0");

    // The plain-JSON variant.
    addRow("json: not JSON", "{\"format\": ", "file is not valid JSON", true);
    addRow("json: not an object", "[]", "expected a JSON object at the top level, found array []",
           true);
    addRow("json: no format", withJson([](json &d) { d.erase("format"); }),
           "top-level key 'format' is missing", true);
    addRow("json: unknown format", withJson([](json &d) { d["format"] = "onnx"; }),
           "unknown format 'onnx'", true);
    addRow("json: format not a string", withJson([](json &d) { d["format"] = 1; }),
           "format must be the string 'attnviz-seq2seq/2' or 'attnviz-seq2seq/1', found number 1", true);
    addRow("json: no tensors", withJson([](json &d) { d.erase("tensors"); }),
           "top-level key 'tensors' is missing", true);
    addRow("json: config as string", withJson([](json &d) { d["config"] = "{}"; }),
           "top-level key 'config' must be an object, found string", true);
    addRow("json: vocab not an array", withJson([](json &d) { d["source_vocab"] = "SOS EOS"; }),
           "top-level key 'source_vocab' must be an array, found string", true);
    addRow("json: tensor without data",
           withJson([](json &d) { d["tensors"]["decoder.out.bias"].erase("data"); }),
           "tensor 'decoder.out.bias': missing 'data'", true);
    addRow("json: data length mismatch",
           withJson([](json &d) { d["tensors"]["decoder.out.bias"]["data"].erase(0); }),
           "tensor 'decoder.out.bias': 'data' has 6 values, but shape [7] needs 7", true);
    addRow("json: data not a number",
           withJson([](json &d) { d["tensors"]["decoder.out.bias"]["data"][2] = "x"; }),
           "tensor 'decoder.out.bias': data[2] must be a number in float32 range, found string",
           true);
    addRow("json: data beyond float range",
           withJson([](json &d) { d["tensors"]["decoder.out.bias"]["data"][0] = 1e39; }),
           "data[0] must be a number in float32 range, found number 1e+39", true);
    addRow("json: huge shape", withJson([](json &d) {
               d["tensors"]["decoder.out.bias"]["shape"] = {uint64_t(1) << 62, 8};
           }),
           "overflows a 64-bit integer", true);
    {
        std::string text = serializeJsonModel(validModel());
        const std::string entry = "\"decoder.out.bias\": {\"shape\": [1], \"data\": [1]},\n";
        text.insert(text.find("\"tensors\": {") + 13, entry);
        addRow("json: duplicate tensor name", text, "duplicate tensor name 'decoder.out.bias'",
               true);
    }
}

void TestModelFile::malformedInput()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, asJson);
    QFETCH(QString, expected);
    const std::string displayName = asJson ? jsonName : safetensorsName;
    try {
        loadModelFromBytes(std::string_view(bytes.constData(), size_t(bytes.size())), displayName,
                           asJson);
        QFAIL("the malformed model was accepted");
    } catch (const ModelError &error) {
        const QString message = QString::fromStdString(error.what());
        QVERIFY2(message.startsWith(QString::fromStdString(displayName + ": ")), error.what());
        QVERIFY2(message.contains(expected), error.what());
    }
}

void TestModelFile::corruptedBytesAreRejectedCleanly_data()
{
    QTest::addColumn<bool>("asJson");
    QTest::newRow("safetensors") << false;
    QTest::newRow("json") << true;
}

// Random damage must end in a ModelError (or, rarely, a valid model): never a crash, a
// different exception or, under ATTNVIZ_SANITIZE, a memory error.
void TestModelFile::corruptedBytesAreRejectedCleanly()
{
    QFETCH(bool, asJson);
    const ModelFile model = validModel();
    const std::string valid = asJson ? serializeJsonModel(model) : serializeSafetensors(model);
    std::mt19937 generator(12345);
    const auto randomIndex = [&](size_t size) {
        return std::uniform_int_distribution<size_t>(0, size - 1)(generator);
    };
    int rejected = 0;
    for (int round = 0; round < 2000; ++round) {
        std::string bytes = valid;
        if (round % 10 == 0)
            bytes.resize(randomIndex(bytes.size()));
        const int flips = 1 + round % 4;
        for (int i = 0; i < flips && !bytes.empty(); ++i)
            bytes[randomIndex(bytes.size())] = char(generator());
        try {
            loadModelFromBytes(bytes, asJson ? jsonName : safetensorsName, asJson);
        } catch (const ModelError &) {
            ++rejected;
        }
    }
    QVERIFY(rejected > 1000);
}

void TestModelFile::missingFile()
{
    QTemporaryDir dir;
    const std::string path =
        QDir(dir.path()).filePath(QStringLiteral("absent.safetensors")).toStdString();
    try {
        loadModelFile(path);
        QFAIL("a missing file was accepted");
    } catch (const ModelError &error) {
        QCOMPARE(QString::fromStdString(error.what()),
                 QString::fromStdString(path + ": cannot open file: No such file or directory"));
    }
}

void TestModelFile::directoryIsNotAModel()
{
    QTemporaryDir dir;
    QVERIFY_THROWS_EXCEPTION(ModelError, loadModelFile(dir.path().toStdString()));
}

void TestModelFile::roundTrip_data()
{
    QTest::addColumn<int>("architecture");
    QTest::addColumn<int>("luongScore");
    QTest::addColumn<bool>("combineRelu");
    QTest::addColumn<QString>("fileName");
    const bool relu = true;
    const auto general = LuongScore::General;
    for (const char *fileName : {"model.safetensors", "model.json"}) {
        const auto addRow = [&](const char *name, Architecture architecture, LuongScore score, bool combineRelu) {
            QTest::newRow((std::string(name) + " " + fileName).c_str())
                << int(architecture) << int(score) << combineRelu << QString::fromLatin1(fileName);
        };
        addRow("bahdanau", Architecture::Bahdanau, general, relu);
        addRow("luong general", Architecture::Luong, general, relu);
        addRow("luong dot", Architecture::Luong, LuongScore::Dot, relu);
        addRow("legacy relu", Architecture::TutorialLegacy, general, relu);
        addRow("legacy none", Architecture::TutorialLegacy, general, false);
    }
}

void TestModelFile::roundTrip()
{
    QFETCH(int, architecture);
    QFETCH(int, luongScore);
    QFETCH(bool, combineRelu);
    QFETCH(QString, fileName);
    ModelFile model = test::makeRandomModel(Architecture(architecture), LuongScore(luongScore), combineRelu, 7);
    model.config.normalization = Normalization::None;
    model.tensors["decoder.out.bias"].values[0] = -0.0f;
    model.tensors["decoder.out.bias"].values[1] = std::numeric_limits<float>::denorm_min();
    model.tensors["decoder.out.bias"].values[2] = std::numeric_limits<float>::max();

    QTemporaryDir dir;
    const std::string path = QDir(dir.path()).filePath(fileName).toStdString();
    saveModelFile(model, path);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList {fileName}); // no temp files left
    compareModels(loadModelFile(path), model);

    // Saving over an existing file replaces it.
    model.tensors["decoder.out.bias"].values[3] = 42.0f;
    saveModelFile(model, path);
    compareModels(loadModelFile(path), model);
}

void TestModelFile::serializationIsDeterministic()
{
    const std::string bytes = validBytes();
    QVERIFY(serializeSafetensors(loadModelFromBytes(bytes, safetensorsName, false)) == bytes);
    // The header is padded so that the data section starts 8-byte aligned.
    QCOMPARE((bytes.size() - splitSafetensors(bytes).data.size()) % 8, size_t(0));
}

void TestModelFile::saveRefusesInvalidModel()
{
    ModelFile model = validModel();
    model.tensors.erase("decoder.out.bias");
    QTemporaryDir dir;
    const std::string path =
        QDir(dir.path()).filePath(QStringLiteral("bad.safetensors")).toStdString();
    QVERIFY_THROWS_EXCEPTION(ModelError, saveModelFile(model, path));
    QVERIFY(QDir(dir.path()).isEmpty());
}

void TestModelFile::halfPrecisionTensors()
{
    // Hand-checked bit patterns: 1, -2, the smallest subnormal, the largest finite value.
    const ModelFile model = loadModelFromBytes(
        withHalfTensors({{"decoder.attention.query_layer.bias", "F16", {0x3C00, 0xC000, 0x0001, 0x7BFF}},
                         {"decoder.attention.key_layer.bias", "BF16", {0x3F80, 0xC000, 0x0001, 0x7F7F}}}),
        safetensorsName, false);
    const std::vector<float> expectedF16 = {1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f};
    const std::vector<float> expectedBf16 = {1.0f, -2.0f, std::ldexp(1.0f, -133),
                                             std::ldexp(255.0f / 128.0f, 127)};
    QVERIFY(sameBits(model.tensors.at("decoder.attention.query_layer.bias").values, expectedF16));
    QVERIFY(sameBits(model.tensors.at("decoder.attention.key_layer.bias").values, expectedBf16));
    // Everything else is untouched F32.
    const ModelFile reference = validModel();
    QVERIFY(sameBits(model.tensors.at("decoder.out.weight").values,
                     reference.tensors.at("decoder.out.weight").values));
}

void TestModelFile::nonFiniteHalfValueIsRejected()
{
    const std::string bytes =
        withHalfTensors({{"decoder.attention.query_layer.bias", "F16", {0x3C00, 0x3C00, 0x7C00, 0x3C00}}});
    try {
        loadModelFromBytes(bytes, safetensorsName, false);
        QFAIL("an infinite F16 weight was accepted");
    } catch (const ModelError &error) {
        QCOMPARE(QString::fromStdString(error.what()),
                 QStringLiteral("model.safetensors: tensor 'decoder.attention.query_layer.bias': non-finite "
                                "value inf at flat index 2"));
    }
}

void TestModelFile::jsonModelEqualsSafetensorsModel()
{
    const ModelFile model = test::makeRandomModel(Architecture::TutorialLegacy);
    const ModelFile fromJson = loadModelFromBytes(serializeJsonModel(model), jsonName, true);
    const ModelFile fromSafetensors =
        loadModelFromBytes(serializeSafetensors(model), safetensorsName, false);
    compareModels(fromJson, fromSafetensors);
    compareModels(fromJson, model);
}

void TestModelFile::unknownConfigKeysAreIgnored()
{
    const ModelFile model = loadModelFromBytes(withConfig([](json &c) {
                                                   c["dropout"] = 0.1;
                                                   c["attention"]["slots"] = "irrelevant for additive";
                                               }),
                                               safetensorsName, false);
    QCOMPARE(model.config.attention.locationSlots, 0);
}

void TestModelFile::committedTinyModelLoads()
{
    const ModelFile model = loadModelFile(ATTNVIZ_TEST_DATA_DIR "/tiny.json");
    QCOMPARE(architectureOf(model.config), std::optional(Architecture::Bahdanau));
    QCOMPARE(model.config.decoder.hiddenSize, 2);
    // Version 1 tensor names become version 2 names.
    QVERIFY(model.tensors.count("decoder.attention.query_layer.weight"));
    QVERIFY(!model.tensors.count("decoder.attention.Wa.weight"));
    QCOMPARE(model.sourceVocab.size(), size_t(5));
    QCOMPARE(model.targetVocab.size(), size_t(5));
    QCOMPARE(model.parameterCount(), int64_t(134));
    for (const auto &[name, tensor] : model.tensors) {
        for (const float value : tensor.values)
            QVERIFY2(value != 0.0f, name.c_str());
    }
}

void TestModelFile::expectedShapes()
{
    ModelConfig config = bahdanauConfig(128);
    auto shapes = expectedTensorShapes(config, 5000, 6000);
    QVERIFY(shapes.at("decoder.rnn.weight_ih_l0") == std::vector<int64_t>({384, 256}));
    QVERIFY(shapes.at("decoder.attention.energy_layer.weight") == std::vector<int64_t>({1, 128}));
    QVERIFY(shapes.at("encoder.embedding.weight") == std::vector<int64_t>({5000, 128}));
    QVERIFY(shapes.at("decoder.out.bias") == std::vector<int64_t>({6000}));

    config = tutorialLegacyConfig(128, 10, true);
    shapes = expectedTensorShapes(config, 5000, 6000);
    QVERIFY(shapes.at("decoder.attention.location.weight") == std::vector<int64_t>({10, 256}));
    QVERIFY(shapes.at("decoder.rnn.weight_ih_l0") == std::vector<int64_t>({384, 128}));

    // OpenNMT-py's default shape: 2-layer bidirectional LSTM encoder (256 per direction), 2-layer
    // LSTM decoder of 512 with input feeding, general attention, the bridge.
    config = luongConfig(512, LuongScore::General);
    config.encoder = {Cell::Lstm, 2, 300, 256, true, DirectionMerge::Concat, false};
    config.decoder.cell = Cell::Lstm;
    config.decoder.layers = 2;
    config.decoder.embeddingSize = 300;
    config.decoder.input = DecoderInput::InputFeeding;
    config.decoder.init = config.decoder.cellInit = InitRule::OnmtBridge;
    checkConfig(config, "onmt");
    shapes = expectedTensorShapes(config, 5000, 6000);
    QVERIFY(shapes.at("encoder.rnn.weight_ih_l1_reverse") == std::vector<int64_t>({1024, 512}));
    QVERIFY(shapes.at("encoder.rnn.weight_hh_l1") == std::vector<int64_t>({1024, 256}));
    QVERIFY(shapes.at("decoder.rnn.weight_ih_l0") == std::vector<int64_t>({2048, 300 + 512}));
    QVERIFY(shapes.at("decoder.rnn.weight_ih_l1") == std::vector<int64_t>({2048, 512}));
    QVERIFY(shapes.at("decoder.bridge.weight") == std::vector<int64_t>({1024, 1024}));
    QVERIFY(shapes.at("decoder.bridge_cell.bias") == std::vector<int64_t>({1024}));
    QVERIFY(shapes.at("decoder.attentional.weight") == std::vector<int64_t>({512, 1024}));
    QCOMPARE(shapes.count("decoder.rnn.weight_ih_l2"), size_t(0));
    QCOMPARE(shapeToString({5000, 128}), std::string("[5000, 128]"));
    QCOMPARE(shapeToString({}), std::string("[]"));
}

// WeightAccess::Map gives the same model, its F32 tensors pointing into the mapping (which
// outlives the loader), and a tensor that is written becomes a copy of its own. WeightAccess::Copy
// reads every tensor into one block of anonymous memory (WeightArena), 64-byte aligned, which
// a write leaves alone in the same way.
void TestModelFile::mappedWeightsAreReadInPlace()
{
    QTemporaryDir dir;
    const std::string path = QDir(dir.path()).filePath(QStringLiteral("m.safetensors")).toStdString();
    const ModelFile model = test::makeRandomModel(Architecture::Luong);
    saveModelFile(model, path);
    ModelFile mapped = loadModelFile(path, WeightAccess::Map);
    const ModelFile copied = loadModelFile(path, WeightAccess::Copy);
    compareModels(mapped, model);
    compareModels(copied, model);
    for (const auto &[name, tensor] : mapped.tensors)
        QVERIFY2(tensor.values.isInPlace(), name.c_str());
    for (const auto &[name, tensor] : copied.tensors) {
        QVERIFY2(tensor.values.isInPlace(), name.c_str()); // in the arena
#if !defined(__SANITIZE_ADDRESS__) // where every piece is an allocation of its own
        QCOMPARE(reinterpret_cast<uintptr_t>(tensor.values.data()) % 64, uintptr_t(0));
#endif
    }
    FloatBuffer &bias = mapped.tensors.at("decoder.out.bias").values;
    bias[0] = 42.0f;
    QVERIFY(!bias.isInPlace());
    QCOMPARE(bias[0], 42.0f);
    QCOMPARE(bias[1], model.tensors.at("decoder.out.bias").values[1]);
    QVERIFY(mapped.tensors.at("decoder.out.weight").values.isInPlace());
    // A model built on the mapping translates as the copied one does.
    const Model a(std::move(mapped), "mapped"), b(loadModelFile(path), "copied");
    QCOMPARE(a.encode({3, 4, 1}).annotations, b.encode({3, 4, 1}).annotations);
}

QTEST_APPLESS_MAIN(TestModelFile)

#include "tst_modelfile.moc"
