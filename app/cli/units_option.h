// --units pieces|words, shared by translate, export and align: the result as decoded, or read
// as words (engine/include/attnviz/analysis/word_units.h).
#pragma once

#include "command_line.h"

#include <attnviz/analysis/result_json.h>
#include <attnviz/analysis/word_units.h>
#include <attnviz/decoding/translate.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace attnviz::cli {

inline const OptionSpec unitsOptionSpec {
    "units", "UNITS", "pieces (the model's tokens, the default) or words (pieces merged: docs/subword.md)"};

// nullopt when --units is not given; a UsageError for anything but pieces or words.
std::optional<TokenUnits> unitsOption(const ParsedCommand &command);

// A result in the units asked for. Words are merged from the pieces by the model's markings
// (pieceMarkings); for a word-level model every token is its own word.
struct UnitsResult
{
    TranslationResult pieces;
    std::optional<WordMerge> merge;
    const TranslationResult &shown() const { return merge ? merge->words : pieces; }
    void addToJson(nlohmann::json &j) const { addUnitsToJson(j, pieces, merge ? &*merge : nullptr); }
};
UnitsResult inUnits(const Model &model, TranslationResult result, TokenUnits units);

} // namespace attnviz::cli
