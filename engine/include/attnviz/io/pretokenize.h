// Text clean-up that toolkits apply before segmenting, reproduced exactly (ICU for Unicode).
//
//     attnviz::joeyPreprocess("  Ｔｏｍ  a ’vu’ !", /*lowercase=*/true, /*normalize=*/true); // "tom a 'vu'!"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attnviz {

// Unicode NFKC, as Python's unicodedata.normalize("NFKC", s). Invalid UTF-8 becomes U+FFFD.
std::string unicodeNfkc(std::string_view utf8);
// Full lowercase mapping, as Python's str.lower().
std::string unicodeLower(std::string_view utf8);

// Joey NMT 2.x BasicTokenizer.pre_process without a pretokenizer: with normalize, NFKC, ’ “ ”
// to ' " ", zero-width spaces removed, runs of spaces and ideographic spaces to one space, no
// space before ? ! , . : and white space stripped at both ends; then, with lowercase, lowercase.
std::string joeyPreprocess(std::string_view utf8, bool lowercase, bool normalize);
// Joey NMT's remove_extra_spaces (post_process with normalize, and the second half of the above).
std::string joeyRemoveExtraSpaces(std::string_view utf8);

// Python's str.split() and str.strip() without arguments: on Unicode white space.
std::vector<std::string> pythonSplit(std::string_view utf8);
std::string pythonStrip(std::string_view utf8);

} // namespace attnviz
