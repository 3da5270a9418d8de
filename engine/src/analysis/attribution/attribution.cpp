// The RNN family's forced computation on the tape (the same rules as engine/src/models and
// tools/family_torch.py), the transformer's (transformer_graph.cpp), and the attribution
// methods built on them.
#include <attnviz/analysis/attribution.h>
#include <attnviz/analysis/compare.h>
#include <attnviz/decoding/options.h>

#include "analysis/attribution/tape.h"
#include "analysis/attribution/transformer_graph.h"
#include "analysis/attribution/weights.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnviz {

namespace {

using detail::MatrixD;
using detail::Tape;
using detail::VectorD;
using detail::Weights;
using Node = Tape::Node;

struct CellOut
{
    Node h, c = -1;
};

// One step of a PyTorch GRU (gates r, z, n) or LSTM (i, f, g, o) cell; `prefix` names its
// tensors ("encoder.rnn."), `suffix` the layer and direction ("_l0_reverse").
CellOut cellStep(Tape &t, const Weights &w, Cell cell, const std::string &prefix, const std::string &suffix, int hidden,
                 Node x, Node h, Node c)
{
    const Node gi = t.affine(w.weight(prefix + "weight_ih" + suffix), x, w.bias(prefix + "bias_ih" + suffix));
    const Node gh = t.affine(w.weight(prefix + "weight_hh" + suffix), h, w.bias(prefix + "bias_hh" + suffix));
    const int H = hidden;
    if (cell == Cell::Gru) {
        const Node r = t.sigmoid(t.add(t.slice(gi, 0, H), t.slice(gh, 0, H)));
        const Node z = t.sigmoid(t.add(t.slice(gi, H, H), t.slice(gh, H, H)));
        const Node n = t.tanh(t.add(t.slice(gi, 2 * H, H), t.mul(r, t.slice(gh, 2 * H, H))));
        return {t.add(n, t.mul(z, t.sub(h, n)))}; // (1 - z) n + z h
    }
    const Node g = t.add(gi, gh);
    const Node i = t.sigmoid(t.slice(g, 0, H));
    const Node f = t.sigmoid(t.slice(g, H, H));
    const Node gg = t.tanh(t.slice(g, 2 * H, H));
    const Node o = t.sigmoid(t.slice(g, 3 * H, H));
    const Node cNew = t.add(t.mul(f, c), t.mul(i, gg));
    return {t.mul(o, t.tanh(cNew)), cNew};
}

Node activate(Tape &t, Activation activation, Node x)
{
    switch (activation) {
    case Activation::Tanh: return t.tanh(x);
    case Activation::Relu: return t.relu(x);
    case Activation::Identity: return x;
    }
    return x;
}

class ForcedGraph
{
public:
    ForcedGraph(Tape &tape, const Model &model, const Weights &weights)
        : t(tape)
        , m(model)
        , w(weights)
        , c(model.config())
    {
    }

    // Builds the forced computation from the source embedding nodes; returns [log p_i per step].
    Node build(const std::vector<Node> &embeddings, const std::vector<int> &targetIds)
    {
        encode(embeddings);
        initialState();
        prepare();
        std::vector<Node> outs;
        int previous = m.sosId();
        for (const int y : targetIds) {
            outs.push_back(step(previous));
            previous = y;
        }
        return t.logSoftmaxPicks(w.weight("decoder.out.weight"), w.bias("decoder.out.bias"), outs, targetIds);
    }

private:
    Node zeros(int n) { return t.constant(VectorD::Zero(n)); }

    void encode(const std::vector<Node> &embeddings)
    {
        const EncoderConfig &e = c.encoder;
        const int T = int(embeddings.size()), D = e.directions();
        std::vector<Node> input;
        for (const Node x : embeddings)
            input.push_back(e.embeddingScale ? t.scale(x, std::sqrt(double(e.embeddingSize))) : x);
        finalH.assign(size_t(e.layers * D), -1);
        finalC.assign(size_t(e.layers * D), -1);
        std::vector<std::vector<Node>> outputs(static_cast<size_t>(D), std::vector<Node>(static_cast<size_t>(T)));
        for (int l = 0; l < e.layers; ++l) {
            for (int d = 0; d < D; ++d) {
                const std::string suffix = "_l" + std::to_string(l) + (d ? "_reverse" : "");
                Node h = zeros(e.hiddenSize), cs = zeros(e.hiddenSize);
                for (int k = 0; k < T; ++k) {
                    const int pos = d ? T - 1 - k : k;
                    const CellOut out = cellStep(t, w, e.cell, "encoder.rnn.", suffix, e.hiddenSize, input[size_t(pos)], h, cs);
                    h = out.h;
                    cs = out.c;
                    outputs[size_t(d)][size_t(pos)] = h;
                }
                finalH[size_t(l * D + d)] = h;
                finalC[size_t(l * D + d)] = cs;
            }
            for (int pos = 0; pos < T; ++pos)
                input[size_t(pos)] = D == 2 ? t.concat(outputs[0][size_t(pos)], outputs[1][size_t(pos)]) : outputs[0][size_t(pos)];
        }
        annotations.clear();
        for (int pos = 0; pos < T; ++pos)
            annotations.push_back(D == 2 && e.merge == DirectionMerge::Sum ? t.add(outputs[0][size_t(pos)], outputs[1][size_t(pos)])
                                                                          : input[size_t(pos)]);
    }

