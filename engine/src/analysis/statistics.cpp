#include <attnviz/analysis/statistics.h>

#include <attnviz/layers/linear.h>

namespace attnviz {

Vector softmaxAtTemperature(const Eigen::Ref<const Vector> &energies, double temperature)
{
    Vector out = energies / static_cast<float>(temperature);
    softmaxInPlace(out);
    return out;
}

std::vector<Contribution> contextContributions(const TranslationResult &result, const Hypothesis &hypothesis, int step)
{
    const Eigen::VectorXd c = hypothesis.contexts.row(step).transpose().cast<double>();
    const double cNorm = c.norm();
    std::vector<Contribution> out;
    for (int j = 0; j < result.sourceLength(); ++j) {
        const Eigen::VectorXd part =
            hypothesis.attention(step, j) * result.encoderOutputs.row(j).transpose().cast<double>();
        const double norm = part.norm();
        out.push_back({norm, norm > 0 && cNorm > 0 ? part.dot(c) / (norm * cNorm) : 0.0});
    }
    return out;
}

} // namespace attnviz
