// Hugging Face Marian models (the opus-mt family): a folder with config.json, the weights
// (pytorch_model.bin or model.safetensors), vocab.json (and target_vocab.json when the
// vocabularies are separate) and the two SentencePiece models, read as MarianMTModel and
// MarianTokenizer of transformers 4.2x read them (docs/toolkits.md, "Marian").
#include <attnviz/io/sentencepiece.h>
#include <attnviz/io/toolkit_import.h>
#include <attnviz/io/torch_file.h>
#include <attnviz/layers/transformer.h>

#include "io/file_io.h"
#include "io/load_helpers.h"
#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>

namespace attnviz {

namespace fs = std::filesystem;

namespace {

using detail::throwModelError;

// config.json's keys with MarianConfig's defaults (transformers 4.2x), which differ from what
// opus-mt's files say: every key is read from the file when it is there.
class MarianKeys
{
public:
    MarianKeys(const nlohmann::json &json, const std::string &displayName)
        : m_json(json)
        , m_displayName(displayName)
    {
    }

    int count(const char *key, int fallback) const
    {
        const auto it = m_json.find(key);
        if (it == m_json.end() || it->is_null())
            return fallback;
        if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > (1 << 24))
            throwModelError(m_displayName, std::string(key) + " must be a whole number from 0 to 2^24, found "
                                               + it->dump());
        return static_cast<int>(it->get<int64_t>());
    }

    bool flag(const char *key, bool fallback) const
    {
        const auto it = m_json.find(key);
        if (it == m_json.end() || it->is_null())
            return fallback;
        if (!it->is_boolean())
            throwModelError(m_displayName, std::string(key) + " must be true or false, found " + it->dump());
        return it->get<bool>();
    }

    std::string text(const char *key, const std::string &fallback) const
    {
        const auto it = m_json.find(key);
        if (it == m_json.end() || it->is_null())
            return fallback;
        if (!it->is_string())
            throwModelError(m_displayName, std::string(key) + " must be a string, found " + it->dump());
        return it->get<std::string>();
    }

    const nlohmann::json *find(const char *key) const
    {
        const auto it = m_json.find(key);
        return it == m_json.end() ? nullptr : &*it;
    }

    [[noreturn]] void refuse(const std::string &message) const { throwModelError(m_displayName, message); }

private:
    const nlohmann::json &m_json;
    const std::string &m_displayName;
};

// vocab.json: {"piece": id, ...} with the ids 0 .. n-1, each once.
std::vector<std::string> marianVocabulary(const std::string &path)
{
    const nlohmann::json json = detail::parseJsonStrict(detail::readWholeFile(path), path, "vocabulary", nullptr, 1 << 22);
    if (!json.is_object())
        throwModelError(path, "a Marian vocabulary is a JSON object of piece: id, found " + detail::describeJson(json));
    std::vector<std::string> vocab(json.size());
    std::vector<bool> seen(json.size(), false);
    for (const auto &[piece, id] : json.items()) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= static_cast<int64_t>(json.size()))
            throwModelError(path, "piece '" + piece + "' has id " + id.dump() + "; the ids of " + std::to_string(json.size())
                                      + " pieces must run from 0 to " + std::to_string(json.size() - 1));
        const size_t index = static_cast<size_t>(id.get<int64_t>());
        if (seen[index])
            throwModelError(path, "id " + std::to_string(index) + " is given to '" + vocab[index] + "' and to '" + piece
                                      + "'");
        seen[index] = true;
        vocab[index] = piece;
    }
    return vocab;
}

// The token of an id config.json names.
std::string tokenOf(const std::vector<std::string> &vocab, int id, const char *key, const MarianKeys &keys)
{
    if (id < 0 || id >= static_cast<int>(vocab.size()))
        keys.refuse(std::string(key) + " is " + std::to_string(id) + ", outside the vocabulary of "
                    + std::to_string(vocab.size()) + " pieces");
    return vocab[id];
}

// HF's names -> the engine's, per layer part.
const std::pair<const char *, const char *> layerParts[] = {
    {"self_attn.q_proj", "self_attention.query"},
    {"self_attn.k_proj", "self_attention.key"},
    {"self_attn.v_proj", "self_attention.value"},
    {"self_attn.out_proj", "self_attention.output"},
    {"self_attn_layer_norm", "self_attention_norm"},
    {"encoder_attn.q_proj", "cross_attention.query"},
    {"encoder_attn.k_proj", "cross_attention.key"},
    {"encoder_attn.v_proj", "cross_attention.value"},
    {"encoder_attn.out_proj", "cross_attention.output"},
    {"encoder_attn_layer_norm", "cross_attention_norm"},
    {"fc1", "feed_forward.input"},
    {"fc2", "feed_forward.output"},
    {"final_layer_norm", "feed_forward_norm"},
};

