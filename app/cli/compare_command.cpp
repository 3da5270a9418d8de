#include "compare_command.h"

#include "head_options.h"
#include "text_files.h"
#include "units_option.h"

#include <attnviz/analysis/compare_json.h>
#include <attnviz/analysis/result_json.h>
#include <attnviz/io/model_import.h>

#include <cstdio>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>

namespace attnviz::cli {
namespace {

using nlohmann::json;

std::string dumped(const json &j)
{
    return j.dump(-1, ' ', false, json::error_handler_t::replace); // a sentence from a file may not be UTF-8
}

std::shared_ptr<const Model> loadModel(const std::string &path)
{
    ImportOptions options;
    options.access = WeightAccess::Map;
    ImportedModel imported = openModel(path, options);
    return std::make_shared<const Model>(std::move(imported.model), path);
}

std::string fixed(double value, int decimals = 4)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string paddedTo(std::string text, size_t width)
{
    return text.size() < width ? text + std::string(width - text.size(), ' ') : text;
}

void printComparison(const ModelComparison &c, const std::string &sentence, bool asJson)
{
    if (asJson) {
        json j = comparisonToJson(c);
        j["sentence"] = sentence;
        std::cout << dumped(j) << '\n';
        return;
    }
    size_t width = 6;
    for (const std::string &token : c.targetTokens)
        width = std::max(width, token.size() + 2);
    if (!c.viewA.empty())
        std::cout << "attention: " << (c.viewA == c.viewB ? c.viewA : "A " + c.viewA + ", B " + c.viewB) << '\n';
    if (c.units == TokenUnits::Words)
        std::cout << "units: words\n";
    std::cout << "source: ";
    for (const std::string &token : c.sourceTokens)
        std::cout << token << ' ';
    std::cout << "\noutput (" << (c.sharedOutput == "target" ? "the target" : "model " + std::string(c.sharedOutput == "a" ? "A" : "B") + "'s translation") << "):\n";
    std::cout << paddedTo("token", width) << "JSD     agree  H(A)    H(B)    log p A  log p B\n";
    for (size_t i = 0; i < c.targetTokens.size(); ++i)
        std::cout << paddedTo(c.targetTokens[i], width) << paddedTo(fixed(c.rows.jsd[i]), 8)
                  << paddedTo(c.rows.agreement[i] ? "yes" : "no", 7) << paddedTo(fixed(c.rows.entropyA[i]), 8)
                  << paddedTo(fixed(c.rows.entropyB[i]), 8) << paddedTo(fixed(c.a.best().logProbs[i]), 9)
                  << fixed(c.b.best().logProbs[i]) << '\n';
    std::cout << "mean JSD " << fixed(c.rows.meanJsd) << " nats, argmax agreement " << fixed(c.rows.meanAgreement)
              << ", log p A " << fixed(c.logProbA) << ", B " << fixed(c.logProbB) << '\n';
}

SharedOutput sharedOutput(const ParsedCommand &command)
{
    const std::string use = command.has("use") ? command.value("use") : "a";
    if (use == "a" || use == "A")
        return SharedOutput::A;
    if (use == "b" || use == "B")
        return SharedOutput::B;
    throw UsageError("--use is 'a' or 'b' (whose translation both models read), not '" + use + "'", command.command);
}

int runCompare(const ParsedCommand &command)
{
    const std::vector<std::string> modelPaths = command.valuesOf("model");
    if (modelPaths.size() != 2)
        throw UsageError("give two models: --model A --model B (" + std::to_string(modelPaths.size()) + " given)",
                         command.command);
    const bool fromFile = command.has("input");
    if (fromFile == (command.positionals.size() == 1) || command.positionals.size() > 1)
        throw UsageError(fromFile ? "give either --input FILE or one SENTENCE, not both"
                                  : "give the SENTENCE to compare on (quote it), or --input FILE",
                         command.command);
    if (fromFile && command.has("target"))
        throw UsageError("--target goes with a single SENTENCE; with --input, use --targets FILE", command.command);
    if (!fromFile && (command.has("targets") || command.has("gold")))
        throw UsageError("--targets and --gold go with --input FILE", command.command);
    if (command.has("use") && (command.has("target") || command.has("targets")))
        throw UsageError("--use picks whose translation is shared; with --target(s) both read the reference",
                         command.command);
    CompareOptions options;
    options.use = sharedOutput(command);
    options.maxLength = command.intValue("max-length", 0, 1);
    options.units = unitsOption(command);
    DecodeOptions heads;
    applyHeadOptions(command, heads);
    options.view = heads.view;
    const bool asJson = command.has("json");
    const auto a = loadModel(modelPaths[0]);
    const auto b = loadModel(modelPaths[1]);
    checkHeadOptions(command, a->isTransformer() && b->isTransformer());
    if (!fromFile) {
        if (command.has("target"))
            options.target = command.value("target");
        printComparison(compareModels(*a, *b, command.positionals.front(), options), command.positionals.front(),
                        asJson);
        return 0;
    }
    const std::string path = command.value("input");
    const std::vector<std::string> lines = readLines(path);
    std::vector<std::string> targets;
    if (command.has("targets")) {
        targets = readLines(command.value("targets"));
        checkLineCount(command.value("targets"), targets.size(), path, lines.size());
    }
    std::vector<GoldAlignment> gold;
    if (command.has("gold")) {
        const std::string goldPath = command.value("gold");
        gold = parsePharaoh(readFile(goldPath), goldPath);
        checkLineCount(goldPath, gold.size(), path, lines.size());
    }
    // A line the models cannot share is reported with its number and left out of the means.
    CorpusComparison corpus;
    int failures = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        CompareOptions lineOptions = options;
        if (!targets.empty())
            lineOptions.target = targets[i];
        try {
            const ModelComparison c = compareModels(*a, *b, lines[i], lineOptions);
            corpus.add(c, gold.empty() ? nullptr : &gold[i]);
            if (!asJson && i > 0)
                std::cout << '\n';
            printComparison(c, lines[i], asJson);
        } catch (const std::runtime_error &error) { // InputError, ComparisonError
            std::cerr << path << ':' << i + 1 << ": " << error.what() << '\n';
            ++failures;
        }
    }
    if (asJson) {
        std::cout << dumped({{"corpus", corpusComparisonToJson(corpus)}}) << '\n';
    } else {
        std::cout << "\nsentences: " << corpus.sentences << "\nmean JSD:  " << fixed(corpus.meanJsd)
                  << "\nagreement: " << fixed(corpus.agreement) << '\n';
        if (corpus.countsA)
            std::cout << "AER A:     " << fixed(corpus.countsA->alignmentErrorRate())
                      << "\nAER B:     " << fixed(corpus.countsB->alignmentErrorRate()) << '\n';
    }
    return failures == 0 ? 0 : 1;
}

std::string timelineText(const Timeline &t)
{
    std::string text = "output (" + std::string(t.fixedOutput == "target" ? "the target" : "the last checkpoint's translation")
        + (t.units == TokenUnits::Words ? ", in words" : "") + (t.view.empty() ? "" : "; attention: " + t.view) + "):";
    for (const std::string &token : t.targetTokens)
        text += " " + token;
    size_t width = 6;
    for (const TimelinePoint &p : t.points)
        width = std::max(width, p.checkpoint.file.size() + 2);
    text += "\n" + paddedTo("step", 10) + paddedTo("file", width) + "log p     H mean  agree  AER\n";
    for (const TimelinePoint &p : t.points)
        text += paddedTo(p.checkpoint.step < 0 ? "-" : std::to_string(p.checkpoint.step), 10)
                + paddedTo(p.checkpoint.file, width) + paddedTo(fixed(p.logProb), 10) + paddedTo(fixed(p.meanEntropy), 8)
                + paddedTo(fixed(p.agreementWithLast, 2), 7) + (p.counts ? fixed(p.counts->alignmentErrorRate()) : "")
                + "\n";
    return text;
}

int runTimeline(const ParsedCommand &command, const TimelineAnimationWriter &animation, const std::string &unavailable)
{
    if (command.positionals.size() != 1)
        throw UsageError("give the SENTENCE (quote it)", command.command);
    const std::vector<std::string> runs = command.valuesOf("run");
    if (runs.empty())
        throw UsageError("give the run: --run DIR (a folder of checkpoints), or --run FILE once per checkpoint",
                         command.command);
    const std::string sentence = command.positionals.front();
    const TrainingRun run = runs.size() == 1 && sniffFile(runs.front()) == FileKind::Directory
        ? TrainingRun::fromDirectory(runs.front(), 1)
        : TrainingRun::fromFiles(runs, 1);
    TimelineOptions options;
    if (command.has("target"))
        options.target = command.value("target");
    options.maxLength = command.intValue("max-length", 0, 1);
    options.units = unitsOption(command).value_or(TokenUnits::Pieces);
    DecodeOptions heads;
    applyHeadOptions(command, heads);
    options.view = heads.view;
    if (command.has("gold")) {
        const std::string goldPath = command.value("gold");
        const std::vector<GoldAlignment> gold = parsePharaoh(readFile(goldPath), goldPath);
        if (gold.empty())
            throw std::runtime_error(goldPath + ": holds no line of links for the sentence");
        options.gold = gold.front();
    }
    const bool animated = command.has("out") && isAnimationName(command.value("out"));
    if (animated && !animation)
        throw std::runtime_error(unavailable.empty() ? "this build of attnviz-cli cannot draw the animation"
                                                     : unavailable);
    checkHeadOptions(command, run.model(run.size() - 1)->isTransformer());
    const Timeline t = timeline(run, sentence, options);
    if (animated) {
        const std::string label = runs.size() == 1 ? std::filesystem::path(runs.front()).filename().string()
                                                   : std::to_string(runs.size()) + " checkpoints";
        animation({t, label, command.value("out")});
        std::cout << command.value("out") << ": " << t.points.size() << (t.points.size() == 1 ? " frame" : " frames")
                  << ", one per checkpoint\n";
        return 0;
    }
    json j = timelineToJson(t);
    j["sentence"] = sentence;
    const std::string output = command.has("json") || command.has("out") ? dumped(j) + "\n" : timelineText(t);
    if (command.has("out"))
        writeFileAtomically(command.value("out"), output);
    else
        std::cout << output;
    return 0;
}

} // namespace

