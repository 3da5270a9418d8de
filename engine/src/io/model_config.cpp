// Reading and writing the family's configuration (version 2, and version 1 as its points).
#include "io/load_helpers.h"

#include <attnviz/io/model_config.h>

#include <cmath>
#include <limits>

namespace attnviz {

namespace {

template<typename Enum>
struct EnumName
{
    Enum value;
    const char *name;
};

constexpr EnumName<Normalization> normalizationNames[] = {
    {Normalization::Tutorial, "tutorial"},
    {Normalization::None, "none"},
    {Normalization::Lowercase, "lowercase"},
};
constexpr EnumName<Cell> cellNames[] = {{Cell::Gru, "gru"}, {Cell::Lstm, "lstm"}};
constexpr EnumName<DirectionMerge> mergeNames[] = {{DirectionMerge::Concat, "concat"}, {DirectionMerge::Sum, "sum"}};
constexpr EnumName<DecoderInput> inputNames[] = {
    {DecoderInput::Embedding, "embedding"},
    {DecoderInput::EmbeddingContext, "embedding_context"},
    {DecoderInput::ContextEmbedding, "context_embedding"},
    {DecoderInput::InputFeeding, "input_feeding"},
    {DecoderInput::Combine, "combine"},
};
constexpr EnumName<Query> queryNames[] = {{Query::Previous, "previous"}, {Query::Current, "current"}};
constexpr EnumName<InitRule> initNames[] = {
    {InitRule::Zero, "zero"},         {InitRule::Final, "final"},
    {InitRule::Last, "last"},         {InitRule::Bridge, "bridge"},
    {InitRule::OnmtBridge, "onmt_bridge"}, {InitRule::FirstLayers, "first_layers"},
};
constexpr EnumName<InitRule> cellInitNames[] = {
    {InitRule::Zero, "zero"},         {InitRule::Final, "final"},
    {InitRule::Last, "last"},         {InitRule::Bridge, "bridge"},
    {InitRule::OnmtBridge, "onmt_bridge"}, {InitRule::FirstLayers, "first_layers"},
    {InitRule::Hidden, "hidden"},
};
constexpr EnumName<Activation> bridgeActivationNames[] = {
    {Activation::Tanh, "tanh"}, {Activation::Identity, "identity"}, {Activation::Relu, "relu"}};
constexpr EnumName<Activation> attentionalActivationNames[] = {{Activation::Tanh, "tanh"},
                                                               {Activation::Identity, "identity"}};
constexpr EnumName<Activation> combineActivationNames[] = {{Activation::Relu, "relu"}, {Activation::Identity, "none"}};
constexpr EnumName<Attentional> attentionalNames[] = {
    {Attentional::None, "none"},
    {Attentional::StateContext, "state_context"},
    {Attentional::ContextState, "context_state"},
};
constexpr EnumName<Score> scoreNames[] = {
    {Score::Dot, "dot"},           {Score::General, "general"}, {Score::Bilinear, "bilinear"},
    {Score::Additive, "additive"}, {Score::Concat, "concat"},   {Score::Location, "location"},
};
constexpr EnumName<Architecture> architectureNames[] = {
    {Architecture::Bahdanau, "bahdanau"},
    {Architecture::Luong, "luong"},
    {Architecture::TutorialLegacy, "tutorial_legacy"},
};
constexpr EnumName<BeamRule> beamRuleNames[] = {
    {BeamRule::Attnviz, "attnviz"}, {BeamRule::Joey, "joey"}, {BeamRule::Onmt, "onmt"},
    {BeamRule::HuggingFace, "huggingface"}};
constexpr EnumName<Family> familyNames[] = {{Family::Rnn, "rnn"}, {Family::Transformer, "transformer"}};
constexpr EnumName<NormPosition> normNames[] = {{NormPosition::Pre, "pre"}, {NormPosition::Post, "post"}};
constexpr EnumName<Positions> positionsNames[] = {
    {Positions::Interleaved, "interleaved"}, {Positions::Halves, "halves"}, {Positions::Concat, "concat"},
    {Positions::Learned, "learned"}};
constexpr EnumName<FeedForwardActivation> feedForwardNames[] = {
    {FeedForwardActivation::Relu, "relu"}, {FeedForwardActivation::Gelu, "gelu"}, {FeedForwardActivation::Swish, "swish"}};
constexpr EnumName<LuongScore> luongScoreNames[] = {{LuongScore::Dot, "dot"}, {LuongScore::General, "general"}};

template<typename Enum, size_t N>
std::string nameOf(const EnumName<Enum> (&table)[N], Enum value)
{
    for (const auto &entry : table) {
        if (entry.value == value)
            return entry.name;
    }
    return "unknown";
}

// Reads the keys of one config object, with messages that give the key's path and what was found.
class ConfigReader
{
public:
    ConfigReader(const nlohmann::json &json, std::string path, const std::string &displayName)
        : m_json(json)
        , m_path(std::move(path))
        , m_displayName(displayName)
    {
        if (!json.is_object())
            fail((m_path.empty() ? std::string("config") : "config: " + m_path) + " must be a JSON object, found "
                 + detail::describeJson(json));
    }

