#include <attnviz/io/model_import.h>
#include <attnviz/io/sentencepiece.h>

#include <attnviz/io/toolkit_import.h>
#include <attnviz/io/torch_file.h>
#include <attnviz/io/torch_import.h>

#include "io/file_io.h"
#include "io/load_helpers.h"

#include <cctype>
#include <fstream>
#include <sys/stat.h>

namespace attnviz {

namespace {

std::string firstBytes(const std::string &path, size_t count)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        detail::readWholeFile(path); // throws the loaders' own "cannot open file: <reason>"
    std::string bytes(count, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(count));
    bytes.resize(static_cast<size_t>(in.gcount()));
    return bytes;
}

bool isPharaohLine(const std::string &line)
{
    bool any = false;
    size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
            ++i;
            continue;
        }
        size_t digits = 0;
        while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])))
            ++i, ++digits;
        if (digits == 0 || i >= line.size() || (line[i] != '-' && line[i] != '?' && line[i] != 'p'))
            return false;
        if (line[i] != '-' && (++i >= line.size() || line[i] != '-'))
            return false;
        ++i;
        digits = 0;
        while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])))
            ++i, ++digits;
        if (digits == 0)
            return false;
        any = true;
    }
    return any;
}

FileKind sniffText(const std::string &head)
{
    size_t start = head.compare(0, 3, "\xef\xbb\xbf") == 0 ? 3 : 0;
    while (start < head.size() && std::isspace(static_cast<unsigned char>(head[start])))
        ++start;
    if (start < head.size() && (head[start] == '{' || head[start] == '['))
        return head.find("attnviz-seq2seq/") != std::string::npos ? FileKind::AttnvizJson : FileKind::Json;
    std::vector<std::string> lines;
    size_t pos = start;
    while (pos < head.size() && lines.size() < 20) {
        size_t end = head.find('\n', pos);
        if (end == std::string::npos) {
            if (head.size() - pos < 200 && !lines.empty())
                break; // the last line may be cut by the sniff
            end = head.size();
        }
        lines.push_back(head.substr(pos, end - pos));
        pos = end + 1;
    }
    bool pharaoh = !lines.empty(), yaml = head.compare(start, 3, "---") == 0, keyValues = !lines.empty();
    for (const std::string &line : lines) {
        if (line.empty() || line == "\r")
            continue;
        pharaoh = pharaoh && isPharaohLine(line);
        const size_t colon = line.find(": ");
        const bool comment = line[0] == '#';
        keyValues = keyValues && (comment || line[0] == ' ' || line[0] == '-'
                                  || (colon != std::string::npos && colon > 0 && line.find(' ') >= colon)
                                  || (line.back() == ':' && line.find(' ') == std::string::npos));
    }
    if (pharaoh)
        return FileKind::Pharaoh;
    if (yaml || keyValues)
        return FileKind::Yaml;
    return FileKind::Text;
}

bool looksLikeText(const std::string &head)
{
    for (unsigned char c : head)
        if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f'))
            return false;
    return true;
}

bool isTorchKind(FileKind kind)
{
    return kind == FileKind::TorchZip || kind == FileKind::TorchLegacy;
}

std::optional<ImportedModel> importTutorial(const std::string &path, FileKind kind, const TorchFile *torch,
                                            const ImportOptions &options)
{
    if (!isTorchKind(kind))
        return std::nullopt;
    TorchImportOptions tutorial = options;
    tutorial.encoderPath = tutorial.decoderPath = {};
    tutorial.checkpointPath = path;
    tutorial.checkpoint = torch;
    TorchImportReport found;
    ImportedModel imported;
    imported.model = importTorchCheckpoint(tutorial, &found);
    imported.report = {"PyTorch tutorial", found.format, found.configuration, found.vocabularies, found.ignored};
    return imported;
}

ImportedModel toolkitModel(ModelFile model, const char *toolkit, const std::string &format,
                           const char *vocabularies = "beside the checkpoint (docs/toolkits.md)")
{
    ImportedModel imported;
    imported.report = {toolkit, format, describeArchitecture(model.config), vocabularies, {}};
    imported.model = std::move(model);
    return imported;
}

// Joey NMT: a model directory, or a .ckpt with config.yaml beside it.
std::optional<ImportedModel> importJoey(const std::string &path, FileKind kind, const TorchFile *torch,
                                        const ImportOptions &)
{
    if ((kind != FileKind::Directory && !isTorchKind(kind)) || !isJoeyModelPath(path))
        return std::nullopt;
    return toolkitModel(openJoeyModel(path, torch), "Joey NMT", kind == FileKind::Directory ? "model directory" : "checkpoint");
}

// Hugging Face Marian (opus-mt): a folder with config.json of model_type marian.
std::optional<ImportedModel> importMarian(const std::string &path, FileKind kind, const TorchFile *,
                                          const ImportOptions &)
{
    if (kind != FileKind::Directory || !isMarianFolder(path))
        return std::nullopt;
    return toolkitModel(openMarianModel(path), "Marian (Hugging Face)", "model folder",
                        "vocab.json, source.spm and target.spm in the folder");
}

