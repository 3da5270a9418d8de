// Joey NMT and OpenNMT-py configurations mapped onto the family (issue #15), on the
// config.yaml and vocabulary files that tools/make_toolkit_fixtures.py saved with Joey's own
// code, on the options OpenNMT-py's own parser wrote into those checkpoints, and on state dicts
// built here with the toolkits' tensor names; plus the search rules and the lowercase
// normalization the mapping needs; and the checkpoints themselves, opened through TorchFile,
// against the toolkits' own outputs (tests/data/{joey,onmt}/*/golden.json) to 1e-5.
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>
#include <attnviz/io/text.h>
#include <attnviz/io/tokenizer.h>
#include <attnviz/io/toolkit_import.h>
#include <attnviz/io/torch_file.h>
#include <attnviz/models/model.h>

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

using namespace attnviz;
using nlohmann::json;

namespace {

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string joeyDir(const std::string &name)
{
    return ATTNVIZ_TEST_DATA_DIR "/joey/" + name;
}

template<typename F>
std::string errorOf(F &&f)
{
    try {
        f();
    } catch (const ModelError &error) {
        return error.what();
    }
    return "(no error)";
}

// Zero tensors of the shapes the engine expects, under the names `rename` gives.
template<typename Rename>
StateDict stateDictFor(const ModelConfig &config, int64_t vs, int64_t vt, Rename rename)
{
    StateDict state;
    for (const auto &[name, shape] : expectedTensorShapes(config, vs, vt)) {
        Tensor t;
        int64_t n = 1;
        for (int64_t d : shape)
            n *= d;
        t.shape = shape;
        t.values = FloatBuffer(std::vector<float>(static_cast<size_t>(n), 0.25f));
        state[rename(name)] = t;
    }
    return state;
}

// Joey NMT 2.3's module names, as its model.state_dict() writes them.
std::string joeyTensorName(const std::string &name, Score score)
{
    static const std::pair<const char *, const char *> prefixes[] = {
        {"encoder.embedding.", "src_embed.lut."},
        {"decoder.embedding.", "trg_embed.lut."},
        {"decoder.attentional.", "decoder.att_vector_layer."},
        {"decoder.bridge.", "decoder.bridge_layer."},
        {"decoder.out.", "decoder.output_layer."},
    };
    for (const auto &[from, to] : prefixes) {
        if (name.rfind(from, 0) == 0)
            return to + name.substr(std::string(from).size());
    }
    if (score == Score::Bilinear && name == "decoder.attention.linear.weight")
        return "decoder.attention.key_layer.weight";
    return name;
}

json onmtOptions(const std::string &encoder, const std::string &cell, int layers, const std::string &attention,
                 int inputFeed, bool bridge)
{
    // The fields OpenNMT-py 3.5.1's parser wrote into tests/data/onmt/*/model_step_N.pt.
    return json{{"model_task", "seq2seq"},      {"encoder_type", encoder}, {"decoder_type", "rnn"},
                {"rnn_type", cell},             {"layers", -1},            {"enc_layers", layers},
                {"dec_layers", layers},         {"hidden_size", 8},        {"enc_hid_size", 8},
                {"dec_hid_size", 8},            {"word_vec_size", 6},      {"src_word_vec_size", 6},
                {"tgt_word_vec_size", 6},       {"global_attention", attention},
                {"global_attention_function", "softmax"},                  {"input_feed", inputFeed},
                {"bridge", bridge},             {"position_encoding", false}, {"context_gate", nullptr},
                {"copy_attn", false},           {"coverage_attn", false},  {"n_src_feats", 0}};
}

constexpr double tolerance = 1e-5;

// The engine's forced decoding and greedy output against the toolkit's, sentence by sentence.
void compareWithGolden(const Model &model, const json &golden)
{
    for (const json &sentence : golden["sentences"]) {
        const std::string source = sentence["source"].get<std::string>();
        DecodeOptions forcedOptions;
        forcedOptions.target = sentence["target"].get<std::string>();
        const TranslationResult forced = translate(model, source, forcedOptions);
        QCOMPARE(forced.sourceTokens, sentence["source_tokens"].get<std::vector<std::string>>());
        const Hypothesis &h = forced.hypotheses.front();
        const json &f = sentence["forced"];
        QCOMPARE(h.targetTokens, f["tokens"].get<std::vector<std::string>>());
        for (size_t t = 0; t < h.logProbs.size(); ++t) {
            QVERIFY(std::abs(h.logProbs[t] - f["log_probs"][t].get<double>()) < tolerance);
            QCOMPARE(size_t(h.attention.cols()), f["attention"][t].size());
            for (size_t j = 0; j < f["attention"][t].size(); ++j)
                QVERIFY(std::abs(h.attention(Eigen::Index(t), Eigen::Index(j)) - f["attention"][t][j].get<double>())
                        < tolerance);
        }
        const TranslationResult greedy = translate(model, source, DecodeOptions{});
        const Hypothesis &g = greedy.hypotheses.front();
        const json &gg = sentence["greedy"];
        QCOMPARE(g.targetTokens, gg["tokens"].get<std::vector<std::string>>());
        for (size_t t = 0; t < gg["attention"].size(); ++t)
            for (size_t j = 0; j < gg["attention"][t].size(); ++j)
                QVERIFY(std::abs(g.attention(Eigen::Index(t), Eigen::Index(j)) - gg["attention"][t][j].get<double>())
                        < tolerance);
        if (gg.contains("log_probs"))
            for (size_t t = 0; t < gg["log_probs"].size(); ++t)
                QVERIFY(std::abs(g.logProbs[t] - gg["log_probs"][t].get<double>()) < tolerance);
    }
}

} // namespace

