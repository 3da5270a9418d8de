// Joey NMT's config.yaml, vocabularies and model_state as a model of the family. The rules
// follow Joey NMT 2.3's own code (model.build_model, encoders.RecurrentEncoder,
// decoders.RecurrentDecoder, vocabulary.Vocabulary, search.recurrent_greedy); docs/toolkits.md.
#include <attnviz/io/toolkit_import.h>

#include "io/load_helpers.h"
#include "io/toolkit/assemble.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace attnviz {

namespace {

using detail::throwModelError;

// A mapping read with the key path in every message.
class YamlReader
{
public:
    YamlReader(YAML::Node node, std::string path, const std::string &displayName)
        : m_node(std::move(node))
        , m_path(std::move(path))
        , m_displayName(displayName)
    {
    }

    bool has(const char *key) const { return m_node.IsMap() && m_node[key] && !m_node[key].IsNull(); }
    bool isMap(const char *key) const { return has(key) && m_node[key].IsMap(); }

    YamlReader object(const char *key) const
    {
        if (has(key) && !m_node[key].IsMap())
            fail(pathOf(key) + " must be a mapping");
        return YamlReader(has(key) ? m_node[key] : YAML::Node(YAML::NodeType::Map), pathOf(key), m_displayName);
    }

    template<typename T>
    T get(const char *key, const T &fallback, const char *typeName) const
    {
        if (!has(key))
            return fallback;
        try {
            return m_node[key].as<T>();
        } catch (const YAML::Exception &) {
            fail(pathOf(key) + " must be " + typeName);
        }
    }

    std::string string(const char *key, const std::string &fallback) const
    {
        if (has(key) && !m_node[key].IsScalar())
            fail(pathOf(key) + " must be a string");
        return get<std::string>(key, fallback, "a string");
    }
    bool boolean(const char *key, bool fallback) const { return get<bool>(key, fallback, "true or false"); }
    int integer(const char *key, int fallback) const { return get<int>(key, fallback, "an integer"); }
    int positive(const char *key, int fallback) const
    {
        const int value = integer(key, fallback);
        if (value < 1 || value > (1 << 20))
            fail(pathOf(key) + " must be an integer from 1 to 1048576, found " + std::to_string(value));
        return value;
    }
    std::vector<std::string> strings(const char *key) const
    {
        return get<std::vector<std::string>>(key, {}, "a list of strings");
    }