// OpenNMT-py: a torch file holding model, generator, vocab and opt.
std::optional<ImportedModel> importOnmt(const std::string &path, FileKind kind, const TorchFile *torch,
                                        const ImportOptions &)
{
    if (!torch || !isOnmtCheckpoint(*torch))
        return std::nullopt;
    return toolkitModel(openOnmtModel(*torch, path), "OpenNMT-py", kind == FileKind::TorchZip ? "zip" : "legacy");
}

// The PyTorch chatbot tutorial: en, de and voc_dict in one .tar.
std::optional<ImportedModel> importChatbot(const std::string &path, FileKind, const TorchFile *torch,
                                           const ImportOptions &)
{
    if (!torch || !isChatbotCheckpoint(*torch))
        return std::nullopt;
    ImportedModel imported = toolkitModel(chatbotModel(*torch, path), "PyTorch chatbot tutorial", torch->format(),
                                          "in the checkpoint (voc_dict)");
    for (const auto &[key, value] : torch->root().entries())
        if (key != "en" && key != "de" && key != "voc_dict")
            imported.report.ignored.push_back(key + " (" + value->describe() + ")");
    return imported;
}

// Toolkit importers, tried in order: the first that recognises the file reads it. Joey NMT,
// OpenNMT-py and the chatbot tutorial go before the translation tutorial's, which takes any
// torch file.
const ToolkitImporter toolkitImporters[] = {
    importMarian,
    importJoey,
    importOnmt,
    importChatbot,
    importTutorial,
};

} // namespace

FileKind sniffFile(const std::string &path)
{
    struct stat info;
    if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
        return FileKind::Directory;
    const std::string head = firstBytes(path, 4096);
    const auto byte = [&](size_t i) { return i < head.size() ? static_cast<unsigned char>(head[i]) : 0u; };
    if (head.empty())
        return FileKind::Empty;
    if (head.compare(0, 4, "PK\3\4") == 0) {
        // The first entry's name (offset 30, length at 26): torch.save writes "<name>/data.pkl" first.
        const size_t nameLength = byte(26) | (byte(27) << 8);
        const std::string name = head.substr(std::min<size_t>(30, head.size()), nameLength);
        return name.size() >= 8 && name.compare(name.size() - 8, 8, "data.pkl") == 0 ? FileKind::TorchZip
                                                                                      : FileKind::Zip;
    }
    if (head.size() >= 9 && head[8] == '{' && byte(5) == 0 && byte(6) == 0 && byte(7) == 0)
        return FileKind::Safetensors; // an 8-byte little-endian header length, then the JSON header
    if (byte(0) == 0x80)
        return head.compare(0, 4, "\x80\x02\x8a\x0a") == 0 ? FileKind::TorchLegacy : FileKind::Pickle;
    if (head.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0)
        return FileKind::Png;
    if (looksLikeText(head))
        return sniffText(head);
    return FileKind::Binary;
}

std::string fileKindName(FileKind kind)
{
    switch (kind) {
    case FileKind::Safetensors: return "a safetensors file";
    case FileKind::AttnvizJson: return "an attnviz JSON model";
    case FileKind::TorchZip: return "a PyTorch checkpoint (torch.save)";
    case FileKind::TorchLegacy: return "a PyTorch checkpoint (torch.save before 1.6)";
    case FileKind::Pickle: return "a Python pickle";
    case FileKind::Zip: return "a ZIP archive";
    case FileKind::Png: return "a PNG image";
    case FileKind::Json: return "a JSON file";
    case FileKind::Yaml: return "a YAML file";
    case FileKind::Pharaoh: return "a Pharaoh alignment file";
    case FileKind::Text: return "a text file";
    case FileKind::Directory: return "a directory";
    case FileKind::Empty: return "an empty file";
    case FileKind::Binary: return "a binary file";
    }
    return "a file";
}

