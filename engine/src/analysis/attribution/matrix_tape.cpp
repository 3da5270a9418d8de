#include "analysis/attribution/matrix_tape.h"

#include "analysis/attribution/products.h"

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

void MatrixTape::backward(Node output, const MatrixD &seeds)
{
    m_seeds = int(seeds.rows() / value(output).rows());
    for (Entry &e : m_nodes) {
        e.reached = false;
        e.grad.resize(0, 0);
    }
    accumulate(output, seeds);
    for (int n = output; n >= 0; --n) {
        Entry &e = m_nodes[size_t(n)];
        if (!e.reached)
            continue;
        if (e.back)
            e.back(*this, e);
        if (!e.keep)
            e.grad.resize(0, 0);
    }
    for (Entry &e : m_nodes)
        if (e.keep && !e.reached)
            e.grad = MatrixD::Zero(e.value.rows() * m_seeds, e.value.cols());
}

MatrixTape::Node MatrixTape::constant(MatrixD value)
{
    return push(std::move(value), nullptr);
}

MatrixTape::Node MatrixTape::leaf(MatrixD value)
{
    const Node n = constant(std::move(value));
    m_nodes[size_t(n)].keep = true;
    return n;
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

MatrixTape::Node MatrixTape::linear(Node x, const WeightF &w, const VectorD *bias)
{
    MatrixD y = rowsTimesTransposed(value(x), w);
    if (bias)
        y.rowwise() += bias->transpose();
    return push(std::move(y), [w, x](MatrixTape &t, const Entry &e) {
        const std::vector<Eigen::Index> rows = nonzeroRows(e.grad);
        if (2 * rows.size() >= size_t(e.grad.rows())) {
            t.accumulate(x, rowsTimes(e.grad, w));
            return;
        }
        MatrixD compact(Eigen::Index(rows.size()), e.grad.cols()); // one product for the rows that matter
        for (size_t k = 0; k < rows.size(); ++k)
            compact.row(Eigen::Index(k)) = e.grad.row(rows[k]);
        const MatrixD product = rowsTimes(compact, w);
        MatrixD g = MatrixD::Zero(e.grad.rows(), w.cols());
        for (size_t k = 0; k < rows.size(); ++k)
            g.row(rows[k]) = product.row(Eigen::Index(k));
        t.accumulate(x, std::move(g));
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
        const MatrixD &va = t.value(a), &vb = t.value(b);
        const Eigen::Index R = va.rows();
        MatrixD ga(e.grad.rows(), e.grad.cols()), gb(e.grad.rows(), e.grad.cols());
        for (int s = 0; s < t.seeds(); ++s) {
            ga.middleRows(s * R, R) = e.grad.middleRows(s * R, R).cwiseProduct(vb);
            gb.middleRows(s * R, R) = e.grad.middleRows(s * R, R).cwiseProduct(va);
        }
        t.accumulate(a, std::move(ga));
        t.accumulate(b, std::move(gb));
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
        const Eigen::Index R = normalized.rows();
        const double d = double(normalized.cols());
        MatrixD gx = (e.grad.array().rowwise() * w->transpose().array()).matrix();
        for (int s = 0; s < t.seeds(); ++s) {
            auto gn = gx.middleRows(s * R, R);
            const VectorD meanG = gn.rowwise().sum() / d;
            const VectorD meanGN = gn.cwiseProduct(normalized).rowwise().sum() / d;
            gn = ((gn.array().colwise() - meanG.array() - normalized.array().colwise() * meanGN.array()).colwise()
                  * inverse.array())
                     .matrix();
        }
        t.accumulate(x, std::move(gx));
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
        const Eigen::Index R = slope.rows();
        MatrixD g(e.grad.rows(), e.grad.cols());
        for (int s = 0; s < t.seeds(); ++s)
            g.middleRows(s * R, R) = e.grad.middleRows(s * R, R).cwiseProduct(slope);
        t.accumulate(x, std::move(g));
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
        const Eigen::Index n = Q.rows(), m = K.rows(), S = t.seeds();
        MatrixD gq(S * n, Q.cols()), gk(S * m, K.cols()), gv(S * m, V.cols());
        MatrixD gs(S * n, m);
        for (int h = 0; h < heads; ++h) {
            const MatrixD &a = weights[size_t(h)];
            const auto g = e.grad.middleCols(h * dh, dh);
            const MatrixD ga = g * V.middleCols(h * dh, dh).transpose(); // every seed in one product
            for (Eigen::Index s = 0; s < S; ++s) {
                gv.block(s * m, h * dh, m, dh).noalias() = a.transpose() * g.middleRows(s * n, n);
                // softmax backward per row: a * (ga - (ga . a)); masked entries have a = 0
                auto block = gs.middleRows(s * n, n);
                block = a.cwiseProduct(ga.middleRows(s * n, n));
                const VectorD dots = block.rowwise().sum();
                block -= (a.array().colwise() * dots.array()).matrix();
            }
            gs *= scale;
            gq.middleCols(h * dh, dh).noalias() = gs * K.middleCols(h * dh, dh);
            for (Eigen::Index s = 0; s < S; ++s)
                gk.block(s * m, h * dh, m, dh).noalias() = gs.middleRows(s * n, n).transpose() * Q.middleCols(h * dh, dh);
        }
        t.accumulate(q, std::move(gq));
        t.accumulate(k, std::move(gk));
        t.accumulate(v, std::move(gv));
    });
}

MatrixTape::Node MatrixTape::logSoftmaxPick(Node x, const WeightF &w, const VectorD *bias,
                                              const std::vector<int> &targets)
{
    MatrixD probabilities = rowsTimesTransposed(value(x), w); // the logits, then softmax per row
    if (bias)
        probabilities.rowwise() += bias->transpose();
    MatrixD y(probabilities.rows(), 1);
    for (Eigen::Index r = 0; r < probabilities.rows(); ++r) {
        auto row = probabilities.row(r);
        const double top = row.maxCoeff();
        const double logSum = top + std::log((row.array() - top).exp().sum());
        y(r, 0) = row(targets[size_t(r)]) - logSum;
        row = (row.array() - logSum).exp().matrix();
    }
    return push(std::move(y), [x, w, targets, probabilities = std::move(probabilities)](MatrixTape &t,
                                                                                             const Entry &e) {
        // d log p / d logits = onehot(target) - p, for the rows a seed reaches; then through W
        const Eigen::Index R = probabilities.rows();
        std::vector<Eigen::Index> rows;
        for (Eigen::Index r = 0; r < e.grad.rows(); ++r)
            if (e.grad(r, 0) != 0.0)
                rows.push_back(r);
        MatrixD compact(Eigen::Index(rows.size()), probabilities.cols());
        for (size_t k = 0; k < rows.size(); ++k) {
            const Eigen::Index r = rows[k] % R;
            compact.row(Eigen::Index(k)) = -probabilities.row(r) * e.grad(rows[k], 0);
            compact(Eigen::Index(k), targets[size_t(r)]) += e.grad(rows[k], 0);
        }
        const MatrixD product = rowsTimes(compact, w);
        MatrixD g = MatrixD::Zero(e.grad.rows(), w.cols());
        for (size_t k = 0; k < rows.size(); ++k)
            g.row(rows[k]) = product.row(Eigen::Index(k));
        t.accumulate(x, std::move(g));
    });
}

} // namespace attnviz::detail
