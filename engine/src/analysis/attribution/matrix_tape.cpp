#include "analysis/attribution/matrix_tape.h"

#include <cmath>

namespace attnviz::detail {

MatrixTape::Node MatrixTape::push(MatrixD value, std::function<void(MatrixTape &, const Entry &)> back)
{
    Entry e;
    e.value = std::move(value);
    e.back = std::move(back);
    m_nodes.push_back(std::move(e));
    return Node(m_nodes.size() - 1);
}

void MatrixTape::accumulate(Node n, MatrixD g)
{
    Entry &e = m_nodes[size_t(n)];
    if (!e.reached) {
        e.grad = std::move(g);
        e.reached = true;
    } else {
        e.grad += g;
    }
}

void MatrixTape::backward(Node output, const MatrixD &seed)
{
    for (Entry &e : m_nodes)
        e.reached = false;
    accumulate(output, seed);
    for (int n = output; n >= 0; --n) {
        const Entry &e = m_nodes[size_t(n)];
        if (e.reached && e.back)
            e.back(*this, e);
    }
    for (Entry &e : m_nodes)
        if (!e.reached)
            e.grad = MatrixD::Zero(e.value.rows(), e.value.cols());
}

MatrixTape::Node MatrixTape::constant(MatrixD value)
{
    return push(std::move(value), nullptr);
}

namespace {

// The rows of g that are not all zero. One output step's seed reaches one row of the logits and
// rows 0..i of the decoder (the causal mask): the backward products skip the others.
std::vector<Eigen::Index> nonzeroRows(const MatrixD &g)
{
    std::vector<Eigen::Index> rows;
    for (Eigen::Index r = 0; r < g.rows(); ++r)
        if (!g.row(r).isZero(0.0))
            rows.push_back(r);
    return rows;
}

} // namespace

MatrixTape::Node MatrixTape::linear(Node x, const MatrixD &w, const VectorD *bias)
{
    MatrixD y = value(x) * w.transpose();
    if (bias)
        y.rowwise() += bias->transpose();
    const MatrixD *weights = &w;
    return push(std::move(y), [weights, x](MatrixTape &t, const Entry &e) {
        const std::vector<Eigen::Index> rows = nonzeroRows(e.grad);
        if (2 * rows.size() >= size_t(e.grad.rows())) {
            t.accumulate(x, e.grad * *weights);
            return;
        }
        MatrixD g = MatrixD::Zero(e.grad.rows(), weights->cols());
        for (const Eigen::Index r : rows) // products of one row: no packing of the weights
            g.row(r).noalias() = e.grad.row(r) * *weights;
        t.accumulate(x, g);
    });
}

MatrixTape::Node MatrixTape::add(Node a, Node b)
{
    return push(value(a) + value(b), [a, b](MatrixTape &t, const Entry &e) {
        t.accumulate(a, e.grad);
        t.accumulate(b, e.grad);
    });
}

MatrixTape::Node MatrixTape::mul(Node a, Node b)
{
    return push(value(a).cwiseProduct(value(b)), [a, b](MatrixTape &t, const Entry &e) {
        t.accumulate(a, e.grad.cwiseProduct(t.value(b)));
        t.accumulate(b, e.grad.cwiseProduct(t.value(a)));
    });
}

MatrixTape::Node MatrixTape::scale(Node a, double factor)
{
    return push(value(a) * factor, [a, factor](MatrixTape &t, const Entry &e) { t.accumulate(a, e.grad * factor); });
}

MatrixTape::Node MatrixTape::layerNorm(Node x, const VectorD &weight, const VectorD &bias, double epsilon)
{
    const MatrixD &in = value(x);
    const Eigen::Index d = in.cols();
    MatrixD normalized(in.rows(), d); // (x - mean) / sqrt(var + eps), kept for the backward pass
    VectorD inverse(in.rows());
    for (Eigen::Index r = 0; r < in.rows(); ++r) {
        const double mean = in.row(r).mean();
        const auto centered = (in.row(r).array() - mean).matrix();
        inverse[r] = 1.0 / std::sqrt(centered.squaredNorm() / double(d) + epsilon);
        normalized.row(r) = centered * inverse[r];
    }
    MatrixD y = (normalized.array().rowwise() * weight.transpose().array()).matrix();
    y.rowwise() += bias.transpose();
    const VectorD *w = &weight;
    return push(std::move(y), [x, w, normalized = std::move(normalized), inverse = std::move(inverse)](MatrixTape &t,
                                                                                                       const Entry &e) {
        // g_x = inv * (g_n - mean(g_n) - n * mean(g_n * n)), g_n = g_y * weight
        const MatrixD gn = (e.grad.array().rowwise() * w->transpose().array()).matrix();
        MatrixD gx(gn.rows(), gn.cols());
        for (Eigen::Index r = 0; r < gn.rows(); ++r) {
            const double meanG = gn.row(r).mean(), meanGN = gn.row(r).dot(normalized.row(r)) / double(gn.cols());
            gx.row(r) = ((gn.row(r).array() - meanG - normalized.row(r).array() * meanGN) * inverse[r]).matrix();
        }
        t.accumulate(x, gx);
    });
}

MatrixTape::Node MatrixTape::activate(Node x, FeedForwardActivation activation)
{
    const MatrixD &in = value(x);
    MatrixD y(in.rows(), in.cols()), slope(in.rows(), in.cols()); // slope: d y / d x
    const double root2 = std::sqrt(2.0), rootTwoPi = std::sqrt(2.0 * M_PI);
    for (Eigen::Index i = 0; i < in.size(); ++i) {
        const double v = in.data()[i];
        double out = 0, dv = 0;
        switch (activation) {
        case FeedForwardActivation::Relu:
            out = v > 0 ? v : 0.0;
            dv = v > 0 ? 1.0 : 0.0;
            break;
        case FeedForwardActivation::Gelu: {
            const double cdf = 0.5 * (1.0 + std::erf(v / root2));
            out = v * cdf;
            dv = cdf + v * std::exp(-0.5 * v * v) / rootTwoPi;
            break;
        }
        case FeedForwardActivation::Swish: {
            const double s = 1.0 / (1.0 + std::exp(-v));
            out = v * s;
            dv = s + v * s * (1.0 - s);
            break;
        }
        }
        y.data()[i] = out;
        slope.data()[i] = dv;
    }
    return push(std::move(y), [x, slope = std::move(slope)](MatrixTape &t, const Entry &e) {
        t.accumulate(x, e.grad.cwiseProduct(slope));
    });
}

MatrixTape::Node MatrixTape::attention(Node q, Node k, Node v, int heads, bool causal)
{
    const MatrixD &Q = value(q), &K = value(k), &V = value(v);
    const Eigen::Index n = Q.rows(), m = K.rows(), dh = Q.cols() / heads;
    const double scale = 1.0 / std::sqrt(double(dh));
    std::vector<MatrixD> weights(static_cast<size_t>(heads));
    MatrixD out(n, Q.cols());
    for (int h = 0; h < heads; ++h) {
        MatrixD s = (Q.middleCols(h * dh, dh) * K.middleCols(h * dh, dh).transpose()) * scale;
        for (Eigen::Index i = 0; i < n; ++i) {
            const Eigen::Index visible = causal ? std::min(m, i + 1) : m;
            auto row = s.row(i);
            const double top = row.head(visible).maxCoeff();
            row.head(visible) = (row.head(visible).array() - top).exp().matrix();
            row.tail(m - visible).setZero();
            row /= row.sum();
        }
        out.middleCols(h * dh, dh) = s * V.middleCols(h * dh, dh);
        weights[size_t(h)] = std::move(s);
    }
    return push(std::move(out), [q, k, v, heads, dh, scale, weights = std::move(weights)](MatrixTape &t, const Entry &e) {
        const MatrixD &Q = t.value(q), &K = t.value(k), &V = t.value(v);
        MatrixD gq(Q.rows(), Q.cols()), gk(K.rows(), K.cols()), gv(V.rows(), V.cols());
        for (int h = 0; h < heads; ++h) {
            const MatrixD &a = weights[size_t(h)];
            const auto g = e.grad.middleCols(h * dh, dh);
            gv.middleCols(h * dh, dh) = a.transpose() * g;
            const MatrixD ga = g * V.middleCols(h * dh, dh).transpose();
            // softmax backward per row: a * (ga - (ga . a)); masked entries have a = 0
            MatrixD gs = a.cwiseProduct(ga);
            const VectorD dots = gs.rowwise().sum();
            gs -= (a.array().colwise() * dots.array()).matrix();
            gs *= scale;
            gq.middleCols(h * dh, dh) = gs * K.middleCols(h * dh, dh);
            gk.middleCols(h * dh, dh) = gs.transpose() * Q.middleCols(h * dh, dh);
        }
        t.accumulate(q, gq);
        t.accumulate(k, gk);
        t.accumulate(v, gv);
    });
}

MatrixTape::Node MatrixTape::logSoftmaxPick(Node logits, const std::vector<int> &targets)
{
    const MatrixD &x = value(logits);
    VectorD logSum(x.rows());
    MatrixD y(x.rows(), 1);
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
        const double top = x.row(r).maxCoeff();
        logSum[r] = top + std::log((x.row(r).array() - top).exp().sum());
        y(r, 0) = x(r, targets[size_t(r)]) - logSum[r];
    }
    return push(std::move(y), [logits, targets, logSum = std::move(logSum)](MatrixTape &t, const Entry &e) {
        const MatrixD &x = t.value(logits);
        MatrixD g = MatrixD::Zero(x.rows(), x.cols());
        for (Eigen::Index r = 0; r < x.rows(); ++r) {
            if (e.grad(r, 0) == 0.0)
                continue;
            g.row(r) = -(x.row(r).array() - logSum[r]).exp().matrix() * e.grad(r, 0);
            g(r, targets[size_t(r)]) += e.grad(r, 0);
        }
        t.accumulate(logits, g);
    });
}

} // namespace attnviz::detail
