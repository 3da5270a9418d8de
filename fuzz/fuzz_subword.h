// What the subword fuzz targets (and tst_fuzzcorpus, which replays their corpus) do with bytes.
// Anything but ModelError is a finding; so is a broken invariant (std::logic_error).
#pragma once

#include <attnviz/io/bpe.h>
#include <attnviz/io/model_file.h>
#include <attnviz/io/tokenizer.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

namespace attnviz::fuzz {

// The bytes as a codes file; codes that parse segment words into pieces that give the word
// back once the separators are removed.
inline void segmentWithCodes(std::string_view bytes)
{
    if (bytes.size() > 1 << 16)
        return;
    const BpeSegmenter bpe = BpeSegmenter::fromText(bytes, "fuzz.bpe");
    // The codes' own symbols make words the merges apply to.
    std::vector<std::string> words = {"lower", "newest", "\xc3\xa9t\xc3\xa9", "a", "ab\xff"};
    const size_t line = bytes.find('\n', bytes.find('\n') + 1);
    std::string word;
    for (const char c : bytes.substr(0, std::min<size_t>(line, 64)))
        word += c == ' ' || c == '\n' || c == '\r' || c == '\t' ? "" : std::string(1, c);
    if (!word.empty())
        words.push_back(word);
    for (const std::string &w : words) {
        const std::vector<std::string> pieces = bpe.segmentTokens({w});
        std::string joined;
        for (size_t i = 0; i < pieces.size(); ++i) {
            const std::string &piece = pieces[i];
            const bool last = i + 1 == pieces.size();
            if (!last && (piece.size() < 2 || piece.compare(piece.size() - 2, 2, "@@") != 0))
                throw std::logic_error("a piece but the last lacks the separator");
            joined += last ? piece : piece.substr(0, piece.size() - 2);
        }
        if (joined != w)
            throw std::logic_error("the pieces do not give the word back");
    }
}

// The bytes before the first NUL as a tokenizer record (JSON), the rest as text to encode;
// a record that parses builds both sides, encodes and decodes.
inline void tokenizeWithRecord(std::string_view bytes)
{
    if (bytes.size() > 1 << 20)
        return;
    const size_t split = std::min(bytes.find('\0'), bytes.size());
    const TokenizerRecord record = tokenizerRecordFromText(bytes.substr(0, split), "fuzz.json");
    const std::string text(bytes.substr(std::min(split + 1, bytes.size())));
    for (const TokenizerSide *side : {&record.source, &record.target}) {
        const Tokenizer tokenizer(*side, {"<unk>", "<s>", "</s>", "a", "b@@"}, {"<s>", "</s>", "<unk>"}, "<unk>",
                                  "fuzz.json: tokenizer");
        for (const std::string &sample : {text, std::string("Tom a vu l'\xc3\xa9t\xc3\xa9 1999..."), std::string()}) {
            const std::vector<std::string> pieces = tokenizer.encode(sample);
            tokenizer.decode(pieces);
        }
    }
    // What was read is written back the same.
    if (tokenizerRecordFromJson(tokenizerRecordToJson(record), "again.json") != record)
        throw std::logic_error("the record does not survive writing it back");
}

} // namespace attnviz::fuzz
