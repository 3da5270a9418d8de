#include "io/file_io.h"
#include "io/json_model.h"
#include "io/load_helpers.h"
#include "io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace attnviz {

using detail::throwModelError;

int64_t Tensor::elementCount() const
{
    int64_t count = 1;
    for (const int64_t dim : shape)
        count *= dim;
    return count;
}

int64_t ModelFile::parameterCount() const
{
    int64_t count = 0;
    for (const auto &entry : tensors)
        count += entry.second.elementCount();
    return count;
}

std::string shapeToString(const std::vector<int64_t> &shape)
{
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i > 0 ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

namespace {

std::vector<std::string> vocabFromJson(const nlohmann::json &json, const std::string &key,
                                       const std::string &displayName)
{
    if (!json.is_array())
        throwModelError(displayName,
                        key + " must be a JSON array of strings, found "
                            + detail::describeJson(json));
    std::vector<std::string> vocab;
    vocab.reserve(json.size());
    for (const nlohmann::json &word : json) {
        if (!word.is_string())
            throwModelError(displayName,
                            key + " must be a JSON array of strings, but entry "
                                + std::to_string(vocab.size()) + " is "
                                + detail::describeJson(word));
        vocab.push_back(word.get<std::string>());
    }
    return vocab;
}

ModelFile assembleModel(detail::ModelParts parts, const std::string &displayName)
{
    ModelFile model;
    model.sourceVocab = vocabFromJson(parts.sourceVocab, "source_vocab", displayName);
    model.targetVocab = vocabFromJson(parts.targetVocab, "target_vocab", displayName);
    if (parts.version == 1) {
        model.config = configFromJsonV1(parts.config, displayName);
        for (auto &[name, tensor] : parts.tensors)
            model.tensors.emplace(tensorNameFromV1(name), std::move(tensor));
    } else {
        model.config = configFromJson(parts.config, displayName);
        model.tensors = std::move(parts.tensors);
    }
    if (parts.tokenizer)
        model.tokenizer = tokenizerRecordFromJson(*parts.tokenizer, displayName);
    validateModel(model, displayName);
    return model;
}

detail::ModelParts partsFromSafetensors(const detail::ByteSource &source, const std::string &displayName)
{
    detail::SafetensorsContents contents = detail::readSafetensors(source, displayName);
    if (!contents.metadata)
        throwModelError(displayName,
                        "'__metadata__' is missing (an " + std::string(modelFormatName)
                            + " file keeps its format, config and vocabularies there)");
    const auto entry = [&](const char *key) -> const std::string & {
        const auto it = contents.metadata->find(key);
        if (it == contents.metadata->end())
            throwModelError(displayName, std::string("'__metadata__' has no '") + key + "' entry");
        return it->second;
    };
    detail::ModelParts parts;
    parts.version = detail::checkFormat(entry("format"), displayName);
    parts.config = detail::parseJsonStrict(entry("config"), displayName, "config");
    parts.sourceVocab = detail::parseJsonStrict(entry("source_vocab"), displayName, "source_vocab");
    parts.targetVocab = detail::parseJsonStrict(entry("target_vocab"), displayName, "target_vocab");
    parts.tensors = std::move(contents.tensors);
    if (const auto it = contents.metadata->find("tokenizer"); it != contents.metadata->end())
        parts.tokenizer = detail::parseJsonStrict(it->second, displayName, "tokenizer");
    return parts;
}

void checkVocabulary(const std::vector<std::string> &vocab, const char *which,
                     const std::string &displayName)
{
    std::unordered_map<std::string_view, size_t> ids;
    for (size_t id = 0; id < vocab.size(); ++id) {
        const auto [it, inserted] = ids.emplace(vocab[id], id);
        if (!inserted)
            throwModelError(displayName,
                            std::string(which) + " vocabulary has duplicate word '" + vocab[id]
                                + "' (ids " + std::to_string(it->second) + " and "
                                + std::to_string(id) + ")");
    }
}

void checkToken(const std::string &token, const char *key, const std::vector<std::string> &vocab,
                const char *which, const std::string &displayName)
{
    if (std::find(vocab.begin(), vocab.end(), token) == vocab.end())
        throwModelError(displayName,
                        std::string(key) + " '" + token + "' is not in the " + which
                            + " vocabulary");
}

void checkEmbeddingRows(const ModelFile &model, const char *tensorName,
                        const std::vector<std::string> &vocab, const char *which,
                        const std::string &displayName)
{
    const auto it = model.tensors.find(tensorName);
    if (it == model.tensors.end() || it->second.shape.size() != 2
        || it->second.shape[0] == static_cast<int64_t>(vocab.size()))
        return; // absent or oddly shaped tensors are reported by the shape check
    throwModelError(displayName,
                    std::string(which) + " vocabulary has " + std::to_string(vocab.size())
                        + " words, but '" + tensorName + "' has "
                        + std::to_string(it->second.shape[0]) + " rows");
}

// A loop without an early exit over the exponent bits, which the compiler vectorizes: this
// pass over every weight is most of what loading a mapped file costs.
bool allFinite(const float *values, size_t count)
{
    uint32_t nonFinite = 0;
    for (size_t i = 0; i < count; ++i) {
        uint32_t bits;
        std::memcpy(&bits, values + i, sizeof bits);
        nonFinite |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    }
    return nonFinite == 0;
}

void checkValues(const std::string &name, const Tensor &tensor, const std::string &displayName)
{
    const std::optional<int64_t> count = detail::checkedElementCount(tensor.shape);
    if (!count || static_cast<uint64_t>(*count) != tensor.values.size())
        throwModelError(displayName,
                        "tensor '" + name + "': holds " + std::to_string(tensor.values.size())
                            + " values, which does not match its shape "
                            + shapeToString(tensor.shape));
    if (allFinite(tensor.values.data(), tensor.values.size()))
        return;
    for (size_t i = 0; i < tensor.values.size(); ++i) {
        const float value = tensor.values[i];
        if (std::isfinite(value))
            continue;
        const char *kind = std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf";
        throwModelError(displayName,
                        "tensor '" + name + "': non-finite value " + kind + " at flat index "
                            + std::to_string(i));
    }
}

} // namespace

void validateModel(const ModelFile &model, const std::string &displayName)
{
    const ModelConfig &config = model.config;
    checkConfig(config, displayName);

    checkVocabulary(model.sourceVocab, "source", displayName);
    checkVocabulary(model.targetVocab, "target", displayName);
    checkToken(config.sosToken, "sos_token", model.targetVocab, "target", displayName);
    if (config.sourceEos)
        checkToken(config.eosToken, "eos_token", model.sourceVocab, "source", displayName);
    checkToken(config.eosToken, "eos_token", model.targetVocab, "target", displayName);
    if (config.unkToken)
        checkToken(*config.unkToken, "unk_token", model.sourceVocab, "source", displayName);
    for (const std::string &token : config.search.neverGenerate)
        checkToken(token, "search.never_generate", model.targetVocab, "target", displayName);
    for (const std::string &token : config.search.beamNeverGenerate)
        checkToken(token, "search.beam_never_generate", model.targetVocab, "target", displayName);

    if (config.isTransformer() && config.transformer.sharedEmbeddings && model.sourceVocab != model.targetVocab)
        throwModelError(displayName, "config: transformer.shared_embeddings needs one vocabulary for both sides, but "
                                     "source_vocab and target_vocab differ");
    // Before the generic shape check, which would only say "wrong shape".
    checkEmbeddingRows(model, "encoder.embedding.weight", model.sourceVocab, "source", displayName);
    checkEmbeddingRows(model, "decoder.embedding.weight", model.targetVocab, "target", displayName);

    const auto expected =
        expectedTensorShapes(config, static_cast<int64_t>(model.sourceVocab.size()),
                             static_cast<int64_t>(model.targetVocab.size()));
    for (const auto &[name, shape] : expected) {
        const auto it = model.tensors.find(name);
        if (it == model.tensors.end())
            throwModelError(displayName,
                            "missing tensor '" + name + "' (expected shape " + shapeToString(shape)
                                + ")");
        if (it->second.shape != shape)
            throwModelError(displayName,
                            "tensor '" + name + "': expected shape " + shapeToString(shape)
                                + ", found " + shapeToString(it->second.shape));
    }
    for (const auto &[name, tensor] : model.tensors) {
        if (!expected.count(name))
            throwModelError(displayName,
                            "unexpected tensor '" + name + "' (not part of a model of this configuration: "
                                + describeArchitecture(config) + ")");
        checkValues(name, tensor, displayName);
    }
    makeTokenizers(model, displayName); // the SentencePiece models load, the codes parse
}

ModelFile loadModelFromBytes(std::string_view bytes, const std::string &displayName, bool asJson)
{
    return assembleModel(asJson ? detail::readJsonModel(bytes, displayName)
                                : partsFromSafetensors(detail::MemorySource(bytes), displayName),
                         displayName);
}

ModelFile loadModelFile(const std::string &path, WeightAccess access)
{
    if (detail::isJsonPath(path))
        return loadModelFromBytes(detail::readWholeFile(path), path, true);
    if (access == WeightAccess::Map)
        return assembleModel(partsFromSafetensors(detail::MappedFileSource(path), path), path);
    // Read piece by piece, so that the file's bytes and the weights are not in memory together.
    return assembleModel(partsFromSafetensors(detail::FileSource(path), path), path);
}

std::string serializeSafetensors(const ModelFile &model)
{
    std::map<std::string, std::string> metadata = {
        {"format", std::string(modelFormatName)},
        {"config", configToJson(model.config).dump()},
        {"source_vocab", nlohmann::json(model.sourceVocab).dump()},
        {"target_vocab", nlohmann::json(model.targetVocab).dump()},
    };
    if (model.tokenizer)
        metadata["tokenizer"] = tokenizerRecordToJson(*model.tokenizer).dump();
    return detail::writeSafetensors(model.tensors, metadata);
}

std::string serializeJsonModel(const ModelFile &model)
{
    return detail::writeJsonModel(model);
}

void saveModelFile(const ModelFile &model, const std::string &path)
{
    validateModel(model, path);
    detail::writeFileAtomically(
        path, detail::isJsonPath(path) ? serializeJsonModel(model) : serializeSafetensors(model));
}

} // namespace attnviz