    Node perLayer(const std::vector<Node> &states, int l)
    {
        const int D = c.encoder.directions();
        return D == 2 ? t.concat(states[size_t(l * D)], states[size_t(l * D + 1)]) : states[size_t(l * D)];
    }

    std::vector<Node> initRule(InitRule rule, const std::vector<Node> &states, const std::string &bridge)
    {
        const DecoderConfig &d = c.decoder;
        const int Ld = d.layers, Le = c.encoder.layers, D = c.encoder.directions(), He = c.encoder.hiddenSize;
        std::vector<Node> out;
        switch (rule) {
        case InitRule::Zero:
        case InitRule::Hidden: // not a rule for h; cellInit's Hidden is handled by the caller
            out.assign(size_t(Ld), zeros(d.hiddenSize));
            break;
        case InitRule::Final:
            for (int l = 0; l < Ld; ++l)
                out.push_back(perLayer(states, l));
            break;
        case InitRule::Last:
            out.assign(size_t(Ld), t.slice(perLayer(states, Le - 1), 0, d.hiddenSize));
            break;
        case InitRule::Bridge:
            out.assign(size_t(Ld), activate(t, d.bridgeActivation,
                                            t.affine(w.weight(bridge + ".weight"), perLayer(states, Le - 1), w.bias(bridge + ".bias"))));
            break;
        case InitRule::OnmtBridge: {
            Node all = states.front();
            for (size_t k = 1; k < states.size(); ++k)
                all = t.concat(all, states[k]);
            const Node y = t.relu(t.affine(w.weight(bridge + ".weight"), all, w.bias(bridge + ".bias")));
            for (int l = 0; l < Ld; ++l)
                out.push_back(t.slice(y, l * D * He, D * He));
            break;
        }
        case InitRule::FirstLayers:
            for (int l = 0; l < Ld; ++l)
                out.push_back(states[size_t(l)]);
            break;
        }
        return out;
    }

    void initialState()
    {
        const DecoderConfig &d = c.decoder;
        h = initRule(d.init, finalH, "decoder.bridge");
        if (d.cell == Cell::Lstm) {
            if (d.cellInit == InitRule::Hidden)
                cs = h;
            else
                cs = initRule(d.cellInit, finalC, "decoder.bridge_cell");
        } else {
            cs.assign(h.size(), -1);
        }
        o = d.input == DecoderInput::InputFeeding ? zeros(d.hiddenSize) : -1;
    }

    void prepare()
    {
        const AttentionConfig &a = c.attention;
        keys.clear();
        if (a.score == Score::Bilinear)
            for (const Node hj : annotations)
                keys.push_back(t.affine(w.weight("decoder.attention.linear.weight"), hj, w.bias("decoder.attention.linear.bias")));
        else if (a.score == Score::Additive)
            for (const Node hj : annotations)
                keys.push_back(t.affine(w.weight("decoder.attention.key_layer.weight"), hj,
                                        w.bias("decoder.attention.key_layer.bias")));
    }

