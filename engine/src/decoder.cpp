#include "decoder.h"

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
// make the context c_i = sum_j a_ij h_j (or take the ablation's replacement).
void attend(DecoderWorkspace &ws, StepOutput &out, const StepControl &control)
{
    out.energies = out.attention;
    softmaxInPlace(out.attention);
    if (control.overrides) {
        for (const AttentionOverride &o : *control.overrides) {
            if (o.step != control.step)
                continue;
            out.attention *= static_cast<float>(1.0 - o.share);
            out.attention[o.position] += static_cast<float>(o.share);
        }
    }
    if (control.context)
        out.context = *control.context;
    else
        out.context.noalias() = ws.encoder.transpose() * out.attention.head(ws.encoder.rows());
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

    void prepare(DecoderWorkspace &ws) const override
    {
        Decoder::prepare(ws);
        ws.keys.noalias() = ws.encoder * m_ua.weight().transpose();
        ws.keys.rowwise() += m_ua.bias().transpose();
        ws.energies.resize(ws.keys.rows(), ws.keys.cols());
    }

    void step(int previousToken, const Eigen::Ref<const Vector> &previousState, const StepControl &control,
              DecoderWorkspace &ws, StepOutput &out) const override
    {
        ws.query.noalias() = m_wa.weight() * previousState;
        ws.query += m_wa.bias();
        ws.energies = (ws.keys.rowwise() + ws.query.transpose()).array().tanh();
        const int T = static_cast<int>(ws.encoder.rows());
        out.attention.head(T).noalias() = ws.energies * m_va.weight().row(0).transpose();
        out.attention.head(T).array() += m_va.bias()[0];
        attend(ws, out, control);
        ws.gi.noalias() = m_gru.inputToHidden.columns(0, m_hidden) * m_embedding.row(previousToken).transpose();
        ws.gi.noalias() += m_gru.inputToHidden.columns(m_hidden, m_hidden) * out.context;
        ws.gi += m_gru.inputToHidden.bias();
        gruStep(m_gru, ws.gi, previousState, out.state, ws.gh);
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

    void step(int previousToken, const Eigen::Ref<const Vector> &previousState, const StepControl &control,
              DecoderWorkspace &ws, StepOutput &out) const override
    {
        ws.gi.noalias() = m_gru.inputToHidden.weight() * m_embedding.row(previousToken).transpose();
        ws.gi += m_gru.inputToHidden.bias();
        gruStep(m_gru, ws.gi, previousState, out.state, ws.gh);
        if (m_general)
            ws.query.noalias() = m_w.weight() * out.state;
        else
            ws.query = out.state;
        out.attention.noalias() = ws.encoder * ws.query;
        attend(ws, out, control);
        ws.mixed.noalias() = m_concat.columns(0, m_hidden) * out.context;
        ws.mixed.noalias() += m_concat.columns(m_hidden, m_hidden) * out.state;
        ws.mixed = (ws.mixed + m_concat.bias()).array().tanh();
        outputLayer(ws.mixed, out);
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

    void step(int previousToken, const Eigen::Ref<const Vector> &previousState, const StepControl &control,
              DecoderWorkspace &ws, StepOutput &out) const override
    {
        const auto embedded = m_embedding.row(previousToken).transpose();
        out.attention.noalias() = m_attn.columns(0, m_hidden) * embedded;
        out.attention.noalias() += m_attn.columns(m_hidden, m_hidden) * previousState;
        out.attention += m_attn.bias();
        attend(ws, out, control);
        ws.mixed.noalias() = m_combine.columns(0, m_hidden) * embedded;
        ws.mixed.noalias() += m_combine.columns(m_hidden, m_hidden) * out.context;
        ws.mixed += m_combine.bias();
        if (m_relu)
            ws.mixed = ws.mixed.cwiseMax(0.0f);
        ws.gi.noalias() = m_gru.inputToHidden.weight() * ws.mixed;
        ws.gi += m_gru.inputToHidden.bias();
        gruStep(m_gru, ws.gi, previousState, out.state, ws.gh);
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

void Decoder::prepare(DecoderWorkspace &ws) const
{
    ws.query.resize(m_hidden);
    ws.mixed.resize(m_hidden);
    ws.gi.resize(3 * m_hidden);
    ws.gh.resize(3 * m_hidden);
}

void Decoder::outputLayer(const Eigen::Ref<const Vector> &input, StepOutput &out) const
{
    out.logProbs.noalias() = m_out.weight() * input;
    out.logProbs += m_out.bias();
    logSoftmaxInPlace(out.logProbs);
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
