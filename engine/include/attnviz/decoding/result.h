// What decoding returns: plain structs of tokens, alignment matrices, contexts and scores.
#pragma once

#include <attnviz/decoding/options.h>
#include <attnviz/layers/linear.h>

#include <optional>
#include <string>
#include <vector>

namespace attnviz {

// A transformer's attention of every layer and head: maps[layer * heads + head], each
// [queries x keys]. Empty for an RNN.
struct HeadAttention
{
    int layers = 0, heads = 0;
    std::vector<MatrixRM> maps;

    bool empty() const { return maps.empty(); }
    const MatrixRM &at(int layer, int head) const { return maps[static_cast<size_t>(layer) * heads + head]; }
    MatrixRM &at(int layer, int head) { return maps[static_cast<size_t>(layer) * heads + head]; }
};

// One output sequence with everything the views show.
struct Hypothesis
{
    std::vector<int> targetIds;          // EOS included when emitted
    std::vector<std::string> targetTokens;
    std::string translation;             // targetTokens as text (detokenize)
    MatrixRM attention;                  // [steps x columns]: source positions (with EOS), or L slots
    MatrixRM energies;                   // [steps x columns]: the scores e_ij before the softmax
    MatrixRM contexts;                   // [steps x A]: c_i
    std::vector<double> logProbs;        // of each output token
    double score = 0;                    // sum of logProbs
    double normalizedScore = 0;          // score / number of tokens
    std::vector<double> cosine;          // per step: cos(c_i, c), c = sum_j h_j
    std::vector<double> distance;        // per step: |c_i - c|
    std::vector<double> entropy;         // per step: -sum_j a_ij ln a_ij (nats)
    std::vector<double> paddingMass;     // per step: mass on slots past the input (tutorial_legacy)
    std::vector<double> coverage;        // per source position: sum_i a_ij
    // Transformers: the cross-attention of every decoder layer and head [steps x T] (attention
    // above is the view chosen of them), its scores before the softmax, and, when asked, the
    // decoder's self-attention [steps x steps] (row i: the inputs BOS, y_1 .. y_{i-1} up to i).
    HeadAttention crossAttention, crossEnergies, selfAttention;

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
    std::vector<std::string> sourceWords;  // the normalized input words, or the tokenizer's pieces
    std::vector<int> sourceIds;            // encoder input, EOS last when the model frames the source with it
    bool sourceEos = true;                 // whether sourceIds ends with EOS
    std::string eosToken;                  // the EOS word of both vocabularies
    std::vector<int> sourceWordIndex;      // per encoder position but EOS: its index in sourceWords
    std::vector<std::string> targetWords;  // forced: the normalized target words
    std::vector<int> targetWordIndex;      // forced: per target token but EOS: its index in targetWords
    std::vector<std::string> sourceTokens; // vocabulary strings of sourceIds (UNK, EOS as spelled)
    std::vector<std::string> unknownWords; // source words outside the vocabulary
    std::vector<std::string> unknownTargetWords; // forced target words outside the vocabulary
    MatrixRM encoderOutputs;               // [T x A]: the annotations h_j
    Vector summedContext;                  // [A]: c = sum_j h_j, the no-attention context
    Vector initialState;                   // [S]: the decoder's state before the first step
    bool forced = false;
    int maxLength = 0;                     // the output steps the search was allowed (0: not recorded)
    // How many times the search computed the output layer: once a step, or once for several
    // steps when greedy decoding guessed ahead (DecodeOptions::speculation; docs/decoding.md).
    int outputPasses = 0;
    std::vector<Hypothesis> hypotheses;    // best first: one for greedy and forced, K for beam
    std::optional<AblationResult> ablation;
    // Transformers: the encoder's self-attention [T x T] of every layer and head, when asked;
    // the view that Hypothesis::attention shows.
    HeadAttention encoderSelfAttention;
    HeadSelection view;

    const Hypothesis &best() const { return hypotheses.front(); }
    int sourceLength() const { return static_cast<int>(sourceIds.size()); }
};

} // namespace attnviz
