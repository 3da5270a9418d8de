#include "models/transformer.h"

#include "models/weights.h"

#include <attnviz/layers/transformer.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace attnviz {
namespace {

NormView normView(const ModelFile &file, const std::string &prefix)
{
    return {file.tensors.at(prefix + ".weight").values.data(), file.tensors.at(prefix + ".bias").values.data()};
}

MultiHeadView multiHeadView(const ModelFile &file, const std::string &prefix)
{
    MultiHeadView view;
    view.query = linearView(file, prefix + ".query");
    view.key = linearView(file, prefix + ".key");
    view.value = linearView(file, prefix + ".value");
    view.output = linearView(file, prefix + ".output");
    view.norm = normView(file, prefix + "_norm");
    return view;
}

TransformerLayerView layerView(const ModelFile &file, const std::string &prefix, bool decoder)
{
    TransformerLayerView view;
    view.self = multiHeadView(file, prefix + ".self_attention");
    if (decoder)
        view.cross = multiHeadView(file, prefix + ".cross_attention");
    view.feedForwardIn = linearView(file, prefix + ".feed_forward.input");
    if (file.config.transformer.gatedFeedForward)
        view.feedForwardGate = linearView(file, prefix + ".feed_forward.gate");
    view.feedForwardOut = linearView(file, prefix + ".feed_forward.output");
    view.feedForwardNorm = normView(file, prefix + ".feed_forward_norm");
    return view;
}

// The projections of a decoder layer (a gate's weightData is null unless the feed-forward is gated).
std::array<const LinearView *, 9> decoderLinears(const TransformerLayerView &layer)
{
    return {&layer.self.query, &layer.self.key,     &layer.self.value,    &layer.self.output,    &layer.cross.query,
            &layer.cross.output, &layer.feedForwardIn, &layer.feedForwardGate, &layer.feedForwardOut};
}

// Enough rows for the longest source (words and EOS) and the longest output.
constexpr int positionRows = maxOutputSteps + 2;

MatrixRM positionTable(const ModelFile &file, const TransformerConfig &c, const char *side)
{
    if (c.positions == Positions::Learned)
        return matrixView(file, std::string(side) + ".positions.weight");
    return sinusoidalPositions(positionRows, c.modelSize, c.positions);
}

} // namespace

void normRows(const TransformerConfig &config, const NormView &norm, const Eigen::Ref<const MatrixRM> &x,
              Eigen::Ref<MatrixRM> y)
{
    layerNormRows(x, norm.weight, norm.bias, static_cast<float>(config.normEpsilon), y);
}

Transformer::Transformer(const ModelFile &file)
    : m_config(file.config.transformer)
    , m_scale(m_config.embeddingScale ? std::sqrt(static_cast<float>(m_config.modelSize)) : 1.0f)
    , m_epsilon(static_cast<float>(m_config.normEpsilon))
{
    new (&m_sourceEmbedding) MatrixView(matrixView(file, "encoder.embedding.weight"));
    new (&m_targetEmbedding)
        MatrixView(matrixView(file, m_config.sharedEmbeddings ? "encoder.embedding.weight" : "decoder.embedding.weight"));
    m_encoderPositions = positionTable(file, m_config, "encoder");
    if (m_config.positions == Positions::Learned)
        m_decoderPositions = positionTable(file, m_config, "decoder");
    for (int l = 0; l < m_config.encoderLayers; ++l)
        m_encoder.push_back(layerView(file, "encoder.layers." + std::to_string(l), false));
    for (int l = 0; l < m_config.decoderLayers; ++l)
        m_decoder.push_back(layerView(file, "decoder.layers." + std::to_string(l), true));
    if (m_config.encoderFinalNorm)
        m_encoderNorm = normView(file, "encoder.final_norm");
    if (m_config.decoderFinalNorm)
        m_decoderNorm = normView(file, "decoder.final_norm");
    if (m_config.tiedOutput) {
        m_output.weightData = m_targetEmbedding.data();
        m_output.outFeatures = static_cast<int>(m_targetEmbedding.rows());
        m_output.inFeatures = static_cast<int>(m_targetEmbedding.cols());
        const auto bias = file.tensors.find("decoder.output.bias");
        if (bias != file.tensors.end())
            m_output.biasData = bias->second.values.data();
    } else {
        m_output = linearView(file, "decoder.output");
    }
}

