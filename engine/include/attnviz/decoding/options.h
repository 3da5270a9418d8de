// What a decoding run is asked to do: the options of translate(), its limits and its errors.
#pragma once

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
//
// A transformer has an attention per decoder layer and head: the override replaces the weights
// of layer `layer` and head `head` (-1: every layer, every head) before they multiply the values.
struct AttentionOverride
{
    int step = 0;
    int position = 0;
    double share = 1.0;
    int layer = -1, head = -1; // transformers only
};

// Which of a transformer's cross-attentions Hypothesis::attention (and energies, contexts)
// shows: the mean of `heads` of decoder layer `layer` (-1: the last layer; no heads: all of
// them), or with allLayers the mean over every layer and head. See attnviz/analysis/heads.h.
struct HeadSelection
{
    int layer = -1;
    std::vector<int> heads;
    bool allLayers = false;

    bool operator==(const HeadSelection &o) const
    {
        return layer == o.layer && heads == o.heads && allLayers == o.allLayers;
    }
};

// Greedy decoding of a model with a large output layer guesses up to 8 tokens ahead with an
// int8 copy of that layer, then checks every guess with one pass of the float32 layer over all
// of them (docs/decoding.md, "Speculative greedy decoding"). What it reports is bit for bit what
// one step at a time gives: a guess only decides how much is computed at once.
enum class Speculation {
    Auto,       // when the CPU has the kernels for it (AVX2, FMA) and the layer is 8 MB or more
    Off,        // one step at a time
    Always,     // whenever the CPU has the kernels (tests, benchmarks)
    AlwaysWrong // as Always, but every guess is replaced by another token (tests of the undo)
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
    // Transformers: the view of Hypothesis::attention (default: the last layer's mean over its
    // heads), and whether to keep the encoder's and the decoder's self-attention too.
    HeadSelection view;
    bool selfAttention = false;
    Speculation speculation = Speculation::Auto;
    // Asked before encoding and before every decoder step (from the decoding thread); when it
    // returns true, translate() stops and throws Cancelled. The GUI stops a translation whose
    // input has changed this way.
    std::function<bool()> cancelled;
};

std::string ablationName(Ablation ablation); // "none", "summed", "mean"

} // namespace attnviz
