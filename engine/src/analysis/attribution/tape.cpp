#include "analysis/attribution/tape.h"

#include "analysis/attribution/products.h"

#include <algorithm>
#include <cmath>

namespace attnviz::detail {

Tape::Node Tape::push(VectorD value, std::function<void(Tape &, Entry &)> back)
{
    Entry e;
    e.value = std::move(value);
    e.back = std::move(back);
    m_nodes.push_back(std::move(e));
    return Node(m_nodes.size() - 1);
}

void Tape::accumulate(Node n, GradD g, int lo, Eigen::Index offset)
{
    Entry &e = m_nodes[size_t(n)];
    if (!e.back && !e.keep) // a constant: nothing reads its gradient
        return;
    const Eigen::Index rows = e.value.size(), width = g.cols();
    const bool whole = offset == 0 && g.rows() == rows;
    if (!e.reached) {
        e.reached = true;
        e.lo = lo;
        if (whole) {
            e.grad = std::move(g);
        } else {
            e.grad = GradD::Zero(rows, width);
            e.grad.middleRows(offset, g.rows()) = g;
        }
        return;
    }
    const int hi = lo + int(width), eHi = e.lo + int(e.grad.cols());
    if (lo < e.lo || hi > eHi) { // widen to the union of the two seed ranges
        const int newLo = std::min(lo, e.lo), newHi = std::max(hi, eHi);
        GradD wider = GradD::Zero(rows, newHi - newLo);
        wider.middleCols(e.lo - newLo, e.grad.cols()) = e.grad;
        e.grad = std::move(wider);
        e.lo = newLo;
    }
    e.grad.block(offset, lo - e.lo, g.rows(), width) += g;
}

void Tape::backward(Node output)
{
    for (Entry &e : m_nodes) {
        e.reached = false;
        e.grad.resize(0, 0);
    }
    const Eigen::Index seeds = value(output).size();
    accumulate(output, GradD::Identity(seeds, seeds), 0);
    for (int n = output; n >= 0; --n) {
        Entry &e = m_nodes[size_t(n)];
        if (!e.reached || !e.back)
            continue;
        e.back(*this, e);
        if (!e.keep)
            e.grad.resize(0, 0); // passed on: release it
    }
}

VectorD Tape::gradient(Node leaf, int seed) const
{
    const Entry &e = m_nodes[size_t(leaf)];
    if (!e.reached || seed < e.lo || seed >= e.lo + e.grad.cols())
        return VectorD::Zero(e.value.size());
    return e.grad.col(seed - e.lo);
}

Tape::Node Tape::constant(VectorD value)
{
    return push(std::move(value), nullptr);
}

Tape::Node Tape::leaf(VectorD value)
{
    const Node n = constant(std::move(value));
    m_nodes[size_t(n)].keep = true;
    return n;
}

Tape::Node Tape::affine(const WeightF &w, Node x, const VectorD *bias)
{
    VectorD y = timesVector(w, value(x));
    if (bias)
        y += *bias;
    return push(std::move(y), [w, x](Tape &t, Entry &e) { t.accumulate(x, transposeTimes(w, e.grad), e.lo); });
}

Tape::Node Tape::add(Node a, Node b)
{
    return push(value(a) + value(b), [a, b](Tape &t, Entry &e) {
        t.accumulate(a, e.grad, e.lo);
        t.accumulate(b, std::move(e.grad), e.lo);
    });
}

Tape::Node Tape::sub(Node a, Node b)
{
    return push(value(a) - value(b), [a, b](Tape &t, Entry &e) {
        t.accumulate(a, e.grad, e.lo);
        e.grad = -e.grad;
        t.accumulate(b, std::move(e.grad), e.lo);
    });
}

Tape::Node Tape::mul(Node a, Node b)
{
    return push(value(a).cwiseProduct(value(b)), [a, b](Tape &t, Entry &e) {
        t.accumulate(a, (e.grad.array().colwise() * t.value(b).array()).matrix(), e.lo);
        e.grad.array().colwise() *= t.value(a).array();
        t.accumulate(b, std::move(e.grad), e.lo);
    });
}

Tape::Node Tape::scale(Node a, double factor)
{
    return push(value(a) * factor, [a, factor](Tape &t, Entry &e) {
        e.grad *= factor;
        t.accumulate(a, std::move(e.grad), e.lo);
    });
}

Tape::Node Tape::scaleBy(Node vector, Node scalar)
{
    return push(value(vector) * value(scalar)[0], [vector, scalar](Tape &t, Entry &e) {
        t.accumulate(scalar, t.value(vector).transpose() * e.grad, e.lo);
        e.grad *= t.value(scalar)[0];
        t.accumulate(vector, std::move(e.grad), e.lo);
    });
}

namespace {

// tanh and the logistic function through Eigen's vectorized exp (libm's scalar tanh took a tenth
// of an attribution's time): tanh |x| = (1 - e^-2|x|) / (1 + e^-2|x|), and near 0, where that
// difference would lose digits, its Taylor series to x^7 (below 0.02 the next term is under
// 1e-17 of x). Within a few units in the last place of std::tanh.
VectorD tanhOf(const VectorD &x)
{
    const Eigen::ArrayXd a = x.array().abs();
    const Eigen::ArrayXd t = (-2.0 * a).exp();
    const Eigen::ArrayXd x2 = x.array().square();
    const Eigen::ArrayXd series = x.array() * (1.0 + x2 * (-1.0 / 3 + x2 * (2.0 / 15 + x2 * (-17.0 / 315))));
    const Eigen::ArrayXd large = (1.0 - t) / (1.0 + t);
    return (a < 0.02).select(series, (x.array() < 0).select(-large, large)).matrix();
}

// 1 / (1 + e^-x), with e^-|x| so that nothing overflows: for x < 0, e^x / (1 + e^x).
VectorD sigmoidOf(const VectorD &x)
{
    const Eigen::ArrayXd t = (-x.array().abs()).exp();
    return (x.array() >= 0).select(1.0 / (1.0 + t), t / (1.0 + t)).matrix();
}

} // namespace

Tape::Node Tape::tanh(Node a)
{
    return push(tanhOf(value(a)), [a](Tape &t, Entry &e) {
        e.grad.array().colwise() *= 1.0 - e.value.array().square();
        t.accumulate(a, std::move(e.grad), e.lo);
    });
}

Tape::Node Tape::sigmoid(Node a)
{
    return push(sigmoidOf(value(a)), [a](Tape &t, Entry &e) {
        e.grad.array().colwise() *= e.value.array() * (1.0 - e.value.array());
        t.accumulate(a, std::move(e.grad), e.lo);
    });
}

Tape::Node Tape::relu(Node a)
{
    return push(value(a).cwiseMax(0.0), [a](Tape &t, Entry &e) {
        e.grad.array().colwise() *= (t.value(a).array() > 0).cast<double>();
        t.accumulate(a, std::move(e.grad), e.lo);
    });
}

Tape::Node Tape::slice(Node a, int offset, int size)
{
    return push(value(a).segment(offset, size), [a, offset](Tape &t, Entry &e) {
        t.accumulate(a, std::move(e.grad), e.lo, offset);
    });
}

Tape::Node Tape::concat(Node a, Node b)
{
    const int na = int(value(a).size());
    VectorD y(na + value(b).size());
    y << value(a), value(b);
    return push(std::move(y), [a, b, na](Tape &t, Entry &e) {
        t.accumulate(a, e.grad.topRows(na), e.lo);
        t.accumulate(b, e.grad.bottomRows(e.grad.rows() - na), e.lo);
    });
}

Tape::Node Tape::stack(const std::vector<Node> &scalars)
{
    VectorD y(Eigen::Index(scalars.size()));
    for (size_t i = 0; i < scalars.size(); ++i)
        y[Eigen::Index(i)] = value(scalars[i])[0];
    return push(std::move(y), [scalars](Tape &t, Entry &e) {
        for (size_t i = 0; i < scalars.size(); ++i)
            t.accumulate(scalars[i], e.grad.row(Eigen::Index(i)), e.lo);
    });
}

Tape::Node Tape::pick(Node a, int index)
{
    return slice(a, index, 1);
}

Tape::Node Tape::dot(Node a, Node b)
{
    return push(VectorD::Constant(1, value(a).dot(value(b))), [a, b](Tape &t, Entry &e) {
        t.accumulate(a, t.value(b) * e.grad, e.lo); // [n x 1] [1 x seeds]
        t.accumulate(b, t.value(a) * e.grad, e.lo);
    });
}

Tape::Node Tape::softmax(Node a)
{
    const VectorD &x = value(a);
    VectorD y = (x.array() - x.maxCoeff()).exp().matrix();
    y /= y.sum();
    return push(std::move(y), [a](Tape &t, Entry &e) {
        // dx = y * (g - g . y), per seed
        const Eigen::RowVectorXd gy = e.value.transpose() * e.grad;
        e.grad.rowwise() -= gy;
        e.grad.array().colwise() *= e.value.array();
        t.accumulate(a, std::move(e.grad), e.lo);
    });
}

Tape::Node Tape::logSoftmaxPicks(const WeightF &w, const VectorD *bias, const std::vector<Node> &inputs,
                                  const std::vector<int> &targets)
{
    const Eigen::Index steps = Eigen::Index(inputs.size());
    GradD x(w.cols(), steps);
    for (Eigen::Index i = 0; i < steps; ++i)
        x.col(i) = value(inputs[size_t(i)]);
    GradD p = timesMatrix(w, x); // the logits, then the probabilities
    if (bias)
        p.colwise() += *bias;
    VectorD y(steps);
    for (Eigen::Index i = 0; i < steps; ++i) {
        const double m = p.col(i).maxCoeff();
        const double target = p(targets[size_t(i)], i);
        p.col(i) = (p.col(i).array() - m).exp().matrix();
        const double total = p.col(i).sum();
        y[i] = target - m - std::log(total);
        p.col(i) /= total;
    }
    return push(std::move(y), [w, inputs, targets, p = std::move(p)](Tape &t, Entry &e) {
        // d y_i / d x_i = W^T (onehot(target_i) - p_i), for every step in one product; then
        // scaled by each seed's d seed / d y_i, over the seeds that reach y_i.
        GradD d = -p;
        for (size_t i = 0; i < targets.size(); ++i)
            d(targets[i], Eigen::Index(i)) += 1.0;
        const GradD r = transposeTimes(w, d);
        for (Eigen::Index i = 0; i < Eigen::Index(inputs.size()); ++i) {
            Eigen::Index first = 0, last = e.grad.cols() - 1;
            while (first <= last && e.grad(i, first) == 0.0)
                ++first;
            while (last >= first && e.grad(i, last) == 0.0)
                --last;
            if (first <= last)
                t.accumulate(inputs[size_t(i)], r.col(i) * e.grad.row(i).segment(first, last - first + 1), e.lo + int(first));
        }
    });
}

Tape::Node Tape::sum(const std::vector<Node> &vectors)
{
    VectorD y = value(vectors.front());
    for (size_t i = 1; i < vectors.size(); ++i)
        y += value(vectors[i]);
    return push(std::move(y), [vectors](Tape &t, Entry &e) {
        for (size_t i = 0; i + 1 < vectors.size(); ++i)
            t.accumulate(vectors[i], e.grad, e.lo);
        t.accumulate(vectors.back(), std::move(e.grad), e.lo);
    });
}

} // namespace attnviz::detail