    // The context c for query q (and, for location attention, the step's embedding).
    Node attend(Node q, Node emb)
    {
        const AttentionConfig &a = c.attention;
        const std::string p = "decoder.attention.";
        Node alpha;
        if (a.score == Score::Location) {
            alpha = t.softmax(t.affine(w.weight(p + "location.weight"), t.concat(emb, q), w.bias(p + "location.bias")));
        } else {
            std::vector<Node> scores;
            Node wq = -1, qq = -1;
            if (a.score == Score::General)
                wq = t.affine(w.weight(p + "linear.weight"), q, w.bias(p + "linear.bias"));
            if (a.score == Score::Additive)
                qq = t.affine(w.weight(p + "query_layer.weight"), q, w.bias(p + "query_layer.bias"));
            for (size_t j = 0; j < annotations.size(); ++j) {
                const Node hj = annotations[j];
                switch (a.score) {
                case Score::Dot: scores.push_back(t.dot(hj, q)); break;
                case Score::General: scores.push_back(t.dot(hj, wq)); break;
                case Score::Bilinear: scores.push_back(t.dot(keys[j], q)); break;
                case Score::Additive:
                    scores.push_back(t.affine(w.weight(p + "energy_layer.weight"), t.tanh(t.add(qq, keys[j])),
                                              w.bias(p + "energy_layer.bias")));
                    break;
                case Score::Concat:
                    scores.push_back(t.affine(w.weight(p + "energy_layer.weight"),
                                              t.tanh(t.affine(w.weight(p + "concat.weight"), t.concat(q, hj), w.bias(p + "concat.bias"))),
                                              w.bias(p + "energy_layer.bias")));
                    break;
                case Score::Location: break;
                }
            }
            alpha = t.softmax(t.stack(scores));
        }
        std::vector<Node> terms; // padding slots past the input hold zero vectors
        for (size_t j = 0; j < annotations.size(); ++j)
            terms.push_back(t.scaleBy(annotations[j], t.pick(alpha, int(j))));
        return t.sum(terms);
    }

    // One decoder step; returns the vector the output layer reads.
    Node step(int previous)
    {
        const DecoderConfig &d = c.decoder;
        VectorD e = w.row("decoder.embedding.weight", previous);
        if (d.embeddingScale)
            e *= std::sqrt(double(d.embeddingSize));
        const Node emb = t.constant(std::move(e));
        Node context = -1;
        if (d.query == Query::Previous)
            context = attend(h.back(), emb);
        Node x = emb;
        switch (d.input) {
        case DecoderInput::Embedding: break;
        case DecoderInput::EmbeddingContext: x = t.concat(emb, context); break;
        case DecoderInput::ContextEmbedding: x = t.concat(context, emb); break;
        case DecoderInput::InputFeeding: x = t.concat(emb, o); break;
        case DecoderInput::Combine:
            x = t.affine(w.weight("decoder.combine.weight"), t.concat(emb, context), w.bias("decoder.combine.bias"));
            if (d.combineActivation == Activation::Relu)
                x = t.relu(x);
            break;
        }
        for (int l = 0; l < d.layers; ++l) {
            const CellOut out = cellStep(t, w, d.cell, "decoder.rnn.", "_l" + std::to_string(l), d.hiddenSize, x,
                                         h[size_t(l)], cs[size_t(l)]);
            h[size_t(l)] = out.h;
            cs[size_t(l)] = out.c;
            x = out.h;
        }
        const Node s = h.back();
        if (d.query == Query::Current)
            context = attend(s, emb);
        Node out = s;
        if (d.attentional != Attentional::None) {
            const Node pair = d.attentional == Attentional::StateContext ? t.concat(s, context) : t.concat(context, s);
            out = t.affine(w.weight("decoder.attentional.weight"), pair, w.bias("decoder.attentional.bias"));
            if (d.attentionalActivation == Activation::Tanh)
                out = t.tanh(out);
        }
        if (d.input == DecoderInput::InputFeeding)
            o = out;
        return out;
    }

