// A small reverse-mode tape over Eigen vectors, in double precision: the operations the
// family's forward pass is made of (affine maps, element-wise functions, slices, concatenation,
// dot products, softmax, the output layer's log-softmax), each recording how to pass a gradient back to its inputs.
// Used by the attribution methods (analysis/attribution.h); not a general autograd library.
//
// One backward pass carries many seeds at once (one per output step's log p_i): a node's
// gradient is a matrix whose column s is d seed_s / d node, so an affine map passes every seed
// back in one matrix product (W^T G) instead of one product per seed. A node keeps only the
// columns of the seeds that reach it (lo .. lo + width - 1): decoder step k is reached by the
// seeds of steps k and later, the encoder by all.
#pragma once

#include <Eigen/Core>

#include <functional>
#include <vector>

namespace attnviz::detail {

using VectorD = Eigen::VectorXd;
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using GradD = Eigen::MatrixXd; // a node's gradients, one column per seed
// A model's weight matrix where it lies in memory (row-major float): the tape reads it in place.
using WeightF = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

class Tape
{
public:
    using Node = int;

    Node constant(VectorD value);  // a node no gradient is passed into
    Node leaf(VectorD value);      // a node whose gradient is read after backward()

    Node affine(const WeightF &w, Node x, const VectorD *bias = nullptr); // W x (+ b); W's data outlives the tape
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
    // [log softmax(W x_i + b)[targets[i]] for each i]: the output layer of every step and its
    // log-softmax in one node, so that W is read once for all steps, forward and backward
    // (the logits feed nothing else). W and b outlive the tape.
    Node logSoftmaxPicks(const WeightF &w, const VectorD *bias, const std::vector<Node> &inputs, const std::vector<int> &targets);
    Node sum(const std::vector<Node> &vectors);

    const VectorD &value(Node n) const { return m_nodes[size_t(n)].value; }
    // d output[seed] / d leaf, after backward(output).
    VectorD gradient(Node leaf, int seed) const;
    int size() const { return int(m_nodes.size()); }

    // Passes d output[s] / d output[s] = 1 back through every node recorded before output, for
    // every entry s of output at once (seed s). Nodes that received nothing are skipped.
    void backward(Node output);

private:
    struct Entry
    {
        VectorD value;
        GradD grad;        // columns lo .. lo + grad.cols() - 1 of the seeds
        int lo = 0;
        bool reached = false, keep = false;
        // Adds this node's gradient to its inputs'; may move the gradient out (it is released after).
        std::function<void(Tape &, Entry &)> back;
    };
    Node push(VectorD value, std::function<void(Tape &, Entry &)> back);
    // Adds g (the seeds lo .. lo + g.cols() - 1) to rows offset .. offset + g.rows() - 1 of n's gradient.
    void accumulate(Node n, GradD g, int lo, Eigen::Index offset = 0);

    std::vector<Entry> m_nodes;
};

} // namespace attnviz::detail
