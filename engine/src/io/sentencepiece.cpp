#include <attnviz/io/sentencepiece.h>

#include <attnviz/io/model_file.h>

#include "io/file_io.h"
#include "io/load_helpers.h"

#include <sentencepiece_processor.h>

namespace attnviz {

using detail::throwModelError;

struct SentencePieceSegmenter::Impl
{
    sentencepiece::SentencePieceProcessor processor;
    std::string serialized;
    std::string displayName;
};

SentencePieceSegmenter::SentencePieceSegmenter(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{ }

SentencePieceSegmenter::SentencePieceSegmenter(SentencePieceSegmenter &&) noexcept = default;
SentencePieceSegmenter &SentencePieceSegmenter::operator=(SentencePieceSegmenter &&) noexcept = default;
SentencePieceSegmenter::~SentencePieceSegmenter() = default;

SentencePieceSegmenter SentencePieceSegmenter::fromFile(const std::string &path)
{
    return fromSerialized(detail::readWholeFile(path), path);
}

SentencePieceSegmenter SentencePieceSegmenter::fromSerialized(std::string bytes, const std::string &displayName)
{
    if (bytes.size() > maxModelBytes)
        throwModelError(displayName, "a SentencePiece model of " + std::to_string(bytes.size())
                                         + " bytes is over the limit of " + std::to_string(maxModelBytes >> 20) + " MB");
    auto impl = std::make_unique<Impl>();
    impl->serialized = std::move(bytes);
    impl->displayName = displayName;
    const auto status = impl->processor.LoadFromSerializedProto(impl->serialized);
    if (!status.ok() || impl->processor.GetPieceSize() <= 0)
        throwModelError(displayName, "not a SentencePiece model (" + (status.ok() ? std::string("no pieces") : status.ToString()) + ")");
    return SentencePieceSegmenter(std::move(impl));
}

void SentencePieceSegmenter::setVocabulary(const std::vector<std::string> &pieces)
{
    if (pieces.empty()) {
        m_impl->processor.ResetVocabulary().IgnoreError();
        return;
    }
    const std::vector<std::string_view> views(pieces.begin(), pieces.end());
    const auto status = m_impl->processor.SetVocabulary(views);
    if (!status.ok())
        throwModelError(m_impl->displayName, "cannot restrict it to the vocabulary: " + status.ToString());
}

std::vector<std::string> SentencePieceSegmenter::encode(std::string_view text) const
{
    std::vector<std::string> pieces;
    const auto status = m_impl->processor.Encode(text, &pieces);
    if (!status.ok())
        throwModelError(m_impl->displayName, "cannot segment the text: " + status.ToString());
    return pieces;
}

std::string SentencePieceSegmenter::decode(const std::vector<std::string> &pieces) const
{
    std::string text;
    const auto status = m_impl->processor.Decode(pieces, &text);
    if (!status.ok())
        throwModelError(m_impl->displayName, "cannot join the pieces: " + status.ToString());
    return text;
}

const std::string &SentencePieceSegmenter::serialized() const
{
    return m_impl->serialized;
}

int SentencePieceSegmenter::pieceCount() const
{
    return m_impl->processor.GetPieceSize();
}

} // namespace attnviz