    std::string pathOf(const char *key) const { return m_path.empty() ? key : m_path + "." + key; }
    [[noreturn]] void fail(const std::string &message) const { throwModelError(m_displayName, message); }

private:
    YAML::Node m_node;
    std::string m_path;
    const std::string &m_displayName;
};

Cell joeyCell(const YamlReader &side)
{
    const std::string type = side.string("rnn_type", "gru");
    if (type == "gru")
        return Cell::Gru;
    if (type == "lstm")
        return Cell::Lstm;
    side.fail(side.pathOf("rnn_type") + ": unknown value '" + type + "' (Joey NMT knows gru and lstm)");
}

void readSpecials(const YamlReader &data, JoeySpecials &s)
{
    const YamlReader symbols = data.object("special_symbols");
    s.unk = symbols.string("unk_token", s.unk);
    s.pad = symbols.string("pad_token", s.pad);
    s.bos = symbols.string("bos_token", s.bos);
    s.eos = symbols.string("eos_token", s.eos);
    s.unkId = symbols.integer("unk_id", s.unkId);
    s.padId = symbols.integer("pad_id", s.padId);
    s.bosId = symbols.integer("bos_id", s.bosId);
    s.eosId = symbols.integer("eos_id", s.eosId);
    if (symbols.has("sep_token"))
        s.sep = symbols.string("sep_token", "");
    s.langTags = symbols.strings("lang_tags");
}

// The recurrent encoder and decoder (encoders.RecurrentEncoder, decoders.RecurrentDecoder).
void readRecurrent(const YamlReader &enc, const YamlReader &dec, ModelConfig &c)
{
    EncoderConfig &e = c.encoder;
    e.cell = joeyCell(enc);
    e.layers = std::min(enc.positive("num_layers", 1), 64);
    e.hiddenSize = enc.positive("hidden_size", 1);
    e.bidirectional = enc.boolean("bidirectional", true);
    if (!e.bidirectional)
        enc.fail(enc.pathOf("bidirectional") + " false: Joey NMT's recurrent encoder reads the backward direction's "
                 "final state, so it cannot run one-directional (and attnviz does not guess what it would do)");
    e.merge = DirectionMerge::Concat;
    const YamlReader encEmb = enc.object("embeddings");
    e.embeddingSize = encEmb.positive("embedding_dim", 64);
    e.embeddingScale = encEmb.boolean("scale", false);

    DecoderConfig &d = c.decoder;
    d.cell = joeyCell(dec);
    d.layers = std::min(dec.positive("num_layers", 1), 64);
    d.hiddenSize = dec.positive("hidden_size", 1);
    const YamlReader decEmb = dec.object("embeddings");
    d.embeddingSize = decEmb.positive("embedding_dim", 64);
    d.embeddingScale = decEmb.boolean("scale", false);
    d.input = dec.boolean("input_feeding", true) ? DecoderInput::InputFeeding : DecoderInput::Embedding;
    d.query = Query::Current;
    const std::string activation = dec.string("activation", "tanh");
    if (activation != "tanh")
        dec.fail(dec.pathOf("activation") + " '" + activation + "': only tanh is supported (Joey NMT 2.3's recurrent "
                 "decoder calls its other activations as classes, so they do not run there either)");
    const std::string init = dec.string("init_hidden", "bridge");
    if (init == "bridge") {
        d.init = InitRule::Bridge;
        d.bridgeActivation = Activation::Tanh;
        d.bridgeBias = true;
    } else if (init == "last") {
        d.init = InitRule::Last;
        if (e.outputSize() != d.hiddenSize && e.outputSize() != 2 * d.hiddenSize)
            dec.fail(dec.pathOf("init_hidden") + " 'last' needs the encoder's output size (" + std::to_string(e.outputSize())
                     + ") to be decoder.hidden_size (" + std::to_string(d.hiddenSize) + ") or twice it");
    } else if (init == "zero") {
        d.init = InitRule::Zero;
    } else {
        dec.fail(dec.pathOf("init_hidden") + ": unknown value '" + init + "' (Joey NMT knows bridge, last and zero)");
    }
    // Joey starts an LSTM's cell state from the same tensor as its hidden state.
    d.cellInit = d.init == InitRule::Zero ? InitRule::Zero : InitRule::Hidden;
    d.attentional = Attentional::StateContext;
    d.attentionalActivation = Activation::Tanh;
    d.attentionalBias = true;
    d.outputBias = false;

    AttentionConfig &a = c.attention;
    const std::string attention = dec.string("attention", "bahdanau");
    if (attention == "bahdanau") {
        a.score = Score::Additive;
        a.hiddenSize = d.hiddenSize;
        a.queryBias = a.keyBias = a.energyBias = false;
    } else if (attention == "luong") {
        a.score = Score::Bilinear;
        a.bias = false;
    } else {
        dec.fail(dec.pathOf("attention") + ": unknown value '" + attention + "' (Joey NMT knows bahdanau and luong)");
    }

}

// The transformer (encoders.TransformerEncoder, decoders.TransformerDecoder,
// transformer_layers): one size, head count and layer order for both sides.
void readTransformer(const YamlReader &model, const YamlReader &enc, const YamlReader &dec, ModelConfig &c)
{
    c.family = Family::Transformer;
    TransformerConfig &t = c.transformer;
    t.toolkit = "joey";
    t.encoderLayers = std::min(enc.positive("num_layers", 8), 64);
    t.decoderLayers = std::min(dec.positive("num_layers", 8), 64);
    t.modelSize = enc.positive("hidden_size", 512);
    t.heads = enc.positive("num_heads", 4);
    t.feedForwardSize = enc.positive("ff_size", 2048);
    const auto same = [&](const char *key, int value, int fallback) {
        if (dec.positive(key, fallback) != value)
            dec.fail(dec.pathOf(key) + " (" + std::to_string(dec.positive(key, fallback)) + ") differs from "
                     + enc.pathOf(key) + " (" + std::to_string(value)
                     + "): attnviz runs transformers with one value for both sides");
    };
    same("hidden_size", t.modelSize, 512);
    same("num_heads", t.heads, 4);
    same("ff_size", t.feedForwardSize, 2048);
    if (t.modelSize % t.heads != 0)
        enc.fail(enc.pathOf("hidden_size") + " (" + std::to_string(t.modelSize) + ") must be a multiple of "
                 + enc.pathOf("num_heads") + " (" + std::to_string(t.heads) + ")");
    // encoders.TransformerEncoder builds its layers with layer_norm "pre" by default but its final
    // norm only when the key says "pre"; the decoder's default is "post" for both.
    const auto norm = [](const YamlReader &side, const char *fallback) {
        const std::string value = side.string("layer_norm", fallback);
        if (value != "pre" && value != "post")
            side.fail(side.pathOf("layer_norm") + " '" + value + "': unknown (Joey NMT knows pre and post)");
        return value == "pre" ? NormPosition::Pre : NormPosition::Post;
    };
    t.encoderNorm = norm(enc, "pre");
    t.decoderNorm = norm(dec, "post");
    t.encoderFinalNorm = enc.string("layer_norm", "post") == "pre";
    t.decoderFinalNorm = dec.string("layer_norm", "post") == "pre";
    t.normEpsilon = 1e-6;
    const std::string activation = enc.string("activation", "relu");
    if (dec.string("activation", "relu") != activation)
        dec.fail(dec.pathOf("activation") + " differs from " + enc.pathOf("activation"));
    if (activation == "relu")
        t.activation = FeedForwardActivation::Relu;
    else if (activation == "gelu")
        t.activation = FeedForwardActivation::Gelu;
    else if (activation == "swish" || activation == "silu")
        t.activation = FeedForwardActivation::Swish;
    else
        enc.fail(enc.pathOf("activation") + " '" + activation + "' is not supported (relu, gelu or swish)");
    for (const YamlReader *side : {&enc, &dec}) {
        if (side->has("alpha") && side->get<double>("alpha", 1.0, "a number") != 1.0)
            side->fail(side->pathOf("alpha") + ": residual weights other than 1 are not supported");
    }
    t.positions = Positions::Interleaved;
    const YamlReader encEmb = enc.object("embeddings"), decEmb = dec.object("embeddings");
    t.embeddingScale = encEmb.boolean("scale", false);
    if (decEmb.boolean("scale", false) != t.embeddingScale)
        decEmb.fail(decEmb.pathOf("scale") + " differs from " + encEmb.pathOf("scale"));
    for (const YamlReader *emb : {&encEmb, &decEmb}) {
        if (emb->has("scale_factor"))
            emb->fail(emb->pathOf("scale_factor") + ": only the default scale sqrt(embedding_dim) is supported");
        if (emb->positive("embedding_dim", t.modelSize) != t.modelSize)
            emb->fail(emb->pathOf("embedding_dim") + " must equal hidden_size (" + std::to_string(t.modelSize)
                      + ") in a transformer");
    }
    t.attentionBias = t.feedForwardBias = true;
    t.outputBias = false;
    (void)model;
}

} // namespace

