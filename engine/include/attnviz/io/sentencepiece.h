// SentencePiece segmentation through Debian's libsentencepiece, the library the toolkits call,
// so that a typed sentence becomes the pieces the model was trained on.
//
//     #include <attnviz/io/sentencepiece.h>
//
//     attnviz::SentencePieceSegmenter spm = attnviz::SentencePieceSegmenter::fromFile("source.spm");
//     spm.setVocabulary(joeyVocabulary);       // as Joey NMT's set_vocab: only these pieces
//     spm.encode("Tom a vu l'été.");            // {"▁Tom", "▁a", "▁vu", "▁l", "'", "été", "."}
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz {

class SentencePieceSegmenter
{
public:
    static constexpr size_t maxModelBytes = 64u << 20;

    // Throws ModelError "<path>: ..." when the file is not a SentencePiece model.
    static SentencePieceSegmenter fromFile(const std::string &path);
    static SentencePieceSegmenter fromSerialized(std::string bytes, const std::string &displayName);

    SentencePieceSegmenter(SentencePieceSegmenter &&) noexcept;
    SentencePieceSegmenter &operator=(SentencePieceSegmenter &&) noexcept;
    ~SentencePieceSegmenter();

    // Only these pieces (and single characters) are produced, as SentencePieceProcessor::
    // SetVocabulary; empty: every piece of the model.
    void setVocabulary(const std::vector<std::string> &pieces);

    std::vector<std::string> encode(std::string_view text) const;
    std::string decode(const std::vector<std::string> &pieces) const;

    const std::string &serialized() const; // the model file's bytes, to embed in a model
    int pieceCount() const;

private:
    struct Impl;
    explicit SentencePieceSegmenter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace attnviz
