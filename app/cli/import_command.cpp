#include "import_command.h"
#include "model_options.h"

#include <attnviz/io/model_import.h>
#include <attnviz/io/torch_import.h>

#include <filesystem>
#include <iostream>

namespace attnviz::cli {
namespace {

// The name a model gets without --name: the checkpoint's stem ("eng-fra.pt" -> "eng-fra"); for an
// encoder and decoder, what their stems share ("eng-fra-encoder.pt", "eng-fra-decoder.pt" ->
// "eng-fra"), or, when that is nothing (the tutorial's "encoder.pt", "decoder.pt"), their folder's name.
std::string defaultModelName(const TorchImportOptions &options)
{
    namespace fs = std::filesystem;
    if (!options.checkpointPath.empty())
        return fs::path(options.checkpointPath).stem().string();
    const std::string encoder = fs::path(options.encoderPath).stem().string(),
                      decoder = fs::path(options.decoderPath).stem().string();
    size_t shared = 0;
    while (shared < encoder.size() && shared < decoder.size() && encoder[shared] == decoder[shared])
        ++shared;
    // Up to the last separator in what they share: "enc" and "embed" share no name.
    const size_t cut = encoder.find_last_of("-_. ", shared == 0 ? 0 : shared - 1);
    if (shared > 0 && cut != std::string::npos && cut > 0)
        return encoder.substr(0, cut);
    const fs::path folder = fs::absolute(fs::path(options.encoderPath)).lexically_normal().parent_path();
    return folder.filename().empty() ? encoder : folder.filename().string();
}

TorchImportOptions importOptions(const ParsedCommand &command)
{
    const bool pair = command.has("encoder") || command.has("decoder");
    const int paths = int(command.has("checkpoint")) + int(command.has("model")) + int(!command.positionals.empty());
    if (pair == (paths > 0) || (pair && !(command.has("encoder") && command.has("decoder"))) || command.positionals.size() > 1
        || paths > 1)
        throw UsageError("give PATH (or --model PATH), or --encoder FILE and --decoder FILE", command.command);
    const bool vocabFiles = command.has("source-vocab") || command.has("target-vocab");
    if ((vocabFiles && command.has("pairs")) || (vocabFiles && !(command.has("source-vocab") && command.has("target-vocab"))))
        throw UsageError("give --source-vocab FILE and --target-vocab FILE, or --pairs FILE to rebuild them",
                         command.command);
    if (!command.has("pairs") && (command.has("reverse") || command.has("filter")))
        throw UsageError("--reverse and --filter go with --pairs", command.command);

    TorchImportOptions options;
    options.encoderPath = command.value("encoder");
    options.decoderPath = command.value("decoder");
    options.checkpointPath = !command.positionals.empty() ? command.positionals.front()
                             : command.has("model")      ? command.value("model")
                                                         : command.value("checkpoint");
    options.vocabPicklePath = command.value("vocab");
    options.sourceVocabPath = command.value("source-vocab");
    options.targetVocabPath = command.value("target-vocab");
    options.pairsPath = command.value("pairs");
    options.reversePairs = command.has("reverse");
    options.filterPairs = command.has("filter");
    options.name = command.has("name") ? command.value("name") : defaultModelName(options);
    if (command.has("combine-activation")) {
        const std::string activation = command.value("combine-activation");
        if (activation == "none")
            options.combineRelu = false;
        else if (activation != "relu")
            throw UsageError("--combine-activation is 'relu' or 'none', not '" + activation + "'", command.command);
    }
    return options;
}

int run(const ParsedCommand &command)
{
    const TorchImportOptions torch = importOptions(command);
    ModelFile model;
    std::vector<std::string> ignored;
    if (torch.checkpointPath.empty()) {
        TorchImportReport report;
        model = importTorchCheckpoint(torch, &report);
        ignored = report.ignored;
        if (std::optional<TokenizerRecord> record = subwordRecord(subwordFiles(command), TokenizerToolkit::Plain))
            model.tokenizer = std::move(record);
    } else { // one path: whatever it is, through the front door
        ImportOptions options;
        static_cast<TorchImportOptions &>(options) = torch;
        options.subwords = subwordFiles(command);
        ImportedModel imported = openModel(torch.checkpointPath, options);
        model = std::move(imported.model);
        ignored = imported.report.ignored;
        if (model.config.name.empty() || command.has("name")) // a toolkit's model has its own
            model.config.name = torch.name;
    }
    for (const std::string &entry : ignored)
        std::cout << "ignored: " << entry << '\n';
    const std::string out = command.value("out");
    saveModelFile(model, out);
    const ModelConfig &config = model.config;
    const std::optional<Architecture> architecture = architectureOf(config);
    std::cout << "wrote " << out << ": "
              << (architecture ? architectureName(*architecture) : describeArchitecture(config));
    if (!config.isTransformer()) // a transformer's description has its size
        std::cout << ", hidden size " << config.decoder.hiddenSize;
    std::cout << ", vocabularies " << model.sourceVocab.size() << " / "
              << model.targetVocab.size() << '\n';
    return 0;
}

} // namespace

CommandSpec importCommand()
{
    std::vector<OptionSpec> options = withSubwordOptions({
             {"model", "PATH", "The same as PATH"},
             {"encoder", "FILE", "Instead of PATH: torch.save(encoder.state_dict() or encoder, FILE)"},
             {"decoder", "FILE", "torch.save(decoder.state_dict() or decoder, FILE)"},
             {"checkpoint", "FILE", "The same as PATH"},
             {"vocab", "FILE", "A pickle of the tutorial's Lang objects (input_lang, output_lang)"},
             {"source-vocab", "FILE", "Source words, index = id: a JSON list (.json) or one word per line"},
             {"target-vocab", "FILE", "Target words, likewise"},
             {"pairs", "FILE", "Instead of the vocabularies: the training pairs, rebuilt with the tutorial's Lang"},
             {"reverse", "", "With --pairs: lines are target<TAB>source (the tutorial's fra -> eng)"},
             {"filter", "", "With --pairs: the tutorial's filterPairs (under 10 words, English prefixes)"},
             {"combine-activation", "KIND", "Original tutorial: 'relu' after attn_combine (default) or 'none'"},
             {"name", "TEXT", "Model name shown to the user (default: from the file names)"},
             {"out", "FILE", "Model file to write (.safetensors, or .json)", true}});
    return {"import",
            "Convert a checkpoint (PATH: the PyTorch tutorial's model however saved, a Joey NMT model directory or .ckpt, an OpenNMT-py *_step_N.pt) into an attnviz model file.",
            options, run, "PATH"};
}

} // namespace attnviz::cli
