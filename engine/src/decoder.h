// The three attention decoders behind one step function (internal to the engine).
#pragma once

#include <attnviz/layers.h>
#include <attnviz/model_file.h>
#include <attnviz/translate.h>

#include <memory>

namespace attnviz {

// Per-sentence state and scratch of one decoding run: sized once by prepare(), then reused by
// every step, so the step loop allocates nothing.
struct DecoderWorkspace
{
    Eigen::Map<const MatrixRM> encoder{nullptr, 0, 0}; // [T x H], owned by the caller
    MatrixRM keys;    // bahdanau: Ua h_j + b [T x H], once per sentence
    MatrixRM energies; // bahdanau: tanh(Wa s + Ua h_j) [T x H]
    Vector query, gi, gh, mixed; // [H], [3H], [3H], [H]
};

// What a step may be told to do differently from the model.
struct StepControl
{
    const Vector *context = nullptr; // [H]: replaces c_i after the attention (the ablation)
    const std::vector<AttentionOverride> *overrides = nullptr; // those whose step is `step` apply
    int step = 0;
};

// Where one step writes its results.
struct StepOutput
{
    Eigen::Ref<Vector> energies;  // [columns]: scores before the softmax
    Eigen::Ref<Vector> attention; // [columns]
    Eigen::Ref<Vector> context;   // [H]
    Eigen::Ref<Vector> state;     // [H]
    Eigen::Ref<Vector> logProbs;  // [V]
};

class Decoder
{
public:
    virtual ~Decoder() = default;
    virtual void prepare(DecoderWorkspace &ws) const;
    // One step from y_{i-1} and s_{i-1}.
    virtual void step(int previousToken, const Eigen::Ref<const Vector> &previousState,
                      const StepControl &control, DecoderWorkspace &ws, StepOutput &out) const = 0;

    static std::unique_ptr<Decoder> create(const ModelFile &file);

protected:
    explicit Decoder(const ModelFile &file);
    void outputLayer(const Eigen::Ref<const Vector> &input, StepOutput &out) const;

    int m_hidden;
    MatrixView m_embedding; // [V_tgt x H]
    GruView m_gru;
    LinearView m_out;
};

LinearView linearView(const ModelFile &file, const std::string &prefix, bool withBias = true);
GruView gruView(const ModelFile &file, const std::string &prefix);

} // namespace attnviz