void Transformer::embed(const MatrixView &table, const MatrixRM &positions, const int *ids, int count,
                        int position, bool consecutive, Eigen::Ref<MatrixRM> x) const
{
    const int last = consecutive ? position + count - 1 : position;
    if (last >= positions.rows())
        throw InputError("this model's learned positions cover " + std::to_string(positions.rows())
                         + " tokens; the input needs " + std::to_string(last + 1));
    for (int i = 0; i < count; ++i)
        x.row(i) = table.row(ids[i]) * m_scale + positions.row(consecutive ? position + i : position);
}

template<typename Project>
void Transformer::feedForward(const TransformerLayerView &layer, bool pre, Eigen::Ref<MatrixRM> x, MatrixRM &normed,
                              MatrixRM &hidden, MatrixRM &gate, MatrixRM &projected, Project &&project) const
{
    const auto n = x.rows();
    auto in = normed.topRows(n);
    if (pre)
        normRows(m_config, layer.feedForwardNorm, x, in);
    else
        in = x;
    auto h = hidden.topRows(n);
    project(in, layer.feedForwardIn, h);
    activateInPlace(h.data(), h.size(), m_config.activation);
    if (m_config.gatedFeedForward) {
        auto g = gate.topRows(n);
        project(in, layer.feedForwardGate, g);
        h.array() *= g.array();
    }
    auto p = projected.topRows(n);
    project(h, layer.feedForwardOut, p);
    x += p;
    if (!pre) {
        normRows(m_config, layer.feedForwardNorm, x, in);
        x = in;
    }
}

void Transformer::encoderLayer(int l, MatrixRM &x, MatrixRM *selfAttention) const
{
    const TransformerLayerView &layer = m_encoder[l];
    const int T = static_cast<int>(x.rows()), d = m_config.modelSize, H = m_config.heads, dh = m_config.headSize();
    const bool pre = m_config.encoderNorm == NormPosition::Pre;
    MatrixRM normed(T, d), q(T, d), k(T, d), v(T, d), mixed(T, d), projected(T, d), hidden(T, m_config.feedForwardSize);
    MatrixRM gate(m_config.gatedFeedForward ? T : 0, m_config.feedForwardSize);
    if (pre)
        normRows(m_config, layer.self.norm, x, normed);
    else
        normed = x;
    linearRows(normed, layer.self.query, q);
    linearRows(normed, layer.self.key, k);
    linearRows(normed, layer.self.value, v);
    const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
    Eigen::VectorXf energies(T), weights(T);
    for (int h = 0; h < H; ++h) {
        const HeadBlock keys = std::as_const(k).middleCols(h * dh, dh);
        for (int i = 0; i < T; ++i) {
            attendHead(q.row(i).data() + h * dh, keys, scale, energies.data(), weights.data());
            mixed.row(i).segment(h * dh, dh).noalias() = weights.transpose() * v.middleCols(h * dh, dh);
            if (selfAttention)
                selfAttention[h].row(i) = weights.transpose();
        }
    }
    linearRows(mixed, layer.self.output, projected);
    x += projected;
    if (!pre) {
        normRows(m_config, layer.self.norm, x, normed);
        x = normed;
    }
    feedForward(layer, pre, x, normed, hidden, gate, projected,
                [](const Eigen::Ref<const MatrixRM> &in, const LinearView &linear, Eigen::Ref<MatrixRM> out) {
                    linearRows(in, linear, out);
                });
}

