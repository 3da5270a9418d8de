#include "models/decoder.h"

namespace attnviz {

LinearView linearView(const ModelFile &file, const std::string &prefix, bool withBias)
{
    const Tensor &w = file.tensors.at(prefix + ".weight");
    LinearView view;
    view.weightData = w.values.data();
    view.outFeatures = static_cast<int>(w.shape[0]);
    view.inFeatures = static_cast<int>(w.shape[1]);
    if (withBias)
        view.biasData = file.tensors.at(prefix + ".bias").values.data();
    return view;
}

GruView gruView(const ModelFile &file, const std::string &prefix)
{
    GruView gru;
    for (auto [part, linear] : {std::pair{"ih", &gru.inputToHidden}, std::pair{"hh", &gru.hiddenToHidden}}) {
        const Tensor &w = file.tensors.at(prefix + ".weight_" + part + "_l0");
        linear->weightData = w.values.data();
        linear->outFeatures = static_cast<int>(w.shape[0]);
        linear->inFeatures = static_cast<int>(w.shape[1]);
        linear->biasData = file.tensors.at(prefix + ".bias_" + part + "_l0").values.data();
    }
    return gru;
}

namespace {

MatrixView matrixView(const ModelFile &file, const std::string &name)
{
    const Tensor &t = file.tensors.at(name);
    return MatrixView(t.values.data(), t.shape[0], t.shape[1]);
}

// out.attention holds the scores: keep them as energies, softmax, apply any override, and
// make the contexts c_i = sum_j a_ij h_j (or take the ablation's replacement).
void attend(DecoderWorkspace &ws, StepOutput &out, const StepControl &control)
{
    out.energies = out.attention;
    for (Eigen::Index k = 0; k < out.attention.rows(); ++k)
        softmaxInPlace(out.attention.row(k).transpose());
    if (control.overrides) {
        for (const AttentionOverride &o : *control.overrides) {
            if (o.step != control.step)
                continue;
            out.attention *= static_cast<float>(1.0 - o.share);
            out.attention.col(o.position).array() += static_cast<float>(o.share);
        }
    }
    if (control.context)
        out.context.rowwise() = control.context->transpose();
    else
        out.context.noalias() = out.attention.leftCols(ws.encoder.rows()) * ws.encoder;
}

// Bahdanau (the current PyTorch tutorial): e_ij = Va tanh(Wa s_{i-1} + Ua h_j);
// s_i = GRU([E y_{i-1}; c_i], s_{i-1}); p = log_softmax(out(s_i)).
class BahdanauDecoder : public Decoder
{
public:
    explicit BahdanauDecoder(const ModelFile &file)
        : Decoder(file)
        , m_wa(linearView(file, "decoder.attention.Wa"))
        , m_ua(linearView(file, "decoder.attention.Ua"))
        , m_va(linearView(file, "decoder.attention.Va"))
    {
    }

    void prepare(DecoderWorkspace &ws, int rows) const override
    {
        Decoder::prepare(ws, rows);
        ws.keys.resize(ws.encoder.rows(), m_hidden);
        linearRows(ws.encoder, m_ua, ws.keys);
        ws.energies.resize(ws.keys.rows(), ws.keys.cols());
    }

    void step(const int *previousTokens, const Eigen::Ref<const MatrixRM> &previousStates, const StepControl &control,
              DecoderWorkspace &ws, StepOutput &out) const override
    {
        const auto K = previousStates.rows(), T = ws.encoder.rows();
        auto query = ws.query.topRows(K), gi = ws.gi.topRows(K);
        linearRows(previousStates, m_wa, query);
        for (Eigen::Index k = 0; k < K; ++k) {
            // In two passes: tanh of the broadcast sum in one expression is not vectorized.
            ws.energies.noalias() = ws.keys.rowwise() + query.row(k);
            tanhInPlace(ws.energies.data(), ws.energies.size());
            // e_k = Va tanh(...): the energies [T x H] play the weight of a linear layer.
            linearRows(m_va.weight(), {ws.energies.data(), nullptr, static_cast<int>(T), m_hidden},
                       out.attention.row(k).head(T));
        }
        out.attention.leftCols(T).array() += m_va.bias()[0];
        attend(ws, out, control);
        auto concat = ws.concat.topRows(K);
        embed(previousTokens, static_cast<int>(K), concat.leftCols(m_hidden));
        concat.rightCols(m_hidden) = out.context;
        linearRows(concat, m_gru.inputToHidden, gi);
        gruStepRows(m_gru, gi, previousStates, out.state, ws.gh.topRows(K));
        outputLayer(out.state, out);
    }

private:
    LinearView m_wa, m_ua, m_va;
};

// Luong global attention, no input feeding: s_i = GRU(E y_{i-1}, s_{i-1}); e_ij = s_i . h_j or
// (W s_i) . h_j; h~_i = tanh(concat([c_i; s_i])); p = log_softmax(out(h~_i)).
class LuongDecoder : public Decoder
{
public:
    explicit LuongDecoder(const ModelFile &file)
        : Decoder(file)
        , m_general(file.config.luongScore == LuongScore::General)
        , m_concat(linearView(file, "decoder.concat"))
    {
        if (m_general)
            m_w = linearView(file, "decoder.attention.W", false);
    }

