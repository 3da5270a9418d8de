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

#include <attnviz/layers.h>
#include <attnviz/model.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnviz {

// A sentence this model cannot take (for example longer than tutorial_legacy's slots).
class InputError : public std::runtime_error
{
public:
    using runtime_error::runtime_error;
};

// Thrown when DecodeOptions::cancelled (or decodeAblation's) says to stop: the caller asked.
class Cancelled : public std::runtime_error
{
public:
    Cancelled()
        : runtime_error("the translation was cancelled")
    {
    }
};

// What one translate() call accepts (InputError beyond): the attention and energy matrices keep
// steps x source positions floats per hypothesis, so a pasted page of text would take gigabytes
// (5,000 words: 10,010 default steps x 5,001 positions x 4 bytes x 2 matrices = 400 MB, times
// the beam width) and a heatmap nobody can read. The models attnviz is for were trained on
// sentences of fewer than 10 words. See docs/reliability.md.
inline constexpr int maxSourceWords = 500;                  // words after normalization
inline constexpr int maxOutputSteps = 2 * maxSourceWords + 10; // the default for the longest input
inline constexpr int maxBeamWidth = 64;

enum class Ablation { None, Summed, Mean };

// What-if: at output step `step` (from 0), put `share` of the attention on source position
// `position` (from 0; EOS is the last) and scale the model's own weights by 1 - share. The
// context and everything after it follow from the changed weights.
struct AttentionOverride
{
    int step = 0;
    int position = 0;
    double share = 1.0;
};

struct DecodeOptions
{
    int beamWidth = 1;                 // 1 = greedy
    int maxLength = 0;                 // output steps; 0 = 2 x source words + 10
    std::optional<std::string> target; // forced decoding of this target sentence
    // Also decode with every c_i replaced: greedily, or with a target, that same target
    // (teacher-forced, so that its log p with and without attention compare).
    Ablation ablation = Ablation::None;
    std::vector<AttentionOverride> attentionOverrides; // applied in greedy, beam and forced decoding
    // Asked before encoding and before every decoder step (from the decoding thread); when it
    // returns true, translate() stops and throws Cancelled. The GUI stops a translation whose
    // input has changed this way.
    std::function<bool()> cancelled;
};

// One output sequence with everything the views show.
struct Hypothesis
{
    std::vector<int> targetIds;          // EOS included when emitted
    std::vector<std::string> targetTokens;
    MatrixRM attention;                  // [steps x columns]: source positions (with EOS), or L slots
    MatrixRM energies;                   // [steps x columns]: the scores e_ij before the softmax
    MatrixRM contexts;                   // [steps x H]: c_i
    std::vector<double> logProbs;        // of each output token
    double score = 0;                    // sum of logProbs
    double normalizedScore = 0;          // score / number of tokens
    std::vector<double> cosine;          // per step: cos(c_i, c), c = sum_j h_j
    std::vector<double> distance;        // per step: |c_i - c|
    std::vector<double> entropy;         // per step: -sum_j a_ij ln a_ij (nats)
    std::vector<double> paddingMass;     // per step: mass on slots past the input (tutorial_legacy)
    std::vector<double> coverage;        // per source position: sum_i a_ij

    int steps() const { return static_cast<int>(targetIds.size()); }
};

struct AblationResult
{
    Ablation kind = Ablation::None;
    std::vector<int> targetIds;
    std::vector<std::string> targetTokens;
    std::vector<double> logProbs;
    double score = 0;
};

struct TranslationResult
{
    std::vector<std::string> sourceWords;  // the normalized input words
    std::vector<int> sourceIds;            // encoder input, EOS last
    std::vector<int> sourceWordIndex;      // per encoder position but EOS: its index in sourceWords
    std::vector<std::string> targetWords;  // forced: the normalized target words
    std::vector<int> targetWordIndex;      // forced: per target token but EOS: its index in targetWords
    std::vector<std::string> sourceTokens; // vocabulary strings of sourceIds (UNK, EOS as spelled)
    std::vector<std::string> unknownWords; // source words outside the vocabulary
    std::vector<std::string> unknownTargetWords; // forced target words outside the vocabulary
    MatrixRM encoderOutputs;               // [T x H]
    Vector summedContext;                  // [H]: c = sum_j h_j, the no-attention context
    bool forced = false;
    std::vector<Hypothesis> hypotheses;    // best first: one for greedy and forced, K for beam
    std::optional<AblationResult> ablation;

    const Hypothesis &best() const { return hypotheses.front(); }
    int sourceLength() const { return static_cast<int>(sourceIds.size()); }
};

// Throws InputError when the sentence cannot be encoded by this model, has more than
// maxSourceWords words, or the options ask for more than maxOutputSteps steps or maxBeamWidth.
TranslationResult translate(const Model &model, const std::string &sentence, const DecodeOptions &options);

// The no-attention comparison (DecodeOptions::ablation) for a sentence translate() has already
// encoded, without decoding it again: the GUI shows both ablations, and a second translate()
// call for the other one would repeat the encoder and the attention decoding. maxLength 0 =
// the default. Throws std::invalid_argument for Ablation::None.
AblationResult decodeAblation(const Model &model, const TranslationResult &result, Ablation kind, int maxLength = 0,
                              const std::function<bool()> &cancelled = {});

// translate() for every sentence, on `threads` threads (0 = one per core); results in the order of
// `sentences`. If sentences fail, the error of the first of them is thrown once all threads
// have stopped.
std::vector<TranslationResult> translateBatch(const Model &model, const std::vector<std::string> &sentences,
                                              const DecodeOptions &options, int threads = 0);

// softmax(energies / temperature) of one row: how peaked the attention would be at another
// temperature. Temperature 1 gives the model's own attention.
Vector softmaxAtTemperature(const Eigen::Ref<const Vector> &energies, double temperature);

// How c_i is made: for each source position j, the norm of a_ij h_j and its cosine with c_i.
struct Contribution
{
    double norm = 0;
    double cosine = 0;
};
std::vector<Contribution> contextContributions(const TranslationResult &result, const Hypothesis &hypothesis, int step);

// The default step limit for a source of T positions (EOS included): 2 (T - 1) + 10.
int defaultMaxLength(int sourceLength);

std::string ablationName(Ablation ablation); // "none", "summed", "mean"

} // namespace attnviz
