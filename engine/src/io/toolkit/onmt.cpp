// OpenNMT-py's checkpoint options, vocabularies and weights as a model of the family. The rules
// follow OpenNMT-py 3.5's own code (model_builder, encoders.RNNEncoder, decoders.decoder,
// modules.GlobalAttention, translate.Translator); docs/toolkits.md.
#include <attnviz/io/toolkit_import.h>

#include "io/load_helpers.h"
#include "io/toolkit/assemble.h"

#include <nlohmann/json.hpp>

namespace attnviz {

namespace {

using detail::throwModelError;

class OptReader
{
public:
    OptReader(const nlohmann::json &opt, const std::string &displayName)
        : m_opt(opt)
        , m_displayName(displayName)
    {
    }

    const nlohmann::json *find(const char *key) const
    {
        const auto it = m_opt.find(key);
        return it == m_opt.end() || it->is_null() ? nullptr : &*it;
    }

    std::string string(const char *key, const std::string &fallback) const
    {
        const nlohmann::json *v = find(key);
        if (!v)
            return fallback;
        if (!v->is_string())
            fail(key, "must be a string, found " + detail::describeJson(*v));
        return v->get<std::string>();
    }

    bool boolean(const char *key, bool fallback) const
    {
        const nlohmann::json *v = find(key);
        if (!v)
            return fallback;
        if (v->is_boolean())
            return v->get<bool>();
        if (v->is_number_integer())
            return v->get<int64_t>() != 0; // input_feed is an int option
        fail(key, "must be true or false, found " + detail::describeJson(*v));
    }

    // The first of the keys that is a positive integer (3.x names first, then 2.x ones).
    int size(std::initializer_list<const char *> keys) const
    {
        for (const char *key : keys) {
            const nlohmann::json *v = find(key);
            if (!v)
                continue;
            if (!v->is_number_integer() || v->get<int64_t>() > (1 << 20))
                fail(key, "must be an integer up to 1048576, found " + detail::describeJson(*v));
            if (v->get<int64_t>() > 0)
                return static_cast<int>(v->get<int64_t>());
        }
        std::string names;
        for (const char *key : keys)
            names += std::string(names.empty() ? "" : ", ") + "opt." + key;
        throwModelError(m_displayName, "the checkpoint's options give none of " + names);
    }

