// The model's tensors in double precision, by their file names, for the attribution graphs
// (attribution.cpp: the RNN family, which reads the float matrices in place through weight();
// transformer_graph.cpp: transformers). A tensor is converted the first time a graph asks for
// it, and embedding tables are read a row at a time, so that a call converts only what its
// graph uses. One Weights serves one call on one thread.
#pragma once

#include <attnviz/models/model.h>

#include "analysis/attribution/tape.h"

#include <map>
#include <string>

namespace attnviz::detail {

class Weights
{
public:
    explicit Weights(const Model &model) : m_tensors(model.file().tensors) {}

    const MatrixD &matrix(const std::string &name) const
    {
        auto it = m_matrices.find(name);
        if (it == m_matrices.end()) {
            const Tensor &t = tensor(name, 2);
            it = m_matrices
                     .emplace(name, Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                                        t.values.data(), t.shape[0], t.shape[1])
                                        .cast<double>())
                     .first;
        }
        return it->second;
    }
    // A matrix where it lies, in float (the RNN family's tape reads it in place).
    WeightF weight(const std::string &name) const
    {
        const Tensor &t = tensor(name, 2);
        return WeightF(t.values.data(), Eigen::Index(t.shape[0]), Eigen::Index(t.shape[1]));
    }
    // Row `index` of a matrix, without converting the whole table (embeddings).
    VectorD row(const std::string &name, Eigen::Index index) const
    {
        const Tensor &t = tensor(name, 2);
        return Eigen::Map<const Eigen::VectorXf>(t.values.data() + index * t.shape[1], t.shape[1]).cast<double>();
    }
    Eigen::Index columns(const std::string &name) const { return Eigen::Index(tensor(name, 2).shape[1]); }
    const VectorD *bias(const std::string &name) const
    {
        const auto found = m_tensors.find(name);
        return found == m_tensors.end() || found->second.shape.size() != 1 ? nullptr : &vector(name);
    }
    const VectorD &vector(const std::string &name) const
    {
        auto it = m_vectors.find(name);
        if (it == m_vectors.end()) {
            const Tensor &t = tensor(name, 1);
            it = m_vectors.emplace(name, Eigen::Map<const Eigen::VectorXf>(t.values.data(), t.shape[0]).cast<double>()).first;
        }
        return it->second;
    }

private:
    const Tensor &tensor(const std::string &name, size_t rank) const
    {
        const Tensor &t = m_tensors.at(name);
        if (t.shape.size() != rank)
            throw std::out_of_range(name + " is not a rank-" + std::to_string(rank) + " tensor");
        return t;
    }

    const std::map<std::string, Tensor> &m_tensors;
    mutable std::map<std::string, MatrixD> m_matrices; // converted on first use
    mutable std::map<std::string, VectorD> m_vectors;
};

} // namespace attnviz::detail