// A tensor of the state dict under the engine's name; nothing for what the engine computes
// itself (the sinusoidal tables) or holds once (tied copies of the embedding).
std::optional<std::string> engineName(const std::string &name, const TransformerConfig &t)
{
    static const std::regex layer(R"((encoder|decoder)\.layers\.(\d+)\.(.+)\.(weight|bias))");
    const std::string body = name.rfind("model.", 0) == 0 ? name.substr(6) : name;
    std::smatch m;
    if (std::regex_match(body, m, layer)) {
        for (const auto &[from, to] : layerParts) {
            if (m[3] == from)
                return m[1].str() + ".layers." + m[2].str() + "." + to + "." + m[4].str();
        }
        return std::nullopt; // reported by the caller as unknown
    }
    if (body == "encoder.embed_positions.weight" || body == "decoder.embed_positions.weight")
        return std::string(); // read by usePositionTables
    if (t.sharedEmbeddings) {
        if (body == "shared.weight")
            return std::string("encoder.embedding.weight");
        if (body == "encoder.embed_tokens.weight" || body == "decoder.embed_tokens.weight")
            return std::string(); // the same table as shared
    } else {
        if (body == "encoder.embed_tokens.weight")
            return std::string("encoder.embedding.weight");
        if (body == "decoder.embed_tokens.weight")
            return std::string("decoder.embedding.weight");
        if (body == "shared.weight")
            return std::string();
    }
    if (name == "lm_head.weight")
        return t.tiedOutput ? std::string() : std::string("decoder.output.weight");
    if (name == "final_logits_bias")
        return std::string("decoder.output.bias");
    return std::nullopt;
}

std::string shapeText(const std::vector<int64_t> &shape)
{
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// MarianMTModel's position tables are parameters that save_pretrained leaves out
// (MarianSinusoidalPositionalEmbedding makes them), but files written by older releases may hold them, and
// from_pretrained then uses what is stored. A stored table equal to the sinusoid changes
// nothing; any other table is read as the model's stored positions (the side without one keeps
// the sinusoid), so that the numbers stay those of MarianMTModel.
void usePositionTables(ModelFile &model, const StateDict &weights, const std::string &weightsPath)
{
    TransformerConfig &t = model.config.transformer;
    std::map<std::string, const Tensor *> stored;
    int64_t rows = -1;
    for (const char *side : {"encoder", "decoder"}) {
        const std::string name = std::string("model.") + side + ".embed_positions.weight";
        auto it = weights.find(name);
        if (it == weights.end())
            it = weights.find(name.substr(6));
        if (it == weights.end())
            continue;
        const Tensor &table = it->second;
        if (table.shape.size() != 2 || table.shape[1] != t.modelSize || table.shape[0] < 1)
            throwModelError(weightsPath, "tensor '" + it->first + "' has shape " + shapeText(table.shape)
                                             + ", expected [max_position_embeddings, " + std::to_string(t.modelSize) + "]");
        if (rows >= 0 && table.shape[0] != rows)
            throwModelError(weightsPath, "the encoder's and the decoder's embed_positions tables differ in length ("
                                             + std::to_string(rows) + " and " + std::to_string(table.shape[0]) + " rows)");
        rows = table.shape[0];
        stored[side] = &table;
    }
    if (stored.empty())
        return;
    const MatrixRM sinusoid = sinusoidalPositions(static_cast<int>(rows), t.modelSize, Positions::Halves);
    bool generated = true;
    for (const auto &[side, table] : stored) {
        for (Eigen::Index i = 0; i < sinusoid.size() && generated; ++i)
            generated = std::abs(table->values[static_cast<size_t>(i)] - sinusoid.data()[i]) <= 1e-6f;
    }
    if (generated)
        return;
    t.positions = Positions::Learned;
    t.maxPositions = static_cast<int>(rows);
    for (const char *side : {"encoder", "decoder"}) {
        Tensor &target = model.tensors[std::string(side) + ".positions.weight"];
        if (const auto it = stored.find(side); it != stored.end()) {
            target = *it->second;
        } else {
            target.shape = {rows, t.modelSize};
            target.values = FloatBuffer(std::vector<float>(sinusoid.data(), sinusoid.data() + sinusoid.size()));
        }
    }
}

} // namespace

bool isMarianFolder(const std::string &path)
{
    std::error_code error;
    const fs::path dir(path);
    if (!fs::is_directory(dir, error) || !fs::is_regular_file(dir / "config.json", error))
        return false;
    try {
        const nlohmann::json config = nlohmann::json::parse(detail::readWholeFile((dir / "config.json").string()));
        return config.is_object() && config.value("model_type", std::string()) == "marian";
    } catch (const std::exception &) {
        return false;
    }
}

