#include <attnviz/layers/attention.h>

#include <vector>

namespace attnviz {

void Scorer::prepare(const Eigen::Ref<const MatrixRM> &, int, ScorerWorkspace &) const {}

namespace {

// The matrix [rows x cols] as the weight of a linear layer without bias: x M^T.
LinearView asWeight(const Eigen::Ref<const MatrixRM> &m)
{
    return {m.data(), nullptr, static_cast<int>(m.rows()), static_cast<int>(m.cols())};
}

class DotScorer : public Scorer
{
public:
    void score(const Eigen::Ref<const MatrixRM> &queries, const Eigen::Ref<const MatrixRM> &,
               const Eigen::Ref<const MatrixRM> &annotations, ScorerWorkspace &,
               Eigen::Ref<MatrixRM> energies) const override
    {
        // e = q h_j^T: the annotations [T x A] play the weight of a linear layer.
        linearRows(queries, asWeight(annotations), energies);
    }
};

class GeneralScorer : public Scorer
{
public:
    explicit GeneralScorer(LinearView w)
        : m_w(w)
    {
    }

    void prepare(const Eigen::Ref<const MatrixRM> &, int rows, ScorerWorkspace &ws) const override
    {
        ws.projected.resize(rows, m_w.outFeatures);
    }

    void score(const Eigen::Ref<const MatrixRM> &queries, const Eigen::Ref<const MatrixRM> &,
               const Eigen::Ref<const MatrixRM> &annotations, ScorerWorkspace &ws,
               Eigen::Ref<MatrixRM> energies) const override
    {
        auto projected = ws.projected.topRows(queries.rows());
        linearRows(queries, m_w, projected);
        linearRows(projected, asWeight(annotations), energies);
    }

private:
    LinearView m_w;
};

class BilinearScorer : public Scorer
{
public:
    explicit BilinearScorer(LinearView w)
        : m_w(w)
    {
    }

    void prepare(const Eigen::Ref<const MatrixRM> &annotations, int, ScorerWorkspace &ws) const override
    {
        ws.keys.resize(annotations.rows(), m_w.outFeatures);
        linearRows(annotations, m_w, ws.keys);
    }

    void score(const Eigen::Ref<const MatrixRM> &queries, const Eigen::Ref<const MatrixRM> &,
               const Eigen::Ref<const MatrixRM> &, ScorerWorkspace &ws, Eigen::Ref<MatrixRM> energies) const override
    {
        linearRows(queries, asWeight(ws.keys), energies);
    }

private:
    LinearView m_w;
};

// v . tanh(Q q + K h_j) + b_v with the keys K h_j + b_k computed once per sentence.
class AdditiveScorer : public Scorer
{
public:
    AdditiveScorer(LinearView query, LinearView key, LinearView energy)
        : m_query(query)
        , m_key(key)
        , m_energy(energy)
    {
    }

    void prepare(const Eigen::Ref<const MatrixRM> &annotations, int rows, ScorerWorkspace &ws) const override
    {
        ws.keys.resize(annotations.rows(), m_key.outFeatures);
        linearRows(annotations, m_key, ws.keys);
        ws.hidden.resize(ws.keys.rows(), ws.keys.cols());
        ws.projected.resize(rows, m_query.outFeatures);
    }

    void score(const Eigen::Ref<const MatrixRM> &queries, const Eigen::Ref<const MatrixRM> &,
               const Eigen::Ref<const MatrixRM> &, ScorerWorkspace &ws, Eigen::Ref<MatrixRM> energies) const override
    {
        const auto K = queries.rows(), T = ws.keys.rows();
        auto projected = ws.projected.topRows(K);
        linearRows(queries, m_query, projected);
        for (Eigen::Index k = 0; k < K; ++k) {
            // In two passes: tanh of the broadcast sum in one expression is not vectorized.
            ws.hidden.noalias() = ws.keys.rowwise() + projected.row(k);
            tanhInPlace(ws.hidden.data(), ws.hidden.size());
            // e_k = v tanh(...): the hidden rows [T x Da] play the weight of a linear layer.
            linearRows(m_energy.weight(), asWeight(ws.hidden), energies.row(k).head(T));
        }
        if (m_energy.biasData)
            energies.leftCols(T).array() += m_energy.biasData[0];
    }

protected:
    LinearView m_query, m_key, m_energy;
};

// W [q; h] + b = W_q q + (W_h h + b): the additive scorer, with W's two halves copied out so that
// each is a contiguous weight.
class ConcatScorer : public AdditiveScorer
{
public:
    ConcatScorer(LinearView w, int querySize, LinearView energy)
        : AdditiveScorer({}, {}, energy)
        , m_queryHalf(w.columns(0, querySize))
        , m_keyHalf(w.columns(querySize, w.inFeatures - querySize))
    {
        m_query = {m_queryHalf.data(), nullptr, w.outFeatures, querySize};
        m_key = {m_keyHalf.data(), w.biasData, w.outFeatures, w.inFeatures - querySize};
    }

private:
    MatrixRM m_queryHalf, m_keyHalf;
};

class LocationScorer : public Scorer
{
public:
    explicit LocationScorer(LinearView w)
        : m_w(w)
    {
    }

    void prepare(const Eigen::Ref<const MatrixRM> &, int rows, ScorerWorkspace &ws) const override
    {
        ws.concat.resize(rows, m_w.inFeatures);
    }

    void score(const Eigen::Ref<const MatrixRM> &queries, const Eigen::Ref<const MatrixRM> &embedded,
               const Eigen::Ref<const MatrixRM> &, ScorerWorkspace &ws, Eigen::Ref<MatrixRM> energies) const override
    {
        auto concat = ws.concat.topRows(queries.rows());
        concat.leftCols(embedded.cols()) = embedded;
        concat.rightCols(queries.cols()) = queries;
        linearRows(concat, m_w, energies);
    }

private:
    LinearView m_w;
};

} // namespace

std::unique_ptr<Scorer> makeDotScorer()
{
    return std::make_unique<DotScorer>();
}

std::unique_ptr<Scorer> makeGeneralScorer(LinearView w)
{
    return std::make_unique<GeneralScorer>(w);
}

std::unique_ptr<Scorer> makeBilinearScorer(LinearView w)
{
    return std::make_unique<BilinearScorer>(w);
}

std::unique_ptr<Scorer> makeAdditiveScorer(LinearView query, LinearView key, LinearView energy)
{
    return std::make_unique<AdditiveScorer>(query, key, energy);
}

std::unique_ptr<Scorer> makeConcatScorer(LinearView w, int querySize, LinearView energy)
{
    return std::make_unique<ConcatScorer>(w, querySize, energy);
}

std::unique_ptr<Scorer> makeLocationScorer(LinearView w)
{
    return std::make_unique<LocationScorer>(w);
}

} // namespace attnviz
