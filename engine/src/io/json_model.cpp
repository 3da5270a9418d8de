#include "io/json_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace attnviz::detail {

namespace {

const nlohmann::json &member(const nlohmann::json &document, const char *key, bool isArray,
                             const std::string &displayName)
{
    const auto it = document.find(key);
    if (it == document.end())
        throwModelError(displayName, std::string("top-level key '") + key + "' is missing");
    if (isArray ? !it->is_array() : !it->is_object())
        throwModelError(displayName,
                        std::string("top-level key '") + key + "' must be "
                            + (isArray ? "an array" : "an object") + ", found "
                            + describeJson(*it));
    return *it;
}

Tensor readTensor(const std::string &name, const nlohmann::json &value,
                  const std::string &displayName)
{
    checkTensorEntry(name, value, {"shape", "data"}, displayName);
    const std::string prefix = "tensor '" + name + "': ";
    Tensor tensor;
    tensor.shape = readShape(value["shape"], name, displayName);
    const nlohmann::json &data = value["data"];
    if (!data.is_array())
        throwModelError(displayName,
                        prefix + "'data' must be an array of numbers, found " + describeJson(data));
    const int64_t count = *checkedElementCount(tensor.shape);
    if (data.size() != static_cast<uint64_t>(count))
        throwModelError(displayName,
                        prefix + "'data' has " + std::to_string(data.size()) + " values, but shape "
                            + shapeToString(tensor.shape) + " needs " + std::to_string(count));
    tensor.values.reserve(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
        // Converting an out-of-range double to float is undefined behaviour, so check first.
        // The bound is where rounding to float would give infinity: FLT_MAX plus half an ulp.
        const double limit = std::ldexp(2.0 - std::ldexp(1.0, -24), 127);
        const double number = data[i].is_number() ? data[i].get<double>() : NAN;
        if (!(std::fabs(number) < limit))
            throwModelError(displayName,
                            prefix + "data[" + std::to_string(i)
                                + "] must be a number in float32 range, found "
                                + describeJson(data[i]));
        tensor.values.push_back(static_cast<float>(number));
    }
    return tensor;
}

void appendFloat(std::string &out, float value)
{
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value); // shortest round-trip
    out.append(buffer, result.ptr);
    // "-0" would be read back as the integer 0 and lose its sign; keep every value a float.
    if (std::find_if(buffer, result.ptr, [](char c) { return c == '.' || c == 'e'; }) == result.ptr)
        out += ".0";
}

} // namespace

ModelParts readJsonModel(std::string_view bytes, const std::string &displayName)
{
    const std::vector<std::string> tensorTable {"tensors"};
    const nlohmann::json document = parseJsonStrict(bytes, displayName, "file", &tensorTable);
    if (!document.is_object())
        throwModelError(displayName,
                        "expected a JSON object at the top level, found " + describeJson(document));
    const auto format = document.find("format");
    if (format == document.end())
        throwModelError(displayName, "top-level key 'format' is missing");
    const int version = checkFormat(*format, displayName);

    ModelParts parts;
    parts.version = version;
    parts.config = member(document, "config", false, displayName);
    parts.sourceVocab = member(document, "source_vocab", true, displayName);
    parts.targetVocab = member(document, "target_vocab", true, displayName);
    if (const auto tokenizer = document.find("tokenizer"); tokenizer != document.end())
        parts.tokenizer = *tokenizer;
    for (const auto &[name, value] : member(document, "tensors", false, displayName).items())
        parts.tensors.emplace(name, readTensor(name, value, displayName));
    return parts;
}

std::string writeJsonModel(const ModelFile &model)
{
    // One line per tensor keeps hand-written and generated files diffable.
    std::string out = "{\n";
    out += "  \"format\": " + nlohmann::json(modelFormatName).dump() + ",\n";
    out += "  \"config\": " + configToJson(model.config).dump() + ",\n";
    out += "  \"source_vocab\": " + nlohmann::json(model.sourceVocab).dump() + ",\n";
    out += "  \"target_vocab\": " + nlohmann::json(model.targetVocab).dump() + ",\n";
    if (model.tokenizer)
        out += "  \"tokenizer\": " + tokenizerRecordToJson(*model.tokenizer).dump() + ",\n";
    out += "  \"tensors\": {";
    const char *separator = "\n";
    for (const auto &[name, tensor] : model.tensors) {
        out += separator;
        separator = ",\n";
        out += "    " + nlohmann::json(name).dump()
            + ": {\"shape\": " + nlohmann::json(tensor.shape).dump() + ", \"data\": [";
        for (size_t i = 0; i < tensor.values.size(); ++i) {
            if (i > 0)
                out += ", ";
            appendFloat(out, tensor.values[i]);
        }
        out += "]}";
    }
    out += "\n  }\n}\n";
    return out;
}

} // namespace attnviz::detail
