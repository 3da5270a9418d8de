// The decoder of the family behind one step function (internal to the engine).
#pragma once

#include <attnviz/decoding/options.h>
#include <attnviz/io/model_file.h>
#include <attnviz/layers/attention.h>
#include <attnviz/layers/quantized.h>
#include <attnviz/layers/rnn.h>
#include <attnviz/models/model.h>

#include <functional>
#include <memory>
#include <vector>

namespace attnviz {

// Per-sentence state and scratch of one decoding run: sized once by prepare() for up to `rows`
// hypotheses, then reused by every step, so the step loop allocates nothing.
struct DecoderWorkspace
{
    Eigen::Map<const MatrixRM> annotations{nullptr, 0, 0}; // [T x A], owned by the caller
    ScorerWorkspace scorer;
    // One row per hypothesis; a step uses the top K rows.
    MatrixRM input;         // [rows x I]: the first RNN layer's input (E y_{i-1} gathered into it)
    MatrixRM combined;      // combine: [rows x (Ed + A)] (E y_{i-1} gathered into it)
    MatrixRM gi, gh;        // [rows x G Hd]
    MatrixRM attentionalIn; // [rows x (Hd + A)]
    MatrixRM attentional;   // [rows x Hd]
};

// What a step may be told to do differently from the model.
struct StepControl
{
    const Vector *context = nullptr; // [A]: replaces c_i after the attention (the ablation)
    const std::vector<AttentionOverride> *overrides = nullptr; // those whose step is `step` apply
    const std::function<bool()> *cancelled = nullptr;          // asked before each step
    int step = 0;

    void throwIfCancelled() const
    {
        if (cancelled && *cancelled && (*cancelled)())
            throw Cancelled();
    }
};

// Where one step writes its results: row k for hypothesis k.
struct StepOutput
{
    Eigen::Ref<MatrixRM> energies;  // [K x columns]: scores before the softmax
    Eigen::Ref<MatrixRM> attention; // [K x columns]
    Eigen::Ref<MatrixRM> context;   // [K x A]
    Eigen::Ref<MatrixRM> state;     // [K x S]
    Eigen::Ref<MatrixRM> logProbs;  // [K x V]
    // When set, the step stops before the output layer and writes the layer's input here
    // ([K x outputInputSize()], rows contiguous) instead of logProbs: outputLayer() takes it on.
    float *outputInput = nullptr;
};

// A step takes the K live hypotheses of a beam together (K = 1 for greedy and forced decoding),
// so that each weight matrix is read once per step as one matrix-matrix product, not K times.
//
// The decoder's state is one row of S floats per hypothesis: the hidden state of each layer
// (layer l at columns [l Hd, (l + 1) Hd)), then for an LSTM the cell state of each layer, then
// for input feeding the attentional vector of the step before.
class Decoder
{
public:
    explicit Decoder(const ModelFile &file);
    ~Decoder();

    int stateSize() const { return m_stateSize; }
    const DecoderConfig &config() const { return m_config; }
    // The state before the first step, from the encoder [S].
    Vector initialState(const Encoding &encoding) const;
    void prepare(DecoderWorkspace &ws, int rows) const;
    // One step from y_{i-1} [K] and the states [K x S], K = previousStates.rows() <= rows.
    void step(const int *previousTokens, const Eigen::Ref<const MatrixRM> &previousStates, const StepControl &control,
              DecoderWorkspace &ws, StepOutput &out) const;

    // The output layer's input: s_t, or the attentional vector when there is one.
    int outputInputSize() const { return m_out.inFeatures; }
    const LinearView &outputLayerView() const { return m_out; }
    // Log-probabilities [K x V] from the output layer's inputs [K x outputInputSize()]; with
    // rowExact, W is read once for all K rows and each row has the bits of a step of one row.
    void outputLayer(const Eigen::Ref<const MatrixRM> &inputs, Eigen::Ref<MatrixRM> logProbs, bool rowExact) const
    {
        logProbRows(inputs, m_out, logProbs, rowExact);
    }
    // The int4 copy of the output layer that speculative decoding guesses with (made on first use).
    const GuessLinear &guessOutput() const { return m_guessOut.get(m_out); }

private:
    // The scores of queries [K x Hd] to alpha and c_t, with the overrides and the ablation;
    // embedded E y_{i-1} [K x Ed] (the location score reads it).
    void attend(const Eigen::Ref<const MatrixRM> &queries, const Eigen::Ref<const MatrixRM> &embedded,
                DecoderWorkspace &ws, StepOutput &out, const StepControl &control) const;
    // Every RNN layer, from the first layer's input ws.input.
    void runRnn(const Eigen::Ref<const MatrixRM> &previousStates, DecoderWorkspace &ws, StepOutput &out) const;

    DecoderConfig m_config;
    int m_annotation = 0, m_stateSize = 0, m_cellOffset = 0, m_feedOffset = 0;
    float m_embeddingScale = 1;
    MatrixView m_embedding; // [Vt x Ed]
    std::vector<RnnCellView> m_rnn;
    std::unique_ptr<Scorer> m_scorer;
    LinearView m_combine, m_attentional, m_out;
    LazyCopy<GuessLinear> m_guessOut;
    std::unique_ptr<class InitialState> m_initialState;
};

} // namespace attnviz
