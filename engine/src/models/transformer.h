// The transformer encoder-decoder of the family (internal to the engine): the layers' weight
// views, the encoder, and a decoding run that keeps each hypothesis's keys and values
// (docs/transformers.md).
#pragma once

#include <attnviz/decoding/options.h>
#include <attnviz/io/model_file.h>
#include <attnviz/layers/linear.h>
#include <attnviz/layers/quantized.h>

#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace attnviz {

struct NormView
{
    const float *weight = nullptr;
    const float *bias = nullptr;
};

struct MultiHeadView
{
    LinearView query, key, value, output;
    NormView norm;
};

struct TransformerLayerView
{
    MultiHeadView self, cross; // cross: decoder layers only
    LinearView feedForwardIn, feedForwardGate, feedForwardOut;
    NormView feedForwardNorm;
};

// The encoder's output for one sentence.
struct TransformerEncoding
{
    MatrixRM memory;                     // [T x d]: the last layer's output (after the final norm)
    std::vector<MatrixRM> selfAttention; // layer * heads + head: [T x T], when asked for
};

// What a step may be told to do differently from the model.
struct TransformerControl
{
    const std::vector<AttentionOverride> *overrides = nullptr;
    Ablation ablation = Ablation::None; // every cross-attention weight 1 (summed) or 1/T (mean)
    const std::function<bool()> *cancelled = nullptr;
};

// What one step did in one decoder layer's cross-attention, for hypothesis 0 (the walkthrough's
// numbers, explainHypothesis()): recorded only when TransformerStepOutput::trace asks.
struct CrossAttentionTrace
{
    int layer = 0;
    Vector input;     // [d]: the residual stream entering the sublayer
    Vector normed;    // [d]: what W_q reads: LN(input) (pre-norm) or input
    Vector query;     // [d]: W_q normed + b_q, every head (head h at columns [h dk, (h + 1) dk))
    Vector mixed;     // [d]: every head's sum_j a_ij v_j, concatenated as query
    Vector projected; // [d]: W_o mixed + b_o
    Vector output;    // [d]: input + projected (post-norm: LN of it)
};

// Where one step writes: row k for hypothesis k; null pointers are not computed.
struct TransformerStepOutput
{
    Eigen::Ref<MatrixRM> logProbs;      // [K x V]
    MatrixRM *crossWeights = nullptr;   // [K x (L H T)]: layer l, head h at columns (l H + h) T
    MatrixRM *crossEnergies = nullptr;  // the same layout: the scaled scores before the softmax
    MatrixRM *selfWeights = nullptr;    // [K x (L H (t + 1))] at step t
    CrossAttentionTrace *trace = nullptr; // row 0 in the cross-attention of layer trace->layer
    // When set, the step stops before the output layer and writes its input (the last layer's
    // output, after the final norm) here, [K x d] rows contiguous, instead of logProbs.
    float *outputInput = nullptr;
    // stepSequence only, instead of selfWeights: row r's [1 x (L H (t + r + 1))].
    std::vector<MatrixRM> *selfWeightRows = nullptr;
};

// The most positions Run::stepSequence takes at once.
inline constexpr int maxSequenceRows = 8;

class Transformer
{
public:
    explicit Transformer(const ModelFile &file);

    const TransformerConfig &config() const { return m_config; }
    int layers() const { return m_config.decoderLayers; }
    int heads() const { return m_config.heads; }

    TransformerEncoding encode(const std::vector<int> &sourceIds, bool keepSelfAttention) const;

    const LinearView &outputLayerView() const { return m_output; }
    // The decoder positions the model has: a step past them is an InputError.
    int decoderPositions() const { return static_cast<int>(positions(true).rows()); }
    // The bytes of weights one decoder step reads: every decoder layer's and the output layer's.
    double stepWeightBytes() const;
    // Log-probabilities [K x V] from the output layer's inputs [K x d]; with rowExact, W is read
    // once for all K rows and each row has the bits of a step of one row.
    void outputLayer(const Eigen::Ref<const MatrixRM> &inputs, Eigen::Ref<MatrixRM> logProbs, bool rowExact) const
    {
        logProbRows(inputs, m_output, logProbs, rowExact);
    }
    // The int4 copy of the output layer that speculative decoding guesses with (made on first use).
    const GuessLinear &guessOutput() const { return m_guessOutput.get(m_output); }
    // The int8 copy of a decoder projection (made, for all of them, on first use).
    const QuantizedLinear &draftOf(const LinearView &linear) const;
    // Whether stepSequence's rows have the bits of single steps: every row of its buffers then
    // starts at the alignment of row 0 (d and the feed-forward size multiples of 16 floats), so
    // that Eigen's element-wise loops split each row the same way.
    bool sequenceIsExact() const { return m_config.modelSize % 16 == 0 && m_config.feedForwardSize % 16 == 0; }