class TestToolkitImport : public QObject
{
    Q_OBJECT

private slots:
    void joeyGolden_data()
    {
        QTest::addColumn<QByteArray>("path"); // the directory, or a checkpoint in it
        QTest::addRow("gru-bahdanau-bridge") << QByteArray("gru-bahdanau-bridge");
        QTest::addRow("lstm-luong-last-2layers best.ckpt") << QByteArray("lstm-luong-last-2layers/best.ckpt");
        QTest::addRow("gru-luong-zero-nofeed 300.ckpt") << QByteArray("gru-luong-zero-nofeed/300.ckpt");
        QTest::addRow("lstm-bahdanau-tied latest.ckpt") << QByteArray("lstm-bahdanau-tied/latest.ckpt");
        QTest::addRow("specials") << QByteArray("lstm-bahdanau-last-nofeed-specials");
    }

    void joeyGolden()
    {
        QFETCH(QByteArray, path);
        const std::string full = joeyDir(path.toStdString());
        QVERIFY(isJoeyModelPath(full));
        const Model model(openJoeyModel(full));
        const std::string dir = full.size() > 5 && full.substr(full.size() - 5) == ".ckpt"
                                    ? full.substr(0, full.rfind('/'))
                                    : full;
        compareWithGolden(model, json::parse(readText(dir + "/golden.json")));
    }

