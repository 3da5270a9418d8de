#include "io/load_helpers.h"

#include <limits>

namespace attnviz {

namespace {

template<typename Enum>
struct EnumName
{
    Enum value;
    const char *name;
};

constexpr EnumName<Architecture> architectureNames[] = {
    {Architecture::Bahdanau, "bahdanau"},
    {Architecture::Luong, "luong"},
    {Architecture::TutorialLegacy, "tutorial_legacy"},
};
constexpr EnumName<Normalization> normalizationNames[] = {
    {Normalization::Tutorial, "tutorial"},
    {Normalization::None, "none"},
};
constexpr EnumName<LuongScore> luongScoreNames[] = {
    {LuongScore::Dot, "dot"},
    {LuongScore::General, "general"},
};
constexpr EnumName<CombineActivation> combineActivationNames[] = {
    {CombineActivation::Relu, "relu"},
    {CombineActivation::None, "none"},
};

template<typename Enum, size_t N>
std::string nameOf(const EnumName<Enum> (&table)[N], Enum value)
{
    for (const auto &entry : table) {
        if (entry.value == value)
            return entry.name;
    }
    return "unknown";
}

// Reads config keys, with messages that say which key and what was found.
class ConfigReader
{
public:
    ConfigReader(const nlohmann::json &json, const std::string &displayName)
        : m_json(json)
        , m_displayName(displayName)
    {
        if (!json.is_object())
            fail("config must be a JSON object, found " + detail::describeJson(json));
    }

    const nlohmann::json *find(const char *key) const
    {
        const auto it = m_json.find(key);
        return it == m_json.end() ? nullptr : &*it;
    }

    const nlohmann::json &require(const char *key) const
    {
        const nlohmann::json *value = find(key);
        if (!value)
            fail(std::string("config: missing required key '") + key + "'");
        return *value;
    }

    std::string string(const char *key, const nlohmann::json &value) const
    {
        if (!value.is_string())
            fail(std::string("config: '") + key + "' must be a string, found "
                 + detail::describeJson(value));
        return value.get<std::string>();
    }

    std::string requiredString(const char *key) const { return string(key, require(key)); }

    std::optional<std::string> optionalString(const char *key) const
    {
        const nlohmann::json *value = find(key);
        return value ? std::optional(string(key, *value)) : std::nullopt;
    }

    int requiredPositiveInt(const char *key) const
    {
        const nlohmann::json &value = require(key);
        const std::optional<uint64_t> number = detail::nonNegativeInteger(value);
        if (!number || *number == 0 || *number > uint64_t(std::numeric_limits<int>::max()))
            fail(std::string("config: '") + key + "' must be an integer from 1 to "
                 + std::to_string(std::numeric_limits<int>::max()) + ", found "
                 + detail::describeJson(value));
        return static_cast<int>(*number);
    }

