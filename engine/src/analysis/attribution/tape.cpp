#include "analysis/attribution/tape.h"

#include "analysis/attribution/products.h"

#include <algorithm>
#include <cmath>

namespace attnviz::detail {

Tape::Node Tape::push(VectorD value, std::function<void(Tape &, const Entry &)> back)
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
    return push(std::move(y), [w, x](Tape &t, const Entry &e) { t.accumulate(x, transposeTimes(w, e.grad), e.lo); });
}

Tape::Node Tape::add(Node a, Node b)
{
    return push(value(a) + value(b), [a, b](Tape &t, const Entry &e) {
        t.accumulate(a, e.grad, e.lo);
        t.accumulate(b, e.grad, e.lo);
    });
}

Tape::Node Tape::sub(Node a, Node b)
{
    return push(value(a) - value(b), [a, b](Tape &t, const Entry &e) {
        t.accumulate(a, e.grad, e.lo);
        t.accumulate(b, -e.grad, e.lo);
    });
}

Tape::Node Tape::mul(Node a, Node b)
{
    return push(value(a).cwiseProduct(value(b)), [a, b](Tape &t, const Entry &e) {
        t.accumulate(a, (e.grad.array().colwise() * t.value(b).array()).matrix(), e.lo);
        t.accumulate(b, (e.grad.array().colwise() * t.value(a).array()).matrix(), e.lo);
    });
}

Tape::Node Tape::scale(Node a, double factor)
{
    return push(value(a) * factor, [a, factor](Tape &t, const Entry &e) { t.accumulate(a, e.grad * factor, e.lo); });
}

Tape::Node Tape::scaleBy(Node vector, Node scalar)
{
    return push(value(vector) * value(scalar)[0], [vector, scalar](Tape &t, const Entry &e) {
        t.accumulate(vector, e.grad * t.value(scalar)[0], e.lo);
        t.accumulate(scalar, t.value(vector).transpose() * e.grad, e.lo);
    });
}

template<typename F, typename D>
Tape::Node Tape::map(Node a, F f, D derivative)
{
    // derivative(input, output): d output / d input, element-wise.
    return push(value(a).unaryExpr(f), [a, derivative](Tape &t, const Entry &e) {
        const VectorD d = derivative(t.value(a), e.value);
        t.accumulate(a, (e.grad.array().colwise() * d.array()).matrix(), e.lo);
    });
}

Tape::Node Tape::tanh(Node a)
{
    return map(a, [](double v) { return std::tanh(v); },
               [](const VectorD &, const VectorD &y) -> VectorD { return (1.0 - y.array().square()).matrix(); });
}

Tape::Node Tape::sigmoid(Node a)
{
    return map(a, [](double v) { return 1.0 / (1.0 + std::exp(-v)); },
               [](const VectorD &, const VectorD &y) -> VectorD { return (y.array() * (1.0 - y.array())).matrix(); });
}

Tape::Node Tape::relu(Node a)
{
    return map(a, [](double v) { return v > 0 ? v : 0.0; },
               [](const VectorD &x, const VectorD &) -> VectorD { return (x.array() > 0).cast<double>().matrix(); });
}

Tape::Node Tape::slice(Node a, int offset, int size)
{
    return push(value(a).segment(offset, size), [a, offset](Tape &t, const Entry &e) { t.accumulate(a, e.grad, e.lo, offset); });
}

Tape::Node Tape::concat(Node a, Node b)
{
    const int na = int(value(a).size());
    VectorD y(na + value(b).size());
    y << value(a), value(b);
    return push(std::move(y), [a, b, na](Tape &t, const Entry &e) {
        t.accumulate(a, e.grad.topRows(na), e.lo);
        t.accumulate(b, e.grad.bottomRows(e.grad.rows() - na), e.lo);
    });
}

Tape::Node Tape::stack(const std::vector<Node> &scalars)
{
    VectorD y(Eigen::Index(scalars.size()));
    for (size_t i = 0; i < scalars.size(); ++i)
        y[Eigen::Index(i)] = value(scalars[i])[0];
    return push(std::move(y), [scalars](Tape &t, const Entry &e) {
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
    return push(VectorD::Constant(1, value(a).dot(value(b))), [a, b](Tape &t, const Entry &e) {
        t.accumulate(a, t.value(b) * e.grad, e.lo); // [n x 1] [1 x seeds]
        t.accumulate(b, t.value(a) * e.grad, e.lo);
    });
}

Tape::Node Tape::softmax(Node a)
{
    const VectorD &x = value(a);
    VectorD y = (x.array() - x.maxCoeff()).exp().matrix();
    y /= y.sum();
    return push(std::move(y), [a](Tape &t, const Entry &e) {
        // dx = y * (g - g . y), per seed
        const Eigen::RowVectorXd gy = e.value.transpose() * e.grad;
        t.accumulate(a, ((e.grad.rowwise() - gy).array().colwise() * e.value.array()).matrix(), e.lo);
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
        const double logSum = m + std::log((p.col(i).array() - m).exp().sum());
        y[i] = p(targets[size_t(i)], i) - logSum;
        p.col(i) = (p.col(i).array() - logSum).exp().matrix();
    }
    return push(std::move(y), [w, inputs, targets, p = std::move(p)](Tape &t, const Entry &e) {
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
    return push(std::move(y), [vectors](Tape &t, const Entry &e) {
        for (Node v : vectors)
            t.accumulate(v, e.grad, e.lo);
    });
}

} // namespace attnviz::detail
