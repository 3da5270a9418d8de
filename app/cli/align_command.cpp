#include "align_command.h"

#include "model_options.h"
#include "text_files.h"
#include "units_option.h"

#include <attnviz/analysis/alignment.h>
#include <attnviz/analysis/head_alignment.h>
#include <attnviz/decoding/heads.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace attnviz::cli {
namespace {

double parseThreshold(const ParsedCommand &command)
{
    if (!command.has("threshold"))
        return 0.0;
    const std::string text = command.value("threshold");
    size_t used = 0;
    double value = -1;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (used != text.size() || !(value > 0.0 && value < 1.0))
        throw UsageError("--threshold needs a number between 0 and 1, not '" + text + "'", command.command);
    return value;
}

nlohmann::json scoresJson(const AlignmentCounts &counts)
{
    return {{"precision", counts.precision()}, {"recall", counts.recall()}, {"aer", counts.alignmentErrorRate()},
            {"model_links", counts.a}, {"sure_links", counts.s}, {"model_and_sure", counts.aAndS},
            {"model_and_possible", counts.aAndP}};
}

std::string scoreCell(const AlignmentCounts &c)
{
    char text[16];
    std::snprintf(text, sizeof text, "%7.4f", c.alignmentErrorRate());
    return text;
}

// --per-layer: a table of AER, a row per layer (its heads, then its mean), the all-layer mean
// below; the lowest AER starred.
void printHeadTable(const HeadScores &s)
{
    const HeadScores::Best best = s.best();
    const auto star = [&](int layer, int head) { return best.layer == layer && best.head == head ? "*" : " "; };
    std::cout << "AER    ";
    for (int h = 0; h < s.heads; ++h)
        std::cout << "  head " << std::to_string(h + 1) << (h + 1 < 10 ? " " : "");
    std::cout << "     mean\n";
    for (int l = 0; l < s.layers; ++l) {
        std::string row = "layer " + std::to_string(l + 1);
        row.resize(7, ' ');
        std::cout << row;
        for (int h = 0; h < s.heads; ++h)
            std::cout << ' ' << scoreCell(s.head(l, h)) << star(l, h);
        std::cout << ' ' << scoreCell(s.perLayer[static_cast<size_t>(l)]) << star(l, -1) << '\n';
    }
    std::cout << "all layers, mean of " << s.layers * s.heads << " heads: " << scoreCell(s.allLayers)
              << star(-1, -1) << '\n';
    std::cout << "best: ";
    if (best.layer < 0 && best.head < 0)
        std::cout << "all layers' mean";
    else if (best.head < 0)
        std::cout << "layer " << best.layer + 1 << "'s mean";
    else
        std::cout << "layer " << best.layer + 1 << ", head " << best.head + 1;
    char aer[16];
    std::snprintf(aer, sizeof aer, "%.4f", best.aer);
    std::cout << " (AER " << aer << ")\n";
}

nlohmann::json headScoresJson(const HeadScores &s)
{
    nlohmann::json layers = nlohmann::json::array();
    for (int l = 0; l < s.layers; ++l) {
        nlohmann::json heads = nlohmann::json::array();
        for (int h = 0; h < s.heads; ++h)
            heads.push_back(scoresJson(s.head(l, h)));
        layers.push_back({{"layer", l + 1}, {"heads", heads}, {"mean", scoresJson(s.perLayer[static_cast<size_t>(l)])}});
    }
    const HeadScores::Best best = s.best();
    return {{"layers", layers},
            {"all_layers", scoresJson(s.allLayers)},
            {"best", {{"layer", best.layer < 0 ? nlohmann::json() : nlohmann::json(best.layer + 1)},
                      {"head", best.head < 0 ? nlohmann::json("mean") : nlohmann::json(best.head + 1)},
                      {"aer", best.aer}}}};
}

int run(const ParsedCommand &command)
{
    const double threshold = parseThreshold(command);
    const auto model = loadModel(command);
    const bool perLayer = command.has("per-layer");
    if (perLayer && !model->isTransformer())
        throw UsageError("--per-layer scores a transformer's layers and heads; this model is an RNN", command.command);
    if (command.has("shifted") && !perLayer)
        throw UsageError("--shifted goes with --per-layer", command.command);
    const AlignmentRows rows = command.has("shifted") ? AlignmentRows::Shifted : AlignmentRows::Naive;
    const std::string inputPath = command.value("input"), targetsPath = command.value("targets"),
                      goldPath = command.value("gold");
    const std::vector<std::string> sources = readLines(inputPath), targets = readLines(targetsPath);
    const std::vector<GoldAlignment> gold = parsePharaoh(readFile(goldPath), goldPath);
    if (targets.size() != sources.size() || gold.size() != sources.size())
        throw std::runtime_error("the files differ in length: " + inputPath + " has " + std::to_string(sources.size())
                                 + " lines, " + targetsPath + " " + std::to_string(targets.size()) + ", " + goldPath + " "
                                 + std::to_string(gold.size()));
    // Gold files index words as a rule; a subword model's result is read as words unless
    // --units says pieces. Without --units: words when every gold link lies within its
    // sentence's words, else pieces (docs/subword.md).
    const std::optional<TokenUnits> asked = unitsOption(command);
    std::vector<UnitsResult> results;
    for (size_t n = 0; n < sources.size(); ++n) {
        DecodeOptions options;
        options.target = targets[n];
        results.push_back(inUnits(*model, translate(*model, sources[n], options), TokenUnits::Words));
    }
    const auto outside = [&](size_t n, const TranslationResult &result) {
        return linkOutside(gold[n], result.sourceWords.size(), result.targetWords.size());
    };
    TokenUnits units = asked.value_or(TokenUnits::Words);
    std::string detected;
    if (!asked && pieceMarkings(*model).any()) {
        for (size_t n = 0; n < sources.size() && units == TokenUnits::Words; ++n)
            if (const std::optional<Link> l = outside(n, results[n].shown())) {
                units = TokenUnits::Pieces;
                detected = goldPath + ":" + std::to_string(n + 1) + " links " + std::to_string(l->first) + "-"
                    + std::to_string(l->second) + ", past the sentence's words";
            }
        if (detected.empty())
            detected = "every gold link lies within its sentence's words";
    }
    AlignmentCounts total;
    HeadScores heads;
    std::vector<AlignmentCounts> perSentence;
    for (size_t n = 0; n < sources.size(); ++n) {
        const TranslationResult &result = units == TokenUnits::Words ? results[n].shown() : results[n].pieces;
        if (const std::optional<Link> l = outside(n, result))
            throw std::runtime_error(goldPath + ":" + std::to_string(n + 1) + ": link " + std::to_string(l->first)
                                     + "-" + std::to_string(l->second) + " is outside the sentence ("
                                     + std::to_string(result.sourceWords.size()) + " source "
                                     + tokenUnitsName(units) + ", " + std::to_string(result.targetWords.size())
                                     + " target " + tokenUnitsName(units) + ")");
        perSentence.push_back(countAgreement(hardLinks(result, result.best(), threshold), gold[n]));
        if (perLayer)
            heads += scoreHeads(results[n].pieces, 0, gold[n],
                                units == TokenUnits::Words && results[n].merge ? &*results[n].merge : nullptr,
                                threshold, rows);
        total += perSentence.back();
    }
    const bool each = command.has("per-sentence");
    if (command.has("json")) {
        nlohmann::json j = scoresJson(total);
        j["sentences"] = sources.size();
        j["threshold"] = threshold;
        j["units"] = tokenUnitsName(units);
        if (!detected.empty())
            j["units_detected"] = detected;
        if (perLayer) {
            j["per_layer"] = headScoresJson(heads);
            j["per_layer"]["rows"] = alignmentRowsName(rows);
        }
        if (each) {
            j["per_sentence"] = nlohmann::json::array();
            for (size_t n = 0; n < perSentence.size(); ++n) {
                nlohmann::json sentence = scoresJson(perSentence[n]);
                sentence["line"] = n + 1;
                j["per_sentence"].push_back(std::move(sentence));
            }
        }
        std::cout << j.dump() << '\n';
    } else {
        char line[160];
        if (each) {
            // A table to sort: `sort -k4 -g` puts the worst sentences last.
            std::cout << "line  precision  recall  AER     model  sure\n";
            for (size_t n = 0; n < perSentence.size(); ++n) {
                const AlignmentCounts &c = perSentence[n];
                std::snprintf(line, sizeof line, "%-5zu %-10.4f %-7.4f %-7.4f %-6lld %lld\n", n + 1, c.precision(),
                              c.recall(), c.alignmentErrorRate(), c.a, c.s);
                std::cout << line;
            }
            std::cout << '\n';
        }
        std::snprintf(line, sizeof line, "sentences: %zu\nprecision: %.4f\nrecall:    %.4f\nAER:       %.4f\n",
                      sources.size(), total.precision(), total.recall(), total.alignmentErrorRate());
        std::cout << line;
        std::cout << "units:     " << tokenUnitsName(units) << (detected.empty() ? "" : " (detected: " + detected + ")")
                  << '\n';
        if (perLayer) {
            std::cout << "\nPer layer and head (" << alignmentRowsName(rows) << " rows"
                      << (rows == AlignmentRows::Shifted ? ": y_t aligned by the step that reads it" : ": y_t aligned by the step that emits it")
                      << "; the scores above are the view's, " << describeSelection(results.front().pieces.view, model->layers(), model->heads()) << "):\n";
            printHeadTable(heads);
        }
    }
    return 0;
}

} // namespace

CommandSpec alignCommand()
{
    return {"align",
            "Score the model's attention against gold word alignments (precision, recall, AER).",
            withSubwordOptions({{"model", "FILE", "Model file (.safetensors, or .json)", true},
             {"input", "FILE", "Source sentences, one per line", true},
             {"targets", "FILE", "Reference translations, one per line (decoded with forcing)", true},
             {"gold", "FILE", "Gold alignments in Pharaoh format: 'i-j' sure, 'i?j' possible, from 0", true},
             {"threshold", "X", "Also count every link whose weight exceeds X (0 < X < 1)"},
             {"per-sentence", "", "Also the scores of each sentence, by line number (in --json: per_sentence)"},
             {"per-layer", "", "Transformers: the AER of every layer and head, each layer's mean and all layers' mean (in --json: per_layer)"},
             {"shifted", "", "With --per-layer: Shift-Att rows (y_t aligned by the step that reads it) instead of the step that emits it"},
             {"units", "UNITS", "What the gold indices count: words (pieces merged) or pieces; default: words when every "
                                "gold link lies within its sentence's words, else pieces"},
             {"json", "", "Print the scores as one JSON object"}}),
            run,
            {}};
}

} // namespace attnviz::cli
