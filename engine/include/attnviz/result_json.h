// A translation result as JSON (the CLI's --json, and the .json export), and as a text table.
#pragma once

#include <attnviz/translate.h>

#include <nlohmann/json.hpp>

#include <string>

namespace attnviz {

// Keys: sentence, model, architecture, source_words, source_tokens, unknown_words, target_tokens,
// attention [steps x source tokens incl. EOS], energies (before the softmax, same shape), contexts [steps x H], summed_context [H],
// log_probs, score, normalized_score, cosine, distance, entropy, coverage; padding_mass
// (tutorial_legacy); forced, target, unknown_target_words, perplexity (forced); beams (K > 1);
// ablation. `hypothesis` picks which beam is the main result. docs/cli.md lists them.
nlohmann::json resultToJson(const Model &model, const std::string &sentence, const TranslationResult &result,
                            const DecodeOptions &options, size_t hypothesis = 0);

// A readable translation and its alignment as a text table (rows: output tokens).
std::string resultToText(const TranslationResult &result, size_t hypothesis = 0);

// exp(-mean log-prob): the perplexity of a forced target.
double perplexity(const Hypothesis &hypothesis);

} // namespace attnviz
