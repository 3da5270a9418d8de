// The configuration of a model of the RNN attention family (attnviz-seq2seq/2), the table of
// tensors it derives, and the named points of the family (docs/model-format.md).
//
//     attnviz::ModelConfig config = attnviz::bahdanauConfig(128); // the PyTorch tutorial
//     config.encoder.bidirectional = true;                        // a variant of it
//     config.decoder.hiddenSize = 256;                            // [fwd; bwd] for init final
//     attnviz::checkConfig(config, "variant");                    // throws ModelError
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace attnviz {

// Tutorial: the PyTorch tutorial's folding; None: the text as it is; Lowercase: Python's
// str.lower() (Joey NMT's lowercase: true). See attnviz/io/text.h.
enum class Normalization { Tutorial, None, Lowercase };
enum class Cell { Gru, Lstm };
enum class DirectionMerge { Concat, Sum };
enum class DecoderInput { Embedding, EmbeddingContext, ContextEmbedding, InputFeeding, Combine };
enum class Query { Previous, Current };
// How the decoder's first state is made from the encoder's final states. Hidden (the copy of
// the initial hidden state) is only a rule for an LSTM's cell state.
enum class InitRule { Zero, Final, Last, Bridge, OnmtBridge, FirstLayers, Hidden };
enum class Activation { Tanh, Identity, Relu };
enum class Attentional { None, StateContext, ContextState };
enum class Score { Dot, General, Bilinear, Additive, Concat, Location };

struct EncoderConfig
{
    Cell cell = Cell::Gru;
    int layers = 1;
    int embeddingSize = 0;
    int hiddenSize = 0; // per direction
    bool bidirectional = false;
    DirectionMerge merge = DirectionMerge::Concat;
    bool embeddingScale = false; // x sqrt(embeddingSize)

    int directions() const { return bidirectional ? 2 : 1; }
    // The size of an annotation h_j.
    int outputSize() const { return bidirectional && merge == DirectionMerge::Concat ? 2 * hiddenSize : hiddenSize; }
};

struct DecoderConfig
{
    Cell cell = Cell::Gru;
    int layers = 1;
    int embeddingSize = 0;
    int hiddenSize = 0;
    bool embeddingScale = false;
    DecoderInput input = DecoderInput::Embedding;
    Activation combineActivation = Activation::Relu; // input Combine: Relu or Identity
    Query query = Query::Current;
    InitRule init = InitRule::Final;
    InitRule cellInit = InitRule::Final; // LSTM only
    Activation bridgeActivation = Activation::Tanh;
    bool bridgeBias = true;
    Attentional attentional = Attentional::None;
    Activation attentionalActivation = Activation::Tanh; // Tanh or Identity
    bool attentionalBias = true;
    bool outputBias = true;
};

struct AttentionConfig
{
    Score score = Score::Dot;
    bool bias = false;  // general, bilinear: of W; concat: of the tanh layer
    int hiddenSize = 0; // additive, concat: Da
    bool queryBias = true, keyBias = true; // additive
    bool energyBias = true;                // additive, concat
    int locationSlots = 0; // location: L ("slots" in the file; Qt reserves the word)
};

// Whose beam search a beam of more than one follows (docs/transformers.md, "Search"): attnviz's
// (docs/decoding.md), Joey NMT's, OpenNMT-py's (GNMT 'avg' length penalty) or Hugging Face's.
enum class BeamRule { Attnviz, Joey, Onmt, HuggingFace };

// How the toolkit that trained the model searches ("search" in the file): what greedy and beam
// search never pick, and how many steps they take when the caller does not say. The defaults
// are attnviz's own rules (every token allowed; 2 x source words + 10 steps).
struct SearchConfig
{
    std::vector<std::string> neverGenerate; // target tokens (Joey NMT: its BOS and PAD)
    int minLength = 0; // EOS is not picked at steps before this one (Joey NMT: 1)
    // Default steps: int(ratio x source positions + offset) (positions: the words, and EOS
    // when framed), at most cap when cap > 0. ratio 0 and offset 0: attnviz's rule.
    double maxLengthRatio = 0.0;
    int maxLengthOffset = 0;
    int maxLengthCap = 0;
    std::vector<std::string> beamNeverGenerate; // also banned in beam search only (Joey NMT: its PAD)
    bool forcedEos = false; // at the last step only EOS may be picked (Hugging Face forced_eos_token_id)
    BeamRule beamRule = BeamRule::Attnviz;
    double lengthPenalty = 0.0; // the rule's alpha: Joey beam_alpha, OpenNMT-py -alpha, HF length_penalty

    bool isDefault() const
    {
        return neverGenerate.empty() && minLength == 0 && maxLengthRatio == 0.0 && maxLengthOffset == 0
            && maxLengthCap == 0 && beamNeverGenerate.empty() && !forcedEos && beamRule == BeamRule::Attnviz
            && lengthPenalty == 0.0;
    }
};

// Which half of the family a model is ("family" in the file; absent: rnn).
enum class Family { Rnn, Transformer };
// Where a transformer layer normalizes: before each sublayer with a final norm on the stack
// (OpenNMT-py; Joey NMT "pre"), or after each residual sum (Marian; Joey NMT "post").
enum class NormPosition { Pre, Post };
// Sinusoidal tables: sin/cos interleaved over the dimensions (Joey NMT, OpenNMT-py), or sin in
// the first half and cos in the second (Marian, OpenNMT-py "SinusoidalConcat"); Learned: a
// stored table "<side>.positions.weight".
// Concat: sin in the first half, cos in the second, with OpenNMT-py's SinusoidalConcat
// frequencies (10000^(-i / (d/2 - 1)), float32; tensor2tensor's).
enum class Positions { Interleaved, Halves, Concat, Learned };
enum class FeedForwardActivation { Relu, Gelu, Swish };

// A transformer encoder-decoder (docs/transformers.md): the sizes, and every switch on which the
// three toolkits differ.
struct TransformerConfig
{
    int encoderLayers = 0, decoderLayers = 0;
    int modelSize = 0;   // d
    int heads = 0;       // d % heads == 0
    int feedForwardSize = 0;
    // Each stack's layer order, and whether it ends with a layer norm (pre-norm stacks do, but
    // Joey NMT's defaults mix them: pre-norm encoder layers without the final norm).
    NormPosition encoderNorm = NormPosition::Pre, decoderNorm = NormPosition::Pre;
    bool encoderFinalNorm = true, decoderFinalNorm = true;
    double normEpsilon = 1e-6;
    Positions positions = Positions::Interleaved;
    int maxPositions = 0; // Learned: the table's rows; sinusoidal: 0 (generated as long as needed)
    bool embeddingScale = true; // x sqrt(d) before the positions are added
    bool attentionBias = true;  // q, k, v and output projections
    bool feedForwardBias = true;
    FeedForwardActivation activation = FeedForwardActivation::Relu;
    // act(W1 x) * (W3 x) before W2 (OpenNMT-py's silu and gated-gelu: "feed_forward.gate").
    bool gatedFeedForward = false;
    bool sharedEmbeddings = false; // one table for both sides (source vocabulary = target vocabulary)
    bool tiedOutput = false;       // the output layer's weight is the target embedding
    bool outputBias = false;       // "decoder.output.bias" (OpenNMT-py's generator, Marian's final_logits_bias)
    // Which toolkit trained it, for its "tool default" attention view: "joey", "onmt", "marian" or "".
    std::string toolkit;

    int headSize() const { return heads > 0 ? modelSize / heads : 0; }
};

struct ModelConfig
{
    Family family = Family::Rnn;
    TransformerConfig transformer; // family transformer: encoder, decoder and attention unused
    EncoderConfig encoder;
    DecoderConfig decoder;
    AttentionConfig attention;
    SearchConfig search;
    bool sourceEos = true; // EOS appended to the source
    std::string sosToken, eosToken;
    std::optional<std::string> unkToken;
    Normalization normalization = Normalization::Tutorial;
    std::string name, description, sourceLanguage, targetLanguage;

    // The size A of an annotation h_j, and so of a context c_i.
    int annotationSize() const { return family == Family::Transformer ? transformer.modelSize : encoder.outputSize(); }
    bool isTransformer() const { return family == Family::Transformer; }
};

// The three architectures of attnviz-seq2seq/1, as points of the family.
enum class Architecture { Bahdanau, Luong, TutorialLegacy };
enum class LuongScore { Dot, General };

// The current PyTorch tutorial: s_i = GRU([E y; c_i], s_{i-1}), additive attention on s_{i-1}.
ModelConfig bahdanauConfig(int hiddenSize);
// Luong global attention without input feeding: GRU first, h~ = tanh(W [c; s]).
ModelConfig luongConfig(int hiddenSize, LuongScore score);
// The original tutorial's location attention over `slots` fixed slots, attn_combine + ReLU or not.
ModelConfig tutorialLegacyConfig(int hiddenSize, int slotCount, bool combineRelu);
// Which of the three a configuration is, if it is one of them exactly (names and tokens aside).
std::optional<Architecture> architectureOf(const ModelConfig &config);
std::string architectureName(Architecture architecture); // "bahdanau", "luong", "tutorial_legacy"

// One line for people: "2-layer bidirectional LSTM encoder, LSTM decoder, general attention on
// s_t, input feeding".
std::string describeArchitecture(const ModelConfig &config);

// The value names of the format ("gru", "input_feeding", ...).
std::string cellName(Cell cell);
std::string mergeName(DirectionMerge merge);
std::string decoderInputName(DecoderInput input);
std::string queryName(Query query);
std::string initRuleName(InitRule rule);
std::string activationName(Activation activation);
std::string attentionalName(Attentional attentional);
std::string scoreName(Score score);
std::string normalizationName(Normalization normalization);
std::string normPositionName(NormPosition norm);
std::string beamRuleName(BeamRule rule); // "attnviz", "joey", "onmt", "huggingface"
std::string positionsName(Positions positions);
std::string feedForwardActivationName(FeedForwardActivation activation);

// Throws ModelError (prefixed with displayName) when sizes are not positive or the options do
// not fit together, naming the key: "config: decoder.init 'final' needs decoder.layers (1) =
// encoder.layers (2)".
void checkConfig(const ModelConfig &config, const std::string &displayName);

// The one table of tensor names and shapes a configuration needs. The config must be valid.
std::map<std::string, std::vector<int64_t>>
expectedTensorShapes(const ModelConfig &config, int64_t sourceVocabSize, int64_t targetVocabSize);

// Every key that applies is written (attnviz-seq2seq/2), so the result round-trips.
nlohmann::json configToJson(const ModelConfig &config);
// Reads a version 2 config; checks key presence, JSON types, enum values and checkConfig.
// Throws ModelError prefixed with displayName.
ModelConfig configFromJson(const nlohmann::json &json, const std::string &displayName);
// A version 1 config ({"architecture": "bahdanau", "hidden_size": 128, ...}) as its point of the
// family.
ModelConfig configFromJsonV1(const nlohmann::json &json, const std::string &displayName);
// Version 1 tensor names of that architecture -> version 2 names ("decoder.attention.Wa.weight"
// -> "decoder.attention.query_layer.weight"); a name that is not in the table is kept.
std::string tensorNameFromV1(const std::string &name);

} // namespace attnviz