    void step(const int *previousTokens, const Eigen::Ref<const MatrixRM> &previousStates, const StepControl &control,
              DecoderWorkspace &ws, StepOutput &out) const override
    {
        const auto K = previousStates.rows();
        auto query = ws.query.topRows(K), gi = ws.gi.topRows(K), mixed = ws.mixed.topRows(K);
        embed(previousTokens, static_cast<int>(K), ws.embedded);
        linearRows(ws.embedded.topRows(K), m_gru.inputToHidden, gi);
        gruStepRows(m_gru, gi, previousStates, out.state, ws.gh.topRows(K));
        if (m_general)
            linearRows(out.state, m_w, query);
        else
            query = out.state;
        // e = q h_j^T: the encoder outputs [T x H] play the weight of a linear layer.
        linearRows(query, {ws.encoder.data(), nullptr, static_cast<int>(ws.encoder.rows()), m_hidden},
                   out.attention);
        attend(ws, out, control);
        auto concat = ws.concat.topRows(K);
        concat.leftCols(m_hidden) = out.context;
        concat.rightCols(m_hidden) = out.state;
        linearRows(concat, m_concat, mixed);
        mixed = mixed.array().tanh();
        outputLayer(mixed, out);
    }

private:
    bool m_general;
    LinearView m_w, m_concat;
};

// The original tutorial: a_i = softmax(attn([E y_{i-1}; s_{i-1}])) over L fixed slots;
// c_i = sum_{j<L} a_ij h_j with zero rows past the input; u_i = attn_combine([E y; c_i])
// (+ ReLU); s_i = GRU(u_i, s_{i-1}); p = log_softmax(out(s_i)).
class LegacyDecoder : public Decoder
{
public:
    explicit LegacyDecoder(const ModelFile &file)
        : Decoder(file)
        , m_relu(file.config.combineActivation == CombineActivation::Relu)
        , m_attn(linearView(file, "decoder.attn"))
        , m_combine(linearView(file, "decoder.attn_combine"))
    {
    }

    void step(const int *previousTokens, const Eigen::Ref<const MatrixRM> &previousStates, const StepControl &control,
              DecoderWorkspace &ws, StepOutput &out) const override
    {
        const auto K = previousStates.rows();
        auto gi = ws.gi.topRows(K), mixed = ws.mixed.topRows(K);
        auto concat = ws.concat.topRows(K);
        embed(previousTokens, static_cast<int>(K), concat.leftCols(m_hidden));
        concat.rightCols(m_hidden) = previousStates;
        linearRows(concat, m_attn, out.attention);
        attend(ws, out, control);
        concat.rightCols(m_hidden) = out.context; // the embedding half stays
        linearRows(concat, m_combine, mixed);
        if (m_relu)
            mixed = mixed.cwiseMax(0.0f);
        linearRows(mixed, m_gru.inputToHidden, gi);
        gruStepRows(m_gru, gi, previousStates, out.state, ws.gh.topRows(K));
        outputLayer(out.state, out);
    }

private:
    bool m_relu;
    LinearView m_attn, m_combine;
};

} // namespace

Decoder::Decoder(const ModelFile &file)
    : m_hidden(file.config.hiddenSize)
    , m_embedding(matrixView(file, "decoder.embedding.weight"))
    , m_gru(gruView(file, "decoder.gru"))
    , m_out(linearView(file, "decoder.out"))
{
}

void Decoder::prepare(DecoderWorkspace &ws, int rows) const
{
    ws.embedded.resize(rows, m_hidden);
    ws.concat.resize(rows, 2 * m_hidden);
    ws.query.resize(rows, m_hidden);
    ws.mixed.resize(rows, m_hidden);
    ws.gi.resize(rows, 3 * m_hidden);
    ws.gh.resize(rows, 3 * m_hidden);
}

void Decoder::embed(const int *tokens, int K, Eigen::Ref<MatrixRM> into) const
{
    for (int k = 0; k < K; ++k)
        into.row(k) = m_embedding.row(tokens[k]);
}

void Decoder::outputLayer(const Eigen::Ref<const MatrixRM> &input, StepOutput &out) const
{
    linearRows(input, m_out, out.logProbs);
    for (Eigen::Index k = 0; k < out.logProbs.rows(); ++k)
        logSoftmaxInPlace(out.logProbs.row(k).transpose());
}

std::unique_ptr<Decoder> Decoder::create(const ModelFile &file)
{
    switch (file.config.architecture) {
    case Architecture::Bahdanau:
        return std::make_unique<BahdanauDecoder>(file);
    case Architecture::Luong:
        return std::make_unique<LuongDecoder>(file);
    case Architecture::TutorialLegacy:
        return std::make_unique<LegacyDecoder>(file);
    }
    return nullptr;
}

} // namespace attnviz