ModelConfig marianConfig(const nlohmann::json &json, const std::vector<std::string> &sourceVocab,
                         const std::vector<std::string> &targetVocab, const std::string &displayName)
{
    const MarianKeys keys(json, displayName);
    ModelConfig config;
    config.family = Family::Transformer;
    TransformerConfig &t = config.transformer;
    t.toolkit = "marian";
    t.modelSize = keys.count("d_model", 1024);
    t.encoderLayers = keys.count("encoder_layers", 12);
    t.decoderLayers = keys.count("decoder_layers", 12);
    t.heads = keys.count("encoder_attention_heads", 16);
    if (keys.count("decoder_attention_heads", 16) != t.heads)
        keys.refuse("decoder_attention_heads (" + std::to_string(keys.count("decoder_attention_heads", 16))
                    + ") differs from encoder_attention_heads (" + std::to_string(t.heads)
                    + "): attnviz reads transformers with one head count");
    t.feedForwardSize = keys.count("encoder_ffn_dim", 4096);
    if (keys.count("decoder_ffn_dim", 4096) != t.feedForwardSize)
        keys.refuse("decoder_ffn_dim differs from encoder_ffn_dim: attnviz reads transformers with one feed-forward size");
    const std::string activation = keys.text("activation_function", "gelu");
    if (activation == "swish" || activation == "silu")
        t.activation = FeedForwardActivation::Swish;
    else if (activation == "gelu")
        t.activation = FeedForwardActivation::Gelu;
    else if (activation == "relu")
        t.activation = FeedForwardActivation::Relu;
    else
        keys.refuse("activation_function '" + activation + "' is not supported (swish, silu, gelu or relu)");
    // MarianMTModel: post-norm (normalize_before, add_final_layer_norm and normalize_embedding
    // of old opus-mt files are not read by its code), torch.nn.LayerNorm's epsilon.
    t.encoderNorm = t.decoderNorm = NormPosition::Post;
    t.encoderFinalNorm = t.decoderFinalNorm = false;
    t.normEpsilon = 1e-5;
    t.positions = Positions::Halves;
    t.embeddingScale = keys.flag("scale_embedding", false);
    t.attentionBias = t.feedForwardBias = true;
    t.sharedEmbeddings = keys.flag("share_encoder_decoder_embeddings", true);
    t.tiedOutput = keys.flag("tie_word_embeddings", true);
    t.outputBias = true;
    const int vocabSize = keys.count("vocab_size", 58101);
    if (vocabSize != static_cast<int>(sourceVocab.size()))
        keys.refuse("vocab_size is " + std::to_string(vocabSize) + ", but the vocabulary has "
                    + std::to_string(sourceVocab.size()) + " pieces");
    if (!t.sharedEmbeddings && keys.find("decoder_vocab_size")
        && keys.count("decoder_vocab_size", vocabSize) != static_cast<int>(targetVocab.size()))
        keys.refuse("decoder_vocab_size is " + std::to_string(keys.count("decoder_vocab_size", vocabSize))
                    + ", but the target vocabulary has " + std::to_string(targetVocab.size()) + " pieces");
    for (const char *unsupported : {"add_cross_attention"}) {
        if (keys.flag(unsupported, false))
            keys.refuse(std::string(unsupported) + " is not supported");
    }
    const int pad = keys.count("pad_token_id", 58100);
    const int eos = keys.count("eos_token_id", 0);
    const int start = keys.count("decoder_start_token_id", pad);
    config.sosToken = tokenOf(targetVocab, start, "decoder_start_token_id", keys);
    config.eosToken = tokenOf(targetVocab, eos, "eos_token_id", keys);
    if (sourceVocab[eos] != config.eosToken)
        keys.refuse("eos_token_id " + std::to_string(eos) + " is '" + sourceVocab[eos] + "' in the source vocabulary but '"
                    + config.eosToken + "' in the target's");
    if (std::find(sourceVocab.begin(), sourceVocab.end(), "<unk>") != sourceVocab.end()
        && std::find(targetVocab.begin(), targetVocab.end(), "<unk>") != targetVocab.end())
        config.unkToken = "<unk>";
    config.sourceEos = true; // MarianTokenizer appends </s>
    config.normalization = Normalization::None;
    // generate()'s rules from config.json: bad_words_ids of one token are never picked.
    if (const nlohmann::json *bad = keys.find("bad_words_ids"); bad && bad->is_array()) {
        for (const nlohmann::json &words : *bad) {
            if (words.is_array() && words.size() == 1 && words[0].is_number_integer())
                config.search.neverGenerate.push_back(
                    tokenOf(targetVocab, words[0].get<int>(), "bad_words_ids", keys));
        }
    }
    // generate(): max_length counts the start token; forced_eos_token_id makes the last step EOS;
    // beam search is BeamSearchScorer's with length_penalty.
    config.search.maxLengthOffset = std::max(1, keys.count("max_length", 20) - 1);
    config.search.forcedEos = keys.find("forced_eos_token_id") && keys.count("forced_eos_token_id", -1) == eos;
    config.search.beamRule = BeamRule::HuggingFace;
    if (const nlohmann::json *penalty = keys.find("length_penalty")) {
        if (!penalty->is_number())
            keys.refuse("length_penalty must be a number, found " + penalty->dump());
        config.search.lengthPenalty = penalty->get<double>();
    } else {
        config.search.lengthPenalty = 1.0;
    }
    config.name = keys.text("_name_or_path", "");
    checkConfig(config, displayName);
    return config;
}

