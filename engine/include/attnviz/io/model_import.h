// One front door for every model file: attnviz's own (.safetensors, .json) and the checkpoints
// people train elsewhere (the PyTorch tutorial's, however saved; the toolkits' importers plug
// in here). Files are told apart by their first bytes, not their names, and a file that is no
// model gets one line saying what it is.
//
//     #include <attnviz/io/model_import.h>
//     #include <iostream>
//
//     int main(int argc, char **argv)
//     {
//         if (argc != 2)
//             return 2;
//         try {
//             attnviz::ImportOptions options;          // vocabularies, if the file lacks them
//             const attnviz::ImportedModel imported = attnviz::openModel(argv[1], options);
//             std::cout << imported.report.toolkit << ": " << imported.report.configuration << '\n';
//             for (const std::string &entry : imported.report.ignored)
//                 std::cout << "ignored: " << entry << '\n';   // "epoch (12)"
//         } catch (const attnviz::ModelError &error) {
//             std::cerr << error.what() << '\n'; // "passwd is a text file, not a model: ..."
//             return 1;
//         }
//     }
#pragma once

#include <attnviz/io/model_file.h>
#include <attnviz/io/torch_import.h>

#include <optional>
#include <string>
#include <vector>

namespace attnviz {

// What the first bytes say a file is.
enum class FileKind {
    Safetensors,  // attnviz's own (or any safetensors file: the loader checks the rest)
    AttnvizJson,  // attnviz's JSON variant
    TorchZip,     // torch.save, PyTorch >= 1.6 (a ZIP holding <name>/data.pkl)
    TorchLegacy,  // torch.save before 1.6 (a pickle starting with its magic number)
    Pickle,       // another pickle
    Zip,          // a ZIP archive of something else
    Png,
    Json,
    Yaml,
    Pharaoh,      // alignment lines "0-0 1-2"
    Text,
    Directory,
    Empty,
    Binary,
};

FileKind sniffFile(const std::string &path);
std::string fileKindName(FileKind kind); // "a text file", "a PNG image"...

// The vocabularies and choices of TorchImportOptions, for checkpoints that lack them (its
// encoder/decoder/checkpoint paths are not used: the path is openModel's).
struct ImportOptions : TorchImportOptions
{
    WeightAccess access = WeightAccess::Copy; // attnviz's safetensors files: mapped or copied
};

struct ImportReport
{
    std::string toolkit;       // "attnviz", "PyTorch tutorial"
    std::string format;        // "safetensors", "json", "zip", "legacy"
    std::string configuration; // describeArchitecture
    std::string vocabularies;  // where they came from
    std::vector<std::string> ignored; // entries of the checkpoint that are not the model
};

struct ImportedModel
{
    ModelFile model;
    ImportReport report;
};

// Throws ModelError naming the file: its own loader's message, or "<path> is a text file, not
// a model: ...".
ImportedModel openModel(const std::string &path, const ImportOptions &options = {});

// The toolkit whose files carry everything a model needs ("Joey NMT", "OpenNMT-py", "PyTorch
// chatbot tutorial"), or "" for any other path (the translation tutorial's checkpoints, which
// may need vocabularies, attnviz's own files, unreadable files). Reads the torch file.
std::string recognizeToolkit(const std::string &path);

// The extension point: one function per toolkit, tried in order on torch files and
// directories; each returns nothing when the file is not its toolkit's, and throws ModelError
// when it is but cannot be read. See engine/src/io/model_import.cpp.
// `torch` is the file unpickled once by openModel (torch files only; null otherwise).
using ToolkitImporter = std::optional<ImportedModel> (*)(const std::string &path, FileKind kind,
                                                          const TorchFile *torch, const ImportOptions &options);

} // namespace attnviz
