// A small reverse-mode tape over Eigen vectors, in double precision: the operations the
// family's forward pass is made of (affine maps, element-wise functions, slices, concatenation,
// dot products, softmax, log-softmax), each recording how to pass a gradient back to its inputs.
// Used by the attribution methods (analysis/attribution.h); not a general autograd library.
#pragma once

#include <Eigen/Core>

#include <functional>
#include <vector>

namespace attnviz::detail {

using VectorD = Eigen::VectorXd;
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class Tape
{
public:
    using Node = int;

    Node constant(VectorD value);
    Node leaf(VectorD value) { return constant(std::move(value)); } // a node whose gradient is read

    Node affine(const MatrixD &w, Node x, const VectorD *bias = nullptr); // W x (+ b); W outlives the tape
    Node add(Node a, Node b);
    Node sub(Node a, Node b);
    Node mul(Node a, Node b);                  // element-wise
    Node scale(Node a, double factor);
    Node scaleBy(Node vector, Node scalar);    // vector * scalar (a 1-vector)
    Node tanh(Node a);
    Node sigmoid(Node a);
    Node relu(Node a);
    Node slice(Node a, int offset, int size);
    Node concat(Node a, Node b);
    Node stack(const std::vector<Node> &scalars); // 1-vectors into one vector
    Node pick(Node a, int index);                 // one entry as a 1-vector
    Node dot(Node a, Node b);                     // a 1-vector
    Node softmax(Node a);
    Node logSoftmaxAt(Node logits, int index); // log softmax(logits)[index], a 1-vector
    Node sum(const std::vector<Node> &vectors);

    const VectorD &value(Node n) const { return m_nodes[size_t(n)].value; }
    const VectorD &gradient(Node n) const { return m_nodes[size_t(n)].grad; }
    int size() const { return int(m_nodes.size()); }

    // Clears every gradient, sets d output / d output = 1 and passes it back through every node
    // recorded before `output`. Nodes that received nothing are skipped.
    void backward(Node output);

private:
    struct Entry
    {
        VectorD value, grad;
        bool reached = false;
        std::function<void(Tape &, const Entry &)> back; // adds this node's gradient to its inputs'
    };
    Node push(VectorD value, std::function<void(Tape &, const Entry &)> back);
    void accumulate(Node n, const VectorD &g);
    template<typename F>
    Node map(Node a, F f, std::function<VectorD(const VectorD &, const VectorD &)> derivative);

    std::vector<Entry> m_nodes;
};

} // namespace attnviz::detail