ModelFile openMarianModel(const std::string &path)
{
    const fs::path dir(path);
    const std::string configPath = (dir / "config.json").string();
    const nlohmann::json json = detail::parseJsonStrict(detail::readWholeFile(configPath), configPath, "config");
    if (!json.is_object())
        throwModelError(configPath, "must be a JSON object, found " + detail::describeJson(json));
    const auto need = [&](const char *name) {
        const fs::path file = dir / name;
        if (!fs::is_regular_file(file))
            throwModelError(path, std::string("a Marian model folder, but ") + name
                                      + " is missing (an opus-mt folder holds config.json, pytorch_model.bin or "
                                        "model.safetensors, vocab.json, source.spm and target.spm)");
        return file.string();
    };
    // The tokenizer's files. A Hugging Face Trainer checkpoint (output_dir/checkpoint-500) holds
    // them only when the Trainer was given the tokenizer; else they are in output_dir, beside it.
    const auto needTokenizer = [&](const char *name) {
        const fs::path file = dir / name;
        const fs::path parent = dir.has_filename() ? dir.parent_path() : dir.parent_path().parent_path();
        const std::string folder = (dir.has_filename() ? dir : dir.parent_path()).filename().string();
        if (!fs::is_regular_file(file) && folder.rfind("checkpoint-", 0) == 0 && fs::is_regular_file(parent / name))
            return (parent / name).string();
        if (!fs::is_regular_file(file) && folder.rfind("checkpoint-", 0) == 0)
            throwModelError(path, std::string("a Hugging Face Trainer checkpoint, but ") + name
                                      + " is in neither this folder nor the output folder above it ("
                                      + parent.string() + ")");
        return need(name);
    };
    std::vector<std::string> source = marianVocabulary(needTokenizer("vocab.json"));
    std::vector<std::string> target = source;
    const bool shared = MarianKeys(json, configPath).flag("share_encoder_decoder_embeddings", true);
    if (!shared)
        target = marianVocabulary(needTokenizer("target_vocab.json"));
    ModelFile model;
    model.config = marianConfig(json, source, target, configPath);
    model.sourceVocab = std::move(source);
    model.targetVocab = std::move(target);

    StateDict weights;
    std::string weightsPath;
    if (fs::is_regular_file(dir / "model.safetensors")) {
        weightsPath = (dir / "model.safetensors").string();
        weights = detail::readSafetensors(detail::FileSource(weightsPath), weightsPath).tensors;
    } else {
        weightsPath = need("pytorch_model.bin");
        const TorchFile file = TorchFile::open(weightsPath);
        weights = collectTensors(file, file.root());
    }
    for (auto &[name, tensor] : weights) {
        const std::optional<std::string> mapped = engineName(name, model.config.transformer);
        if (!mapped)
            throwModelError(weightsPath, "tensor '" + name + "' is not part of a MarianMTModel attnviz reads");
        if (mapped->empty())
            continue;
        if (*mapped == "decoder.output.bias" && tensor.shape.size() == 2 && tensor.shape[0] == 1)
            tensor.shape.erase(tensor.shape.begin()); // final_logits_bias [1, V]
        model.tensors[*mapped] = std::move(tensor);
    }
    usePositionTables(model, weights, weightsPath);
    TokenizerRecord record;
    record.source.kind = record.target.kind = TokenizerKind::SentencePiece;
    record.source.sentencePieceModel = detail::readWholeFile(needTokenizer("source.spm"));
    record.target.sentencePieceModel = detail::readWholeFile(needTokenizer("target.spm"));
    model.tokenizer = std::move(record);
    validateModel(model, weightsPath);
    return model;
}

} // namespace attnviz
