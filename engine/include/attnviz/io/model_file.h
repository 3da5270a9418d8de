// Reading, checking and writing attnviz-seq2seq model files (see docs/model-format.md).
//
//     #include <attnviz/io/model_file.h>
//     #include <iostream>
//
//     int main(int argc, char **argv)
//     {
//         if (argc != 2)
//             return 2;
//         try {
//             const attnviz::ModelFile model = attnviz::loadModelFile(argv[1]);
//             std::cout << attnviz::describeArchitecture(model.config) << ", "
//                       << model.parameterCount() << " parameters\n";
//         } catch (const attnviz::ModelError &error) {
//             std::cerr << error.what() << '\n'; // "<file>: <what was expected, what was found>"
//             return 1;
//         }
//     }
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <attnviz/io/float_buffer.h>
#include <attnviz/io/model_config.h>
#include <attnviz/io/tokenizer.h>

namespace attnviz {

// What attnviz writes; version 1 files (the three one-layer GRU architectures) still open.
inline constexpr std::string_view modelFormatName = "attnviz-seq2seq/2";
inline constexpr std::string_view modelFormatNameV1 = "attnviz-seq2seq/1";

struct Tensor
{
    std::vector<int64_t> shape;
    FloatBuffer values; // row-major; read in place from the file when loaded with WeightAccess::Map

    int64_t elementCount() const; // product of shape; loaded tensors are known not to overflow
};

struct ModelFile
{
    ModelConfig config;
    std::vector<std::string> sourceVocab, targetVocab; // index = token id
    std::map<std::string, Tensor> tensors;
    // How typed text becomes pieces (metadata "tokenizer"); none: a word-level model.
    std::optional<TokenizerRecord> tokenizer;

    int64_t parameterCount() const;
};

// Every message starts with the display name of the file: "<file>: <what is wrong>".
class ModelError : public std::runtime_error
{
public:
    using runtime_error::runtime_error;
};

// How a safetensors file's F32 weights reach memory. Copy reads them into vectors of their own.
// Map maps the file and uses aligned F32 tensors where they lie, so that a short-lived process
// (attnviz-cli) starts without copying; the file must then not be rewritten in place while the
// model is loaded (a program that truncates it would make this one crash on the next read),
// which is why the window copies.
enum class WeightAccess { Copy, Map };

// Files ending in ".json" are read as the JSON variant, anything else as safetensors; a Joey NMT
// model directory or .ckpt, and an OpenNMT-py *.pt, are imported (attnviz/io/toolkit_import.h).
ModelFile loadModelFile(const std::string &path, WeightAccess access = WeightAccess::Copy);
ModelFile loadModelFromBytes(std::string_view bytes, const std::string &displayName, bool asJson);

// Throws ModelError (prefixed with displayName) unless the model satisfies every rule of the
// format: known tensors with the right shapes, vocabularies that match the embeddings, special
// tokens present, finite weights, a tokenizer record whose models and codes load. The loaders call it; so does saveModelFile.
void validateModel(const ModelFile &model, const std::string &displayName);

// Serializers do not validate. Both are deterministic (tensors sorted by name).
std::string serializeSafetensors(const ModelFile &model); // all tensors as F32
std::string serializeJsonModel(const ModelFile &model);

// Validates, then writes atomically (temporary file in the same directory, fsync, rename).
// The format follows the extension, as in loadModelFile.
void saveModelFile(const ModelFile &model, const std::string &path);

std::string shapeToString(const std::vector<int64_t> &shape); // "[5000, 128]"

} // namespace attnviz
