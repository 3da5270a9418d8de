// The three attention decoders behind one step function (internal to the engine).
#pragma once

#include <attnviz/layers/linear.h>
#include <attnviz/io/model_file.h>
#include <attnviz/decoding/translate.h>

#include <memory>

namespace attnviz {

// Per-sentence state and scratch of one decoding run: sized once by prepare() for up to `rows`
// hypotheses, then reused by every step, so the step loop allocates nothing.
struct DecoderWorkspace
{
    Eigen::Map<const MatrixRM> encoder{nullptr, 0, 0}; // [T x H], owned by the caller
    MatrixRM keys;     // bahdanau: Ua h_j + b [T x H], once per sentence
    MatrixRM energies; // bahdanau: tanh(Wa s + Ua h_j) [T x H], one hypothesis at a time
    // One row per hypothesis; a step uses the top K rows.
    MatrixRM embedded, query, mixed; // [rows x H]
    MatrixRM concat;                 // [rows x 2H]: the two halves a concat layer sees
    MatrixRM gi, gh;                 // [rows x 3H]
};

// What a step may be told to do differently from the model.
struct StepControl
{
    const Vector *context = nullptr; // [H]: replaces c_i after the attention (the ablation)
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
    Eigen::Ref<MatrixRM> context;   // [K x H]
    Eigen::Ref<MatrixRM> state;     // [K x H]
    Eigen::Ref<MatrixRM> logProbs;  // [K x V]
};

// A step takes the K live hypotheses of a beam together (K = 1 for greedy and forced decoding),
// so that each weight matrix is read once per step as one matrix-matrix product, not K times.
class Decoder
{
public:
    virtual ~Decoder() = default;
    virtual void prepare(DecoderWorkspace &ws, int rows) const;
    // One step from y_{i-1} [K] and s_{i-1} [K x H], K = previousStates.rows() <= rows.
    virtual void step(const int *previousTokens, const Eigen::Ref<const MatrixRM> &previousStates,
                      const StepControl &control, DecoderWorkspace &ws, StepOutput &out) const = 0;

    static std::unique_ptr<Decoder> create(const ModelFile &file);

protected:
    explicit Decoder(const ModelFile &file);
    // The top K rows of `into` [rows x H] = E y_{i-1}.
    void embed(const int *tokens, int K, Eigen::Ref<MatrixRM> into) const;
    void outputLayer(const Eigen::Ref<const MatrixRM> &input, StepOutput &out) const;

    int m_hidden;
    MatrixView m_embedding; // [V_tgt x H]
    GruView m_gru;
    LinearView m_out;
};

LinearView linearView(const ModelFile &file, const std::string &prefix, bool withBias = true);
GruView gruView(const ModelFile &file, const std::string &prefix);

} // namespace attnviz
