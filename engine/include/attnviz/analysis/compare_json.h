// A comparison and a timeline as JSON (attnviz-cli compare / timeline --json, and the window's
// export of the numbers) and as CSV. The keys are listed in docs/compare.md.
#pragma once

#include <attnviz/analysis/compare.h>
#include <attnviz/analysis/training_run.h>

#include <nlohmann/json.hpp>

#include <string>

namespace attnviz {

// units ("pieces" or "words"), source_tokens, target_tokens (EOS included), shared_output, attention_a, attention_b
// [steps x source tokens], log_probs_a, log_probs_b, log_p_a, log_p_b, jsd, argmax_agreement,
// entropy_a, entropy_b, mean_jsd, agreement; view_a, view_b for a transformer (its layers' and
// heads' view compared).
nlohmann::json comparisonToJson(const ModelComparison &comparison);

// sentences, mean_jsd, agreement; aer_a, aer_b, precision_*, recall_* when gold links were given.
nlohmann::json corpusComparisonToJson(const CorpusComparison &corpus);

// source_tokens, target_tokens, fixed_output, checkpoints: [{file, step, attention, log_probs,
// log_p, entropy (per step), mean_entropy, agreement_with_last, aer (with gold)}].
nlohmann::json timelineToJson(const Timeline &timeline);

// One row per output step: step, token, jsd, agreement, entropy_a, entropy_b, log_p_a, log_p_b.
std::string comparisonToCsv(const ModelComparison &comparison);

// One row per checkpoint: step, file, log_p, mean_entropy, agreement_with_last, aer.
std::string timelineToCsv(const Timeline &timeline);

} // namespace attnviz