    ConfigReader object(const char *key) const { return ConfigReader(require(key), pathOf(key), m_displayName); }

    const nlohmann::json *find(const char *key) const
    {
        const auto it = m_json.find(key);
        return it == m_json.end() ? nullptr : &*it;
    }

    const nlohmann::json &require(const char *key) const
    {
        const nlohmann::json *value = find(key);
        if (!value)
            fail("config: missing required key '" + pathOf(key) + "'");
        return *value;
    }

    std::string string(const char *key, const nlohmann::json &value) const
    {
        if (!value.is_string())
            fail("config: '" + pathOf(key) + "' must be a string, found " + detail::describeJson(value));
        return value.get<std::string>();
    }

    std::string requiredString(const char *key) const { return string(key, require(key)); }

    std::optional<std::string> optionalString(const char *key) const
    {
        const nlohmann::json *value = find(key);
        return value ? std::optional(string(key, *value)) : std::nullopt;
    }

    bool optionalBool(const char *key, bool fallback) const
    {
        const nlohmann::json *value = find(key);
        if (!value)
            return fallback;
        if (!value->is_boolean())
            fail("config: '" + pathOf(key) + "' must be true or false, found " + detail::describeJson(*value));
        return value->get<bool>();
    }

    int positiveInt(const char *key, const nlohmann::json &value) const
    {
        const std::optional<uint64_t> number = detail::nonNegativeInteger(value);
        if (!number || *number == 0 || *number > uint64_t(maxSize))
            fail("config: '" + pathOf(key) + "' must be an integer from 1 to " + std::to_string(maxSize)
                 + ", found " + detail::describeJson(value));
        return static_cast<int>(*number);
    }

    int requiredPositiveInt(const char *key) const { return positiveInt(key, require(key)); }

    // Layers name tensors one by one: a file of a few bytes must not ask for a table of millions.
    int optionalLayers(const char *key) const
    {
        const nlohmann::json *value = find(key);
        if (!value)
            return 1;
        const std::optional<uint64_t> number = detail::nonNegativeInteger(*value);
        if (!number || *number == 0 || *number > uint64_t(maxLayers))
            fail("config: '" + pathOf(key) + "' must be an integer from 1 to " + std::to_string(maxLayers)
                 + ", found " + detail::describeJson(*value));
        return static_cast<int>(*number);
    }

    // An integer from 0 to limit.
    int optionalCount(const char *key, int limit) const
    {
        const nlohmann::json *value = find(key);
        if (!value)
            return 0;
        const std::optional<uint64_t> number = detail::nonNegativeInteger(*value);
        if (!number || *number > uint64_t(limit))
            fail("config: '" + pathOf(key) + "' must be an integer from 0 to " + std::to_string(limit) + ", found "
                 + detail::describeJson(*value));
        return static_cast<int>(*number);
    }

    // A number from 0 to limit.
    double optionalRatio(const char *key, double limit) const
    {
        const nlohmann::json *value = find(key);
        if (!value)
            return 0.0;
        if (!value->is_number() || !(value->get<double>() >= 0.0 && value->get<double>() <= limit))
            fail("config: '" + pathOf(key) + "' must be a number from 0 to " + std::to_string(static_cast<int>(limit))
                 + ", found " + detail::describeJson(*value));
        return value->get<double>();
    }

