#include "analysis/attribution/tape.h"

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

void Tape::accumulate(Node n, const VectorD &g)
{
    Entry &e = m_nodes[size_t(n)];
    if (!e.reached) {
        e.grad = g;
        e.reached = true;
    } else {
        e.grad += g;
    }
}

void Tape::backward(Node output)
{
    for (Entry &e : m_nodes) {
        e.reached = false;
        e.grad.resize(0);
    }
    accumulate(output, VectorD::Ones(m_nodes[size_t(output)].value.size()));
    for (int n = output; n >= 0; --n) {
        const Entry &e = m_nodes[size_t(n)];
        if (e.reached && e.back)
            e.back(*this, e);
    }
    for (Entry &e : m_nodes) // nodes nothing reached have a zero gradient
        if (!e.reached)
            e.grad = VectorD::Zero(e.value.size());
}

Tape::Node Tape::constant(VectorD value)
{
    return push(std::move(value), nullptr);
}

Tape::Node Tape::affine(const MatrixD &w, Node x, const VectorD *bias)
{
    VectorD y = w * value(x);
    if (bias)
        y += *bias;
    const MatrixD *weights = &w;
    return push(std::move(y), [weights, x](Tape &t, const Entry &e) { t.accumulate(x, weights->transpose() * e.grad); });
}

Tape::Node Tape::add(Node a, Node b)
{
    return push(value(a) + value(b), [a, b](Tape &t, const Entry &e) {
        t.accumulate(a, e.grad);
        t.accumulate(b, e.grad);
    });
}

Tape::Node Tape::sub(Node a, Node b)
{
    return push(value(a) - value(b), [a, b](Tape &t, const Entry &e) {
        t.accumulate(a, e.grad);
        t.accumulate(b, -e.grad);
    });
}

Tape::Node Tape::mul(Node a, Node b)
{
    return push(value(a).cwiseProduct(value(b)), [a, b](Tape &t, const Entry &e) {
        t.accumulate(a, e.grad.cwiseProduct(t.value(b)));
        t.accumulate(b, e.grad.cwiseProduct(t.value(a)));
    });
}

Tape::Node Tape::scale(Node a, double factor)
{
    return push(value(a) * factor, [a, factor](Tape &t, const Entry &e) { t.accumulate(a, e.grad * factor); });
}

Tape::Node Tape::scaleBy(Node vector, Node scalar)
{
    return push(value(vector) * value(scalar)[0], [vector, scalar](Tape &t, const Entry &e) {
        t.accumulate(vector, e.grad * t.value(scalar)[0]);
        t.accumulate(scalar, VectorD::Constant(1, e.grad.dot(t.value(vector))));
    });
}

template<typename F>
Tape::Node Tape::map(Node a, F f, std::function<VectorD(const VectorD &, const VectorD &)> derivative)
{
    // derivative(input, output): d output / d input, element-wise.
    return push(value(a).unaryExpr(f), [a, derivative](Tape &t, const Entry &e) {
        t.accumulate(a, e.grad.cwiseProduct(derivative(t.value(a), e.value)));
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
    const int total = int(value(a).size());
    return push(value(a).segment(offset, size), [a, offset, total](Tape &t, const Entry &e) {
        VectorD g = VectorD::Zero(total);
        g.segment(offset, e.grad.size()) = e.grad;
        t.accumulate(a, g);
    });
}

Tape::Node Tape::concat(Node a, Node b)
{
    const int na = int(value(a).size());
    VectorD y(na + value(b).size());
    y << value(a), value(b);
    return push(std::move(y), [a, b, na](Tape &t, const Entry &e) {
        t.accumulate(a, e.grad.head(na));
        t.accumulate(b, e.grad.tail(e.grad.size() - na));
    });
}

Tape::Node Tape::stack(const std::vector<Node> &scalars)
{
    VectorD y(Eigen::Index(scalars.size()));
    for (size_t i = 0; i < scalars.size(); ++i)
        y[Eigen::Index(i)] = value(scalars[i])[0];
    return push(std::move(y), [scalars](Tape &t, const Entry &e) {
        for (size_t i = 0; i < scalars.size(); ++i)
            t.accumulate(scalars[i], VectorD::Constant(1, e.grad[Eigen::Index(i)]));
    });
}

Tape::Node Tape::pick(Node a, int index)
{
    return slice(a, index, 1);
}

Tape::Node Tape::dot(Node a, Node b)
{
    return push(VectorD::Constant(1, value(a).dot(value(b))), [a, b](Tape &t, const Entry &e) {
        t.accumulate(a, t.value(b) * e.grad[0]);
        t.accumulate(b, t.value(a) * e.grad[0]);
    });
}

Tape::Node Tape::softmax(Node a)
{
    const VectorD &x = value(a);
    VectorD y = (x.array() - x.maxCoeff()).exp().matrix();
    y /= y.sum();
    return push(std::move(y), [a](Tape &t, const Entry &e) {
        // dx = y * (g - g . y)
        t.accumulate(a, (e.value.array() * (e.grad.array() - e.grad.dot(e.value))).matrix());
    });
}

Tape::Node Tape::logSoftmaxAt(Node logits, int index)
{
    const VectorD &x = value(logits);
    const double m = x.maxCoeff();
    const double logSum = m + std::log((x.array() - m).exp().sum());
    return push(VectorD::Constant(1, x[index] - logSum), [logits, index, logSum](Tape &t, const Entry &e) {
        VectorD g = -(t.value(logits).array() - logSum).exp().matrix() * e.grad[0];
        g[index] += e.grad[0];
        t.accumulate(logits, g);
    });
}

Tape::Node Tape::sum(const std::vector<Node> &vectors)
{
    VectorD y = value(vectors.front());
    for (size_t i = 1; i < vectors.size(); ++i)
        y += value(vectors[i]);
    return push(std::move(y), [vectors](Tape &t, const Entry &e) {
        for (Node v : vectors)
            t.accumulate(v, e.grad);
    });
}

} // namespace attnviz::detail