JoeyConfig joeyConfigFromYaml(const std::string &yamlText, const std::string &displayName)
{
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::Exception &error) {
        throwModelError(displayName, "not a YAML file: " + std::string(error.what()));
    }
    if (!root.IsMap())
        throwModelError(displayName, "a Joey NMT config.yaml is a mapping with data, training and model sections");
    const YamlReader top(root, "", displayName);
    if (!top.isMap("model"))
        top.fail("model: missing (a Joey NMT config.yaml has a model section)");

    JoeyConfig joey;
    ModelConfig &c = joey.config;
    const YamlReader data = top.object("data");
    const YamlReader model = top.object("model");
    const YamlReader enc = model.object("encoder");
    const YamlReader dec = model.object("decoder");
    const YamlReader testing = top.object("testing");
    const YamlReader training = top.object("training");

    // Joey builds a transformer unless told otherwise (the decoder's default type).
    const std::string encoderType = enc.string("type", "recurrent"), decoderType = dec.string("type", "transformer");
    for (const auto &[side, type] : {std::pair{&enc, encoderType}, std::pair{&dec, decoderType}}) {
        if (type != "recurrent" && type != "transformer")
            side->fail(side->pathOf("type") + " '" + type + "': unknown (Joey NMT knows recurrent and transformer)");
    }
    if (encoderType != decoderType)
        dec.fail(enc.pathOf("type") + " '" + encoderType + "' with " + dec.pathOf("type") + " '" + decoderType
                 + "': attnviz runs a recurrent or a transformer encoder-decoder, not the two mixed");
    const bool transformer = decoderType == "transformer";

    // 1.x: data.src is the language and the vocabulary files are data.src_vocab / trg_vocab.
    joey.version1 = data.has("src") && !data.isMap("src");
    std::vector<std::pair<std::string, std::string>> levels; // key, value
    bool lowercase = false;
    TokenizerSide sides[2];
    bool record = false;
    if (joey.version1) {
        joey.sourceVocabFile = data.string("src_vocab", "");
        joey.targetVocabFile = data.string("trg_vocab", "");
        levels.emplace_back(data.pathOf("level"), data.string("level", "word"));
        lowercase = data.boolean("lowercase", false);
    } else {
        readSpecials(data, joey.specials);
        for (int index = 0; index < 2; ++index) {
            const YamlReader s = data.object(index == 0 ? "src" : "trg");
            (index == 0 ? joey.sourceVocabFile : joey.targetVocabFile) = s.string("voc_file", "");
            lowercase = lowercase || s.boolean("lowercase", false);
            // tokenizers._build_tokenizer: the level picks the tokenizer, tokenizer_cfg its options.
            TokenizerSide &side = sides[index];
            side.toolkit = TokenizerToolkit::JoeyNmt;
            side.lowercase = s.boolean("lowercase", false);
            side.normalize = s.boolean("normalize", false);
            const YamlReader cfg = s.object("tokenizer_cfg");
            const std::string pretokenizer = cfg.string("pretokenizer", "none");
            if (pretokenizer != "none")
                cfg.fail(cfg.pathOf("pretokenizer") + " '" + pretokenizer
                         + "': Moses pre-tokenization (sacremoses) is not supported yet");
            const std::string level = s.string("level", "word");
            if (level == "word") {
                side.kind = TokenizerKind::Word;
                record = record || side.normalize; // else the config's normalization does the same
            } else if (level == "char") {
                side.kind = TokenizerKind::Character;
                record = true;
            } else if (level == "bpe") {
                record = true;
                side.restrictToModelVocabulary = true; // set_vocab, which data.load_data always calls
                const std::string type = s.string("tokenizer_type", s.string("bpe_type", "sentencepiece"));
                const char *key = type == "sentencepiece" ? "model_file" : "codes";
                if (type == "sentencepiece") {
                    side.kind = TokenizerKind::SentencePiece;
                } else if (type == "subword-nmt") {
                    side.kind = TokenizerKind::Bpe;
                    side.bpe.separator = cfg.string("separator", "@@");
                } else {
                    s.fail(s.pathOf("tokenizer_type") + " '" + type
                           + "': unknown (Joey NMT knows sentencepiece and subword-nmt)");
                }
                joey.tokenizerFiles[index] = cfg.string(key, "");
                if (joey.tokenizerFiles[index].empty())
                    cfg.fail(cfg.pathOf(key) + " is missing (level bpe with " + type + " needs it)");
            } else {
                s.fail(s.pathOf("level") + " '" + level + "': unknown (Joey NMT knows word, bpe and char)");
            }
        }
    }
    if (record)
        joey.tokenizer = TokenizerRecord {sides[0], sides[1]};
    for (const auto &[key, level] : levels) {
        if (level != "word")
            top.fail(key + " '" + level + "': only word-level models are supported in Joey NMT 1.x configurations "
                     "(whose subword data was segmented before training)");
    }
    c.normalization = lowercase ? Normalization::Lowercase : Normalization::None;

    if (transformer)
        readTransformer(model, enc, dec, c);
    else
        readRecurrent(enc, dec, c);

    joey.tiedEmbeddings = model.boolean("tied_embeddings", false);
    joey.tiedSoftmax = model.boolean("tied_softmax", false);

    const JoeySpecials &s = joey.specials;
    c.sosToken = s.bos;
    c.eosToken = s.eos;
    c.unkToken = s.unk;
    c.sourceEos = true;
    c.name = top.string("name", "");
    c.sourceLanguage = joey.version1 ? data.string("src", "") : data.object("src").string("lang", "");
    c.targetLanguage = joey.version1 ? data.string("trg", "") : data.object("trg").string("lang", "");
    c.description = "Joey NMT model" + std::string(joey.version1 ? " (1.x configuration)" : "");

    // search.recurrent_greedy: 2.x never picks BOS, PAD, SEP or a language tag (nor UNK with
    // generate_unk false) and no EOS before min_output_length; 1.x takes the argmax. Both stop
    // after max_output_length steps, or int(1.5 x the source length with EOS).
    SearchConfig &r = c.search;
    const int maxLength = joey.version1 ? training.integer("max_output_length", -1)
                                        : testing.integer("max_output_length", -1);
    if (maxLength > 0)
        r.maxLengthOffset = maxLength;
    else
        r.maxLengthRatio = 1.5;
    // search.beam_search (both architectures): it bans BOS and PAD, and ranks with beam_alpha;
    // transformer_greedy bans BOS but not PAD.
    r.beamRule = BeamRule::Joey;
    r.lengthPenalty = testing.get<double>("beam_alpha", testing.get<double>("alpha", -1.0, "a number"), "a number");
    if (!joey.version1) {
        r.neverGenerate = {s.bos, s.pad};
        if (transformer) {
            r.neverGenerate = {s.bos};
            r.beamNeverGenerate = {s.pad};
        }
        if (s.sep)
            r.neverGenerate.push_back(*s.sep);
        r.neverGenerate.insert(r.neverGenerate.end(), s.langTags.begin(), s.langTags.end());
        if (!testing.boolean("generate_unk", true))
            r.neverGenerate.push_back(s.unk);
        r.minLength = std::max(0, testing.integer("min_output_length", 1));
    }
    checkConfig(c, displayName);
    return joey;
}

