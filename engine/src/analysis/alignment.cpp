#include <attnviz/analysis/alignment.h>

#include <algorithm>
#include <climits>

namespace attnviz {
namespace {

[[noreturn]] void fail(const std::string &file, int line, size_t column, const std::string &what)
{
    throw AlignmentFormatError(file + ":" + std::to_string(line) + ":" + std::to_string(column + 1) + ": " + what);
}

// Reads digits at text[pos..]; the index must fit an int.
int readIndex(const std::string &text, size_t &pos, const std::string &file, int line, size_t lineStart)
{
    const size_t start = pos;
    long long value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        value = value * 10 + (text[pos] - '0');
        if (value > INT_MAX)
            fail(file, line, start - lineStart, "index too large");
        ++pos;
    }
    if (pos == start)
        fail(file, line, start - lineStart,
             pos < text.size() ? "expected a word index (digits), found '" + std::string(1, text[pos]) + "'"
                               : "expected a word index (digits), found the end of the line");
    return static_cast<int>(value);
}

} // namespace

void GoldAlignment::toggle(const Link &l)
{
    if (sure.erase(l) || possible.erase(l))
        return;
    sure.insert(l);
}

std::vector<GoldAlignment> parsePharaoh(const std::string &text, const std::string &fileName)
{
    std::vector<GoldAlignment> sentences;
    size_t pos = 0;
    int line = 0;
    while (pos < text.size()) {
        ++line;
        size_t end = text.find('\n', pos);
        if (end == std::string::npos)
            end = text.size();
        size_t lineEnd = end;
        if (lineEnd > pos && text[lineEnd - 1] == '\r')
            --lineEnd;
        const std::string content = text.substr(pos, lineEnd - pos);
        GoldAlignment gold;
        size_t i = 0;
        while (i < content.size()) {
            if (content[i] == ' ' || content[i] == '\t') {
                ++i;
                continue;
            }
            const int source = readIndex(content, i, fileName, line, 0);
            if (i >= content.size() || (content[i] != '-' && content[i] != '?'))
                fail(fileName, line, i,
                     i < content.size() ? "expected '-' (sure) or '?' (possible), found '" + std::string(1, content[i]) + "'"
                                        : "expected '-' (sure) or '?' (possible), found the end of the line");
            const bool sure = content[i] == '-';
            ++i;
            const int target = readIndex(content, i, fileName, line, 0);
            if (i < content.size() && content[i] != ' ' && content[i] != '\t')
                fail(fileName, line, i, "expected a space between links, found '" + std::string(1, content[i]) + "'");
            if (sure) {
                gold.sure.insert({source, target});
                gold.possible.erase({source, target});
            } else if (!gold.isSure({source, target})) {
                gold.possible.insert({source, target});
            }
        }
        sentences.push_back(std::move(gold));
        pos = end + 1;
    }
    return sentences;
}

std::string writePharaoh(const std::vector<GoldAlignment> &sentences)
{
    std::string out;
    for (const GoldAlignment &gold : sentences) {
        std::vector<std::pair<Link, char>> links;
        for (const Link &l : gold.sure)
            links.push_back({l, '-'});
        for (const Link &l : gold.possible)
            if (!gold.isSure(l))
                links.push_back({l, '?'});
        std::sort(links.begin(), links.end());
        std::string line;
        for (const auto &[l, mark] : links)
            line += (line.empty() ? "" : " ") + std::to_string(l.first) + mark + std::to_string(l.second);
        out += line + '\n';
    }
    return out;
}

std::set<Link> hardLinks(const TranslationResult &result, const Hypothesis &hypothesis, double threshold)
{
    const int words = result.sourceLength() - (result.sourceEos ? 1 : 0); // encoder positions without EOS
    const std::string &eos = result.eosToken;
    std::set<Link> links;
    for (int i = 0; i < hypothesis.steps(); ++i) {
        if (hypothesis.targetTokens[i] == eos)
            continue;
        // A forced target's tokens map back to its words (unknown words may have been left out).
        const int target = result.forced ? result.targetWordIndex.at(i) : i;
        int best = 0;
        for (int j = 1; j < result.sourceLength(); ++j)
            if (hypothesis.attention(i, j) > hypothesis.attention(i, best))
                best = j;
        if (best < words)
            links.insert({result.sourceWordIndex[best], target});
        if (threshold > 0.0) {
            for (int j = 0; j < words; ++j)
                if (hypothesis.attention(i, j) > threshold)
                    links.insert({result.sourceWordIndex[j], target});
        }
    }
    return links;
}

AlignmentCounts &AlignmentCounts::operator+=(const AlignmentCounts &o)
{
    a += o.a;
    s += o.s;
    aAndS += o.aAndS;
    aAndP += o.aAndP;
    return *this;
}

double AlignmentCounts::precision() const
{
    return a > 0 ? double(aAndP) / a : 0.0;
}

double AlignmentCounts::recall() const
{
    return s > 0 ? double(aAndS) / s : 0.0;
}

double AlignmentCounts::alignmentErrorRate() const
{
    return a + s > 0 ? 1.0 - double(aAndS + aAndP) / double(a + s) : 0.0;
}

std::optional<Link> linkOutside(const GoldAlignment &gold, size_t sourceWords, size_t targetWords)
{
    for (const std::set<Link> *links : {&gold.sure, &gold.possible})
        for (const Link &l : *links)
            if (l.first < 0 || l.second < 0 || size_t(l.first) >= sourceWords || size_t(l.second) >= targetWords)
                return l;
    return std::nullopt;
}

AlignmentCounts countAgreement(const std::set<Link> &model, const GoldAlignment &gold)
{
    AlignmentCounts c;
    c.a = static_cast<long long>(model.size());
    c.s = static_cast<long long>(gold.sure.size());
    for (const Link &l : model) {
        c.aAndS += gold.isSure(l);
        c.aAndP += gold.isPossible(l);
    }
    return c;
}

} // namespace attnviz