bool isAnimationName(const std::string &path)
{
    std::string extension = std::filesystem::path(path).extension().string();
    for (char &c : extension)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return extension == ".gif" || extension == ".apng";
}

CommandSpec compareCommand()
{
    CommandSpec spec{"compare",
            "Compare the attention of two models on one sentence (or each line of a file), both forced on the same output.",
            {{"model", "FILE", "A model file or checkpoint; give it twice: --model A --model B", true, true},
             {"input", "FILE", "Compare on each line of FILE (JSON Lines with --json), then print the corpus means"},
             {"target", "TEXT", "Both models read this reference (default: model A's translation)"},
             {"targets", "FILE", "With --input: line n of FILE is the reference of line n"},
             {"use", "a|b", "Whose greedy translation both models read (default a)"},
             {"gold", "FILE", "With --input: Pharaoh gold links, one line per sentence, for the AER of each model"},
             {"max-length", "N", "At most N output tokens in the shared translation"},
             {"units", "UNITS", "pieces (both models read the same tokens) or words (subword pieces merged; "
                                "default: pieces when the two read the same tokens, else words)"},
             {"json", "", "One JSON object per sentence, then {\"corpus\": ...} with --input"}},
            runCompare,
            "SENTENCE"};
    for (OptionSpec &option : headOptions(false)) // two transformers: the view of their heads compared
        spec.options.push_back(std::move(option));
    return spec;
}

