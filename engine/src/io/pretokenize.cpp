#include <attnviz/io/pretokenize.h>

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <stdexcept>
#include <vector>

namespace attnviz {

namespace {

void replaceAll(std::string &text, std::string_view from, std::string_view to)
{
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// Python's str.isspace(), for the code points it holds true.
bool isPythonSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

std::string pythonStripImpl(const std::string &utf8)
{
    const icu::UnicodeString text = icu::UnicodeString::fromUTF8(utf8);
    int32_t start = 0, end = text.length();
    while (start < end && isPythonSpace(text.char32At(start)))
        start = text.moveIndex32(start, 1);
    while (end > start && isPythonSpace(text.char32At(text.moveIndex32(end, -1))))
        end = text.moveIndex32(end, -1);
    std::string out;
    text.tempSubStringBetween(start, end).toUTF8String(out);
    return out;
}

} // namespace

std::string unicodeNfkc(std::string_view utf8)
{
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2 *nfkc = icu::Normalizer2::getNFKCInstance(status);
    if (U_FAILURE(status))
        throw std::runtime_error("ICU has no NFKC data");
    const icu::UnicodeString normalized =
        nfkc->normalize(icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size()))), status);
    std::string out;
    normalized.toUTF8String(out);
    return out;
}

std::string unicodeLower(std::string_view utf8)
{
    icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    text.toLower(icu::Locale::getRoot());
    std::string out;
    text.toUTF8String(out);
    return out;
}

std::string joeyRemoveExtraSpaces(std::string_view utf8)
{
    std::string text(utf8);
    replaceAll(text, "\u200b", "");
    std::string collapsed;
    for (size_t i = 0; i < text.size();) {
        const bool space = text[i] == ' ';
        const bool ideographic = text.compare(i, 3, "\u3000") == 0;
        if (space || ideographic) {
            collapsed += ' ';
            while (i < text.size() && (text[i] == ' ' || text.compare(i, 3, "\u3000") == 0))
                i += text[i] == ' ' ? 1 : 3;
            continue;
        }
        collapsed += text[i++];
    }
    text = std::move(collapsed);
    for (const char *mark : {" ?", " !", " ,", " .", " :"})
        replaceAll(text, mark, std::string_view(mark + 1));
    return pythonStripImpl(text);
}

std::string joeyPreprocess(std::string_view utf8, bool lowercase, bool normalize)
{
    std::string text(utf8);
    if (normalize) {
        text = unicodeNfkc(text);
        replaceAll(text, "\u2019", "'");
        replaceAll(text, "\u201c", "\"");
        replaceAll(text, "\u201d", "\"");
        text = joeyRemoveExtraSpaces(text);
    }
    if (lowercase)
        text = unicodeLower(text);
    return text;
}

std::vector<std::string> pythonSplit(std::string_view utf8)
{
    const icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    std::vector<std::string> out;
    const int32_t n = text.length();
    for (int32_t i = 0; i < n;) {
        while (i < n && isPythonSpace(text.char32At(i)))
            i = text.moveIndex32(i, 1);
        const int32_t start = i;
        while (i < n && !isPythonSpace(text.char32At(i)))
            i = text.moveIndex32(i, 1);
        if (i > start) {
            out.emplace_back();
            text.tempSubStringBetween(start, i).toUTF8String(out.back());
        }
    }
    return out;
}

std::string pythonStrip(std::string_view utf8)
{
    return pythonStripImpl(std::string(utf8));
}

} // namespace attnviz
