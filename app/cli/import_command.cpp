#include "import_command.h"

#include <attnviz/io/model_import.h>
#include <attnviz/io/torch_import.h>

#include <iostream>

namespace attnviz::cli {
namespace {

TorchImportOptions importOptions(const ParsedCommand &command)
{
    const bool pair = command.has("encoder") || command.has("decoder");
    const bool one = command.has("checkpoint") || !command.positionals.empty();
    if (pair == one || (pair && !(command.has("encoder") && command.has("decoder"))) || command.positionals.size() > 1
        || (command.has("checkpoint") && !command.positionals.empty()))
        throw UsageError("give PATH (or --checkpoint FILE), or --encoder FILE and --decoder FILE", command.command);
    const bool vocabFiles = command.has("source-vocab") || command.has("target-vocab");
    if ((vocabFiles && command.has("pairs")) || (vocabFiles && !(command.has("source-vocab") && command.has("target-vocab"))))
        throw UsageError("give --source-vocab FILE and --target-vocab FILE, or --pairs FILE to rebuild them",
                         command.command);
    if (!command.has("pairs") && (command.has("reverse") || command.has("filter")))
        throw UsageError("--reverse and --filter go with --pairs", command.command);

    TorchImportOptions options;
    options.encoderPath = command.value("encoder");
    options.decoderPath = command.value("decoder");
    options.checkpointPath = command.positionals.empty() ? command.value("checkpoint") : command.positionals.front();
    options.vocabPicklePath = command.value("vocab");
    options.sourceVocabPath = command.value("source-vocab");
    options.targetVocabPath = command.value("target-vocab");
    options.pairsPath = command.value("pairs");
    options.reversePairs = command.has("reverse");
    options.filterPairs = command.has("filter");
    options.name = command.value("name");
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
    } else { // one path: whatever it is, through the front door
        ImportOptions options;
        static_cast<TorchImportOptions &>(options) = torch;
        ImportedModel imported = openModel(torch.checkpointPath, options);
        model = std::move(imported.model);
        ignored = imported.report.ignored;
    }
    for (const std::string &entry : ignored)
        std::cout << "ignored: " << entry << '\n';
    const std::string out = command.value("out");
    saveModelFile(model, out);
    const ModelConfig &config = model.config;
    const std::optional<Architecture> architecture = architectureOf(config);
    std::cout << "wrote " << out << ": "
              << (architecture ? architectureName(*architecture) : describeArchitecture(config)) << ", hidden size "
              << config.decoder.hiddenSize << ", vocabularies " << model.sourceVocab.size() << " / "
              << model.targetVocab.size() << '\n';
    return 0;
}

} // namespace

CommandSpec importCommand()
{
    return {"import",
            "Convert a checkpoint (PATH: any torch.save of the PyTorch tutorial's model) into an attnviz model file.",
            {{"encoder", "FILE", "Instead of PATH: torch.save(encoder.state_dict() or encoder, FILE)"},
             {"decoder", "FILE", "torch.save(decoder.state_dict() or decoder, FILE)"},
             {"checkpoint", "FILE", "The same as PATH"},
             {"vocab", "FILE", "A pickle of the tutorial's Lang objects (input_lang, output_lang)"},
             {"source-vocab", "FILE", "Source words, index = id: a JSON list (.json) or one word per line"},
             {"target-vocab", "FILE", "Target words, likewise"},
             {"pairs", "FILE", "Instead of the vocabularies: the training pairs, rebuilt with the tutorial's Lang"},
             {"reverse", "", "With --pairs: lines are target<TAB>source (the tutorial's fra -> eng)"},
             {"filter", "", "With --pairs: the tutorial's filterPairs (under 10 words, English prefixes)"},
             {"combine-activation", "KIND", "Original tutorial: 'relu' after attn_combine (default) or 'none'"},
             {"name", "TEXT", "Model name shown to the user"},
             {"out", "FILE", "Model file to write (.safetensors, or .json)", true}},
            run,
            "PATH"};
}

} // namespace attnviz::cli
