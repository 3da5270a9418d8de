#include "translate_command.h"

#include "head_options.h"
#include "model_options.h"
#include "text_files.h"
#include "units_option.h"

#include <attnviz/analysis/result_json.h>

#include <iostream>

namespace attnviz::cli {
namespace {

DecodeOptions decodeOptions(const ParsedCommand &command)
{
    DecodeOptions options;
    options.beamWidth = command.intValue("beam", 1, 1);
    options.maxLength = command.intValue("max-length", 0, 1);
    if (command.has("target"))
        options.target = command.value("target");
    if (command.has("ablation")) {
        const std::string kind = command.value("ablation");
        if (kind == "summed")
            options.ablation = Ablation::Summed;
        else if (kind == "mean")
            options.ablation = Ablation::Mean;
        else
            throw UsageError("--ablation is 'summed' or 'mean', not '" + kind + "'", command.command);
    }
    applyHeadOptions(command, options);
    return options;
}

void print(const Model &model, const std::string &sentence, const DecodeOptions &options, bool asJson,
           std::optional<TokenUnits> units)
{
    const UnitsResult result = inUnits(model, translate(model, sentence, options), units.value_or(TokenUnits::Pieces));
    if (asJson) {
        nlohmann::json j = resultToJson(model, sentence, result.shown(), options);
        result.addToJson(j);
        std::cout << j.dump() << '\n';
    } else {
        if (units)
            std::cout << "units:       " << tokenUnitsName(*units) << '\n';
        std::cout << resultToText(result.shown());
    }
}

int run(const ParsedCommand &command)
{
    const bool fromFile = command.has("input");
    if (fromFile == (command.positionals.size() == 1) || command.positionals.size() > 1)
        throw UsageError(fromFile ? "give either --input FILE or one SENTENCE, not both"
                                  : "give the SENTENCE to translate (quote it), or --input FILE",
                         command.command);
    if (fromFile && command.has("target"))
        throw UsageError("--target goes with a single SENTENCE; with --input, use --targets FILE", command.command);
    if (!fromFile && command.has("targets"))
        throw UsageError("--targets goes with --input FILE; for one SENTENCE, use --target TEXT", command.command);
    const DecodeOptions options = decodeOptions(command);
    const bool asJson = command.has("json");
    const std::optional<TokenUnits> units = unitsOption(command);
    const auto model = loadModel(command);
    checkHeadOptions(command, model->isTransformer());
    if (!fromFile) {
        print(*model, command.positionals.front(), options, asJson, units);
        return 0;
    }
    const std::string path = command.value("input");
    const std::vector<std::string> lines = readLines(path);
    std::vector<std::string> targets;
    if (command.has("targets")) {
        targets = readLines(command.value("targets"));
        checkLineCount(command.value("targets"), targets.size(), path, lines.size());
    }
    // A bad line is reported with its number and skipped; the others are still translated.
    int failures = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        DecodeOptions lineOptions = options;
        if (!targets.empty())
            lineOptions.target = targets[i];
        try {
            if (!asJson && i > 0)
                std::cout << '\n';
            print(*model, lines[i], lineOptions, asJson, units);
        } catch (const InputError &error) {
            std::cerr << path << ':' << i + 1 << ": " << error.what() << '\n';
            ++failures;
        }
    }
    return failures == 0 ? 0 : 1;
}

} // namespace

CommandSpec translateCommand()
{
    std::vector<OptionSpec> options = withSubwordOptions({
             {"model", "FILE", "Model file (.safetensors, .json), checkpoint or model folder", true},
             {"input", "FILE", "Translate each line of FILE (JSON Lines with --json)"},
             {"beam", "K", "Beam search with K hypotheses (default 1: greedy)"},
             {"max-length", "N", "At most N output tokens (default: 2 x source words + 10)"},
             {"target", "TEXT", "Forced decoding: the alignment while reading this translation"},
             {"targets", "FILE", "With --input: forced decoding of line n of FILE for line n"},
             {"ablation", "KIND", "Also decode without attention: 'summed' (c = sum h_j) or 'mean' (c / T)"},
             unitsOptionSpec,
             {"json", "", "One JSON object per sentence"}});
    for (OptionSpec &option : headOptions(true))
        options.push_back(std::move(option));
    return {"translate", "Translate a sentence (or each line of a file) and print the alignment.", options, run,
            "SENTENCE"};
}

} // namespace attnviz::cli