TransformerEncoding Transformer::encode(const std::vector<int> &sourceIds, bool keepSelfAttention) const
{
    const int T = static_cast<int>(sourceIds.size()), d = m_config.modelSize, H = m_config.heads;
    TransformerEncoding encoding;
    MatrixRM x(T, d);
    embed(m_sourceEmbedding, positions(false), sourceIds.data(), T, 0, true, x);
    if (keepSelfAttention)
        encoding.selfAttention.assign(static_cast<size_t>(m_config.encoderLayers) * H, MatrixRM(T, T));
    for (int l = 0; l < m_config.encoderLayers; ++l)
        encoderLayer(l, x, keepSelfAttention ? &encoding.selfAttention[static_cast<size_t>(l) * H] : nullptr);
    if (m_config.encoderFinalNorm) {
        encoding.memory.resize(T, d);
        normRows(m_config, m_encoderNorm, x, encoding.memory);
    } else {
        encoding.memory = std::move(x);
    }
    return encoding;
}

double Transformer::stepWeightBytes() const
{
    double total = m_output.bytes();
    for (const TransformerLayerView &layer : m_decoder)
        for (const LinearView *l : decoderLinears(layer))
            total += l->bytes(); // 0 for the gate of an ungated feed-forward
    return total;
}

const QuantizedLinear &Transformer::draftOf(const LinearView &linear) const
{
    std::call_once(m_draftOnce, [this] {
        for (const TransformerLayerView &layer : m_decoder)
            for (const LinearView *l : decoderLinears(layer))
                if (l->weightData)
                    m_draftLinears.emplace(l->weightData, QuantizedLinear(*l));
    });
    return m_draftLinears.at(linear.weightData);
}

Transformer::Run::Run(const Transformer &model, const MatrixRM &memory, int rows, int capacity,
                      const Run *draftOf)
    : m_model(model)
    , m_rows(rows)
    , m_capacity(capacity)
    , m_sourceLength(static_cast<int>(memory.rows()))
    , m_draft(draftOf != nullptr)
{
    const TransformerConfig &c = model.m_config;
    const int d = c.modelSize, L = c.decoderLayers;
    if (draftOf) { // the encoder's keys and values are the exact run's
        m_crossKeys = draftOf->m_crossKeys;
        m_crossValues = draftOf->m_crossValues;
    }
    for (int l = 0; l < L; ++l) {
        if (!draftOf) {
            MatrixRM k(m_sourceLength, d), v(m_sourceLength, d);
            linearRows(memory, model.m_decoder[l].cross.key, k);
            linearRows(memory, model.m_decoder[l].cross.value, v);
            m_crossKeys.push_back(std::move(k));
            m_crossValues.push_back(std::move(v));
        }
        m_keys.emplace_back(static_cast<Eigen::Index>(rows) * capacity, d);
        m_values.emplace_back(static_cast<Eigen::Index>(rows) * capacity, d);
    }
    m_spare.assign(1, MatrixRM(static_cast<Eigen::Index>(rows) * capacity, d));
    const int scratchRows = std::max(rows, maxSequenceRows);
    for (MatrixRM *m : {&m_x, &m_normed, &m_query, &m_key, &m_value, &m_mixed, &m_projected})
        m->resize(scratchRows, d);
    m_hidden.resize(scratchRows, c.feedForwardSize);
    if (c.gatedFeedForward)
        m_gate.resize(scratchRows, c.feedForwardSize);
    m_energies.resize(std::max(m_sourceLength, capacity));
    m_weights.resize(m_energies.size());
}