    Tape &t;
    const Model &m;
    const Weights &w;
    const ModelConfig &c;
    std::vector<Node> annotations, keys, finalH, finalC, h, cs;
    Node o = -1;
};

MatrixD sourceRows(const Weights &weights, const std::vector<int> &sourceIds)
{
    const std::string table = "encoder.embedding.weight";
    MatrixD rows(Eigen::Index(sourceIds.size()), weights.columns(table));
    for (size_t j = 0; j < sourceIds.size(); ++j)
        rows.row(Eigen::Index(j)) = weights.row(table, sourceIds[j]).transpose();
    return rows;
}

SourceGradients run(const Model &model, const Weights &weights, const std::vector<int> &targetIds, const MatrixD &rows,
                    bool withGradients)
{
    if (model.isTransformer())
        return detail::transformerForced(model, weights, targetIds, rows, withGradients);
    Tape tape;
    std::vector<Node> leaves;
    for (Eigen::Index j = 0; j < rows.rows(); ++j)
        leaves.push_back(tape.leaf(rows.row(j).transpose()));
    ForcedGraph graph(tape, model, weights);
    const Node logProbs = graph.build(leaves, targetIds);
    SourceGradients out;
    const VectorD &values = tape.value(logProbs);
    out.logProbs.assign(values.data(), values.data() + values.size());
    if (withGradients) {
        tape.backward(logProbs); // every output step's seed in one pass
        for (size_t i = 0; i < targetIds.size(); ++i) {
            Eigen::MatrixXd g(rows.rows(), rows.cols());
            for (Eigen::Index j = 0; j < rows.rows(); ++j)
                g.row(j) = tape.gradient(leaves[size_t(j)], int(i)).transpose();
            out.gradients.push_back(std::move(g));
        }
    }
    return out;
}

void checkInput(const Model &model, const std::vector<int> &sourceIds, const std::vector<int> &targetIds)
{
    if (sourceIds.empty())
        throw InputError("attribution: empty source: nothing to attribute to");
    if (targetIds.empty())
        throw InputError("attribution: empty output: nothing to attribute");
    for (const int id : sourceIds)
        if (id < 0 || id >= model.sourceVocabSize())
            throw InputError("attribution: source id " + std::to_string(id) + " is outside the vocabulary");
    for (const int id : targetIds)
        if (id < 0 || id >= model.targetVocabSize())
            throw InputError("attribution: target id " + std::to_string(id) + " is outside the vocabulary");
    if (!model.isTransformer() && model.config().attention.score == Score::Location
        && int(sourceIds.size()) > model.config().attention.locationSlots)
        throw InputError("attribution: the input has more tokens than the model's attention slots");
}

// Average ranks (1-based), ties sharing the mean of their positions.
Eigen::VectorXd ranks(const Eigen::VectorXd &v)
{
    std::vector<int> order(size_t(v.size()));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return v[a] < v[b]; });
    Eigen::VectorXd r(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t k = i;
        while (k + 1 < order.size() && v[order[k + 1]] == v[order[i]])
            ++k;
        for (size_t m = i; m <= k; ++m)
            r[order[m]] = (double(i) + double(k)) / 2 + 1;
        i = k + 1;
    }
    return r;
}

double pearson(const Eigen::VectorXd &a, const Eigen::VectorXd &b)
{
    const Eigen::ArrayXd x = a.array() - a.mean(), y = b.array() - b.mean();
    const double denominator = std::sqrt((x * x).sum() * (y * y).sum());
    return denominator > 0 ? (x * y).sum() / denominator : 0.0;
}

} // namespace

const char *attributionMethodName(AttributionMethod method)
{
    switch (method) {
    case AttributionMethod::Occlusion: return "occlusion";
    case AttributionMethod::LeaveOneOut: return "leave-one-out";
    case AttributionMethod::Gradient: return "gradient";
    case AttributionMethod::InputXGradient: return "input-x-gradient";
    case AttributionMethod::IntegratedGradients: return "integrated-gradients";
    }
    return "?";
}

bool parseAttributionMethod(const std::string &name, AttributionMethod *method)
{
    for (const AttributionMethod m : {AttributionMethod::Occlusion, AttributionMethod::LeaveOneOut, AttributionMethod::Gradient,
                                      AttributionMethod::InputXGradient, AttributionMethod::IntegratedGradients})
        if (name == attributionMethodName(m)) {
            *method = m;
            return true;
        }
    return false;
}

bool isSignedAttribution(AttributionMethod method)
{
    return method != AttributionMethod::Gradient;
}

SourceGradients sourceGradients(const Model &model, const std::vector<int> &sourceIds, const std::vector<int> &targetIds,
                                const Eigen::MatrixXd *embeddings, bool withGradients)
{
    checkInput(model, sourceIds, targetIds);
    const Weights weights(model);
    const MatrixD rows = embeddings ? MatrixD(*embeddings) : sourceRows(weights, sourceIds);
    return run(model, weights, targetIds, rows, withGradients);
}