std::vector<std::string> joeyVocabulary(const std::string &fileText, const JoeySpecials &specials,
                                        const std::string &displayName)
{
    std::vector<std::string> tokens = {specials.unk, specials.pad, specials.bos, specials.eos};
    if (specials.sep)
        tokens.push_back(*specials.sep);
    tokens.insert(tokens.end(), specials.langTags.begin(), specials.langTags.end());
    // Python's str.splitlines: \n, \r, \r\n, \v, \f, \x1c-\x1e, U+0085, U+2028, U+2029.
    std::string line;
    const auto flush = [&] { tokens.push_back(line); line.clear(); };
    for (size_t i = 0; i < fileText.size(); ++i) {
        const unsigned char ch = static_cast<unsigned char>(fileText[i]);
        if (ch == '\r') {
            if (i + 1 < fileText.size() && fileText[i + 1] == '\n')
                ++i;
            flush();
        } else if (ch == '\n' || ch == '\v' || ch == '\f' || (ch >= 0x1c && ch <= 0x1e)) {
            flush();
        } else if (ch == 0xc2 && i + 1 < fileText.size() && static_cast<unsigned char>(fileText[i + 1]) == 0x85) {
            ++i;
            flush();
        } else if (ch == 0xe2 && i + 2 < fileText.size() && static_cast<unsigned char>(fileText[i + 1]) == 0x80
                   && (static_cast<unsigned char>(fileText[i + 2]) == 0xa8
                       || static_cast<unsigned char>(fileText[i + 2]) == 0xa9)) {
            i += 2;
            flush();
        } else {
            line += static_cast<char>(ch);
        }
    }
    if (!line.empty())
        flush();
    std::vector<std::string> vocab;
    for (std::string &token : tokens) {
        if (std::find(vocab.begin(), vocab.end(), token) == vocab.end())
            vocab.push_back(std::move(token));
    }
    const std::pair<const std::string *, int> expected[] = {
        {&specials.unk, specials.unkId}, {&specials.pad, specials.padId},
        {&specials.bos, specials.bosId}, {&specials.eos, specials.eosId}};
    for (const auto &[token, id] : expected) {
        if (id < 0 || id >= static_cast<int>(vocab.size()) || vocab[id] != *token)
            throwModelError(displayName, "data.special_symbols: '" + *token + "' has id "
                                             + std::to_string(std::find(vocab.begin(), vocab.end(), *token) - vocab.begin())
                                             + " in the vocabulary, but the config gives it id " + std::to_string(id));
    }
    return vocab;
}