void Transformer::Run::attention(int l, bool cross, int K, const TransformerControl &control,
                                 TransformerStepOutput &out)
{
    const TransformerConfig &c = m_model.m_config;
    const TransformerLayerView &layer = m_model.m_decoder[l];
    const MultiHeadView &view = cross ? layer.cross : layer.self;
    const int H = c.heads, dh = c.headSize();
    // Row r's position, and its hypothesis's first row in the key/value cache: in a sequence the
    // rows are positions of hypothesis 0, otherwise hypotheses at one position.
    const auto position = [&](int r) { return m_sequence ? m_steps + r : m_steps; };
    const auto cacheStart = [&](int r) { return static_cast<Eigen::Index>(m_sequence ? 0 : r) * m_capacity; };
    const bool pre = c.decoderNorm == NormPosition::Pre;
    auto x = m_x.topRows(K), normed = m_normed.topRows(K), q = m_query.topRows(K), mixed = m_mixed.topRows(K);
    CrossAttentionTrace *trace = cross && out.trace && out.trace->layer == l ? out.trace : nullptr;
    if (trace)
        trace->input = x.row(0).transpose();
    if (pre)
        normRows(c, view.norm, x, normed);
    else
        normed = x;
    project(normed, view.query, q);
    if (trace)
        trace->normed = normed.row(0).transpose();
    if (!cross) {
        auto k = m_key.topRows(K), v = m_value.topRows(K);
        project(normed, view.key, k);
        project(normed, view.value, v);
        for (int r = 0; r < K; ++r) {
            m_keys[l].row(cacheStart(r) + position(r)) = k.row(r);
            m_values[l].row(cacheStart(r) + position(r)) = v.row(r);
        }
    }
    const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
    for (int r = 0; r < K; ++r) {
        const int t = position(r), T = cross ? m_sourceLength : t + 1;
        const Eigen::Index first = cross ? 0 : cacheStart(r);
        const MatrixRM &keys = cross ? m_crossKeys[l] : m_keys[l];
        const MatrixRM &values = cross ? m_crossValues[l] : m_values[l];
        for (int h = 0; h < H; ++h) {
            const HeadBlock keyBlock = keys.block(first, h * dh, T, dh);
            attendHead(q.row(r).data() + h * dh, keyBlock, scale, m_energies.data(), m_weights.data());
            auto w = m_weights.head(T);
            if (cross) {
                if (control.ablation == Ablation::Summed)
                    w.setOnes();
                else if (control.ablation == Ablation::Mean)
                    w.setConstant(1.0f / static_cast<float>(T));
                if (control.overrides) {
                    for (const AttentionOverride &o : *control.overrides) {
                        if (o.step != t || (o.layer >= 0 && o.layer != l) || (o.head >= 0 && o.head != h))
                            continue;
                        w *= static_cast<float>(1.0 - o.share);
                        w[o.position] += static_cast<float>(o.share);
                    }
                }
                const Eigen::Index column = (static_cast<Eigen::Index>(l) * H + h) * T;
                if (out.crossWeights)
                    out.crossWeights->row(r).segment(column, T) = w.transpose();
                if (out.crossEnergies)
                    out.crossEnergies->row(r).segment(column, T) = m_energies.head(T).transpose();
            } else if (out.selfWeightRows) {
                (*out.selfWeightRows)[r].row(0).segment((static_cast<Eigen::Index>(l) * H + h) * T, T) = w.transpose();
            } else if (out.selfWeights) {
                out.selfWeights->row(r).segment((static_cast<Eigen::Index>(l) * H + h) * T, T) = w.transpose();
            }
            mixed.row(r).segment(h * dh, dh).noalias() = w.transpose() * values.block(first, h * dh, T, dh);
        }
    }
    auto projected = m_projected.topRows(K);
    project(mixed, view.output, projected);
    x += projected;
    if (!pre) {
        normRows(c, view.norm, x, normed);
        x = normed;
    }
    if (trace) {
        trace->query = q.row(0).transpose();
        trace->mixed = mixed.row(0).transpose();
        trace->projected = projected.row(0).transpose();
        trace->output = x.row(0).transpose();
    }
}

void Transformer::Run::project(const Eigen::Ref<const MatrixRM> &x, const LinearView &linear, Eigen::Ref<MatrixRM> y)
{
    if (m_draft) {
        const QuantizedLinear &q = m_model.draftOf(linear);
        for (Eigen::Index r = 0; r < x.rows(); ++r)
            q.apply(x.row(r).data(), y.row(r).data(), m_quantizedInput);
    } else if (m_sequence) {
        linearRowsExact(x, linear, y);
    } else {
        linearRows(x, linear, y);
    }
}