Attribution attribute(const Model &model, const std::vector<int> &sourceIds, const std::vector<int> &targetIds,
                      const AttributionOptions &options)
{
    checkInput(model, sourceIds, targetIds);
    const Weights weights(model);
    const MatrixD rows = sourceRows(weights, sourceIds);
    const Eigen::Index I = Eigen::Index(targetIds.size()), T = Eigen::Index(sourceIds.size());
    Attribution a;
    a.method = options.method;
    // Between passes: false when the caller asked to stop.
    const auto proceed = [&](double done) {
        if (options.progress)
            options.progress(done);
        if (options.cancelled && options.cancelled()) {
            a.cancelled = true;
            return false;
        }
        return true;
    };
    a.values = Eigen::MatrixXd::Zero(I, T);
    const bool gradients = options.method == AttributionMethod::Gradient || options.method == AttributionMethod::InputXGradient;
    const SourceGradients base = run(model, weights, targetIds, rows, gradients);
    a.logProbs = base.logProbs;
    switch (options.method) {
    case AttributionMethod::Gradient:
    case AttributionMethod::InputXGradient:
        for (Eigen::Index i = 0; i < I; ++i)
            for (Eigen::Index j = 0; j < T; ++j)
                a.values(i, j) = options.method == AttributionMethod::Gradient
                                     ? base.gradients[size_t(i)].row(j).norm()
                                     : base.gradients[size_t(i)].row(j).dot(rows.row(j));
        break;
    case AttributionMethod::Occlusion:
        for (Eigen::Index j = 0; j < T; ++j) {
            if (!proceed(double(j) / T))
                return a;
            MatrixD occluded = rows;
            occluded.row(j).setZero();
            const SourceGradients r = run(model, weights, targetIds, occluded, false);
            for (Eigen::Index i = 0; i < I; ++i)
                a.values(i, j) = base.logProbs[size_t(i)] - r.logProbs[size_t(i)];
        }
        break;
    case AttributionMethod::LeaveOneOut:
        if (T == 1) { // nothing is left to translate from without the one token
            a.values.setConstant(std::nan(""));
            break;
        }
        for (Eigen::Index j = 0; j < T; ++j) {
            if (!proceed(double(j) / T))
                return a;
            MatrixD without(T - 1, rows.cols());
            without.topRows(j) = rows.topRows(j);
            without.bottomRows(T - 1 - j) = rows.bottomRows(T - 1 - j);
            const SourceGradients r = run(model, weights, targetIds, without, false);
            for (Eigen::Index i = 0; i < I; ++i)
                a.values(i, j) = base.logProbs[size_t(i)] - r.logProbs[size_t(i)];
        }
        break;
    case AttributionMethod::IntegratedGradients: {
        const int m = std::max(1, options.steps);
        std::vector<Eigen::MatrixXd> total(size_t(I), Eigen::MatrixXd::Zero(T, rows.cols()));
        for (int k = 1; k <= m; ++k) {
            if (!proceed(double(k - 1) / m))
                return a;
            const SourceGradients r = run(model, weights, targetIds, MatrixD(rows * (double(k) / m)), true);
            for (Eigen::Index i = 0; i < I; ++i)
                total[size_t(i)] += r.gradients[size_t(i)];
        }
        const SourceGradients zero = run(model, weights, targetIds, MatrixD::Zero(T, rows.cols()), false);
        for (Eigen::Index i = 0; i < I; ++i) {
            for (Eigen::Index j = 0; j < T; ++j)
                a.values(i, j) = total[size_t(i)].row(j).dot(rows.row(j)) / m;
            a.completenessSum.push_back(a.values.row(i).sum());
            a.completenessTarget.push_back(base.logProbs[size_t(i)] - zero.logProbs[size_t(i)]);
        }
        break;
    }
    }
    if (options.progress)
        options.progress(1.0);
    return a;
}

RowAgreement rowAgreement(const Eigen::VectorXd &attention, const Eigen::VectorXd &attribution)
{
    RowAgreement r;
    const Eigen::Index n = std::min(attention.size(), attribution.size());
    if (n == 0)
        return r;
    const Eigen::VectorXd a = attention.head(n), b = attribution.head(n).cwiseAbs();
    r.spearman = pearson(ranks(a), ranks(b));
    // Kendall's tau-b.
    double concordant = 0, discordant = 0, tiesA = 0, tiesB = 0;
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = i + 1; j < n; ++j) {
            const double da = a[i] - a[j], db = b[i] - b[j];
            if (da == 0 && db == 0)
                continue;
            if (da == 0)
                ++tiesA;
            else if (db == 0)
                ++tiesB;
            else if ((da > 0) == (db > 0))
                ++concordant;
            else
                ++discordant;
        }
    const double denominator = std::sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
    r.kendall = denominator > 0 ? (concordant - discordant) / denominator : 0.0;
    Eigen::Index ia = 0, ib = 0;
    a.maxCoeff(&ia);
    b.maxCoeff(&ib);
    r.top1 = ia == ib;
    // The Jensen-Shannon divergence of the two rows as distributions (uniform when a row is 0).
    const double sa = a.sum(), sb = b.sum();
    const Eigen::VectorXd p = sa > 0 ? Eigen::VectorXd(a / sa) : Eigen::VectorXd::Constant(n, 1.0 / double(n));
    const Eigen::VectorXd q = sb > 0 ? Eigen::VectorXd(b / sb) : Eigen::VectorXd::Constant(n, 1.0 / double(n));
    r.jsd = jensenShannon(p, q);
    return r;
}

} // namespace attnviz
