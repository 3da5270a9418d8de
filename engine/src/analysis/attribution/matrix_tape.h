// A reverse-mode tape over whole matrices (rows = positions), in double precision: the
// operations a transformer's forced pass is made of, each node one matrix and one closure that
// passes its gradient back. Matrix-level nodes keep the tape short (a few dozen nodes for a
// model) and the work in Eigen's products. Used by the transformer attribution
// (transformer_graph.cpp); tape.h is the vector tape of the RNN family.
//
// One backward pass carries S seeds at once (the output steps' log p_i): a node of value
// [R x C] has the gradient [S R x C], seed s in rows s R .. s R + R - 1, so the products of a
// linear map are one matrix product for all seeds rather than S small ones.
#pragma once

#include <attnviz/io/model_config.h>

#include "analysis/attribution/tape.h"

#include <functional>
#include <vector>

namespace attnviz::detail {

class MatrixTape
{
public:
    using Node = int;

    Node constant(MatrixD value);
    Node leaf(MatrixD value); // a node whose gradient is read (kept after the backward pass)

    // x W^T (+ b per row); W [out x in] (read in place, see products.h) and b outlive the tape.
    Node linear(Node x, const WeightF &w, const VectorD *bias = nullptr);
    Node add(Node a, Node b);
    Node mul(Node a, Node b); // element-wise
    Node scale(Node a, double factor);
    // Per row: (x - mean) / sqrt(var + epsilon) * weight + bias (population variance, as torch).
    Node layerNorm(Node x, const VectorD &weight, const VectorD &bias, double epsilon);
    Node activate(Node x, FeedForwardActivation activation); // relu, gelu (erf), swish
    // Multi-head scaled dot-product attention: per head h, softmax(Q_h K_h^T / sqrt(d_h)) V_h,
    // heads side by side; causal: row i sees keys 0..i only.
    Node attention(Node q, Node k, Node v, int heads, bool causal);
    // [rows x 1]: log softmax(x W^T + b)[targets[i]] per row i: the output layer and its
    // log-softmax in one node, which never holds a gradient over the whole vocabulary.
    Node logSoftmaxPick(Node x, const WeightF &w, const VectorD *bias, const std::vector<int> &targets);

    const MatrixD &value(Node n) const { return m_nodes[size_t(n)].value; }
    // A leaf's gradient after backward: [S rows x cols], seed s in its s-th block of rows.
    const MatrixD &gradient(Node n) const { return m_nodes[size_t(n)].grad; }
    int size() const { return int(m_nodes.size()); }

    // d (seed_s . output) / d every leaf, for the S = seeds.rows() / output rows seeds at once.
    // Gradients of inner nodes are released as soon as they are passed on.
    void backward(Node output, const MatrixD &seeds);

private:
    struct Entry
    {
        MatrixD value, grad;
        bool reached = false, keep = false;
        std::function<void(MatrixTape &, const Entry &)> back;
    };
    Node push(MatrixD value, std::function<void(MatrixTape &, const Entry &)> back);
    void accumulate(Node n, MatrixD g); // a temporary moves in
    int seeds() const { return m_seeds; }

    std::vector<Entry> m_nodes;
    int m_seeds = 1;
};

} // namespace attnviz::detail