    template<typename Enum, size_t N>
    Enum choice(const char *key, const EnumName<Enum> (&table)[N],
                const nlohmann::json &value) const
    {
        const std::string name = string(key, value);
        std::string expected;
        for (size_t i = 0; i < N; ++i) {
            if (name == table[i].name)
                return table[i].value;
            expected += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(table[i].name);
        }
        fail(std::string("config: unknown ") + key + " '" + name + "' (expected " + expected + ")");
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
    [[noreturn]] void fail(const std::string &message) const
    {
        detail::throwModelError(m_displayName, message);
    }

    const nlohmann::json &m_json;
    const std::string &m_displayName;
};

} // namespace

std::string architectureName(Architecture architecture)
{
    return nameOf(architectureNames, architecture);
}

std::string normalizationName(Normalization normalization)
{
    return nameOf(normalizationNames, normalization);
}

std::string luongScoreName(LuongScore score)
{
    return nameOf(luongScoreNames, score);
}

std::string combineActivationName(CombineActivation activation)
{
    return nameOf(combineActivationNames, activation);
}

nlohmann::json configToJson(const ModelConfig &config)
{
    nlohmann::json json = {
        {"architecture", architectureName(config.architecture)},
        {"hidden_size", config.hiddenSize},
        {"sos_token", config.sosToken},
        {"eos_token", config.eosToken},
        {"normalization", normalizationName(config.normalization)},
    };
    if (config.unkToken)
        json["unk_token"] = *config.unkToken;
    if (config.architecture == Architecture::Luong)
        json["luong_score"] = luongScoreName(config.luongScore);
    if (config.architecture == Architecture::TutorialLegacy) {
        json["max_length"] = config.maxLength;
        json["combine_activation"] = combineActivationName(config.combineActivation);
    }
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
    return json;
}

ModelConfig configFromJson(const nlohmann::json &json, const std::string &displayName)
{
    const ConfigReader reader(json, displayName);
    ModelConfig config;
    config.architecture = reader.requiredChoice("architecture", architectureNames);
    config.hiddenSize = reader.requiredPositiveInt("hidden_size");
    config.sosToken = reader.requiredString("sos_token");
    config.eosToken = reader.requiredString("eos_token");
    config.unkToken = reader.optionalString("unk_token");
    config.normalization =
        reader.optionalChoice("normalization", normalizationNames, Normalization::Tutorial);
    // Keys of other architectures are ignored like any unknown key.
    if (config.architecture == Architecture::Luong)
        config.luongScore = reader.requiredChoice("luong_score", luongScoreNames);
    if (config.architecture == Architecture::TutorialLegacy) {
        config.maxLength = reader.requiredPositiveInt("max_length");
        config.combineActivation = reader.optionalChoice(
            "combine_activation", combineActivationNames, CombineActivation::Relu);
    }
    config.name = reader.optionalString("name").value_or("");
    config.description = reader.optionalString("description").value_or("");
    config.sourceLanguage = reader.optionalString("source_language").value_or("");
    config.targetLanguage = reader.optionalString("target_language").value_or("");
    return config;
}

std::map<std::string, std::vector<int64_t>>
expectedTensorShapes(const ModelConfig &config, int64_t sourceVocabSize, int64_t targetVocabSize)
{
    const int64_t h = config.hiddenSize;
    std::map<std::string, std::vector<int64_t>> shapes;
    // PyTorch nn.GRU, one layer: gates r, z, n stacked along the first dimension.
    const auto addGru = [&](const std::string &prefix, int64_t inputSize) {
        shapes[prefix + ".weight_ih_l0"] = {3 * h, inputSize};
        shapes[prefix + ".weight_hh_l0"] = {3 * h, h};
        shapes[prefix + ".bias_ih_l0"] = {3 * h};
        shapes[prefix + ".bias_hh_l0"] = {3 * h};
    };

    shapes["encoder.embedding.weight"] = {sourceVocabSize, h};
    addGru("encoder.gru", h);
    shapes["decoder.embedding.weight"] = {targetVocabSize, h};
    switch (config.architecture) {
    case Architecture::Bahdanau:
        shapes["decoder.attention.Wa.weight"] = {h, h};
        shapes["decoder.attention.Wa.bias"] = {h};
        shapes["decoder.attention.Ua.weight"] = {h, h};
        shapes["decoder.attention.Ua.bias"] = {h};
        shapes["decoder.attention.Va.weight"] = {1, h};
        shapes["decoder.attention.Va.bias"] = {1};
        addGru("decoder.gru", 2 * h); // input: [embedding; context]
        break;
    case Architecture::Luong:
        if (config.luongScore == LuongScore::General)
            shapes["decoder.attention.W.weight"] = {h, h};
        shapes["decoder.concat.weight"] = {h, 2 * h};
        shapes["decoder.concat.bias"] = {h};
        addGru("decoder.gru", h);
        break;
    case Architecture::TutorialLegacy:
        shapes["decoder.attn.weight"] = {config.maxLength, 2 * h};
        shapes["decoder.attn.bias"] = {config.maxLength};
        shapes["decoder.attn_combine.weight"] = {h, 2 * h};
        shapes["decoder.attn_combine.bias"] = {h};
        addGru("decoder.gru", h);
        break;
    }
    shapes["decoder.out.weight"] = {targetVocabSize, h};
    shapes["decoder.out.bias"] = {targetVocabSize};
    return shapes;
}

} // namespace attnviz
