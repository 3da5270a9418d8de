// A loaded model, ready to translate. Immutable after construction, so one Model may serve
// several threads at once (the GUI's worker and the batch exporter share it).
//
//     auto model = attnviz::Model::fromFile("sample_models/eng-fra-bahdanau.safetensors");
//     attnviz::TranslationResult r = attnviz::translate(*model, "I am cold.", {});
#pragma once

#include <attnviz/layers/linear.h>
#include <attnviz/io/model_file.h>

#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

namespace attnviz {

class Decoder;
class Encoder;
class Transformer;

// What the encoder makes of a source sentence.
struct Encoding
{
    MatrixRM annotations; // [T x A]: h_j, the top layer's outputs (directions concatenated or summed)
    // [Le D x He]: the final state of each layer and direction in PyTorch's h_n order (layer 0
    // forward, layer 0 backward, layer 1 forward, ...); cell states are zero for a GRU.
    MatrixRM finalHidden, finalCell;
};

class Model
{
public:
    // Validates the file (throws ModelError) and takes ownership of its weights: the views the
    // layers use point into them, so the weights are held once.
    explicit Model(ModelFile file, std::string displayName = "model");
    ~Model();
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;

    static std::shared_ptr<const Model> fromFile(const std::string &path, WeightAccess access = WeightAccess::Copy);

    const ModelFile &file() const { return m_file; }
    const ModelConfig &config() const { return m_file.config; }
    const std::string &displayName() const { return m_displayName; }
    // The size of an annotation h_j and of a context c_i.
    int annotationSize() const { return m_file.config.annotationSize(); }
    // The decoder's state per hypothesis (docs/architecture.md): every layer's hidden and cell
    // states and the fed-back attentional vector.
    int decoderStateSize() const;
    int sourceVocabSize() const { return static_cast<int>(m_file.sourceVocab.size()); }
    int targetVocabSize() const { return static_cast<int>(m_file.targetVocab.size()); }
    const std::string &sourceWord(int id) const { return m_file.sourceVocab[id]; }
    const std::string &targetWord(int id) const { return m_file.targetVocab[id]; }
    std::optional<int> sourceId(const std::string &word) const;
    std::optional<int> targetId(const std::string &word) const;
    int sosId() const { return m_sos; }
    // The source's EOS; only appended when config().sourceEos.
    int sourceEosId() const { return m_sourceEos; }
    int targetEosId() const { return m_targetEos; }
    std::optional<int> sourceUnkId() const { return m_sourceUnk; }
    std::optional<int> targetUnkId() const { return m_targetUnk; }
    // config().search.neverGenerate as target ids.
    const std::vector<int> &neverGenerateIds() const { return m_neverGenerate; }
    // config().search.beamNeverGenerate as target ids.
    const std::vector<int> &beamNeverGenerateIds() const { return m_beamNeverGenerate; }
    // Attention columns for a source of T positions: T, or the slots of the location score.
    int attentionColumns(int sourceLength) const;

    bool isTransformer() const { return m_file.config.isTransformer(); }
    // The decoder layers and heads of a transformer; 0 for an RNN.
    int layers() const;
    int heads() const;

    // RNNs only (std::logic_error for a transformer; translate() takes both):
    // the annotations and final states for source ids (EOS included by the caller when framed).
    Encoding encode(const std::vector<int> &sourceIds) const;
    // The decoder's state before the first step [S].
    Vector initialDecoderState(const Encoding &encoding) const;
    const Decoder &decoder() const;
    // Transformers only (std::logic_error for an RNN).
    const Transformer &transformer() const;

    // The model file's tokenizer of each side; null for a word-level model (no record), whose
    // text is split by config().normalization.
    const Tokenizer *sourceTokenizer() const { return m_tokenizers.source ? &*m_tokenizers.source : nullptr; }
    const Tokenizer *targetTokenizer() const { return m_tokenizers.target ? &*m_tokenizers.target : nullptr; }

private:
    ModelFile m_file;
    std::string m_displayName;
    std::unique_ptr<Encoder> m_encoder;
    std::unique_ptr<Decoder> m_decoder;
    std::unique_ptr<Transformer> m_transformer;
    std::unordered_map<std::string, int> m_sourceIndex, m_targetIndex;
    int m_sos = 0, m_sourceEos = 0, m_targetEos = 0;
    std::optional<int> m_sourceUnk, m_targetUnk;
    std::vector<int> m_neverGenerate, m_beamNeverGenerate;
    ModelTokenizers m_tokenizers;
};

} // namespace attnviz
