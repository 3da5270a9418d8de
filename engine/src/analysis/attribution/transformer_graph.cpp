#include "analysis/attribution/transformer_graph.h"

#include "analysis/attribution/matrix_tape.h"

#include <attnviz/decoding/options.h>
#include <attnviz/layers/transformer.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace attnviz::detail {
namespace {

using Node = MatrixTape::Node;

class TransformerGraph
{
public:
    TransformerGraph(MatrixTape &tape, const Model &model, const Weights &weights)
        : t(tape)
        , m(model)
        , w(weights)
        , c(model.config().transformer)
    {
    }

    // log p_i for every step i ([steps x 1]) from the source embedding leaf [T x d].
    Node build(Node embeddings, const std::vector<int> &targetIds)
    {
        const int T = int(t.value(embeddings).rows()), I = int(targetIds.size());
        const double scale = c.embeddingScale ? std::sqrt(double(c.modelSize)) : 1.0;
        Node x = t.add(t.scale(embeddings, scale), t.constant(positions(false, T)));
        for (int l = 0; l < c.encoderLayers; ++l) {
            const std::string p = "encoder.layers." + std::to_string(l);
            const bool pre = c.encoderNorm == NormPosition::Pre;
            x = attentionBlock(p + ".self_attention", pre, x, -1, false);
            x = feedForward(p, pre, x);
        }
        const Node memory = c.encoderFinalNorm ? norm("encoder.final_norm", x) : x;

        // The decoder's input: the start token, then the output without its last token.
        const std::string table = c.sharedEmbeddings ? "encoder.embedding.weight" : "decoder.embedding.weight";
        MatrixD input(I, c.modelSize);
        for (int i = 0; i < I; ++i)
            input.row(i) = w.row(table, i == 0 ? m.sosId() : targetIds[size_t(i - 1)]).transpose() * scale;
        Node y = t.constant(input + positions(true, I));
        for (int l = 0; l < c.decoderLayers; ++l) {
            const std::string p = "decoder.layers." + std::to_string(l);
            const bool pre = c.decoderNorm == NormPosition::Pre;
            y = attentionBlock(p + ".self_attention", pre, y, -1, true);
            y = attentionBlock(p + ".cross_attention", pre, y, memory, false);
            y = feedForward(p, pre, y);
        }
        if (c.decoderFinalNorm)
            y = norm("decoder.final_norm", y);
        return t.logSoftmaxPick(y, w.weight(c.tiedOutput ? table : "decoder.output.weight"), w.bias("decoder.output.bias"),
                                targetIds);
    }

private:
    MatrixD positions(bool decoder, int count)
    {
        if (c.positions == Positions::Learned) {
            const MatrixD &table = w.matrix(decoder ? "decoder.positions.weight" : "encoder.positions.weight");
            if (count > table.rows())
                throw InputError("this model's learned positions cover " + std::to_string(table.rows())
                                 + " tokens; the input needs " + std::to_string(count));
            return table.topRows(count);
        }
        if (sinusoid.rows() < count) // the engine's float table, so both compute from the same positions
            sinusoid = sinusoidalPositions(std::max(count, maxOutputSteps + 2), c.modelSize, c.positions).cast<double>();
        return sinusoid.topRows(count);
    }

    Node norm(const std::string &prefix, Node x)
    {
        return t.layerNorm(x, w.vector(prefix + ".weight"), w.vector(prefix + ".bias"), c.normEpsilon);
    }

    Node linear(const std::string &prefix, Node x) { return t.linear(x, w.weight(prefix + ".weight"), w.bias(prefix + ".bias")); }

    // Self attention (memory < 0) or cross attention with its residual and norm.
    Node attentionBlock(const std::string &prefix, bool pre, Node x, Node memory, bool causal)
    {
        const Node in = pre ? norm(prefix + "_norm", x) : x;
        const Node source = memory >= 0 ? memory : in;
        const Node mixed = t.attention(linear(prefix + ".query", in), linear(prefix + ".key", source),
                                       linear(prefix + ".value", source), c.heads, causal);
        const Node out = t.add(x, linear(prefix + ".output", mixed));
        return pre ? out : norm(prefix + "_norm", out);
    }

    Node feedForward(const std::string &layer, bool pre, Node x)
    {
        const std::string p = layer + ".feed_forward";
        const Node in = pre ? norm(layer + ".feed_forward_norm", x) : x;
        Node h = t.activate(linear(p + ".input", in), c.activation);
        if (c.gatedFeedForward)
            h = t.mul(h, linear(p + ".gate", in));
        const Node out = t.add(x, linear(p + ".output", h));
        return pre ? out : norm(layer + ".feed_forward_norm", out);
    }

    MatrixTape &t;
    const Model &m;
    const Weights &w;
    const TransformerConfig &c;
    MatrixD sinusoid;
};

} // namespace

SourceGradients transformerForced(const Model &model, const Weights &weights, const std::vector<int> &targetIds,
                                  const MatrixD &rows, bool withGradients)
{
    MatrixTape tape;
    const Node leaf = tape.leaf(rows);
    TransformerGraph graph(tape, model, weights);
    const Node logProbs = graph.build(leaf, targetIds);
    const MatrixD &values = tape.value(logProbs);
    SourceGradients out;
    for (Eigen::Index i = 0; i < values.rows(); ++i)
        out.logProbs.push_back(values(i, 0));
    if (withGradients) {
        // Every step's seed in one backward pass (seed i: d log p_i), in chunks that bound the
        // gradients' memory for long outputs.
        const Eigen::Index I = values.rows(), T = rows.rows();
        constexpr Eigen::Index chunk = 16;
        for (Eigen::Index first = 0; first < I; first += chunk) {
            const Eigen::Index S = std::min(chunk, I - first);
            MatrixD seeds = MatrixD::Zero(S * I, 1);
            for (Eigen::Index s = 0; s < S; ++s)
                seeds(s * I + first + s, 0) = 1.0;
            tape.backward(logProbs, seeds);
            for (Eigen::Index s = 0; s < S; ++s)
                out.gradients.emplace_back(tape.gradient(leaf).middleRows(s * T, T));
        }
    }
    return out;
}

} // namespace attnviz::detail
