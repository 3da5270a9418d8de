#include <attnviz/models/model.h>

#include <attnviz/io/model_import.h>

#include "models/decoder.h"
#include "models/encoder.h"
#include "models/factory.h"
#include "models/transformer.h"

#include <stdexcept>

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
{
    validateModel(m_file, m_displayName);
    if (m_file.config.isTransformer()) {
        m_transformer = makeTransformer(m_file);
    } else {
        m_encoder = makeEncoder(m_file);
        m_decoder = makeDecoder(m_file);
    }
    m_sourceIndex = indexOf(m_file.sourceVocab);
    m_targetIndex = indexOf(m_file.targetVocab);
    const ModelConfig &c = m_file.config;
    m_sos = *targetId(c.sosToken);
    m_sourceEos = sourceId(c.eosToken).value_or(-1);
    m_targetEos = *targetId(c.eosToken);
    if (c.unkToken) {
        m_sourceUnk = sourceId(*c.unkToken);
        m_targetUnk = targetId(*c.unkToken);
    }
    for (const std::string &token : c.search.neverGenerate)
        m_neverGenerate.push_back(*targetId(token));
    for (const std::string &token : c.search.beamNeverGenerate)
        m_beamNeverGenerate.push_back(*targetId(token));
    m_tokenizers = makeTokenizers(m_file, m_displayName);
}

Model::~Model() = default;

std::shared_ptr<const Model> Model::fromFile(const std::string &path, WeightAccess access)
{
    ImportOptions options;
    options.access = access;
    return std::make_shared<const Model>(openModel(path, options).model, path);
}

std::optional<int> Model::sourceId(const std::string &word) const
{
    return lookUp(m_sourceIndex, word);
}

std::optional<int> Model::targetId(const std::string &word) const
{
    return lookUp(m_targetIndex, word);
}

int Model::decoderStateSize() const
{
    return m_decoder ? m_decoder->stateSize() : 0;
}

int Model::layers() const
{
    return m_transformer ? m_transformer->layers() : 0;
}

int Model::heads() const
{
    return m_transformer ? m_transformer->heads() : 0;
}

const Decoder &Model::decoder() const
{
    if (!m_decoder)
        throw std::logic_error("Model::decoder(): " + m_displayName + " is a transformer");
    return *m_decoder;
}

const Transformer &Model::transformer() const
{
    if (!m_transformer)
        throw std::logic_error("Model::transformer(): " + m_displayName + " is an RNN");
    return *m_transformer;
}

int Model::attentionColumns(int sourceLength) const
{
    return config().attention.score == Score::Location ? config().attention.locationSlots : sourceLength;
}

Encoding Model::encode(const std::vector<int> &sourceIds) const
{
    if (!m_encoder)
        throw std::logic_error("Model::encode(): " + m_displayName + " is a transformer");
    return m_encoder->encode(sourceIds);
}

Vector Model::initialDecoderState(const Encoding &encoding) const
{
    return decoder().initialState(encoding);
}

} // namespace attnviz
