// Word alignments: the Pharaoh format, the model's hard links, and precision / recall / AER.
//
//     std::vector<attnviz::GoldAlignment> gold = attnviz::parsePharaoh(text, "gold.txt");
//     attnviz::AlignmentCounts counts = attnviz::countAgreement(attnviz::hardLinks(result), gold[0]);
//     counts.alignmentErrorRate(); // Och & Ney 2003
#pragma once

#include <attnviz/decoding/translate.h>

#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace attnviz {

using Link = std::pair<int, int>; // (source word, target word), both from 0

// S (sure) and P (possible) links of one sentence; as in Och & Ney, S is a subset of P:
// `possible` holds only the links marked possible, and isPossible() looks in both.
struct GoldAlignment
{
    std::set<Link> sure, possible;
    bool isSure(const Link &l) const { return sure.count(l) != 0; }
    bool isPossible(const Link &l) const { return sure.count(l) != 0 || possible.count(l) != 0; }
    void toggle(const Link &l); // none -> sure -> none (a possible link becomes none)
    bool operator==(const GoldAlignment &other) const { return sure == other.sure && possible == other.possible; }
    bool operator!=(const GoldAlignment &other) const { return !(*this == other); }
};

// A line that is not Pharaoh: the message names the file, the line and the column (from 1).
class AlignmentFormatError : public std::runtime_error
{
public:
    using runtime_error::runtime_error;
};

// One sentence per line; links separated by spaces: "i-j" sure, "i?j" possible, where i is the
// source word and j the target word, from 0. An empty line is a sentence without links. A link
// given twice is one link; given as both sure and possible, it is sure.
std::vector<GoldAlignment> parsePharaoh(const std::string &text, const std::string &fileName);
std::string writePharaoh(const std::vector<GoldAlignment> &sentences); // sorted links, "\n" per line

// The model's links, in word positions (EOS excluded on both sides): for each output token, its
// argmax source word; with a threshold in (0, 1), also every link whose weight exceeds it.
// Unknown words that were left out of the encoder input are never linked.
std::set<Link> hardLinks(const TranslationResult &result, const Hypothesis &hypothesis, double threshold = 0.0);

struct AlignmentCounts
{
    long long a = 0, s = 0, aAndS = 0, aAndP = 0; // |A|, |S|, |A ∩ S|, |A ∩ P|

    AlignmentCounts &operator+=(const AlignmentCounts &other);
    double precision() const; // |A ∩ P| / |A|
    double recall() const;    // |A ∩ S| / |S|
    double alignmentErrorRate() const; // 1 - (|A ∩ S| + |A ∩ P|) / (|A| + |S|)
};

AlignmentCounts countAgreement(const std::set<Link> &model, const GoldAlignment &gold);

// The first link of `gold` (sure, then possible) past a sentence of `sourceWords` x
// `targetWords` words, or nothing when all lie within it.
std::optional<Link> linkOutside(const GoldAlignment &gold, size_t sourceWords, size_t targetWords);

} // namespace attnviz
