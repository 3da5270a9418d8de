// A translation result as JSON (the CLI's --json, and the .json export), as CSV, and as a text table.
#pragma once

#include <attnviz/decoding/translate.h>
#include <attnviz/analysis/word_units.h>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace attnviz {

// Keys: sentence, model, architecture, source_words, source_tokens, unknown_words, target_tokens,
// attention [steps x source tokens incl. EOS], energies (before the softmax, same shape), contexts [steps x H], summed_context [H],
// log_probs, score, normalized_score, cosine, distance, entropy, coverage; padding_mass
// (tutorial_legacy); forced, target, unknown_target_words, perplexity (forced); beams (K > 1);
// ablation. `hypothesis` picks which beam is the main result. docs/cli.md lists them.
// Text that is not valid UTF-8 (a sentence read from a file) has each invalid byte replaced
// by U+FFFD, so that dump() never throws.
nlohmann::json resultToJson(const Model &model, const std::string &sentence, const TranslationResult &result,
                            const DecodeOptions &options, size_t hypothesis = 0);

// The JSON keys a result read as words adds (result_json.h's resultToJson of merge.words):
// "units": "words", "source_pieces" and "target_pieces" (per word, its pieces as the model
// read them), and no "energies". For a result of pieces, {"units": "pieces"}.
void addUnitsToJson(nlohmann::json &j, const TranslationResult &pieces, const WordMerge *merge, size_t hypothesis = 0);

// A readable translation and its alignment as a text table (rows: output tokens).
std::string resultToText(const TranslationResult &result, size_t hypothesis = 0);

// Which numbers alignmentToCsv writes: the model's attention alpha_ij (the default), the raw
// scores e_ij, or softmax(e_i / temperature) (a temperature of 1 gives alpha).
struct CsvValues
{
    bool energies = false;
    double temperature = 1.0; // when !energies
};

// The alignment as CSV: a header row of the source tokens (with EOS), then one row per output
// token: the token, then its values with 6 decimals. Tokens are quoted as RFC 4180 asks. For a
// tutorial_legacy model the slots past the input are left out, as they are from alpha.
std::string alignmentToCsv(const TranslationResult &result, size_t hypothesis = 0, CsvValues values = {});

// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
std::string csvQuote(const std::string &field);

// Writes bytes to path atomically: a temporary file beside it, fsync, rename. Readers see the
// old file or the complete new one, never a half-written one; on failure the temporary file is
// removed and a std::runtime_error names the path and the reason.
void writeFileAtomically(const std::string &path, std::string_view bytes);

// exp(-mean log-prob): the perplexity of a forced target (1 for an empty one).
double perplexity(const Hypothesis &hypothesis);

} // namespace attnviz
