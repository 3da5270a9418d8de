// Decoding: greedy, beam and forced (teacher-forced), plus the no-attention ablation.
//
//     auto model = attnviz::Model::fromFile("sample_models/eng-fra-bahdanau.safetensors");
//     attnviz::DecodeOptions options;
//     options.beamWidth = 3;
//     attnviz::TranslationResult r = attnviz::translate(*model, "I am cold.", options);
//     r.best().targetTokens; // {"j", "ai", "froid", ".", "EOS"}
//     r.best().attention;    // [steps x columns]
//
// The rules (which PyTorch reproduces in tools/reference.py) are in docs/decoding.md.
#pragma once

#include <attnviz/decoding/options.h>
#include <attnviz/decoding/result.h>
#include <attnviz/models/model.h>

#include <functional>
#include <string>
#include <vector>

namespace attnviz {

// Throws InputError when the sentence cannot be encoded by this model, has more than
// maxSourceWords words, or the options ask for more than maxOutputSteps steps or maxBeamWidth.
TranslationResult translate(const Model &model, const std::string &sentence, const DecodeOptions &options);

// translate() from ids, as a toolkit's own code feeds them (the tests compare with it): the
// encoder's input (EOS included when the model frames the source with it) and, for forced
// decoding, the target (usually EOS last; options.target is not read). Throws InputError.
TranslationResult translateIds(const Model &model, const std::vector<int> &sourceIds, const DecodeOptions &options,
                               const std::vector<int> *targetIds = nullptr);

// The no-attention comparison (DecodeOptions::ablation) for a sentence translate() has already
// encoded, without decoding it again: the GUI shows both ablations, and a second translate()
// call for the other one would repeat the encoder and the attention decoding. maxLength 0 =
// the default. Throws std::invalid_argument for Ablation::None.
AblationResult decodeAblation(const Model &model, const TranslationResult &result, Ablation kind, int maxLength = 0,
                              const std::function<bool()> &cancelled = {},
                              Speculation speculation = Speculation::Auto);

// translate() for every sentence, on `threads` threads (0 = one per core); results in the order of
// `sentences`. If sentences fail, the error of the first of them is thrown once all threads
// have stopped.
std::vector<TranslationResult> translateBatch(const Model &model, const std::vector<std::string> &sentences,
                                              const DecodeOptions &options, int threads = 0);

// The text of an output: the target tokens (a final EOS left out) detokenized as the model's
// toolkit does for its translation line, or joined by spaces for a word-level model.
std::string detokenize(const Model &model, const std::vector<std::string> &targetTokens);

// The default step limit for a source of n words (the positions fed to the encoder, EOS not
// counted): 2 n + 10.
int defaultMaxLength(int sourceWords);
// The model's own rule when its config has one (ModelConfig::search, for a source of that many
// positions), else defaultMaxLength(sourceWords); never more than maxOutputSteps.
int defaultMaxLength(const ModelConfig &config, int sourcePositions, int sourceWords);


} // namespace attnviz
