// Internal helpers shared by the readers of both container formats.
#pragma once

#include <attnviz/io/model_file.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz::detail {

[[noreturn]] void throwModelError(const std::string &displayName, const std::string &message);

// Parses JSON, rejecting duplicate object keys (nlohmann would silently keep the last one).
// Keys of the object found at tensorTablePath (a path of keys from the root; empty = the root
// itself) are reported as duplicate tensor names. `what` names the text in messages: "header".
nlohmann::json parseJsonStrict(std::string_view text, const std::string &displayName,
                               const std::string &what,
                               const std::vector<std::string> *tensorTablePath = nullptr,
                               size_t maxKeys = 1000); // keys of one object (a vocab.json has many)

// "number 3.5", "string \"abc\"", "array [1,2]" (long values are shortened); for messages.
std::string describeJson(const nlohmann::json &value);

std::optional<uint64_t> nonNegativeInteger(const nlohmann::json &value);
std::optional<int64_t> checkedElementCount(const std::vector<int64_t> &shape); // none on overflow

// A tensor's entry must be an object that holds every one of `keys`.
void checkTensorEntry(const std::string &tensorName, const nlohmann::json &entry,
                      const std::vector<const char *> &keys, const std::string &displayName);

// A tensor's "shape": an array of non-negative integers whose product fits in int64.
// Called before anything is allocated for the tensor.
std::vector<int64_t> readShape(const nlohmann::json &value, const std::string &tensorName,
                               const std::string &displayName);

// The format version, 1 or 2.
int checkFormat(const nlohmann::json &format, const std::string &displayName);

// What both container formats reduce to before the model-level checks.
struct ModelParts
{
    int version = 2; // of the format: version 1 configs and tensor names are converted on assembly
    nlohmann::json config;
    nlohmann::json sourceVocab, targetVocab;
    std::map<std::string, Tensor> tensors;
    std::optional<nlohmann::json> tokenizer; // the record, when the file has one
};

bool isJsonPath(const std::string &path);

} // namespace attnviz::detail