namespace {

// The engine's name of a transformer tensor -> Joey NMT's (transformer_layers.py).
detail::TensorSource joeyTransformerName(const std::string &name)
{
    static const std::pair<const char *, const char *> parts[] = {
        {".self_attention.query.", ".@self.q_layer."},
        {".self_attention.key.", ".@self.k_layer."},
        {".self_attention.value.", ".@self.v_layer."},
        {".self_attention.output.", ".@self.output_layer."},
        {".cross_attention.query.", ".src_trg_att.q_layer."},
        {".cross_attention.key.", ".src_trg_att.k_layer."},
        {".cross_attention.value.", ".src_trg_att.v_layer."},
        {".cross_attention.output.", ".src_trg_att.output_layer."},
        {".cross_attention_norm.", ".dec_layer_norm."},
        {".feed_forward.input.", ".feed_forward.pwff_layer.0."},
        {".feed_forward.output.", ".feed_forward.pwff_layer.3."},
        {".feed_forward_norm.", ".feed_forward.layer_norm."},
    };
    if (name == "encoder.embedding.weight")
        return {"src_embed.lut.weight"};
    if (name == "decoder.embedding.weight")
        return {"trg_embed.lut.weight"};
    if (name == "decoder.output.weight")
        return {"decoder.output_layer.weight"};
    const bool decoder = detail::startsWith(name, "decoder.");
    for (const char *norm : {"final_norm"}) {
        const std::string prefix = (decoder ? "decoder." : "encoder.") + std::string(norm) + ".";
        if (detail::startsWith(name, prefix))
            return {(decoder ? "decoder.layer_norm." : "encoder.layer_norm.") + name.substr(prefix.size())};
    }
    std::string out = name;
    const auto swap = [&out](const std::string &from, const std::string &to) {
        const size_t at = out.find(from);
        if (at == std::string::npos)
            return false;
        out.replace(at, from.size(), to);
        return true;
    };
    for (const auto &[from, to] : parts) {
        if (swap(from, to))
            break;
    }
    if (swap(".self_attention_norm.", decoder ? ".x_layer_norm." : ".layer_norm."))
        return {out};
    swap("@self", decoder ? "trg_trg_att" : "src_src_att");
    return {out};
}

} // namespace

