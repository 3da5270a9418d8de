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

// The tokens and onmt_translate's defaults, for every architecture.
void onmtTokens(ModelConfig &c)
{
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
    // onmt_translate's beam: BeamSearch with GNMTGlobalScorer, -length_penalty avg, -alpha 1.
    c.search.beamRule = BeamRule::Onmt;
    c.search.lengthPenalty = 1.0;
}

// encoders.TransformerEncoder and decoders.TransformerDecoder (modules.MultiHeadedAttention,
// PositionwiseFeedForward, PositionalEncoding): pre-norm with a final layer norm.
ModelConfig onmtTransformer(const OptReader &opt, const std::string &displayName)
{
    ModelConfig c;
    c.family = Family::Transformer;
    TransformerConfig &t = c.transformer;
    t.toolkit = "onmt";
    t.encoderLayers = opt.size({"enc_layers", "layers"});
    t.decoderLayers = opt.size({"dec_layers", "layers"});
    if (t.encoderLayers > 64 || t.decoderLayers > 64)
        throwModelError(displayName, "opt.enc_layers / dec_layers: at most 64 layers are supported");
    t.modelSize = opt.size({"hidden_size", "rnn_size", "enc_hid_size"});
    for (const char *key : {"enc_hid_size", "dec_hid_size", "word_vec_size", "src_word_vec_size", "tgt_word_vec_size"}) {
        if (const nlohmann::json *v = opt.find(key); v && v->is_number_integer() && v->get<int64_t>() > 0
                                                       && v->get<int64_t>() != t.modelSize)
            opt.fail(key, std::to_string(v->get<int64_t>()) + " differs from opt.hidden_size ("
                              + std::to_string(t.modelSize) + "): a transformer has one size");
    }
    t.heads = opt.size({"heads"});
    if (t.modelSize % t.heads != 0)
        opt.fail("heads", std::to_string(t.heads) + " does not divide opt.hidden_size (" + std::to_string(t.modelSize) + ")");
    t.feedForwardSize = opt.size({"transformer_ff"});
    t.encoderNorm = t.decoderNorm = NormPosition::Pre;
    t.encoderFinalNorm = t.decoderFinalNorm = true;
    if (const nlohmann::json *eps = opt.find("norm_eps")) {
        if (!eps->is_number() || !(eps->get<double>() > 0 && eps->get<double>() < 1))
            opt.fail("norm_eps", "must be a number between 0 and 1, found " + detail::describeJson(*eps));
        t.normEpsilon = eps->get<double>();
    } else {
        t.normEpsilon = 1e-6;
    }
    const std::string activation = opt.string("pos_ffn_activation_fn", "relu");
    // modules/position_ffn.py: silu and gated-gelu multiply by a third projection, w_3.
    if (activation == "relu")
        t.activation = FeedForwardActivation::Relu;
    else if (activation == "gelu" || activation == "gated-gelu")
        t.activation = FeedForwardActivation::Gelu;
    else if (activation == "silu")
        t.activation = FeedForwardActivation::Swish;
    else
        opt.fail("pos_ffn_activation_fn", "'" + activation + "' is not supported (relu, gelu, silu or gated-gelu)");
    t.gatedFeedForward = activation == "silu" || activation == "gated-gelu";
    if (!opt.boolean("position_encoding", true))
        opt.fail("position_encoding", "false: attnviz runs sinusoidal positions only (not rotary, ALiBi or relative)");
    if (const nlohmann::json *relative = opt.find("max_relative_positions");
        relative && relative->is_number_integer() && relative->get<int64_t>() != 0)
        opt.fail("max_relative_positions", std::to_string(relative->get<int64_t>())
                                               + ": relative, rotary (-1) and ALiBi (-2) positions are not supported");
    const std::string positions = opt.string("position_encoding_type", "SinusoidalInterleaved");
    if (positions == "SinusoidalInterleaved")
        t.positions = Positions::Interleaved;
    else if (positions == "SinusoidalConcat")
        t.positions = Positions::Concat;
    else
        opt.fail("position_encoding_type", "'" + positions + "' is not supported");
    const std::string selfAttention = opt.string("self_attn_type", "scaled-dot");
    if (selfAttention != "scaled-dot" && selfAttention != "scaled-dot-flash")
        opt.fail("self_attn_type", "'" + selfAttention + "': average attention is not supported");
    if (opt.string("layer_norm", "standard") != "standard")
        opt.fail("layer_norm", "'" + opt.string("layer_norm", "") + "': only the standard LayerNorm is supported (not RMSNorm)");
    if (opt.boolean("parallel_residual", false))
        opt.fail("parallel_residual", "true: parallel residuals are not supported");
    if (const nlohmann::json *kv = opt.find("num_kv"); kv && kv->is_number_integer() && kv->get<int64_t>() != 0
                                                     && kv->get<int64_t>() != t.heads)
        opt.fail("num_kv", std::to_string(kv->get<int64_t>()) + ": multi-query / grouped attention is not supported");
    if (const nlohmann::json *experts = opt.find("num_experts"); experts && experts->is_number_integer()
                                                               && experts->get<int64_t>() > 0)
        opt.fail("num_experts", "mixtures of experts are not supported");
    t.embeddingScale = true; // PositionalEncoding scales by sqrt(dim)
    t.attentionBias = opt.boolean("add_qkvbias", false);
    t.feedForwardBias = opt.boolean("add_ffnbias", true);
    t.tiedOutput = opt.boolean("share_decoder_embeddings", false);
    t.outputBias = true;
    onmtTokens(c);
    checkConfig(c, displayName);
    return c;
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
    if (encoderType == "transformer" && opt.string("decoder_type", "rnn") == "transformer")
        return onmtTransformer(opt, displayName);
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

    onmtTokens(c);
    checkConfig(c, displayName);
    return c;
}

