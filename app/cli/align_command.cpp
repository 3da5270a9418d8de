#include "align_command.h"

#include "text_files.h"
#include "units_option.h"

#include <attnviz/analysis/alignment.h>

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

int run(const ParsedCommand &command)
{
    const double threshold = parseThreshold(command);
    const auto model = Model::fromFile(command.value("model"), WeightAccess::Map);
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
    const auto outside = [&](size_t n, const TranslationResult &result) -> std::optional<Link> {
        for (const std::set<Link> *set : {&gold[n].sure, &gold[n].possible})
            for (const Link &l : *set)
                if (l.first >= static_cast<int>(result.sourceWords.size())
                    || l.second >= static_cast<int>(result.targetWords.size()))
                    return l;
        return std::nullopt;
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
    }
    return 0;
}

} // namespace

CommandSpec alignCommand()
{
    return {"align",
            "Score the model's attention against gold word alignments (precision, recall, AER).",
            {{"model", "FILE", "Model file (.safetensors, or .json)", true},
             {"input", "FILE", "Source sentences, one per line", true},
             {"targets", "FILE", "Reference translations, one per line (decoded with forcing)", true},
             {"gold", "FILE", "Gold alignments in Pharaoh format: 'i-j' sure, 'i?j' possible, from 0", true},
             {"threshold", "X", "Also count every link whose weight exceeds X (0 < X < 1)"},
             {"per-sentence", "", "Also the scores of each sentence, by line number (in --json: per_sentence)"},
             {"units", "UNITS", "What the gold indices count: words (pieces merged) or pieces; default: words when every "
                                "gold link lies within its sentence's words, else pieces"},
             {"json", "", "Print the scores as one JSON object"}},
            run,
            {}};
}

} // namespace attnviz::cli
