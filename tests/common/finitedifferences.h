// Central finite differences of the attribution tape's own forward against its reverse mode
// (tst_attribution: the RNN family; tst_transformer_attribution: transformers).
#pragma once

#include <attnviz/analysis/attribution.h>
#include <attnviz/models/model.h>

#include <QString>

#include <cmath>
#include <vector>

namespace attnviz::test {

// Perturbs each source position's embedding coordinates 0, stride, 2 stride, ... below `count`
// by +-1e-5; the first disagreement beyond 1e-6 (relative above 1), or an empty string.
inline QString finiteDifferenceError(const Model &model, const std::vector<int> &source, const std::vector<int> &target,
                                     Eigen::Index count, Eigen::Index stride)
{
    const SourceGradients g = sourceGradients(model, source, target);
    Eigen::MatrixXd rows(Eigen::Index(source.size()), g.gradients[0].cols());
    const auto &table = model.file().tensors.at("encoder.embedding.weight");
    for (size_t j = 0; j < source.size(); ++j)
        for (Eigen::Index k = 0; k < rows.cols(); ++k)
            rows(Eigen::Index(j), k) = table.values[size_t(source[j]) * size_t(rows.cols()) + size_t(k)];
    const double h = 1e-5;
    for (Eigen::Index j = 0; j < rows.rows(); ++j)
        for (Eigen::Index k = 0; k < std::min(rows.cols(), count); k += stride) {
            Eigen::MatrixXd plus = rows, minus = rows;
            plus(j, k) += h;
            minus(j, k) -= h;
            const SourceGradients up = sourceGradients(model, source, target, &plus, false);
            const SourceGradients down = sourceGradients(model, source, target, &minus, false);
            for (size_t i = 0; i < target.size(); ++i) {
                const double numeric = (up.logProbs[i] - down.logProbs[i]) / (2 * h);
                if (!(std::abs(numeric - g.gradients[i](j, k)) < 1e-6 * std::max(1.0, std::abs(numeric))))
                    return QStringLiteral("step %1, source %2, dim %3: %4 numeric, %5 reverse")
                        .arg(i)
                        .arg(j)
                        .arg(k)
                        .arg(numeric)
                        .arg(g.gradients[i](j, k));
            }
        }
    return {};
}

} // namespace attnviz::test
