// Joey NMT model directories and OpenNMT-py checkpoints opened from disk: the files beside the
// checkpoint, the checkpoint through TorchFile (nothing in it runs), then the mapping.
#include <attnviz/io/toolkit_import.h>
#include <attnviz/io/torch_file.h>

#include "io/file_io.h"
#include "io/load_helpers.h"
#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

namespace attnviz {

namespace fs = std::filesystem;

namespace {

using detail::throwModelError;

// The checkpoint Joey's own resolve_ckpt_path would take: best.ckpt, latest.ckpt, then the
// last N.ckpt.
fs::path joeyCheckpoint(const fs::path &dir)
{
    for (const char *name : {"best.ckpt", "latest.ckpt"}) {
        if (fs::is_regular_file(dir / name))
            return dir / name;
    }
    fs::path best;
    long bestStep = -1;
    for (const auto &entry : fs::directory_iterator(dir)) {
        const std::string stem = entry.path().stem().string();
        if (entry.path().extension() == ".ckpt" && !stem.empty()
            && stem.find_first_not_of("0123456789") == std::string::npos && stem.size() < 12
            && std::stol(stem) > bestStep) {
            bestStep = std::stol(stem);
            best = entry.path();
        }
    }
    if (best.empty())
        throwModelError(dir.string(), "a Joey NMT model directory, but it holds no .ckpt checkpoint");
    return best;
}

// A file config.yaml names: relative to where Joey ran, so the copy Joey saved in the model
// directory (as `fallback`) when that is not there.
fs::path joeyFile(const fs::path &dir, const std::string &named, const std::string &fallback, const std::string &what)
{
    fs::path path = named.empty() ? dir / fallback : fs::path(named);
    if (!fs::is_regular_file(path) && fs::is_regular_file(dir / fallback))
        path = dir / fallback;
    if (!fs::is_regular_file(path))
        throwModelError((dir / "config.yaml").string(), "the " + what + " '" + path.string()
                                                            + "' is missing (nor is there " + fallback + ")");
    return path;
}

std::vector<std::string> joeyVocabFile(const fs::path &dir, const std::string &named, const char *fallback,
                                       const JoeySpecials &specials)
{
    const fs::path path = joeyFile(dir, named, fallback, "vocabulary file");
    return joeyVocabulary(detail::readWholeFile(path.string()), specials, path.string());
}

// The SentencePiece models and codes the tokenizer names, embedded in the record. Joey's
// copy_cfg_file saves them in the model directory under their own names.
void embedJoeyTokenizerFiles(const fs::path &dir, JoeyConfig &joey)
{
    if (!joey.tokenizer)
        return;
    const char *keys[2] = {"data.src.tokenizer_cfg", "data.trg.tokenizer_cfg"};
    for (int index = 0; index < 2; ++index) {
        TokenizerSide &side = index == 0 ? joey.tokenizer->source : joey.tokenizer->target;
        const std::string &named = joey.tokenizerFiles[index];
        if (side.kind == TokenizerKind::SentencePiece) {
            const fs::path path = joeyFile(dir, named, fs::path(named).filename().string(),
                                           std::string("SentencePiece model (") + keys[index] + ".model_file)");
            side.sentencePieceModel = detail::readWholeFile(path.string());
        } else if (side.kind == TokenizerKind::Bpe) {
            const fs::path path = joeyFile(dir, named, fs::path(named).filename().string(),
                                           std::string("codes file (") + keys[index] + ".codes)");
            side.codes = detail::readWholeFile(path.string());
        }
    }
}

// The fields of an argparse.Namespace record that are numbers, strings, booleans or None.
nlohmann::json optionsOf(const TorchValue &opt)
{
    nlohmann::json json = nlohmann::json::object();
    for (const auto &[key, value] : opt.entries()) {
        if (value->isBool())
            json[key] = value->integer() != 0;
        else if (value->isInt())
            json[key] = value->integer();
        else if (value->isFloat())
            json[key] = value->real();
        else if (value->isString())
            json[key] = value->text();
        else if (value->isNone())
            json[key] = nullptr;
    }
    return json;
}

std::vector<std::string> tokenList(const TorchValue *list, const char *key, const std::string &displayName)
{
    if (!list || !list->isSequence())
        throwModelError(displayName, std::string("vocab['") + key + "'] is not a list of tokens"
                                         + (list ? " but " + list->describe() : " (missing)")
                                         + " (OpenNMT-py 3.x checkpoints hold their vocabularies as lists)");
    std::vector<std::string> tokens;
    for (const TorchValue *token : list->items()) {
        if (!token->isString())
            throwModelError(displayName, std::string("vocab['") + key + "'] item " + std::to_string(tokens.size())
                                             + " is " + token->describe() + ", not a string");
        tokens.push_back(token->text());
    }
    return tokens;
}

} // namespace

bool isJoeyModelPath(const std::string &path)
{
    std::error_code error;
    const fs::path p(path);
    const fs::path dir = fs::is_directory(p, error) ? p : p.parent_path();
    return (fs::is_directory(p, error) || p.extension() == ".ckpt") && fs::is_regular_file(dir / "config.yaml", error);
}

ModelFile openJoeyModel(const std::string &path, const TorchFile *opened)
{
    const fs::path p(path);
    const fs::path dir = fs::is_directory(p) ? p : p.parent_path();
    const fs::path checkpoint = fs::is_directory(p) ? joeyCheckpoint(dir) : p;
    const std::string configPath = (dir / "config.yaml").string();
    JoeyConfig joey = joeyConfigFromYaml(detail::readWholeFile(configPath), configPath);
    embedJoeyTokenizerFiles(dir, joey);
    std::vector<std::string> source = joeyVocabFile(dir, joey.sourceVocabFile, "src_vocab.txt", joey.specials);
    std::vector<std::string> target = joeyVocabFile(dir, joey.targetVocabFile, "trg_vocab.txt", joey.specials);
    std::optional<TorchFile> own;
    if (!opened || fs::is_directory(p))
        opened = &own.emplace(TorchFile::open(checkpoint.string()));
    const TorchFile &file = *opened;
    const TorchValue *state = file.root().find("model_state");
    if (!state)
        throwModelError(checkpoint.string(), "no 'model_state' entry (a Joey NMT checkpoint holds model_state, "
                                             "optimizer_state, ...)");
    ModelFile model = joeyModel(joey, std::move(source), std::move(target), collectTensors(file, *state), checkpoint.string());
    model.tokenizer = joey.tokenizer;
    makeTokenizers(model, configPath); // the embedded model and codes load
    return model;
}

bool isOnmtCheckpoint(const TorchFile &file)
{
    const TorchValue &root = file.root();
    const TorchValue *opt = root.find("opt");
    return root.find("vocab") && opt && opt->isRecord();
}

ModelFile openOnmtModel(const std::string &path)
{
    return openOnmtModel(TorchFile::open(path), path);
}

ModelFile openOnmtModel(const TorchFile &file, const std::string &path)
{
    const TorchValue &root = file.root();
    const TorchValue *opt = root.find("opt");
    const TorchValue *vocab = root.find("vocab");
    if (!opt || !vocab)
        throwModelError(path, "not an OpenNMT-py checkpoint (no 'opt' and 'vocab' entries)");
    if (vocab->find("src_feats"))
        throwModelError(path, "vocab['src_feats']: source features are not supported");
    const ModelConfig config = onmtConfig(optionsOf(*opt), path);
    std::vector<std::string> source = tokenList(vocab->find("src"), "src", path);
    std::vector<std::string> target = tokenList(vocab->find("tgt"), "tgt", path);
    StateDict weights;
    if (const TorchValue *model = root.find("model")) {
        weights = collectTensors(file, *model);
        const TorchValue *generator = root.find("generator");
        if (!generator || generator->isNone())
            throwModelError(path, "no 'generator' entry (LoRA checkpoints, which keep none, are not supported)");
        for (auto &[name, tensor] : collectTensors(file, *generator, "generator"))
            weights.emplace(name, std::move(tensor));
    } else {
        // save_format safetensors: the weights, generator included, in the file beside it.
        fs::path weightsPath(path);
        weightsPath.replace_extension(".safetensors");
        if (!fs::is_regular_file(weightsPath))
            throwModelError(path, "no 'model' entry and no " + weightsPath.filename().string()
                                      + " beside it (OpenNMT-py's save_format safetensors keeps the weights there)");
        const detail::FileSource source(weightsPath.string());
        weights = detail::readSafetensors(source, weightsPath.string()).tensors;
    }
    return onmtModel(config, std::move(source), std::move(target), weights, path);
}

} // namespace attnviz