namespace {

// The engine's name of a transformer tensor -> OpenNMT-py's.
detail::TensorSource onmtTransformerName(const std::string &name)
{
    using detail::startsWith;
    if (name == "encoder.embedding.weight")
        return {"encoder.embeddings.make_embedding.emb_luts.0.weight"};
    if (name == "decoder.embedding.weight")
        return {"decoder.embeddings.make_embedding.emb_luts.0.weight"};
    if (startsWith(name, "decoder.output."))
        return {"generator." + name.substr(15)};
    if (startsWith(name, "encoder.final_norm."))
        return {"encoder.layer_norm." + name.substr(19)};
    if (startsWith(name, "decoder.final_norm."))
        return {"decoder.layer_norm." + name.substr(19)};
    const bool decoder = startsWith(name, "decoder.");
    std::string out = decoder ? "decoder.transformer_layers." + name.substr(15) : "encoder.transformer." + name.substr(15);
    static const std::pair<const char *, const char *> parts[] = {
        {".self_attention.query.", ".self_attn.linear_query."},
        {".self_attention.key.", ".self_attn.linear_keys."},
        {".self_attention.value.", ".self_attn.linear_values."},
        {".self_attention.output.", ".self_attn.final_linear."},
        {".cross_attention.query.", ".context_attn.linear_query."},
        {".cross_attention.key.", ".context_attn.linear_keys."},
        {".cross_attention.value.", ".context_attn.linear_values."},
        {".cross_attention.output.", ".context_attn.final_linear."},
        {".cross_attention_norm.", ".layer_norm_2."},
        {".feed_forward.input.", ".feed_forward.w_1."},
        {".feed_forward.gate.", ".feed_forward.w_3."},
        {".feed_forward.output.", ".feed_forward.w_2."},
        {".feed_forward_norm.", ".feed_forward.layer_norm."},
    };
    for (const auto &[from, to] : parts) {
        const size_t at = out.find(from);
        if (at != std::string::npos)
            return {out.replace(at, std::string(from).size(), to)};
    }
    const std::string norm = ".self_attention_norm.";
    const size_t at = out.find(norm);
    if (at != std::string::npos)
        out.replace(at, norm.size(), decoder ? ".layer_norm_1." : ".layer_norm.");
    return {out};
}

} // namespace

ModelFile onmtModel(const ModelConfig &config, std::vector<std::string> sourceVocab,
                    std::vector<std::string> targetVocab, const StateDict &weights, const std::string &displayName)
{
    if (config.isTransformer()) {
        StateDict own = weights;
        for (const char *table : {"encoder.embeddings.make_embedding.pe.pe", "decoder.embeddings.make_embedding.pe.pe"})
            own.erase(table); // PositionalEncoding's table, which the engine makes itself
        if (config.transformer.tiedOutput)
            own.erase("generator.weight"); // the target embedding (share_decoder_embeddings)
        return detail::assembleModel(config, std::move(sourceVocab), std::move(targetVocab), own,
                                     onmtTransformerName, "the checkpoint", displayName);
    }
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