    std::vector<std::string> optionalStrings(const char *key) const
    {
        const nlohmann::json *value = find(key);
        if (!value)
            return {};
        if (!value->is_array())
            fail("config: '" + pathOf(key) + "' must be a list of strings, found " + detail::describeJson(*value));
        std::vector<std::string> strings;
        for (const nlohmann::json &item : *value)
            strings.push_back(string(key, item));
        return strings;
    }

    bool has(const char *key) const { return find(key) != nullptr; }
    const std::string &displayName() const { return m_displayName; }

    // A number in (0, limit).
    double requiredSmallPositive(const char *key, double limit) const
    {
        const nlohmann::json &value = require(key);
        if (!value.is_number() || !(value.get<double>() > 0.0 && value.get<double>() < limit))
            fail("config: '" + pathOf(key) + "' must be a number above 0 and below " + std::to_string(limit)
                 + ", found " + detail::describeJson(value));
        return value.get<double>();
    }

    template<typename Enum, size_t N>
    Enum choice(const char *key, const EnumName<Enum> (&table)[N], const nlohmann::json &value) const
    {
        const std::string name = string(key, value);
        std::string expected;
        for (size_t i = 0; i < N; ++i) {
            if (name == table[i].name)
                return table[i].value;
            expected += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(table[i].name);
        }
        fail("config: " + pathOf(key) + ": unknown value '" + name + "' (expected " + expected + ")");
    }

    template<typename Enum, size_t N>
    Enum requiredChoice(const char *key, const EnumName<Enum> (&table)[N]) const
    {
        return choice(key, table, require(key));
    }

    template<typename Enum, size_t N>
    Enum optionalChoice(const char *key, const EnumName<Enum> (&table)[N], Enum fallback) const
    {
        const nlohmann::json *value = find(key);
        return value ? choice(key, table, *value) : fallback;
    }

private:
    // Sizes are multiplied together in the tensor table (L D He squared for OpenNMT's bridge):
    // keep each one small enough that no product of two overflows int64.
    static constexpr int maxSize = 1 << 20;
    static constexpr int maxLayers = 64;

    std::string pathOf(const char *key) const { return m_path.empty() ? key : m_path + "." + key; }

    [[noreturn]] void fail(const std::string &message) const { detail::throwModelError(m_displayName, message); }

