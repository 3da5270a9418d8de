// The model's tensors in double precision, by their file names, for the attribution graphs
// (attribution.cpp: the RNN family; transformer_graph.cpp: transformers).
#pragma once

#include <attnviz/models/model.h>

#include "analysis/attribution/tape.h"

#include <map>
#include <string>

namespace attnviz::detail {

class Weights
{
public:
    explicit Weights(const Model &model)
    {
        for (const auto &[name, tensor] : model.file().tensors) {
            const float *data = tensor.values.data();
            if (tensor.shape.size() == 2) {
                m_matrices.emplace(name, Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                                             data, tensor.shape[0], tensor.shape[1])
                                             .cast<double>());
            } else if (tensor.shape.size() == 1) {
                m_vectors.emplace(name, Eigen::Map<const Eigen::VectorXf>(data, tensor.shape[0]).cast<double>());
            }
        }
    }

    const MatrixD &matrix(const std::string &name) const { return m_matrices.at(name); }
    const VectorD *bias(const std::string &name) const
    {
        const auto it = m_vectors.find(name);
        return it == m_vectors.end() ? nullptr : &it->second;
    }
    const VectorD &vector(const std::string &name) const { return m_vectors.at(name); }

private:
    std::map<std::string, MatrixD> m_matrices;
    std::map<std::string, VectorD> m_vectors;
};

} // namespace attnviz::detail
