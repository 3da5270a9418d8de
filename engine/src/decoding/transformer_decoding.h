// translate() for a transformer (internal to the engine): greedy, beam and forced decoding, and
// the no-attention ablation, with the attention of every layer and head.
#pragma once

#include <attnviz/decoding/options.h>
#include <attnviz/decoding/result.h>
#include <attnviz/models/model.h>

#include <functional>
#include <vector>

namespace attnviz::detail {

// r holds the source (sourceIds ...); fills the encoder outputs and the hypotheses (tokens,
// log-probs, every head's attention, the view's attention and contexts). target: forced decoding.
void decodeTransformer(const Model &model, TranslationResult &r, const DecodeOptions &options, int maxLength,
                       const std::vector<int> *target);

AblationResult ablateTransformer(const Model &model, const TranslationResult &r, Ablation kind, int maxLength,
                                 const std::function<bool()> *cancelled, Speculation speculation);

} // namespace attnviz::detail