    // The keys and values of one sentence's decoding: the encoder's, projected once per
    // decoder layer, and each hypothesis's own, in buffers reserved for `capacity` steps of
    // `rows` hypotheses so that they grow without reallocating.
    //
    // A draft run (of another run, whose encoder keys and values it takes) computes every decoder
    // projection with the int8 copies of Transformer::draftOf(): an approximation for guessing
    // tokens only (speculative decoding), never reported.
    class Run
    {
    public:
        Run(const Transformer &model, const MatrixRM &memory, int rows, int capacity, const Run *draftOf = nullptr);
        int steps() const { return m_steps; }
        // One step of the K live hypotheses, from their previous tokens [K].
        void step(const int *previousTokens, int K, const TransformerControl &control, TransformerStepOutput &out);
        // The next `count` steps (<= maxSequenceRows) of hypothesis 0 at once, from its tokens
        // [count]: row r is step steps() + r, bit for bit what step() gives for it one at a time
        // (sequenceIsExact()), while each weight is read once for all of them.
        void stepSequence(const int *tokens, int count, const TransformerControl &control,
                          TransformerStepOutput &out);
        // The hypotheses of the next step: parents[i] (rows of the step just taken) in order.
        void select(const int *parents, int count);
        // Forget the last step: the next one is taken at its position again (its keys and values
        // are written anew). For a what-if step beside the real one.
        void rewind() { --m_steps; }
        // Forget every step after the first `steps` (speculative decoding's rejected guesses).
        void rewindTo(int steps) { m_steps = steps; }
        // The encoder's keys and values as decoder layer l reads them: [T x d], W_k h_j + b_k.
        const MatrixRM &crossKeys(int l) const { return m_crossKeys[l]; }
        const MatrixRM &crossValues(int l) const { return m_crossValues[l]; }

    private:
        void attention(int layer, bool cross, int K, const TransformerControl &control, TransformerStepOutput &out);
        void project(const Eigen::Ref<const MatrixRM> &x, const LinearView &linear, Eigen::Ref<MatrixRM> y);
        void decoderLayers(int K, const TransformerControl &control, TransformerStepOutput &out);

        const Transformer &m_model;
        int m_rows, m_capacity, m_sourceLength, m_steps = 0;
        bool m_draft = false, m_sequence = false; // m_sequence: rows are positions, during stepSequence
        std::vector<int16_t> m_quantizedInput;
        std::vector<MatrixRM> m_crossKeys, m_crossValues; // per layer [T x d]
        std::vector<MatrixRM> m_keys, m_values, m_spare;  // per layer [rows * capacity x d]
        MatrixRM m_x, m_normed, m_query, m_key, m_value, m_mixed, m_projected, m_hidden, m_gate;
        Eigen::VectorXf m_energies, m_weights;
    };

private:
    friend class Run;
    // x [n x d] through one encoder layer (self-attention over all rows) in place.
    void encoderLayer(int layer, MatrixRM &x, MatrixRM *selfAttention) const;
    // `gate` is scratch of hidden's size for a gated feed-forward layer; `project` computes each
    // Linear (linearRows, or a Run's choice).
    template<typename Project>
    void feedForward(const TransformerLayerView &layer, bool pre, Eigen::Ref<MatrixRM> x, MatrixRM &normed,
                     MatrixRM &hidden, MatrixRM &gate, MatrixRM &projected, Project &&project) const;
    // Rows of E y x scale + the position: `position` + i for row i when consecutive (a sentence),
    // else `position` for every row (the hypotheses of one step).
    void embed(const MatrixView &table, const MatrixRM &positions, const int *ids, int count, int position,
               bool consecutive, Eigen::Ref<MatrixRM> x) const;
    // Sinusoidal tables are the same for both sides, so only learned ones are held twice.
    const MatrixRM &positions(bool decoder) const
    {
        return decoder && m_config.positions == Positions::Learned ? m_decoderPositions : m_encoderPositions;
    }

    TransformerConfig m_config;
    float m_scale = 1, m_epsilon = 1e-6f;
    MatrixView m_sourceEmbedding{nullptr, 0, 0}, m_targetEmbedding{nullptr, 0, 0};
    MatrixRM m_encoderPositions, m_decoderPositions; // [P x d]; the decoder's only when learned
    std::vector<TransformerLayerView> m_encoder, m_decoder;
    NormView m_encoderNorm, m_decoderNorm;
    LinearView m_output;
    LazyCopy<GuessLinear> m_guessOutput;
    mutable std::once_flag m_draftOnce;
    mutable std::unordered_map<const float *, QuantizedLinear> m_draftLinears; // by weightData
};

// layer norm of every row when `norm` is set (pre: before a sublayer; post: after its sum).
void normRows(const TransformerConfig &config, const NormView &norm, const Eigen::Ref<const MatrixRM> &x,
              Eigen::Ref<MatrixRM> y);

} // namespace attnviz
