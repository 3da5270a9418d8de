#include <attnviz/models/model.h>

#include "models/decoder.h"

namespace attnviz {
namespace {

std::unordered_map<std::string, int> indexOf(const std::vector<std::string> &vocab)
{
    std::unordered_map<std::string, int> index;
    index.reserve(vocab.size());
    for (size_t i = 0; i < vocab.size(); ++i)
        index.emplace(vocab[i], static_cast<int>(i));
    return index;
}

std::optional<int> lookUp(const std::unordered_map<std::string, int> &index, const std::string &word)
{
    const auto it = index.find(word);
    if (it == index.end())
        return std::nullopt;
    return it->second;
}

} // namespace

Model::Model(ModelFile file, std::string displayName)
    : m_file(std::move(file))
    , m_displayName(std::move(displayName))
    , m_sourceEmbedding(nullptr, 0, 0)
{
    validateModel(m_file, m_displayName);
    const Tensor &embedding = m_file.tensors.at("encoder.embedding.weight");
    // Eigen maps are re-seated with placement new (Eigen docs, "Changing the mapped array").
    new (&m_sourceEmbedding) MatrixView(embedding.values.data(), embedding.shape[0], embedding.shape[1]);
    m_encoderGru = gruView(m_file, "encoder.gru");
    m_decoder = Decoder::create(m_file);
    m_sourceIndex = indexOf(m_file.sourceVocab);
    m_targetIndex = indexOf(m_file.targetVocab);
    const ModelConfig &c = m_file.config;
    m_sos = *targetId(c.sosToken);
    m_sourceEos = *sourceId(c.eosToken);
    m_targetEos = *targetId(c.eosToken);
    if (c.unkToken) {
        m_sourceUnk = sourceId(*c.unkToken);
        m_targetUnk = targetId(*c.unkToken);
    }
}

Model::~Model() = default;

std::shared_ptr<const Model> Model::fromFile(const std::string &path)
{
    return std::make_shared<const Model>(loadModelFile(path), path);
}

std::optional<int> Model::sourceId(const std::string &word) const
{
    return lookUp(m_sourceIndex, word);
}

std::optional<int> Model::targetId(const std::string &word) const
{
    return lookUp(m_targetIndex, word);
}

int Model::attentionColumns(int sourceLength) const
{
    return config().architecture == Architecture::TutorialLegacy ? config().maxLength : sourceLength;
}

MatrixRM Model::encode(const std::vector<int> &sourceIds) const
{
    const int T = static_cast<int>(sourceIds.size());
    const int H = hiddenSize();
    MatrixRM embedded(T, H);
    for (int t = 0; t < T; ++t)
        embedded.row(t) = m_sourceEmbedding.row(sourceIds[t]);
    // The input projections of all time steps in one product; only W_hh h stays in the loop.
    MatrixRM gi(T, 3 * H);
    linearRows(embedded, m_encoderGru.inputToHidden, gi);
    MatrixRM outputs(T, H);
    const Vector zero = Vector::Zero(H);
    Vector gh(3 * H);
    for (int t = 0; t < T; ++t) {
        if (t == 0)
            gruStep(m_encoderGru, gi.row(t).transpose(), zero, outputs.row(t).transpose(), gh);
        else
            gruStep(m_encoderGru, gi.row(t).transpose(), outputs.row(t - 1).transpose(), outputs.row(t).transpose(), gh);
    }
    return outputs;
}

} // namespace attnviz
