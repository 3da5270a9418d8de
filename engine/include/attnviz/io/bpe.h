// Byte-pair encoding as subword-nmt's apply_bpe.py applies it (codes versions 0.1 and 0.2), so
// that a typed sentence reaches a BPE model as the pieces it was trained on.
//
//     #include <attnviz/io/bpe.h>
//
//     attnviz::BpeSegmenter bpe = attnviz::BpeSegmenter::fromFile("codes.bpe");
//     bpe.segmentTokens({"iron", "cement"});          // {"ir@@", "on", "c@@", "ement"}
//     bpe.setVocabulary(attnviz::readBpeVocabulary("vocab.en", 50)); // Joey's restriction
//
// What is reproduced, and how it is checked against subword-nmt's own reference: docs/subword.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace attnviz {

struct BpeOptions
{
    std::string separator = "@@";         // appended to every piece but a word's last
    int merges = -1;                      // use only the first N merges; -1: all
    std::vector<std::string> glossaries;  // words (ECMAScript regular expressions) never split
};

class BpeSegmenter
{
public:
    // Throws ModelError "<path>: line N: ..." for a line that is not two symbols, an unknown
    // version or byte-level codes.
    static BpeSegmenter fromFile(const std::string &codesPath, BpeOptions options = {});
    static BpeSegmenter fromText(std::string_view codes, const std::string &displayName, BpeOptions options = {});

    // Only pieces in the vocabulary are produced (a piece with the separator for non-final
    // pieces); the others are split back along their merges. Empty: no restriction, as in
    // subword-nmt.
    void setVocabulary(std::unordered_set<std::string> vocabulary) { m_vocabulary = std::move(vocabulary); }

    // Each word becomes one or more pieces; empty words are dropped.
    std::vector<std::string> segmentTokens(const std::vector<std::string> &words) const;
    // A line as apply_bpe.py writes it: split on spaces, pieces joined by one space, the
    // leading and trailing spaces and line break kept.
    std::string processLine(std::string_view line) const;

    std::pair<int, int> version() const { return m_version; } // {0, 2}
    size_t mergeCount() const { return m_ranks.size(); }
    const BpeOptions &options() const { return m_options; }

private:
    BpeSegmenter() = default;
    std::vector<std::string> isolateGlossaries(const std::string &word) const;
    std::vector<std::string> encode(const std::string &word) const;
    std::vector<std::string> restrictToVocabulary(const std::vector<std::string> &pieces) const;
    void splitBack(const std::string &piece, bool final, std::vector<std::string> &out) const;

    BpeOptions m_options;
    std::pair<int, int> m_version {0, 1};
    std::unordered_map<std::string, int> m_ranks; // "left right" -> merge index
    std::unordered_map<std::string, std::pair<std::string, std::string>> m_unmerge; // "leftright" -> pair
    std::unordered_set<std::string> m_vocabulary;
};

// A vocabulary file of subword-nmt's get_vocab.py: "piece count" per line. With a threshold,
// only the pieces seen at least that often. Throws ModelError naming the file and line.
std::unordered_set<std::string> readBpeVocabulary(const std::string &path, std::optional<int> threshold = {});
std::unordered_set<std::string> parseBpeVocabulary(std::string_view text, const std::string &displayName,
                                                   std::optional<int> threshold = {});

} // namespace attnviz
