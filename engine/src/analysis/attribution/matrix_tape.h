// A reverse-mode tape over whole matrices (rows = positions), in double precision: the
// operations a transformer's forced pass is made of, each node one matrix and one closure that
// passes its gradient back. Matrix-level nodes keep the tape short (a few dozen nodes for a
// model) and the work in Eigen's products. Used by the transformer attribution
// (transformer_graph.cpp); tape.h is the vector tape of the RNN family.
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
    Node leaf(MatrixD value) { return constant(std::move(value)); } // a node whose gradient is read

    // x W^T (+ b per row); W [out x in] and b outlive the tape.
    Node linear(Node x, const MatrixD &w, const VectorD *bias = nullptr);
    Node add(Node a, Node b);
    Node mul(Node a, Node b); // element-wise
    Node scale(Node a, double factor);
    // Per row: (x - mean) / sqrt(var + epsilon) * weight + bias (population variance, as torch).
    Node layerNorm(Node x, const VectorD &weight, const VectorD &bias, double epsilon);
    Node activate(Node x, FeedForwardActivation activation); // relu, gelu (erf), swish
    // Multi-head scaled dot-product attention: per head h, softmax(Q_h K_h^T / sqrt(d_h)) V_h,
    // heads side by side; causal: row i sees keys 0..i only.
    Node attention(Node q, Node k, Node v, int heads, bool causal);
    // [rows x 1]: log softmax(logits row i)[targets[i]].
    Node logSoftmaxPick(Node logits, const std::vector<int> &targets);

    const MatrixD &value(Node n) const { return m_nodes[size_t(n)].value; }
    const MatrixD &gradient(Node n) const { return m_nodes[size_t(n)].grad; }
    int size() const { return int(m_nodes.size()); }

    // d (seed . output) / d every node recorded before `output`; nodes nothing reached get zero.
    void backward(Node output, const MatrixD &seed);

private:
    struct Entry
    {
        MatrixD value, grad;
        bool reached = false;
        std::function<void(MatrixTape &, const Entry &)> back;
    };
    Node push(MatrixD value, std::function<void(MatrixTape &, const Entry &)> back);
    void accumulate(Node n, MatrixD g); // a temporary moves in

    std::vector<Entry> m_nodes;
};

} // namespace attnviz::detail