CommandSpec timelineCommand(TimelineAnimationWriter animation, std::string unavailable)
{
    CommandSpec spec{"timeline",
            "Show how a model's attention on one sentence changes over its training run (a folder of checkpoints).",
            {{"run", "DIR", "A folder of numbered checkpoints, or one checkpoint FILE per --run (ordered by step)", true,
              true},
             {"target", "TEXT", "Every checkpoint reads this reference (default: the last checkpoint's translation)"},
             {"gold", "FILE", "Pharaoh gold links of the sentence (first line), for the AER of each checkpoint"},
             {"max-length", "N", "At most N output tokens in the last checkpoint's translation"},
             {"units", "UNITS", "pieces (the model's tokens, the default) or words (subword pieces merged; "
                                "--gold then indexes words)"},
             {"json", "", "The timeline as one JSON object"},
             {"out", "FILE", "Write the JSON to FILE (atomically) instead of printing; FILE.gif or FILE.apng: "
                             "an animation, a frame per checkpoint"}},
            [animation, unavailable](const ParsedCommand &command) { return runTimeline(command, animation, unavailable); },
            "SENTENCE"};
    for (OptionSpec &option : headOptions(false)) // a transformer's run: the heads followed
        spec.options.push_back(std::move(option));
    return spec;
}

} // namespace attnviz::cli