    // #16 done-means: typed (raw) text through openModel, the record importJoey embeds and the
    // Tokenizer gives Joey's pieces, log-probs, attention and translation line
    // (tools/make_joey_subword_fixtures.py).
    void joeySubword_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<int>("kind");
        QTest::addRow("subword-nmt-bpe") << QByteArray("subword-nmt-bpe") << int(TokenizerKind::Bpe);
        QTest::addRow("sentencepiece") << QByteArray("sentencepiece") << int(TokenizerKind::SentencePiece);
    }

    void joeySubword()
    {
        QFETCH(QByteArray, name);
        QFETCH(int, kind);
        const std::string dir = joeyDir(name.toStdString());
        ImportedModel imported = openModel(dir);
        QVERIFY(imported.model.tokenizer);
        const TokenizerRecord &record = *imported.model.tokenizer;
        QCOMPARE(int(record.source.kind), kind);
        QCOMPARE(int(record.source.toolkit), int(TokenizerToolkit::JoeyNmt));
        QVERIFY(record.source.restrictToModelVocabulary);
        // config.yaml names data/..., relative to where Joey ran: the copy in the model directory is read.
        QVERIFY(!std::ifstream("data/codes.bpe") && !std::ifstream("data/spm.en.model"));
        if (kind == int(TokenizerKind::Bpe))
            QVERIFY(record.source.codes == readText(dir + "/codes.bpe") && record.source.lowercase);
        else
            QVERIFY(record.target.sentencePieceModel == readText(dir + "/spm.fr.model") && record.target.normalize);
        // Kept through a save and a load, as import writes it.
        const std::string bytes = serializeSafetensors(imported.model);
        const Model model(loadModelFromBytes(bytes, "converted.safetensors", false), "converted");
        const json golden = json::parse(readText(dir + "/golden.json"));
        compareWithGolden(model, golden);
        for (const json &sentence : golden["sentences"]) {
            const TranslationResult r = translate(model, sentence["source"].get<std::string>(), DecodeOptions{});
            QCOMPARE(r.sourceWords, sentence["source_pieces"].get<std::vector<std::string>>());
            QCOMPARE(r.best().translation, sentence["greedy"]["translation"].get<std::string>());
            DecodeOptions forced;
            forced.target = sentence["target"].get<std::string>();
            QCOMPARE(translate(model, sentence["source"].get<std::string>(), forced).targetWords,
                     sentence["target_pieces"].get<std::vector<std::string>>());
        }
    }

    // OpenNMT-py keeps no transform: the subword files given to openModel become the record.
    void onmtSubwordFiles()
    {
        const std::string path = ATTNVIZ_TEST_DATA_DIR "/onmt/lstm-general-feed/model_step_100.pt";
        const std::string codes = ATTNVIZ_TEST_DATA_DIR "/subword/codes.bpe";
        const std::string spm = ATTNVIZ_TEST_DATA_DIR "/subword/joey/spm-bpe-identity.model";
        QVERIFY(!openModel(path).model.tokenizer);
        ImportOptions options;
        options.subwords.bpeCodes = codes;
        ImportedModel imported = openModel(path, options);
        QVERIFY(imported.model.tokenizer);
        const TokenizerRecord &record = *imported.model.tokenizer;
        QCOMPARE(int(record.source.kind), int(TokenizerKind::Bpe));
        QCOMPARE(int(record.source.toolkit), int(TokenizerToolkit::OpenNmtPy));
        QVERIFY(record.source.codes == readText(codes));
        QVERIFY(record.target == record.source); // the target side takes the source side's
        options.subwords.targetSentencePiece = spm;
        const TokenizerRecord mixed = *openModel(path, options).model.tokenizer;
        QCOMPARE(int(mixed.target.kind), int(TokenizerKind::SentencePiece));
        QVERIFY(mixed.target.sentencePieceModel == readText(spm));
        options.subwords.sentencePiece = spm; // two on the source side
        QVERIFY(errorOf([&] { openModel(path, options); }).find("--bpe-codes and --sentencepiece") != std::string::npos);
        ImportOptions targetOnly;
        targetOnly.subwords.targetBpeCodes = codes;
        QVERIFY(errorOf([&] { openModel(path, targetOnly); }).find("go with --bpe-codes or --sentencepiece")
                != std::string::npos);
        ImportOptions missing;
        missing.subwords.sentencePiece = "/nonexistent/source.model";
        QVERIFY(errorOf([&] { openModel(path, missing); }).find("/nonexistent/source.model") != std::string::npos);
        ImportOptions notSpm;
        notSpm.subwords.sentencePiece = codes;
        QVERIFY(errorOf([&] { openModel(path, notSpm); }).find(codes + ": not a SentencePiece model") != std::string::npos);
    }

    void onmtGolden_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addRow("lstm-general-feed") << QByteArray("lstm-general-feed/model_step_100.pt");
        QTest::addRow("brnn-gru-dot-bridge") << QByteArray("brnn-gru-dot-bridge/model_step_200.pt");
        QTest::addRow("brnn-lstm-mlp-nofeed") << QByteArray("brnn-lstm-mlp-nofeed/model_step_300.pt");
        QTest::addRow("safetensors") << QByteArray("lstm-general-bridge-safetensors/model_step_400.pt");
        QTest::addRow("gru-mlp-nofeed-3layers") << QByteArray("gru-mlp-nofeed-3layers/model_step_500.pt");
        QTest::addRow("brnn-lstm-general-bridge") << QByteArray("brnn-lstm-general-bridge/model_step_600.pt");
    }

    void onmtGolden()
    {
        QFETCH(QByteArray, path);
        const std::string full = ATTNVIZ_TEST_DATA_DIR "/onmt/" + path.toStdString();
        QVERIFY(isOnmtCheckpoint(TorchFile::open(full)));
        const Model model(openOnmtModel(full));
        compareWithGolden(model, json::parse(readText(full.substr(0, full.rfind('/')) + "/golden.json")));
    }

    void joeyConfigs_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<int>("cell");
        QTest::addColumn<int>("decoderLayers");
        QTest::addColumn<int>("init");
        QTest::addColumn<int>("score");
        QTest::addColumn<bool>("inputFeeding");
        QTest::addColumn<bool>("scale");
        QTest::addRow("gru-bahdanau-bridge") << QByteArray("gru-bahdanau-bridge") << int(Cell::Gru) << 1 << int(InitRule::Bridge)
                                             << int(Score::Additive) << true << false;
        QTest::addRow("lstm-luong-last-2layers") << QByteArray("lstm-luong-last-2layers") << int(Cell::Lstm) << 2
                                                 << int(InitRule::Last) << int(Score::Bilinear) << true << true;
        QTest::addRow("gru-luong-zero-nofeed") << QByteArray("gru-luong-zero-nofeed") << int(Cell::Gru) << 3 << int(InitRule::Zero)
                                               << int(Score::Bilinear) << false << false;
        QTest::addRow("lstm-bahdanau-tied") << QByteArray("lstm-bahdanau-tied") << int(Cell::Lstm) << 1 << int(InitRule::Bridge)
                                            << int(Score::Additive) << true << false;
        QTest::addRow("specials") << QByteArray("lstm-bahdanau-last-nofeed-specials") << int(Cell::Lstm) << 1
                                  << int(InitRule::Last) << int(Score::Additive) << false << false;
    }

    void joeyConfigs()
    {
        QFETCH(QByteArray, name);
        const std::string dir = joeyDir(name.toStdString());
        const JoeyConfig joey = joeyConfigFromYaml(readText(dir + "/config.yaml"), "config.yaml");
        const ModelConfig &c = joey.config;
        QFETCH(int, cell);
        QFETCH(int, decoderLayers);
        QFETCH(int, init);
        QFETCH(int, score);
        QFETCH(bool, inputFeeding);
        QFETCH(bool, scale);
        QCOMPARE(int(c.encoder.cell), cell);
        QCOMPARE(int(c.decoder.cell), cell);
        QVERIFY(c.encoder.bidirectional);
        QCOMPARE(c.decoder.layers, decoderLayers);
        QCOMPARE(int(c.decoder.init), init);
        QCOMPARE(int(c.decoder.cellInit), int(init == int(InitRule::Zero) ? InitRule::Zero : InitRule::Hidden));
        QCOMPARE(int(c.attention.score), score);
        QCOMPARE(c.decoder.input == DecoderInput::InputFeeding, inputFeeding);
        QCOMPARE(c.encoder.embeddingScale, scale);
        QCOMPARE(int(c.decoder.query), int(Query::Current));
        QCOMPARE(int(c.decoder.attentional), int(Attentional::StateContext));
        QVERIFY(!c.decoder.outputBias);
        QVERIFY(c.sourceEos);
        // Joey 2.x greedy search: never BOS or PAD, no EOS at the first step, 1.5 x the source.
        QCOMPARE(c.search.neverGenerate, (std::vector<std::string>{joey.specials.bos, joey.specials.pad}));
        QCOMPARE(c.search.minLength, 1);
        QCOMPARE(c.search.maxLengthRatio, 1.5);
        QCOMPARE(defaultMaxLength(c, 4, 3), 6); // int(1.5 x (3 words + </s>))
    }

    void joeySpecialsAndLowercase()
    {
        const JoeyConfig joey =
            joeyConfigFromYaml(readText(joeyDir("lstm-bahdanau-last-nofeed-specials") + "/config.yaml"), "config.yaml");
        QCOMPARE(joey.config.sosToken, std::string("<BOS>"));
        QCOMPARE(joey.config.eosToken, std::string("<EOS>"));
        QCOMPARE(*joey.config.unkToken, std::string("<UNK>"));
        QCOMPARE(int(joey.config.normalization), int(Normalization::Lowercase));
        QVERIFY(joey.tiedEmbeddings == false);
        const JoeyConfig tied = joeyConfigFromYaml(readText(joeyDir("lstm-bahdanau-tied") + "/config.yaml"), "c");
        QVERIFY(tied.tiedEmbeddings && tied.tiedSoftmax);
    }

    void joeyVocabularies()
    {
        const std::string dir = joeyDir("gru-bahdanau-bridge");
        const JoeyConfig joey = joeyConfigFromYaml(readText(dir + "/config.yaml"), "config.yaml");
        // Joey's saved file already starts with its specials: reading it again keeps each once.
        const std::string text = readText(dir + "/src_vocab.txt");
        const std::vector<std::string> vocab = joeyVocabulary(text, joey.specials, "src_vocab.txt");
        QCOMPARE(vocab.size(), size_t(21));
        QCOMPARE(vocab[0], std::string("<unk>"));
        QCOMPARE(vocab[3], std::string("</s>"));
        QCOMPARE(vocab[4], std::string("ich"));
        // A file of words only gets the specials in front; duplicates are dropped; \r\n and
        // U+2028 end lines as in str.splitlines.
        QCOMPARE(joeyVocabulary("b\r\na\nb\xe2\x80\xa8" "c", joey.specials, "v"),
                 (std::vector<std::string>{"<unk>", "<pad>", "<s>", "</s>", "b", "a", "c"}));
        // The config's ids must be where the specials land.
        JoeySpecials moved = joey.specials;
        moved.eosId = 5;
        QVERIFY(errorOf([&] { joeyVocabulary("x\n", moved, "v"); }).find("'</s>' has id 3") != std::string::npos);
    }

    void joeyModelTensors()
    {
        const std::string dir = joeyDir("lstm-luong-last-2layers");
        const JoeyConfig joey = joeyConfigFromYaml(readText(dir + "/config.yaml"), "config.yaml");
        const auto source = joeyVocabulary(readText(dir + "/src_vocab.txt"), joey.specials, "s");
        const auto target = joeyVocabulary(readText(dir + "/trg_vocab.txt"), joey.specials, "t");
        StateDict state = stateDictFor(joey.config, int64_t(source.size()), int64_t(target.size()),
                                       [](const std::string &n) { return joeyTensorName(n, Score::Bilinear); });
        QVERIFY(state.count("decoder.attention.key_layer.weight"));
        const ModelFile model = joeyModel(joey, source, target, state, "200.ckpt");
        QVERIFY(model.tensors.count("decoder.attention.linear.weight"));
        QCOMPARE(model.tensors.at("decoder.out.weight").shape, (std::vector<int64_t>{int64_t(target.size()), 8}));

        StateDict missing = state;
        missing.erase("decoder.att_vector_layer.bias");
        QVERIFY(errorOf([&] { joeyModel(joey, source, target, missing, "200.ckpt"); })
                    .find("model_state has no tensor 'decoder.att_vector_layer.bias'") != std::string::npos);
        StateDict extra = state;
        extra["decoder.bridge_layer.weight"] = state.at("decoder.att_vector_layer.bias");
        QVERIFY(errorOf([&] { joeyModel(joey, source, target, extra, "200.ckpt"); })
                    .find("'decoder.bridge_layer.weight' that the configuration does not explain") != std::string::npos);
    }

    void joeyRefusals_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QByteArray>("message");
        const auto rnn = [](const char *encoder, const char *bidirectional, const char *decoder,
                            const char *attention, const char *level) {
            return QByteArray::fromStdString(std::string("model:\n  encoder: {type: ") + encoder
                                          + ", hidden_size: 4, bidirectional: " + bidirectional
                                          + "}\n  decoder: {type: " + decoder + ", hidden_size: 4, attention: "
                                          + attention + "}\ndata: {src: {level: " + level
                                          + "}, trg: {level: word}}\n");
        };
        QTest::addRow("transformer encoder") << rnn("transformer", "true", "recurrent", "bahdanau", "word")
                                             << QByteArray("model.encoder.type 'transformer' with model.decoder.type 'recurrent': attnviz runs a recurrent or a transformer encoder-decoder, not the two mixed");
        QTest::addRow("default decoder is a transformer")
            << QByteArray("model:\n  encoder: {hidden_size: 4}\n  decoder: {hidden_size: 4}\n")
            << QByteArray("model.encoder.type 'recurrent' with model.decoder.type 'transformer': attnviz runs a recurrent or a transformer encoder-decoder, not the two mixed");
        QTest::addRow("one direction") << rnn("recurrent", "false", "recurrent", "bahdanau", "word")
                                       << QByteArray("model.encoder.bidirectional false");
        QTest::addRow("bpe without a model") << rnn("recurrent", "true", "recurrent", "bahdanau", "bpe")
                                             << QByteArray("data.src.tokenizer_cfg.model_file is missing");
        QTest::addRow("unknown level") << rnn("recurrent", "true", "recurrent", "bahdanau", "morpheme")
                                       << QByteArray("data.src.level 'morpheme': unknown");
        QTest::addRow("unknown tokenizer") << rnn("recurrent", "true", "recurrent", "bahdanau", "bpe, tokenizer_type: wordpiece")
                                           << QByteArray("data.src.tokenizer_type 'wordpiece': unknown");
        QTest::addRow("moses") << rnn("recurrent", "true", "recurrent", "bahdanau", "word, tokenizer_cfg: {pretokenizer: moses}")
                               << QByteArray("data.src.tokenizer_cfg.pretokenizer 'moses': Moses pre-tokenization");
        QTest::addRow("attention") << rnn("recurrent", "true", "recurrent", "multihead", "word")
                                   << QByteArray("model.decoder.attention: unknown value 'multihead'");
        QTest::addRow("not yaml") << QByteArray("model: [unclosed") << QByteArray("not a YAML file");
        QTest::addRow("no model") << QByteArray("data: {}\n") << QByteArray("model: missing");
    }

    void joeyRefusals()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QByteArray, message);
        const std::string error = errorOf([&] { joeyConfigFromYaml(yaml.toStdString(), "config.yaml"); });
        QVERIFY2(error.rfind("config.yaml: ", 0) == 0 && error.find(message.toStdString()) != std::string::npos,
                 error.c_str());
    }

    void joeyVersion1()
    {
        // Joey 1.x: data.src is the language; no forbidden tokens; max_output_length in training.
        const JoeyConfig joey = joeyConfigFromYaml(
            "data: {src: de, trg: en, level: word, lowercase: false, src_vocab: v/src.txt}\n"
            "training: {max_output_length: 30}\n"
            "model:\n  encoder: {rnn_type: lstm, hidden_size: 4, embeddings: {embedding_dim: 3}}\n"
            "  decoder: {type: recurrent, rnn_type: lstm, hidden_size: 4, attention: luong, init_hidden: zero,"
            " embeddings: {embedding_dim: 3}}\n",
            "config.yaml");
        QVERIFY(joey.version1);
        QCOMPARE(joey.sourceVocabFile, std::string("v/src.txt"));
        QVERIFY(joey.config.search.neverGenerate.empty());
        QCOMPARE(joey.config.search.minLength, 0);
        QCOMPARE(defaultMaxLength(joey.config, 4, 3), 30);
        QCOMPARE(joey.config.sourceLanguage, std::string("de"));
    }

    void onmtConfigs_data()
    {
        QTest::addColumn<QByteArray>("encoder");
        QTest::addColumn<QByteArray>("cell");
        QTest::addColumn<int>("layers");
        QTest::addColumn<QByteArray>("attention");
        QTest::addColumn<int>("inputFeed");
        QTest::addColumn<bool>("bridge");
        // the six cases of tests/data/onmt
        QTest::addRow("lstm-general-feed") << QByteArray("rnn") << QByteArray("LSTM") << 1 << QByteArray("general") << 1 << false;
        QTest::addRow("brnn-gru-dot-bridge") << QByteArray("brnn") << QByteArray("GRU") << 2 << QByteArray("dot") << 1 << true;
        QTest::addRow("brnn-lstm-mlp-nofeed") << QByteArray("brnn") << QByteArray("LSTM") << 1 << QByteArray("mlp") << 0 << false;
        QTest::addRow("lstm-general-bridge") << QByteArray("rnn") << QByteArray("LSTM") << 2 << QByteArray("general") << 1 << true;
        QTest::addRow("gru-mlp-nofeed-3layers") << QByteArray("rnn") << QByteArray("GRU") << 3 << QByteArray("mlp") << 0 << false;
        QTest::addRow("brnn-lstm-general-bridge") << QByteArray("brnn") << QByteArray("LSTM") << 2 << QByteArray("general") << 1 << true;
    }

    void onmtConfigs()
    {
        QFETCH(QByteArray, encoder);
        QFETCH(QByteArray, cell);
        QFETCH(int, layers);
        QFETCH(QByteArray, attention);
        QFETCH(int, inputFeed);
        QFETCH(bool, bridge);
        const ModelConfig c = onmtConfig(onmtOptions(encoder.toStdString(), cell.toStdString(), layers,
                                                     attention.toStdString(), inputFeed, bridge),
                                         "model_step_100.pt");
        const bool brnn = encoder == "brnn";
        QCOMPARE(c.encoder.bidirectional, brnn);
        QCOMPARE(c.encoder.hiddenSize, brnn ? 4 : 8);
        QCOMPARE(c.annotationSize(), 8);
        QCOMPARE(c.encoder.layers, layers);
        QCOMPARE(int(c.decoder.cell), int(cell == "GRU" ? Cell::Gru : Cell::Lstm));
        QCOMPARE(c.decoder.input == DecoderInput::InputFeeding, inputFeed == 1);
        QCOMPARE(int(c.decoder.init), int(bridge ? InitRule::OnmtBridge : InitRule::Final));
        QCOMPARE(int(c.decoder.attentional), int(Attentional::ContextState));
        const bool mlp = attention == "mlp";
        QCOMPARE(int(c.attention.score), int(mlp ? Score::Additive : attention == "dot" ? Score::Dot : Score::General));
        QCOMPARE(int(c.decoder.attentionalActivation), int(mlp ? Activation::Identity : Activation::Tanh));
        QCOMPARE(c.decoder.attentionalBias, mlp);
        QVERIFY(!c.sourceEos);
        QCOMPARE(c.sosToken, std::string("<s>"));
        QVERIFY(c.search.neverGenerate.empty());
        QCOMPARE(defaultMaxLength(c, 3, 3), 8);     // int(min(250, 3 x 1.25 + 5))
        QCOMPARE(defaultMaxLength(c, 400, 400), 250);
    }

    void onmtRefusals_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QByteArray>("value"); // JSON
        QTest::addColumn<QByteArray>("message");
        QTest::addRow("copy") << QByteArray("copy_attn") << QByteArray("true") << QByteArray("opt.copy_attn true: copy attention is not supported");
        QTest::addRow("coverage") << QByteArray("coverage_attn") << QByteArray("true") << QByteArray("opt.coverage_attn true");
        QTest::addRow("context gate") << QByteArray("context_gate") << QByteArray("\"both\"") << QByteArray("opt.context_gate 'both'");
        QTest::addRow("sparsemax") << QByteArray("global_attention_function") << QByteArray("\"sparsemax\"")
                                   << QByteArray("opt.global_attention_function 'sparsemax'");
        QTest::addRow("sru") << QByteArray("rnn_type") << QByteArray("\"SRU\"") << QByteArray("opt.rnn_type 'SRU'");
        QTest::addRow("transformer") << QByteArray("encoder_type") << QByteArray("\"transformer\"") << QByteArray("opt.encoder_type 'transformer': not supported yet (attnviz runs the rnn and brnn encoders)");
        QTest::addRow("transformer decoder") << QByteArray("decoder_type") << QByteArray("\"transformer\"") << QByteArray("opt.decoder_type 'transformer'");
        QTest::addRow("features") << QByteArray("n_src_feats") << QByteArray("2") << QByteArray("opt.n_src_feats 2: source features are not supported");
        QTest::addRow("position") << QByteArray("position_encoding") << QByteArray("true") << QByteArray("opt.position_encoding true");
        QTest::addRow("no attention") << QByteArray("global_attention") << QByteArray("\"none\"") << QByteArray("opt.global_attention 'none'");
        QTest::addRow("language model") << QByteArray("model_task") << QByteArray("\"lm\"") << QByteArray("opt.model_task 'lm'");
        QTest::addRow("odd brnn") << QByteArray("enc_hid_size") << QByteArray("7") << QByteArray("must be even");
    }

    void onmtRefusals()
    {
        QFETCH(QByteArray, field);
        QFETCH(QByteArray, value);
        QFETCH(QByteArray, message);
        json opt = onmtOptions(field == "enc_hid_size" ? "brnn" : "rnn", "LSTM", 1, "general", 1, false);
        opt[field.toStdString()] = json::parse(value.toStdString());
        const std::string error = errorOf([&] { onmtConfig(opt, "m.pt"); });
        QVERIFY2(error.rfind("m.pt: ", 0) == 0 && error.find(message.toStdString()) != std::string::npos,
                 error.c_str());
    }

    void onmtTensors()
    {
        // Input feeding: the StackedLSTM's layers; a bidirectional bridge: diag(W, W).
        const ModelConfig c = onmtConfig(onmtOptions("brnn", "LSTM", 2, "general", 1, true), "m.pt");
        const auto rename = [](const std::string &n) -> std::string {
            if (n == "encoder.embedding.weight")
                return "encoder.embeddings.make_embedding.emb_luts.0.weight";
            if (n == "decoder.embedding.weight")
                return "decoder.embeddings.make_embedding.emb_luts.0.weight";
            if (n.rfind("decoder.rnn.", 0) == 0) {
                const std::string rest = n.substr(12);
                return "decoder.rnn.layers." + rest.substr(rest.rfind("_l") + 2) + "." + rest.substr(0, rest.rfind("_l"));
            }
            if (n == "decoder.attention.linear.weight")
                return "decoder.attn.linear_in.weight";
            if (n.rfind("decoder.attentional.", 0) == 0)
                return "decoder.attn.linear_out." + n.substr(20);
            if (n.rfind("decoder.out.", 0) == 0)
                return "generator." + n.substr(12);
            if (n.rfind("decoder.bridge_cell.", 0) == 0)
                return "encoder.bridge.1." + n.substr(20);
            if (n.rfind("decoder.bridge.", 0) == 0)
                return "encoder.bridge.0." + n.substr(15);
            return n;
        };
        StateDict state = stateDictFor(c, 5, 6, rename);
        // OpenNMT's own bridge is [L He, L He] = [8, 8], not the family's [16, 16].
        for (const char *kind : {"0", "1"}) {
            Tensor w;
            w.shape = {8, 8};
            std::vector<float> values(64);
            for (int i = 0; i < 64; ++i)
                values[i] = float(i);
            w.values = FloatBuffer(values);
            Tensor b;
            b.shape = {8};
            b.values = FloatBuffer(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
            state["encoder.bridge." + std::string(kind) + ".weight"] = w;
            state["encoder.bridge." + std::string(kind) + ".bias"] = b;
        }
        const std::vector<std::string> src = {"<unk>", "<blank>", "<s>", "</s>", "a"};
        const std::vector<std::string> tgt = {"<unk>", "<blank>", "<s>", "</s>", "b", "c"};
        const ModelFile model = onmtModel(c, src, tgt, state, "m.pt");
        const Tensor &bridge = model.tensors.at("decoder.bridge.weight");
        QCOMPARE(bridge.shape, (std::vector<int64_t>{16, 16}));
        QCOMPARE(bridge.values[1 * 16 + 2], 10.0f);           // W[1][2] in the top-left block
        QCOMPARE(bridge.values[(8 + 1) * 16 + 8 + 2], 10.0f); // and in the bottom-right one
        QCOMPARE(bridge.values[1 * 16 + 8 + 2], 0.0f);        // zero off the diagonal
        QCOMPARE(model.tensors.at("decoder.bridge_cell.bias").values[12], 5.0f);
        QVERIFY(model.tensors.count("decoder.rnn.weight_ih_l1"));
    }

    void searchRules()
    {
        // The tiny model's greedy output, then the same with its first token forbidden and with
        // EOS forbidden at the first step.
        ModelFile file = loadModelFile(ATTNVIZ_TEST_DATA_DIR "/tiny.json");
        const auto greedy = [](const ModelFile &f) {
            return translate(Model(f), "i am cold", DecodeOptions{}).hypotheses.front().targetTokens;
        };
        const std::vector<std::string> plain = greedy(file);
        QVERIFY(!plain.empty());
        ModelFile forbidding = file;
        forbidding.config.search.neverGenerate = {plain.front()};
        for (const std::string &token : greedy(forbidding))
            QVERIFY(token != plain.front());
        ModelFile late = file;
        late.config.search.minLength = 3;
        const std::vector<std::string> lateTokens = greedy(late);
        for (size_t i = 0; i < std::min<size_t>(3, lateTokens.size()); ++i)
            QVERIFY(lateTokens[i] != "EOS");
        // A token that is not in the target vocabulary is refused by name.
        ModelFile unknown = file;
        unknown.config.search.neverGenerate = {"<pad>"};
        QVERIFY(errorOf([&] { validateModel(unknown, "m"); }).find("search.never_generate") != std::string::npos);
    }

    void searchConfigRoundTrip()
    {
        ModelConfig c = onmtConfig(onmtOptions("rnn", "GRU", 1, "dot", 0, false), "m");
        c.search.neverGenerate = {"<s>"};
        c.search.minLength = 2;
        c.normalization = Normalization::Lowercase;
        const json j = configToJson(c);
        QCOMPARE(j["search"]["max_length_ratio"].get<double>(), 1.25);
        QCOMPARE(j["normalization"].get<std::string>(), std::string("lowercase"));
        const ModelConfig back = configFromJson(j, "m");
        QCOMPARE(back.search.neverGenerate, c.search.neverGenerate);
        QCOMPARE(back.search.minLength, 2);
        QCOMPARE(back.search.maxLengthCap, 250);
        QCOMPARE(back.search.maxLengthOffset, 5);
        QCOMPARE(int(back.normalization), int(Normalization::Lowercase));
        json bad = j;
        bad["search"]["min_length"] = -1;
        QVERIFY(errorOf([&] { configFromJson(bad, "m"); }).find("'search.min_length' must be an integer") != std::string::npos);
        QVERIFY(!configToJson(bahdanauConfig(2)).contains("search"));
    }

    // The PyTorch chatbot tutorial's .tar, written by its own trainIters, opened by the front
    // door and compared with the tutorial's own decoder (tools/make_chatbot_fixtures.py).
    void chatbotGolden_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<int>("score");
        QTest::addColumn<int>("encoderLayers");
        QTest::addColumn<int>("decoderLayers");
        QTest::addRow("dot") << QByteArray("dot-2layers") << int(Score::Dot) << 2 << 2;
        QTest::addRow("general") << QByteArray("general-1layer") << int(Score::Bilinear) << 1 << 1;
        QTest::addRow("concat") << QByteArray("concat-2-1layers") << int(Score::Concat) << 2 << 1;
    }

    void chatbotGolden()
    {
        QFETCH(QByteArray, name);
        QFETCH(int, score);
        QFETCH(int, encoderLayers);
        QFETCH(int, decoderLayers);
        const std::string dir = ATTNVIZ_TEST_DATA_DIR "/chatbot/" + name.toStdString();
        const ImportedModel imported = openModel(dir + "/1_checkpoint.tar");
        QCOMPARE(imported.report.toolkit, std::string("PyTorch chatbot tutorial"));
        std::vector<std::string> ignored = imported.report.ignored;
        std::sort(ignored.begin(), ignored.end());
        QCOMPARE(ignored.size(), size_t(5));
        for (size_t i = 0; i < ignored.size(); ++i) // de_opt, embedding, en_opt, iteration, loss
            QVERIFY2(ignored[i].rfind(std::vector<std::string>{"de_opt", "embedding", "en_opt", "iteration", "loss"}[i], 0) == 0,
                     ignored[i].c_str());
        const ModelConfig &c = imported.model.config;
        QCOMPARE(int(c.attention.score), score);
        QCOMPARE(c.encoder.layers, encoderLayers);
        QCOMPARE(c.decoder.layers, decoderLayers);
        QVERIFY(c.encoder.bidirectional);
        QCOMPARE(int(c.encoder.merge), int(DirectionMerge::Sum));
        QCOMPARE(int(c.decoder.init), int(InitRule::FirstLayers));
        QCOMPARE(imported.model.sourceVocab, imported.model.targetVocab);
        QCOMPARE(imported.model.sourceVocab.front(), std::string("PAD"));
        const json golden = json::parse(readText(dir + "/golden.json"));
        QCOMPARE(c.encoder.hiddenSize, golden["hidden_size"].get<int>());
        compareWithGolden(Model(imported.model), golden);
    }

    void chatbotRefusals()
    {
        const TorchFile file = TorchFile::open(ATTNVIZ_TEST_DATA_DIR "/chatbot/dot-2layers/1_checkpoint.tar");
        QVERIFY(isChatbotCheckpoint(file));
        QVERIFY(!isOnmtCheckpoint(file));
        // The same weights with a voc_dict that lacks a word: the counts are named.
        QCOMPARE(errorOf([] { openModel(ATTNVIZ_TEST_DATA_DIR "/chatbot/bad-voc.tar"); }),
                 std::string(ATTNVIZ_TEST_DATA_DIR "/chatbot/bad-voc.tar: voc_dict['index2word'] has 18 words but "
                             "num_words is 19"));
        // A fuzzed num_words (2^24) over 19 words: refused before 2^24 strings are allocated, at once.
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(errorOf([] { openModel(ATTNVIZ_TEST_DATA_DIR "/chatbot/huge-voc.tar"); }),
                 std::string(ATTNVIZ_TEST_DATA_DIR "/chatbot/huge-voc.tar: voc_dict['index2word'] has 19 words but "
                             "num_words is 16777216"));
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        const TorchFile onmt = TorchFile::open(ATTNVIZ_TEST_DATA_DIR "/onmt/brnn-gru-dot-bridge/model_step_200.pt");
        QVERIFY(!isChatbotCheckpoint(onmt));
        QVERIFY(errorOf([&] { chatbotModel(onmt, "x.tar"); }).find("x.tar") != std::string::npos);
    }

    void lowercase()
    {
        // Python: '  ÄÖÜ İx ΣA\xff '.strip(' ').lower() == 'äöü i̇x σaÿ' (İ becomes i + U+0307)
        QCOMPARE(normalizeText("  \xc3\x84\xc3\x96\xc3\x9c \xc4\xb0x \xce\xa3" "A\xc3\xbf ", Normalization::Lowercase),
                 std::string("\xc3\xa4\xc3\xb6\xc3\xbc i\xcc\x87x \xcf\x83" "a\xc3\xbf"));
        QCOMPARE(normalizeText("Ab\xff", Normalization::Lowercase), std::string("ab\xff")); // invalid bytes kept
        QCOMPARE(normalizeText("\xc3\x84\xff\xc3\x96\xc0", Normalization::Lowercase), std::string("\xc3\xa4\xff\xc3\xb6\xc0"));
        // Python: 'ΟΔΟΣ ΣA'.lower() == 'οδος σa': a word's last sigma is final (ς), as in ICU.
        QCOMPARE(normalizeText("\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xa3" "A", Normalization::Lowercase),
                 std::string("\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xcf\x83" "a"));
    }
};

QTEST_GUILESS_MAIN(TestToolkitImport)
#include "tst_toolkitimport.moc"