void Transformer::Run::decoderLayers(int K, const TransformerControl &control, TransformerStepOutput &out)
{
    const TransformerConfig &c = m_model.m_config;
    auto x = m_x.topRows(K);
    for (int l = 0; l < c.decoderLayers; ++l) {
        attention(l, false, K, control, out);
        attention(l, true, K, control, out);
        m_model.feedForward(m_model.m_decoder[l], c.decoderNorm == NormPosition::Pre, x, m_normed, m_hidden, m_gate,
                            m_projected,
                            [this](const Eigen::Ref<const MatrixRM> &in, const LinearView &linear,
                                   Eigen::Ref<MatrixRM> y) { project(in, linear, y); });
    }
    auto normed = m_normed.topRows(K);
    if (c.decoderFinalNorm)
        normRows(c, m_model.m_decoderNorm, x, normed);
    else
        normed = x;
    if (out.outputInput)
        Eigen::Map<MatrixRM>(out.outputInput, K, normed.cols()) = normed;
    else
        m_model.outputLayer(normed, out.logProbs, m_sequence);
}

void Transformer::Run::step(const int *previousTokens, int K, const TransformerControl &control,
                            TransformerStepOutput &out)
{
    const TransformerConfig &c = m_model.m_config;
    if (m_steps >= m_capacity)
        throw std::logic_error("Transformer::Run: more steps than the run was made for");
    if (control.cancelled && *control.cancelled && (*control.cancelled)())
        throw Cancelled();
    const int L = c.decoderLayers, H = c.heads;
    if (out.crossWeights)
        out.crossWeights->resize(K, static_cast<Eigen::Index>(L) * H * m_sourceLength);
    if (out.crossEnergies)
        out.crossEnergies->resize(K, static_cast<Eigen::Index>(L) * H * m_sourceLength);
    if (out.selfWeights)
        out.selfWeights->resize(K, static_cast<Eigen::Index>(L) * H * (m_steps + 1));
    m_model.embed(m_model.m_targetEmbedding, m_model.positions(true), previousTokens, K, m_steps, false, m_x.topRows(K));
    decoderLayers(K, control, out);
    ++m_steps;
}

void Transformer::Run::stepSequence(const int *tokens, int count, const TransformerControl &control,
                                    TransformerStepOutput &out)
{
    const TransformerConfig &c = m_model.m_config;
    if (m_steps + count > m_capacity || count > maxSequenceRows || m_draft)
        throw std::logic_error("Transformer::Run::stepSequence: more steps than the run was made for");
    if (control.cancelled && *control.cancelled && (*control.cancelled)())
        throw Cancelled();
    const int L = c.decoderLayers, H = c.heads;
    const Eigen::Index columns = static_cast<Eigen::Index>(L) * H * m_sourceLength;
    if (out.crossWeights)
        out.crossWeights->resize(count, columns);
    if (out.crossEnergies)
        out.crossEnergies->resize(count, columns);
    if (out.selfWeightRows) {
        out.selfWeightRows->resize(std::max<size_t>(out.selfWeightRows->size(), count));
        for (int r = 0; r < count; ++r)
            (*out.selfWeightRows)[r].resize(1, static_cast<Eigen::Index>(L) * H * (m_steps + r + 1));
    }
    m_model.embed(m_model.m_targetEmbedding, m_model.positions(true), tokens, count, m_steps, true, m_x.topRows(count));
    m_sequence = true;
    try {
        decoderLayers(count, control, out);
    } catch (...) {
        m_sequence = false;
        throw;
    }
    m_sequence = false;
    m_steps += count;
}

void Transformer::Run::select(const int *parents, int count)
{
    bool identity = true;
    for (int i = 0; i < count; ++i)
        identity = identity && parents[i] == i;
    if (identity)
        return;
    const int t = m_steps;
    for (std::vector<MatrixRM> *caches : {&m_keys, &m_values}) {
        for (MatrixRM &cache : *caches) {
            MatrixRM &next = m_spare[0];
            for (int i = 0; i < count; ++i)
                next.middleRows(static_cast<Eigen::Index>(i) * m_capacity, t) =
                    cache.middleRows(static_cast<Eigen::Index>(parents[i]) * m_capacity, t);
            cache.swap(next);
        }
    }
}

} // namespace attnviz
