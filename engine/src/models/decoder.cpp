#include "models/decoder.h"

#include "models/factory.h"
#include "models/initial_state.h"
#include "models/weights.h"

#include <cmath>

namespace attnviz {

Decoder::Decoder(const ModelFile &file)
    : m_config(file.config.decoder)
    , m_annotation(file.config.annotationSize())
    , m_embedding(matrixView(file, "decoder.embedding.weight"))
    , m_scorer(makeScorer(file))
    , m_out(linearView(file, "decoder.out"))
    , m_initialState(std::make_unique<InitialState>(file))
{
    const int Hd = m_config.hiddenSize, L = m_config.layers;
    for (int l = 0; l < L; ++l)
        m_rnn.push_back(rnnView(file, "decoder.rnn", m_config.cell, l, false));
    if (m_config.input == DecoderInput::Combine)
        m_combine = linearView(file, "decoder.combine");
    if (m_config.attentional != Attentional::None)
        m_attentional = linearView(file, "decoder.attentional");
    if (m_config.embeddingScale)
        m_embeddingScale = std::sqrt(static_cast<float>(m_config.embeddingSize));
    m_cellOffset = L * Hd;
    m_feedOffset = m_cellOffset + (m_config.cell == Cell::Lstm ? L * Hd : 0);
    m_stateSize = m_feedOffset + (m_config.input == DecoderInput::InputFeeding ? Hd : 0);
}

Decoder::~Decoder() = default;

Vector Decoder::initialState(const Encoding &encoding) const
{
    const int Hd = m_config.hiddenSize, L = m_config.layers;
    MatrixRM state = MatrixRM::Zero(1, m_stateSize); // input feeding: the attentional vector is 0
    MatrixRM hidden(L, Hd), cell(L, Hd);
    m_initialState->make(encoding, hidden, cell);
    state.leftCols(L * Hd) = Eigen::Map<const MatrixRM>(hidden.data(), 1, L * Hd);
    if (m_config.cell == Cell::Lstm)
        state.middleCols(m_cellOffset, L * Hd) = Eigen::Map<const MatrixRM>(cell.data(), 1, L * Hd);
    return state.row(0).transpose();
}

void Decoder::prepare(DecoderWorkspace &ws, int rows) const
{
    const int Hd = m_config.hiddenSize, G = m_rnn.front().gates();
    m_scorer->prepare(ws.annotations, rows, ws.scorer);
    ws.input.resize(rows, m_rnn.front().inputToHidden.inFeatures);
    if (m_config.input == DecoderInput::Combine)
        ws.combined.resize(rows, m_combine.inFeatures);
    ws.gi.resize(rows, G * Hd);
    ws.gh.resize(rows, G * Hd);
    ws.attentionalIn.resize(rows, Hd + m_annotation);
    ws.attentional.resize(rows, Hd);
}

void Decoder::attend(const Eigen::Ref<const MatrixRM> &queries, const Eigen::Ref<const MatrixRM> &embedded,
                     DecoderWorkspace &ws, StepOutput &out, const StepControl &control) const
{
    m_scorer->score(queries, embedded, ws.annotations, ws.scorer, out.attention);
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
    // c_i = sum_j a_ij h_j; the location score's slots past the input hold zero vectors.
    if (control.context)
        out.context.rowwise() = control.context->transpose();
    else
        out.context.noalias() = out.attention.leftCols(ws.annotations.rows()) * ws.annotations;
}

void Decoder::runRnn(const Eigen::Ref<const MatrixRM> &previousStates, DecoderWorkspace &ws, StepOutput &out) const
{
    const auto K = previousStates.rows();
    const int Hd = m_config.hiddenSize;
    auto gi = ws.gi.topRows(K), gh = ws.gh.topRows(K);
    for (int l = 0; l < m_config.layers; ++l) {
        const auto h = l * Hd, c = m_cellOffset + l * Hd;
        if (l == 0)
            linearRows(ws.input.topRows(K), m_rnn[l].inputToHidden, gi);
        else
            linearRows(out.state.middleCols(h - Hd, Hd), m_rnn[l].inputToHidden, gi);
        // A GRU has no cell state: the hidden columns stand in for it and are not read.
        const bool lstm = m_config.cell == Cell::Lstm;
        rnnStepRows(m_rnn[l], gi, previousStates.middleCols(h, Hd), previousStates.middleCols(lstm ? c : h, Hd),
                    out.state.middleCols(h, Hd), out.state.middleCols(lstm ? c : h, Hd), gh);
    }
}

void Decoder::step(const int *previousTokens, const Eigen::Ref<const MatrixRM> &previousStates,
                   const StepControl &control, DecoderWorkspace &ws, StepOutput &out) const
{
    const auto K = previousStates.rows();
    const int Hd = m_config.hiddenSize, Ed = m_config.embeddingSize, A = m_annotation;
    const auto top = static_cast<Eigen::Index>(m_config.layers - 1) * Hd;
    auto input = ws.input.topRows(K);
    // E y_{i-1} is gathered straight into the columns of the buffer that takes it (the first
    // layer's input, or the combine layer's), so no step copies it twice.
    auto combined = ws.combined.topRows(m_config.input == DecoderInput::Combine ? K : 0);
    auto embedded = m_config.input == DecoderInput::Combine ? combined.leftCols(Ed)
                    : m_config.input == DecoderInput::ContextEmbedding ? input.rightCols(Ed)
                                                                       : input.leftCols(Ed);
    for (Eigen::Index k = 0; k < K; ++k)
        embedded.row(k) = m_embedding.row(previousTokens[k]);
    if (m_embeddingScale != 1.0f)
        embedded *= m_embeddingScale;

    if (m_config.query == Query::Previous)
        attend(previousStates.middleCols(top, Hd), embedded, ws, out, control);
    switch (m_config.input) {
    case DecoderInput::Embedding:
        break;
    case DecoderInput::EmbeddingContext:
        input.rightCols(A) = out.context;
        break;
    case DecoderInput::ContextEmbedding:
        input.leftCols(A) = out.context;
        break;
    case DecoderInput::InputFeeding:
        input.rightCols(Hd) = previousStates.middleCols(m_feedOffset, Hd);
        break;
    case DecoderInput::Combine: {
        combined.rightCols(A) = out.context;
        linearRows(combined, m_combine, input);
        if (m_config.combineActivation == Activation::Relu)
            input = input.cwiseMax(0.0f);
        break;
    }
    }
    runRnn(previousStates, ws, out);
    const auto state = out.state.middleCols(top, Hd); // s_t
    if (m_config.query == Query::Current)
        attend(state, embedded, ws, out, control);

    // s_t, or the attentional vector, feeds the output layer (and with input feeding is fed back).
    const auto finish = [&](const Eigen::Ref<const MatrixRM> &last) {
        if (m_config.input == DecoderInput::InputFeeding)
            out.state.middleCols(m_feedOffset, Hd) = last;
        if (out.outputInput)
            Eigen::Map<MatrixRM>(out.outputInput, K, last.cols()) = last;
        else
            outputLayer(last, out.logProbs, false);
    };
    if (m_config.attentional == Attentional::None) {
        finish(state);
    } else {
        auto in = ws.attentionalIn.topRows(K), attentional = ws.attentional.topRows(K);
        if (m_config.attentional == Attentional::StateContext) {
            in.leftCols(Hd) = state;
            in.rightCols(A) = out.context;
        } else {
            in.leftCols(A) = out.context;
            in.rightCols(Hd) = state;
        }
        linearRows(in, m_attentional, attentional);
        if (m_config.attentionalActivation == Activation::Tanh)
            attentional = attentional.array().tanh().matrix();
        finish(attentional);
    }
}

} // namespace attnviz