ModelFile joeyModel(const JoeyConfig &joey, std::vector<std::string> sourceVocab, std::vector<std::string> targetVocab,
                    const StateDict &modelState, const std::string &displayName)
{
    if (joey.tiedEmbeddings && sourceVocab != targetVocab)
        throwModelError(displayName, "model.tied_embeddings needs one vocabulary, but the source has "
                                         + std::to_string(sourceVocab.size()) + " tokens and the target "
                                         + std::to_string(targetVocab.size()) + " (or other ones)");
    if (joey.config.isTransformer()) {
        StateDict weights = modelState;
        weights.erase("encoder.pe.pe"); // PositionalEncoding's table, which the engine makes itself
        weights.erase("decoder.pe.pe");
        return detail::assembleModel(joey.config, std::move(sourceVocab), std::move(targetVocab), weights,
                                     joeyTransformerName, "model_state", displayName);
    }
    const Score score = joey.config.attention.score;
    const auto joeyName = [score](const std::string &name) -> detail::TensorSource {
        using detail::startsWith;
        if (name == "encoder.embedding.weight")
            return {"src_embed.lut.weight"};
        if (name == "decoder.embedding.weight")
            return {"trg_embed.lut.weight"};
        if (name == "decoder.out.weight")
            return {"decoder.output_layer.weight"};
        if (startsWith(name, "decoder.attentional."))
            return {"decoder.att_vector_layer." + name.substr(20)};
        if (startsWith(name, "decoder.bridge."))
            return {"decoder.bridge_layer." + name.substr(15)};
        // Joey's Luong attention keeps its W [Hd, A] as key_layer: q . (W h).
        if (score == Score::Bilinear && name == "decoder.attention.linear.weight")
            return {"decoder.attention.key_layer.weight"};
        return {name};
    };
    return detail::assembleModel(joey.config, std::move(sourceVocab), std::move(targetVocab), modelState, joeyName,
                                 "model_state", displayName);
}

} // namespace attnviz
