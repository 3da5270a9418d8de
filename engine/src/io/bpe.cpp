#include <attnviz/io/bpe.h>

#include <attnviz/io/model_file.h>

#include "io/file_io.h"
#include "io/load_helpers.h"

#include <algorithm>
#include <climits>
#include <regex>

namespace attnviz {

using detail::throwModelError;

namespace {

constexpr std::string_view endOfWord = "</w>";

// apply_bpe.py strips these around lines and code lines.
bool isStripped(char c)
{
    return c == '\r' || c == '\n' || c == ' ';
}

std::string_view strip(std::string_view text)
{
    while (!text.empty() && isStripped(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isStripped(text.back()))
        text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> split(std::string_view text, char separator)
{
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == separator) {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

// The characters of a UTF-8 word, as Python's str sees them; a byte that starts no valid
// sequence is a character of its own.
std::vector<std::string> characters(std::string_view word)
{
    std::vector<std::string> out;
    size_t i = 0;
    while (i < word.size()) {
        const auto lead = static_cast<unsigned char>(word[i]);
        size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 1;
        if (i + length > word.size())
            length = 1;
        for (size_t k = 1; k < length; ++k) {
            if ((static_cast<unsigned char>(word[i + k]) & 0xc0) != 0x80) {
                length = 1;
                break;
            }
        }
        out.emplace_back(word.substr(i, length));
        i += length;
    }
    return out;
}

std::string pairKey(const std::string &left, const std::string &right)
{
    return left + ' ' + right; // symbols never hold a space: lines are split on them
}

bool endsWith(const std::string &text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Python's text[:-4]: the last four characters dropped.
std::string dropLastCharacters(const std::string &text, size_t count)
{
    std::vector<std::string> chars = characters(text);
    chars.resize(chars.size() > count ? chars.size() - count : 0);
    std::string out;
    for (const std::string &c : chars)
        out += c;
    return out;
}

std::pair<int, int> parseVersion(std::string_view line, const std::string &displayName)
{
    // "#version: 0.2" (trailing ".0"s do not count: "0.2.0" is 0.2).
    std::string_view text = strip(line.substr(line.find(':') + 1));
    if (text.find(' ') != std::string_view::npos)
        text = text.substr(text.rfind(' ') + 1);
    if (text == "byte")
        throwModelError(displayName, "line 1: byte-level BPE codes are not supported (only 0.1 and 0.2 text codes)");
    std::vector<int> numbers;
    for (std::string_view part : split(text, '.')) {
        if (part.empty() || part.size() > 6 || !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throwModelError(displayName, "line 1: '" + std::string(line) + "' is not a version like '#version: 0.2'");
        numbers.push_back(std::stoi(std::string(part)));
    }
    while (numbers.size() > 1 && numbers.back() == 0)
        numbers.pop_back();
    if (numbers.size() != 2 || numbers[0] != 0 || (numbers[1] != 1 && numbers[1] != 2))
        throwModelError(displayName, "line 1: BPE codes version '" + std::string(text)
                                         + "' is not supported (subword-nmt's 0.1 and 0.2 are)");
    return {numbers[0], numbers[1]};
}

} // namespace

BpeSegmenter BpeSegmenter::fromFile(const std::string &codesPath, BpeOptions options)
{
    return fromText(detail::readWholeFile(codesPath), codesPath, std::move(options));
}

BpeSegmenter BpeSegmenter::fromText(std::string_view codes, const std::string &displayName, BpeOptions options)
{
    BpeSegmenter bpe;
    bpe.m_options = std::move(options);
    for (const std::string &glossary : bpe.m_options.glossaries) {
        try {
            std::regex pattern(glossary);
        } catch (const std::regex_error &error) {
            throwModelError(displayName, "glossary '" + glossary + "' is not a regular expression: " + error.what());
        }
    }
    int lineNumber = 1;
    if (codes.substr(0, 9) == "#version:") {
        const size_t end = std::min(codes.find('\n'), codes.size());
        bpe.m_version = parseVersion(codes.substr(0, end), displayName);
        codes.remove_prefix(std::min(end + 1, codes.size()));
        lineNumber = 2;
    }
    while (!codes.empty() && codes.back() == '\n')
        codes.remove_suffix(1);
    std::vector<std::pair<std::string, std::string>> merges;
    for (std::string_view line : split(codes, '\n')) {
        if (bpe.m_options.merges >= 0 && static_cast<int>(merges.size()) >= bpe.m_options.merges)
            break;
        const std::vector<std::string_view> symbols = split(strip(line), ' ');
        if (symbols.size() != 2)
            throwModelError(displayName, "line " + std::to_string(lineNumber) + ": '" + std::string(strip(line))
                                             + "' is not two symbols separated by a space");
        if (merges.size() == INT_MAX)
            throwModelError(displayName, "more than " + std::to_string(INT_MAX) + " merges");
        merges.emplace_back(symbols[0], symbols[1]);
        ++lineNumber;
    }
    // The first occurrence of a pair gives its rank. Reversing a merge ("lowuest" -> "low" +
    // "est") uses, of the pairs that make the same string, the one whose last occurrence comes
    // first, as subword-nmt's dictionary of reversed codes ends up holding.
    std::unordered_set<std::string> seen;
    for (int i = static_cast<int>(merges.size()); i-- > 0;) {
        const std::string key = pairKey(merges[i].first, merges[i].second);
        bpe.m_ranks[key] = i;
        if (seen.insert(key).second)
            bpe.m_unmerge[merges[i].first + merges[i].second] = merges[i];
    }
    return bpe;
}

std::vector<std::string> BpeSegmenter::isolateGlossaries(const std::string &word) const
{
    std::vector<std::string> segments {word};
    for (const std::string &glossary : m_options.glossaries) {
        const std::regex pattern(glossary);
        std::vector<std::string> next;
        for (const std::string &segment : segments) {
            if (std::regex_match(segment, pattern) || !std::regex_search(segment, pattern)) {
                next.push_back(segment);
                continue;
            }
            // Python's re.split with the pattern captured: the text between matches and each
            // match, empty pieces dropped, the text after the last match stripped.
            auto it = std::sregex_iterator(segment.begin(), segment.end(), pattern);
            size_t position = 0;
            for (; it != std::sregex_iterator(); ++it) {
                const std::smatch &match = *it;
                const auto start = static_cast<size_t>(match.position(0));
                if (start > position)
                    next.push_back(segment.substr(position, start - position));
                if (match.length(0) > 0)
                    next.push_back(match.str(0));
                position = start + static_cast<size_t>(match.length(0));
            }
            // subword-nmt keeps an ending that strips to nothing ("a\r" with the glossary "a")
            // and then fails on it (IndexError in encode); it is dropped here.
            const std::string ending(strip(std::string_view(segment).substr(position)));
            if (!ending.empty())
                next.push_back(ending);
        }
        segments = std::move(next);
    }
    return segments;
}

std::vector<std::string> BpeSegmenter::encode(const std::string &word) const
{
    for (const std::string &glossary : m_options.glossaries) {
        if (std::regex_match(word, std::regex(glossary)))
            return {word};
    }
    std::vector<std::string> symbols = characters(word);
    if (symbols.empty())
        return {};
    if (symbols.size() == 1)
        return symbols; // as subword-nmt: not checked against the vocabulary either
    if (m_version.second == 1)
        symbols.emplace_back(endOfWord);
    else
        symbols.back() += endOfWord;

    while (symbols.size() > 1) {
        int best = INT_MAX;
        for (size_t i = 0; i + 1 < symbols.size(); ++i) {
            const auto it = m_ranks.find(pairKey(symbols[i], symbols[i + 1]));
            if (it != m_ranks.end())
                best = std::min(best, it->second);
        }
        if (best == INT_MAX)
            break;
        // Every occurrence of the best pair, left to right, not overlapping.
        std::vector<std::string> merged;
        for (size_t i = 0; i < symbols.size(); ++i) {
            if (i + 1 < symbols.size()) {
                const auto it = m_ranks.find(pairKey(symbols[i], symbols[i + 1]));
                if (it != m_ranks.end() && it->second == best) {
                    merged.push_back(symbols[i] + symbols[i + 1]);
                    ++i;
                    continue;
                }
            }
            merged.push_back(symbols[i]);
        }
        symbols = std::move(merged);
    }
    if (symbols.back() == endOfWord)
        symbols.pop_back();
    else if (endsWith(symbols.back(), endOfWord))
        symbols.back().resize(symbols.back().size() - endOfWord.size());
    return m_vocabulary.empty() ? symbols : restrictToVocabulary(symbols);
}

void BpeSegmenter::splitBack(const std::string &piece, bool final, std::vector<std::string> &out) const
{
    const auto it = m_unmerge.find(final ? piece + std::string(endOfWord) : piece);
    if (it == m_unmerge.end()) {
        out.push_back(piece);
        return;
    }
    const std::string &left = it->second.first;
    const std::string right = final ? dropLastCharacters(it->second.second, endOfWord.size()) : it->second.second;
    if (m_vocabulary.count(left + m_options.separator))
        out.push_back(left);
    else
        splitBack(left, false, out);
    if (m_vocabulary.count(final ? right : right + m_options.separator))
        out.push_back(right);
    else
        splitBack(right, final, out);
}

std::vector<std::string> BpeSegmenter::restrictToVocabulary(const std::vector<std::string> &pieces) const
{
    std::vector<std::string> out;
    for (size_t i = 0; i + 1 < pieces.size(); ++i) {
        if (m_vocabulary.count(pieces[i] + m_options.separator))
            out.push_back(pieces[i]);
        else
            splitBack(pieces[i], false, out);
    }
    if (m_vocabulary.count(pieces.back()))
        out.push_back(pieces.back());
    else
        splitBack(pieces.back(), true, out);
    return out;
}

std::vector<std::string> BpeSegmenter::segmentTokens(const std::vector<std::string> &words) const
{
    std::vector<std::string> out;
    for (const std::string &word : words) {
        if (word.empty())
            continue;
        std::vector<std::string> pieces;
        for (const std::string &segment : isolateGlossaries(word)) {
            for (std::string &piece : encode(segment))
                pieces.push_back(std::move(piece));
        }
        for (size_t i = 0; i < pieces.size(); ++i)
            out.push_back(i + 1 < pieces.size() ? pieces[i] + m_options.separator : pieces[i]);
    }
    return out;
}

std::string BpeSegmenter::processLine(std::string_view line) const
{
    const std::string_view body = strip(line);
    std::string out;
    if (body.empty())
        return std::string(line); // only spaces and line breaks: kept as they are
    const size_t leading = static_cast<size_t>(body.data() - line.data());
    out.append(line.substr(0, leading));
    std::vector<std::string> words;
    for (std::string_view word : split(body, ' '))
        words.emplace_back(word);
    const std::vector<std::string> pieces = segmentTokens(words);
    for (size_t i = 0; i < pieces.size(); ++i)
        out += (i ? " " : "") + pieces[i];
    out.append(line.substr(leading + body.size()));
    return out;
}

std::unordered_set<std::string> parseBpeVocabulary(std::string_view text, const std::string &displayName,
                                                   std::optional<int> threshold)
{
    std::unordered_set<std::string> vocabulary;
    int lineNumber = 0;
    while (!text.empty()) {
        const size_t end = std::min(text.find('\n'), text.size());
        const std::string_view line = strip(text.substr(0, end));
        text.remove_prefix(std::min(end + 1, text.size()));
        ++lineNumber;
        const std::vector<std::string_view> fields = split(line, ' ');
        long long count = -1;
        if (fields.size() == 2 && !fields[1].empty() && fields[1].size() < 18
            && std::all_of(fields[1].begin(), fields[1].end(), [](char c) { return c >= '0' && c <= '9'; }))
            count = std::stoll(std::string(fields[1]));
        if (count < 0)
            throwModelError(displayName, "line " + std::to_string(lineNumber) + ": '" + std::string(line)
                                             + "' is not 'piece count' (a BPE vocabulary of get_vocab.py)");
        if (!threshold || count >= *threshold)
            vocabulary.emplace(fields[0]);
    }
    return vocabulary;
}

std::unordered_set<std::string> readBpeVocabulary(const std::string &path, std::optional<int> threshold)
{
    return parseBpeVocabulary(detail::readWholeFile(path), path, threshold);
}

} // namespace attnviz
