// Text to tokens, as the PyTorch tutorial does it.
//
//     attnviz::normalizeText("Il a été là!", attnviz::Normalization::Tutorial); // "il a ete la !"
//     attnviz::splitTokens("il a ete la !");                                     // 5 tokens
#pragma once

#include <attnviz/io/model_file.h>

#include <string>
#include <string_view>
#include <vector>

namespace attnviz {

// "tutorial": lowercase, Unicode NFD without combining marks (so "été" -> "ete"), a space
// before each of . ! ?, every run of other characters than a-z A-Z . ! ? to one space, trim.
// "none": the text as it is, trimmed. "lowercase": trimmed and lowercased as Python's
// str.lower() does (unicodeLower, ICU; Joey NMT's lowercase: true). Invalid UTF-8
// bytes count as characters outside a-z (so they become spaces with "tutorial"; the other two
// keep them).
std::string normalizeText(std::string_view utf8, Normalization normalization);

// Splits on runs of ASCII white space; never returns an empty token.
std::vector<std::string> splitTokens(std::string_view text);

inline std::vector<std::string> tokenize(std::string_view utf8, Normalization normalization)
{
    return splitTokens(normalizeText(utf8, normalization));
}

} // namespace attnviz