namespace {

// A file of a Marian folder (its config.json or weights, as a file dialog picks them) stands
// for the folder.
std::string marianFolderOf(const std::string &path)
{
    const size_t slash = path.find_last_of('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
    if ((name == "config.json" || name == "pytorch_model.bin" || name == "model.safetensors") && isMarianFolder(dir))
        return dir;
    return path;
}

ImportedModel openWithoutSubwordFiles(const std::string &given, const ImportOptions &options)
{
    const std::string path = marianFolderOf(given);
    FileKind kind = sniffFile(path);
    std::string json;
    if (detail::isJsonPath(path) && kind != FileKind::TorchZip && kind != FileKind::TorchLegacy)
        kind = FileKind::AttnvizJson; // named .json: the JSON loader's messages are the precise ones
    if (kind == FileKind::Json) { // the format name may lie past the sniffed bytes
        json = detail::readWholeFile(path);
        if (json.find("attnviz-seq2seq/") != std::string::npos)
            kind = FileKind::AttnvizJson;
    }
    if (kind == FileKind::Safetensors || kind == FileKind::AttnvizJson) {
        ImportedModel imported;
        imported.model = kind == FileKind::AttnvizJson
                             ? loadModelFromBytes(json.empty() ? detail::readWholeFile(path) : json, path, true)
                             : loadModelFile(path, options.access); // the fast mapped path, unchanged
        imported.report.toolkit = "attnviz";
        imported.report.format = kind == FileKind::AttnvizJson ? "json" : "safetensors";
        imported.report.configuration = describeArchitecture(imported.model.config);
        imported.report.vocabularies = "in the file";
        return imported;
    }
    // A torch file is unpickled once, here, and every importer reads that.
    std::optional<TorchFile> torch;
    if (isTorchKind(kind))
        torch.emplace(TorchFile::open(path));
    for (const ToolkitImporter importer : toolkitImporters)
        if (std::optional<ImportedModel> imported = importer(path, kind, torch ? &*torch : nullptr, options))
            return std::move(*imported);

    std::string hint = "attnviz opens its .safetensors and .json models and PyTorch checkpoints (torch.save)";
    if (kind == FileKind::Zip)
        hint = "it holds no '<name>/data.pkl', so torch.save did not write it; " + hint;
    else if (kind == FileKind::Pharaoh)
        hint = "open it as gold alignments (File > Open Alignments, or --gold); " + hint;
    else if (kind == FileKind::Pickle)
        hint = "torch.save's pickles start with its magic number; give a pickle of Lang objects with --vocab; " + hint;
    const size_t slash = path.find_last_of('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    throw ModelError(path + ": " + name + " is " + fileKindName(kind) + ", not a model: " + hint);
}

TokenizerSide subwordSide(const std::string &codes, const std::string &sentencePiece, TokenizerToolkit toolkit,
                          const char *codesOption, const char *sentencePieceOption)
{
    if (!codes.empty() && !sentencePiece.empty())
        throw ModelError(std::string(codesOption) + " and " + sentencePieceOption
                         + ": give one tokenizer per side, BPE codes or a SentencePiece model");
    TokenizerSide side;
    side.toolkit = toolkit;
    if (!codes.empty()) {
        side.kind = TokenizerKind::Bpe;
        side.codes = detail::readWholeFile(codes);
        BpeSegmenter::fromText(side.codes, codes); // refused naming the file, not the record's key
    } else {
        side.kind = TokenizerKind::SentencePiece;
        side.sentencePieceModel = SentencePieceSegmenter::fromFile(sentencePiece).serialized();
    }
    return side;
}

} // namespace

bool SubwordFiles::empty() const
{
    return bpeCodes.empty() && sentencePiece.empty() && targetBpeCodes.empty() && targetSentencePiece.empty();
}

std::optional<TokenizerRecord> subwordRecord(const SubwordFiles &files, TokenizerToolkit toolkit)
{
    if (files.empty())
        return {};
    if (files.bpeCodes.empty() && files.sentencePiece.empty())
        throw ModelError("--target-bpe-codes and --target-sentencepiece go with --bpe-codes or --sentencepiece "
                         "(the source side's)");
    TokenizerRecord record;
    record.source = subwordSide(files.bpeCodes, files.sentencePiece, toolkit, "--bpe-codes", "--sentencepiece");
    record.target = files.targetBpeCodes.empty() && files.targetSentencePiece.empty()
                        ? record.source
                        : subwordSide(files.targetBpeCodes, files.targetSentencePiece, toolkit, "--target-bpe-codes",
                                      "--target-sentencepiece");
    return record;
}

ImportedModel openModel(const std::string &path, const ImportOptions &options)
{
    ImportedModel imported = openWithoutSubwordFiles(path, options);
    if (options.subwords.empty())
        return imported;
    const TokenizerToolkit toolkit =
        imported.report.toolkit == "OpenNMT-py" ? TokenizerToolkit::OpenNmtPy : TokenizerToolkit::Plain;
    imported.model.tokenizer = subwordRecord(options.subwords, toolkit);
    makeTokenizers(imported.model, path); // the given files load
    return imported;
}

std::string recognizeToolkit(const std::string &path)
{
    const FileKind kind = sniffFile(path);
    if (kind == FileKind::Directory && isMarianFolder(path))
        return "Marian (Hugging Face)";
    if ((kind == FileKind::Directory || isTorchKind(kind)) && isJoeyModelPath(path))
        return "Joey NMT";
    if (!isTorchKind(kind))
        return {};
    try {
        const TorchFile file = TorchFile::open(path);
        if (isOnmtCheckpoint(file))
            return "OpenNMT-py";
        if (isChatbotCheckpoint(file))
            return "PyTorch chatbot tutorial";
    } catch (const ModelError &) {
    }
    return {};
}

} // namespace attnviz