    [[noreturn]] void fail(const char *key, const std::string &message) const
    {
        throwModelError(m_displayName, "opt." + std::string(key) + " " + message);
    }

private:
    const nlohmann::json &m_opt;
    const std::string &m_displayName;
};

Cell onmtCell(const OptReader &opt)
{
    const std::string type = opt.string("rnn_type", "LSTM");
    if (type == "LSTM")
        return Cell::Lstm;
    if (type == "GRU")
        return Cell::Gru;
    opt.fail("rnn_type", "'" + type + "': attnviz runs LSTM and GRU cells, not " + type);
}

} // namespace

ModelConfig onmtConfig(const nlohmann::json &optJson, const std::string &displayName)
{
    if (!optJson.is_object())
        throwModelError(displayName, "the checkpoint's opt is not an options object but "
                                         + detail::describeJson(optJson));
    const OptReader opt(optJson, displayName);
    const std::string task = opt.string("model_task", "seq2seq");
    if (task != "seq2seq")
        opt.fail("model_task", "'" + task + "': only translation models (seq2seq) are supported");
    const std::string encoderType = opt.string("encoder_type", "rnn");
    if (encoderType != "rnn" && encoderType != "brnn")
        opt.fail("encoder_type", "'" + encoderType + "': not supported yet (attnviz runs the rnn and brnn encoders)");
    const std::string decoderType = opt.string("decoder_type", "rnn");
    if (decoderType != "rnn")
        opt.fail("decoder_type", "'" + decoderType + "': not supported yet (attnviz runs the rnn decoder)");
    // What changes the computation in ways the family does not have.
    if (opt.boolean("copy_attn", false))
        opt.fail("copy_attn", "true: copy attention is not supported");
    if (opt.boolean("coverage_attn", false))
        opt.fail("coverage_attn", "true: coverage attention is not supported");
    if (!opt.string("context_gate", "").empty())
        opt.fail("context_gate", "'" + opt.string("context_gate", "") + "': context gates are not supported");
    if (opt.boolean("position_encoding", false))
        opt.fail("position_encoding", "true: position encodings are not supported");
    if (const nlohmann::json *feats = opt.find("n_src_feats"); feats && feats->is_number_integer() && *feats > 0)
        opt.fail("n_src_feats", std::to_string(feats->get<int64_t>()) + ": source features are not supported");
    const std::string function = opt.string("global_attention_function", "softmax");
    if (function != "softmax")
        opt.fail("global_attention_function", "'" + function + "': only softmax attention is supported");

    ModelConfig c;
    EncoderConfig &e = c.encoder;
    DecoderConfig &d = c.decoder;
    AttentionConfig &a = c.attention;
    e.cell = d.cell = onmtCell(opt);
    // update_model_opts copies `layers` into enc_layers and dec_layers when it is set.
    e.layers = opt.size({"enc_layers", "layers"});
    d.layers = opt.size({"dec_layers", "layers"});
    if (e.layers > 64 || d.layers > 64)
        throwModelError(displayName, "opt.enc_layers / dec_layers: at most 64 layers are supported");
    e.bidirectional = encoderType == "brnn";
    const int encoderSize = opt.size({"enc_hid_size", "enc_rnn_size", "hidden_size", "rnn_size"});
    if (e.bidirectional && encoderSize % 2 != 0)
        opt.fail("enc_hid_size", std::to_string(encoderSize) + " must be even for a brnn encoder");
    e.hiddenSize = e.bidirectional ? encoderSize / 2 : encoderSize;
    e.merge = DirectionMerge::Concat;
    e.embeddingSize = opt.size({"src_word_vec_size", "word_vec_size"});
    d.hiddenSize = opt.size({"dec_hid_size", "dec_rnn_size", "hidden_size", "rnn_size"});
    d.embeddingSize = opt.size({"tgt_word_vec_size", "word_vec_size"});
    d.input = opt.boolean("input_feed", true) ? DecoderInput::InputFeeding : DecoderInput::Embedding;
    d.query = Query::Current;
    d.init = d.cellInit = opt.boolean("bridge", false) ? InitRule::OnmtBridge : InitRule::Final;
    d.attentional = Attentional::ContextState;
    d.outputBias = true;

    const std::string attention = opt.string("global_attention", "general");
    if (attention == "general" || attention == "dot") {
        a.score = attention == "dot" ? Score::Dot : Score::General;
        a.bias = false;
        d.attentionalActivation = Activation::Tanh;
        d.attentionalBias = false;
    } else if (attention == "mlp") {
        a.score = Score::Additive;
        a.hiddenSize = d.hiddenSize;
        a.queryBias = true;
        a.keyBias = a.energyBias = false;
        d.attentionalActivation = Activation::Identity;
        d.attentionalBias = true;
    } else if (attention == "none") {
        opt.fail("global_attention", "'none': a decoder without attention has nothing for attnviz to show");
    } else {
        opt.fail("global_attention", "'" + attention + "': unknown (OpenNMT-py knows dot, general and mlp)");
    }

    c.sosToken = "<s>";
    c.eosToken = "</s>";
    c.unkToken = "<unk>";
    c.sourceEos = false;
    c.normalization = Normalization::None;
    c.description = "OpenNMT-py model";
    // onmt_translate's defaults: -max_length 250, -max_length_ratio 1.25 over the source words
    // (+ 5), -min_length 0; every token may be picked.
    c.search.maxLengthRatio = 1.25;
    c.search.maxLengthOffset = 5;
    c.search.maxLengthCap = 250;
    checkConfig(c, displayName);
    return c;
}

ModelFile onmtModel(const ModelConfig &config, std::vector<std::string> sourceVocab,
                    std::vector<std::string> targetVocab, const StateDict &weights, const std::string &displayName)
{
    // The input-feeding decoder is a stack of cells (StackedLSTM / StackedGRU), the other an nn.LSTM / nn.GRU.
    const bool stacked = config.decoder.input == DecoderInput::InputFeeding;
    const bool bidirectional = config.encoder.bidirectional;
    const Score score = config.attention.score;
    const auto onmtName = [=](const std::string &name) -> detail::TensorSource {
        using detail::startsWith;
        if (name == "encoder.embedding.weight")
            return {"encoder.embeddings.make_embedding.emb_luts.0.weight"};
        if (name == "decoder.embedding.weight")
            return {"decoder.embeddings.make_embedding.emb_luts.0.weight"};
        if (startsWith(name, "decoder.out."))
            return {"generator." + name.substr(12)};
        if (startsWith(name, "decoder.attentional."))
            return {"decoder.attn.linear_out." + name.substr(20)};
        // OpenNMT's bridge is one Linear(L He, L He) per state kind, applied to each direction's
        // half of the stacked final states: the family's bridge with diag(W, W).
        if (startsWith(name, "decoder.bridge."))
            return {"encoder.bridge.0." + name.substr(15), bidirectional};
        if (startsWith(name, "decoder.bridge_cell."))
            return {"encoder.bridge.1." + name.substr(20), bidirectional};
        if (score == Score::General && name == "decoder.attention.linear.weight")
            return {"decoder.attn.linear_in.weight"};
        if (startsWith(name, "decoder.attention.query_layer."))
            return {"decoder.attn.linear_query." + name.substr(30)};
        if (name == "decoder.attention.key_layer.weight")
            return {"decoder.attn.linear_context.weight"};
        if (name == "decoder.attention.energy_layer.weight")
            return {"decoder.attn.v.weight"};
        if (stacked && startsWith(name, "decoder.rnn.")) {
            // weight_ih_l3 -> layers.3.weight_ih
            const std::string rest = name.substr(12);
            const size_t l = rest.rfind("_l");
            return {"decoder.rnn.layers." + rest.substr(l + 2) + "." + rest.substr(0, l)};
        }
        return {name};
    };
    return detail::assembleModel(config, std::move(sourceVocab), std::move(targetVocab), weights, onmtName,
                                 "the checkpoint", displayName);
}

} // namespace attnviz
