#include "import_command.h"

#include <attnviz/io/torch_import.h>

#include <iostream>

namespace attnviz::cli {
namespace {

TorchImportOptions importOptions(const ParsedCommand &command)
{
    const bool pair = command.has("encoder") || command.has("decoder");
    if (pair == command.has("checkpoint") || (pair && !(command.has("encoder") && command.has("decoder"))))
        throw UsageError("give --encoder FILE and --decoder FILE, or --checkpoint FILE holding both", command.command);
    const bool vocabFiles = command.has("source-vocab") || command.has("target-vocab");
    if (vocabFiles == command.has("pairs")
        || (vocabFiles && !(command.has("source-vocab") && command.has("target-vocab"))))
        throw UsageError("give --source-vocab FILE and --target-vocab FILE, or --pairs FILE to rebuild them",
                         command.command);
    if (!command.has("pairs") && (command.has("reverse") || command.has("filter")))
        throw UsageError("--reverse and --filter go with --pairs", command.command);

    TorchImportOptions options;
    options.encoderPath = command.value("encoder");
    options.decoderPath = command.value("decoder");
    options.checkpointPath = command.value("checkpoint");
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
    // A toolkit's own model (docs/toolkits.md) carries its configuration and vocabularies.
    const ModelFile model = command.has("model") ? loadModelFile(command.value("model"))
                                                 : importTorchCheckpoint(importOptions(command));
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
            "Convert the PyTorch tutorial's torch.save checkpoints, or a Joey NMT or OpenNMT-py model, into an attnviz model file.",
            {{"model", "PATH", "Instead: a Joey NMT model directory or .ckpt, or an OpenNMT-py *_step_N.pt"},
             {"encoder", "FILE", "torch.save(encoder.state_dict(), FILE)"},
             {"decoder", "FILE", "torch.save(decoder.state_dict(), FILE)"},
             {"checkpoint", "FILE", "Instead of the two: one state dict with encoder.* and decoder.* tensors"},
             {"source-vocab", "FILE", "Source words, index = id: a JSON list (.json) or one word per line"},
             {"target-vocab", "FILE", "Target words, likewise"},
             {"pairs", "FILE", "Instead of the vocabularies: the training pairs, rebuilt with the tutorial's Lang"},
             {"reverse", "", "With --pairs: lines are target<TAB>source (the tutorial's fra -> eng)"},
             {"filter", "", "With --pairs: the tutorial's filterPairs (under 10 words, English prefixes)"},
             {"combine-activation", "KIND", "Original tutorial: 'relu' after attn_combine (default) or 'none'"},
             {"name", "TEXT", "Model name shown to the user"},
             {"out", "FILE", "Model file to write (.safetensors, or .json)", true}},
            run,
            {}};
}

} // namespace attnviz::cli