    const nlohmann::json &m_json;
    std::string m_path;
    const std::string &m_displayName;
};

void readTexts(const ConfigReader &reader, ModelConfig &config)
{
    config.sosToken = reader.requiredString("sos_token");
    config.eosToken = reader.requiredString("eos_token");
    config.unkToken = reader.optionalString("unk_token");
    config.normalization = reader.optionalChoice("normalization", normalizationNames, Normalization::Tutorial);
    config.name = reader.optionalString("name").value_or("");
    config.description = reader.optionalString("description").value_or("");
    config.sourceLanguage = reader.optionalString("source_language").value_or("");
    config.targetLanguage = reader.optionalString("target_language").value_or("");
}

void writeTexts(const ModelConfig &config, nlohmann::json &json)
{
    json["sos_token"] = config.sosToken;
    json["eos_token"] = config.eosToken;
    json["normalization"] = normalizationName(config.normalization);
    if (config.unkToken)
        json["unk_token"] = *config.unkToken;
    const std::pair<const char *, const std::string *> texts[] = {
        {"name", &config.name},
        {"description", &config.description},
        {"source_language", &config.sourceLanguage},
        {"target_language", &config.targetLanguage},
    };
    for (const auto &[key, text] : texts) {
        if (!text->empty())
            json[key] = *text;
    }
}

// The keys the encoder and the decoder share.
template<typename Side>
void readRnn(const ConfigReader &reader, Side &side)
{
    side.cell = reader.requiredChoice("cell", cellNames);
    side.layers = reader.optionalLayers("layers");
    side.embeddingSize = reader.requiredPositiveInt("embedding_size");
    side.hiddenSize = reader.requiredPositiveInt("hidden_size");
    side.embeddingScale = reader.optionalBool("embedding_scale", false);
}

} // namespace

std::string cellName(Cell cell) { return nameOf(cellNames, cell); }
std::string mergeName(DirectionMerge merge) { return nameOf(mergeNames, merge); }
std::string decoderInputName(DecoderInput input) { return nameOf(inputNames, input); }
std::string queryName(Query query) { return nameOf(queryNames, query); }
std::string initRuleName(InitRule rule) { return nameOf(cellInitNames, rule); }
std::string activationName(Activation activation) { return nameOf(bridgeActivationNames, activation); }
std::string attentionalName(Attentional attentional) { return nameOf(attentionalNames, attentional); }
std::string scoreName(Score score) { return nameOf(scoreNames, score); }
std::string normalizationName(Normalization normalization) { return nameOf(normalizationNames, normalization); }
std::string architectureName(Architecture architecture) { return nameOf(architectureNames, architecture); }
std::string normPositionName(NormPosition norm) { return nameOf(normNames, norm); }
std::string beamRuleName(BeamRule rule) { return nameOf(beamRuleNames, rule); }
std::string positionsName(Positions positions) { return nameOf(positionsNames, positions); }
std::string feedForwardActivationName(FeedForwardActivation activation) { return nameOf(feedForwardNames, activation); }

namespace {

nlohmann::json transformerToJson(const TransformerConfig &t)
{
    nlohmann::json json = {
        {"encoder_layers", t.encoderLayers},
        {"decoder_layers", t.decoderLayers},
        {"model_size", t.modelSize},
        {"heads", t.heads},
        {"feed_forward_size", t.feedForwardSize},
        {"encoder_norm", normPositionName(t.encoderNorm)},
        {"decoder_norm", normPositionName(t.decoderNorm)},
        {"encoder_final_norm", t.encoderFinalNorm},
        {"decoder_final_norm", t.decoderFinalNorm},
        {"norm_epsilon", t.normEpsilon},
        {"positions", positionsName(t.positions)},
        {"embedding_scale", t.embeddingScale},
        {"attention_bias", t.attentionBias},
        {"feed_forward_bias", t.feedForwardBias},
        {"activation", feedForwardActivationName(t.activation)},
        {"gated_feed_forward", t.gatedFeedForward},
        {"shared_embeddings", t.sharedEmbeddings},
        {"tied_output", t.tiedOutput},
        {"output_bias", t.outputBias},
    };
    if (t.positions == Positions::Learned)
        json["max_positions"] = t.maxPositions;
    if (!t.toolkit.empty())
        json["toolkit"] = t.toolkit;
    return json;
}

TransformerConfig transformerFromJson(const ConfigReader &r)
{
    TransformerConfig t;
    t.encoderLayers = r.optionalLayers("encoder_layers");
    t.decoderLayers = r.optionalLayers("decoder_layers");
    t.modelSize = r.requiredPositiveInt("model_size");
    t.heads = r.requiredPositiveInt("heads");
    t.feedForwardSize = r.requiredPositiveInt("feed_forward_size");
    // "norm" sets both stacks (and a final norm for pre); the keys of each stack override it.
    const NormPosition both = r.optionalChoice("norm", normNames, NormPosition::Pre);
    if (!r.has("norm") && !(r.has("encoder_norm") && r.has("decoder_norm")))
        r.require("norm"); // says which key is missing
    t.encoderNorm = r.optionalChoice("encoder_norm", normNames, both);
    t.decoderNorm = r.optionalChoice("decoder_norm", normNames, both);
    t.encoderFinalNorm = r.optionalBool("encoder_final_norm", t.encoderNorm == NormPosition::Pre);
    t.decoderFinalNorm = r.optionalBool("decoder_final_norm", t.decoderNorm == NormPosition::Pre);
    t.normEpsilon = r.requiredSmallPositive("norm_epsilon", 1.0);
    t.positions = r.requiredChoice("positions", positionsNames);
    if (t.positions == Positions::Learned)
        t.maxPositions = r.requiredPositiveInt("max_positions");
    t.embeddingScale = r.optionalBool("embedding_scale", true);
    t.attentionBias = r.optionalBool("attention_bias", true);
    t.feedForwardBias = r.optionalBool("feed_forward_bias", true);
    t.activation = r.optionalChoice("activation", feedForwardNames, FeedForwardActivation::Relu);
    t.gatedFeedForward = r.optionalBool("gated_feed_forward", false);
    t.sharedEmbeddings = r.optionalBool("shared_embeddings", false);
    t.tiedOutput = r.optionalBool("tied_output", false);
    t.outputBias = r.optionalBool("output_bias", false);
    t.toolkit = r.optionalString("toolkit").value_or("");
    return t;
}

} // namespace

namespace {

nlohmann::json searchToJson(const SearchConfig &r)
{
    nlohmann::json search = nlohmann::json::object();
    if (!r.neverGenerate.empty())
        search["never_generate"] = r.neverGenerate;
    const std::pair<const char *, int> counts[] = {
        {"min_length", r.minLength},
        {"max_length_offset", r.maxLengthOffset},
        {"max_length_cap", r.maxLengthCap},
    };
    for (const auto &[key, count] : counts) {
        if (count != 0)
            search[key] = count;
    }
    if (r.maxLengthRatio != 0.0)
        search["max_length_ratio"] = r.maxLengthRatio;
    if (!r.beamNeverGenerate.empty())
        search["beam_never_generate"] = r.beamNeverGenerate;
    if (r.forcedEos)
        search["forced_eos"] = true;
    if (r.beamRule != BeamRule::Attnviz) {
        search["beam_rule"] = beamRuleName(r.beamRule);
        search["length_penalty"] = r.lengthPenalty;
    }
    return search;
}

void readSearch(const ConfigReader &reader, SearchConfig &r)
{
    if (!reader.has("search"))
        return;
    // Sanity bounds only: translate() caps every run at maxOutputSteps.
    constexpr int maxSearchValue = 1 << 20;
    const ConfigReader search = reader.object("search");
    r.neverGenerate = search.optionalStrings("never_generate");
    r.minLength = search.optionalCount("min_length", maxSearchValue);
    r.maxLengthRatio = search.optionalRatio("max_length_ratio", maxSearchValue);
    r.maxLengthOffset = search.optionalCount("max_length_offset", maxSearchValue);
    r.maxLengthCap = search.optionalCount("max_length_cap", maxSearchValue);
    r.beamNeverGenerate = search.optionalStrings("beam_never_generate");
    r.forcedEos = search.optionalBool("forced_eos", false);
    r.beamRule = search.optionalChoice("beam_rule", beamRuleNames, BeamRule::Attnviz);
    if (search.has("length_penalty")) {
        const nlohmann::json &value = search.require("length_penalty");
        if (!value.is_number() || !(std::abs(value.get<double>()) <= 100.0))
            detail::throwModelError(search.displayName(), "config: 'search.length_penalty' must be a number from -100 to 100, found "
                                                   + detail::describeJson(value));
        r.lengthPenalty = value.get<double>();
    }
}

} // namespace

nlohmann::json configToJson(const ModelConfig &config)
{
    if (config.isTransformer()) {
        nlohmann::json json = {
            {"family", "transformer"},
            {"source_eos", config.sourceEos},
            {"transformer", transformerToJson(config.transformer)},
        };
        if (!config.search.isDefault())
            json["search"] = searchToJson(config.search);
        writeTexts(config, json);
        return json;
    }
    const EncoderConfig &e = config.encoder;
    const DecoderConfig &d = config.decoder;
    const AttentionConfig &a = config.attention;
    const auto rnn = [](const auto &side) {
        return nlohmann::json{
            {"cell", cellName(side.cell)},
            {"layers", side.layers},
            {"embedding_size", side.embeddingSize},
            {"hidden_size", side.hiddenSize},
            {"embedding_scale", side.embeddingScale},
        };
    };
    nlohmann::json encoder = rnn(e);
    encoder["bidirectional"] = e.bidirectional;
    if (e.bidirectional)
        encoder["merge"] = mergeName(e.merge);
    nlohmann::json decoder = rnn(d);
    decoder.update({
        {"input", decoderInputName(d.input)},
        {"query", queryName(d.query)},
        {"init", initRuleName(d.init)},
        {"attentional", attentionalName(d.attentional)},
        {"output_bias", d.outputBias},
    });
    if (d.input == DecoderInput::Combine)
        decoder["combine_activation"] = nameOf(combineActivationNames, d.combineActivation);
    if (d.cell == Cell::Lstm)
        decoder["cell_init"] = initRuleName(d.cellInit);
    if (d.init == InitRule::Bridge || (d.cell == Cell::Lstm && d.cellInit == InitRule::Bridge)) {
        decoder["bridge_activation"] = activationName(d.bridgeActivation);
        decoder["bridge_bias"] = d.bridgeBias;
    }
    if (d.attentional != Attentional::None) {
        decoder["attentional_activation"] = activationName(d.attentionalActivation);
        decoder["attentional_bias"] = d.attentionalBias;
    }
    nlohmann::json attention = {{"score", scoreName(a.score)}};
    switch (a.score) {
    case Score::General:
    case Score::Bilinear:
        attention["bias"] = a.bias;
        break;
    case Score::Additive:
        attention["hidden_size"] = a.hiddenSize;
        attention["query_bias"] = a.queryBias;
        attention["key_bias"] = a.keyBias;
        attention["energy_bias"] = a.energyBias;
        break;
    case Score::Concat:
        attention["hidden_size"] = a.hiddenSize;
        attention["bias"] = a.bias;
        attention["energy_bias"] = a.energyBias;
        break;
    case Score::Location:
        attention["slots"] = a.locationSlots;
        break;
    case Score::Dot:
        break;
    }
    nlohmann::json json = {
        {"source_eos", config.sourceEos},
        {"encoder", encoder},
        {"decoder", decoder},
        {"attention", attention},
    };
    if (!config.search.isDefault())
        json["search"] = searchToJson(config.search);
    writeTexts(config, json);
    return json;
}

ModelConfig configFromJson(const nlohmann::json &json, const std::string &displayName)
{
    const ConfigReader reader(json, "", displayName);
    ModelConfig config;
    readTexts(reader, config);
    config.sourceEos = reader.optionalBool("source_eos", true);
    config.family = reader.optionalChoice("family", familyNames, Family::Rnn);
    if (config.isTransformer()) {
        config.transformer = transformerFromJson(reader.object("transformer"));
        readSearch(reader, config.search);
        checkConfig(config, displayName);
        return config;
    }

    const ConfigReader enc = reader.object("encoder");
    EncoderConfig &e = config.encoder;
    readRnn(enc, e);
    e.bidirectional = enc.optionalBool("bidirectional", false);
    if (e.bidirectional)
        e.merge = enc.optionalChoice("merge", mergeNames, DirectionMerge::Concat);

    const ConfigReader dec = reader.object("decoder");
    DecoderConfig &d = config.decoder;
    readRnn(dec, d);
    d.input = dec.requiredChoice("input", inputNames);
    if (d.input == DecoderInput::Combine)
        d.combineActivation = dec.optionalChoice("combine_activation", combineActivationNames, Activation::Relu);
    d.query = dec.requiredChoice("query", queryNames);
    d.init = dec.requiredChoice("init", initNames);
    if (d.cell == Cell::Lstm)
        d.cellInit = dec.requiredChoice("cell_init", cellInitNames);
    d.bridgeActivation = dec.optionalChoice("bridge_activation", bridgeActivationNames, Activation::Tanh);
    d.bridgeBias = dec.optionalBool("bridge_bias", true);
    d.attentional = dec.requiredChoice("attentional", attentionalNames);
    d.attentionalActivation =
        dec.optionalChoice("attentional_activation", attentionalActivationNames, Activation::Tanh);
    d.attentionalBias = dec.optionalBool("attentional_bias", true);
    d.outputBias = dec.optionalBool("output_bias", true);

    const ConfigReader att = reader.object("attention");
    AttentionConfig &a = config.attention;
    a.score = att.requiredChoice("score", scoreNames);
    switch (a.score) {
    case Score::General:
    case Score::Bilinear:
        a.bias = att.optionalBool("bias", false);
        break;
    case Score::Additive:
        a.hiddenSize = att.requiredPositiveInt("hidden_size");
        a.queryBias = att.optionalBool("query_bias", true);
        a.keyBias = att.optionalBool("key_bias", true);
        a.energyBias = att.optionalBool("energy_bias", true);
        break;
    case Score::Concat:
        a.hiddenSize = att.requiredPositiveInt("hidden_size");
        a.bias = att.optionalBool("bias", true);
        a.energyBias = att.optionalBool("energy_bias", true);
        break;
    case Score::Location:
        a.locationSlots = att.requiredPositiveInt("slots");
        break;
    case Score::Dot:
        break;
    }
    readSearch(reader, config.search);
    checkConfig(config, displayName);
    return config;
}

ModelConfig bahdanauConfig(int hiddenSize)
{
    ModelConfig c;
    c.encoder.embeddingSize = c.encoder.hiddenSize = hiddenSize;
    c.decoder.embeddingSize = c.decoder.hiddenSize = hiddenSize;
    c.decoder.input = DecoderInput::EmbeddingContext;
    c.decoder.query = Query::Previous;
    c.decoder.init = InitRule::Final;
    c.decoder.attentional = Attentional::None;
    c.attention.score = Score::Additive;
    c.attention.hiddenSize = hiddenSize;
    c.sosToken = "SOS";
    c.eosToken = "EOS";
    return c;
}

ModelConfig luongConfig(int hiddenSize, LuongScore score)
{
    ModelConfig c = bahdanauConfig(hiddenSize);
    c.decoder.input = DecoderInput::Embedding;
    c.decoder.query = Query::Current;
    c.decoder.attentional = Attentional::ContextState;
    c.attention = {};
    c.attention.score = score == LuongScore::General ? Score::General : Score::Dot;
    return c;
}

ModelConfig tutorialLegacyConfig(int hiddenSize, int slots, bool combineRelu)
{
    ModelConfig c = bahdanauConfig(hiddenSize);
    c.decoder.input = DecoderInput::Combine;
    c.decoder.combineActivation = combineRelu ? Activation::Relu : Activation::Identity;
    c.attention = {};
    c.attention.score = Score::Location;
    c.attention.locationSlots = slots;
    return c;
}

std::optional<Architecture> architectureOf(const ModelConfig &config)
{
    if (config.isTransformer())
        return std::nullopt;
    const int h = config.decoder.hiddenSize;
    // Everything but the texts and tokens.
    const auto structure = [](const ModelConfig &c) {
        nlohmann::json j = configToJson(c);
        return nlohmann::json{j["encoder"], j["decoder"], j["attention"], j["source_eos"]};
    };
    const nlohmann::json mine = structure(config);
    const auto same = [&](const ModelConfig &preset) { return structure(preset) == mine; };
    if (same(bahdanauConfig(h)))
        return Architecture::Bahdanau;
    if (same(luongConfig(h, LuongScore::Dot)) || same(luongConfig(h, LuongScore::General)))
        return Architecture::Luong;
    if (config.attention.score == Score::Location
        && (same(tutorialLegacyConfig(h, config.attention.locationSlots, true))
            || same(tutorialLegacyConfig(h, config.attention.locationSlots, false))))
        return Architecture::TutorialLegacy;
    return std::nullopt;
}

ModelConfig configFromJsonV1(const nlohmann::json &json, const std::string &displayName)
{
    const ConfigReader reader(json, "", displayName);
    const Architecture architecture = reader.requiredChoice("architecture", architectureNames);
    const int h = reader.requiredPositiveInt("hidden_size");
    ModelConfig config;
    // Keys of other architectures are ignored like any unknown key.
    switch (architecture) {
    case Architecture::Bahdanau:
        config = bahdanauConfig(h);
        break;
    case Architecture::Luong:
        config = luongConfig(h, reader.requiredChoice("luong_score", luongScoreNames));
        break;
    case Architecture::TutorialLegacy:
        config = tutorialLegacyConfig(h, reader.requiredPositiveInt("max_length"),
                                      reader.optionalChoice("combine_activation", combineActivationNames,
                                                            Activation::Relu)
                                          == Activation::Relu);
        break;
    }
    readTexts(reader, config);
    return config;
}

std::string tensorNameFromV1(const std::string &name)
{
    static const std::pair<const char *, const char *> prefixes[] = {
        {"encoder.gru.", "encoder.rnn."},
        {"decoder.gru.", "decoder.rnn."},
        {"decoder.attention.Wa.", "decoder.attention.query_layer."},
        {"decoder.attention.Ua.", "decoder.attention.key_layer."},
        {"decoder.attention.Va.", "decoder.attention.energy_layer."},
        {"decoder.attention.W.", "decoder.attention.linear."},
        {"decoder.concat.", "decoder.attentional."},
        {"decoder.attn_combine.", "decoder.combine."},
        {"decoder.attn.", "decoder.attention.location."},
    };
    for (const auto &[from, to] : prefixes) {
        const std::string prefix = from;
        if (name.compare(0, prefix.size(), prefix) == 0)
            return to + name.substr(prefix.size());
    }
    return name;
}

} // namespace attnviz
