// The model file's tokenizer record and the Tokenizer built from it. The toolkits' rules
// followed here: Joey NMT 2.3's tokenizers.py (BasicTokenizer, SentencePieceTokenizer,
// SubwordNMTTokenizer) and OpenNMT-py 3.5's transforms/tokenize.py; docs/subword.md.
#include <attnviz/io/tokenizer.h>

#include <attnviz/io/model_file.h>
#include <attnviz/io/pretokenize.h>
#include <attnviz/io/sentencepiece.h>

#include "io/load_helpers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace attnviz {

using detail::throwModelError;
using nlohmann::json;

namespace {

constexpr const char *spaceEscape = "\u2581"; // '▁', SentencePiece's and Joey's char level's space

const std::pair<TokenizerKind, const char *> kindNames[] = {
    {TokenizerKind::Word, "word"},
    {TokenizerKind::Character, "char"},
    {TokenizerKind::SentencePiece, "sentencepiece"},
    {TokenizerKind::Bpe, "bpe"},
};
const std::pair<TokenizerToolkit, const char *> toolkitNames[] = {
    {TokenizerToolkit::Plain, "plain"},
    {TokenizerToolkit::JoeyNmt, "joeynmt"},
    {TokenizerToolkit::OpenNmtPy, "opennmt-py"},
};

const char base64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void replaceAll(std::string &text, std::string_view from, std::string_view to)
{
    if (from.empty())
        return;
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

bool endsWith(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Reads one side's object, naming "tokenizer.<side>.<key>" in every message.
class SideReader
{
public:
    SideReader(const json &object, std::string path, const std::string &displayName)
        : m_object(object)
        , m_path(std::move(path))
        , m_displayName(displayName)
    {
        if (!object.is_object())
            fail(m_path + " must be a JSON object, found " + detail::describeJson(object));
    }

    const json *find(const char *key)
    {
        m_known.insert(key);
        const auto it = m_object.find(key);
        return it == m_object.end() ? nullptr : &*it;
    }
    std::string string(const char *key, const std::string &fallback)
    {
        const json *value = find(key);
        if (!value)
            return fallback;
        if (!value->is_string())
            fail(pathOf(key) + " must be a string, found " + detail::describeJson(*value));
        return value->get<std::string>();
    }
    bool boolean(const char *key)
    {
        const json *value = find(key);
        if (value && !value->is_boolean())
            fail(pathOf(key) + " must be true or false, found " + detail::describeJson(*value));
        return value && value->get<bool>();
    }
    std::optional<int> integer(const char *key, int minimum)
    {
        const json *value = find(key);
        if (!value)
            return {};
        if (!value->is_number_integer() || value->get<int64_t>() < minimum || value->get<int64_t>() > (1 << 30))
            fail(pathOf(key) + " must be an integer from " + std::to_string(minimum) + " to 1073741824, found "
                 + detail::describeJson(*value));
        return static_cast<int>(value->get<int64_t>());
    }
    std::vector<std::string> strings(const char *key)
    {
        const json *value = find(key);
        std::vector<std::string> out;
        if (!value)
            return out;
        if (!value->is_array())
            fail(pathOf(key) + " must be an array of strings, found " + detail::describeJson(*value));
        for (const json &item : *value) {
            if (!item.is_string())
                fail(pathOf(key) + "[" + std::to_string(out.size()) + "] must be a string, found "
                     + detail::describeJson(item));
            out.push_back(item.get<std::string>());
        }
        return out;
    }
    // Keys nobody asked for are refused: a record written by a newer attnviz must not be read
    // as if its new options were not there.
    void checkNoOtherKeys() const
    {
        for (const auto &[key, value] : m_object.items()) {
            if (!m_known.count(key))
                fail(pathOf(key.c_str()) + ": unknown key (this attnviz reads " + knownList() + ")");
        }
    }
    std::string pathOf(const char *key) const { return m_path + "." + key; }
    [[noreturn]] void fail(const std::string &message) const { throwModelError(m_displayName, message); }

private:
    std::string knownList() const
    {
        std::vector<std::string> keys(m_known.begin(), m_known.end());
        std::sort(keys.begin(), keys.end());
        std::string text;
        for (const std::string &key : keys)
            text += (text.empty() ? "" : ", ") + key;
        return text;
    }

    const json &m_object;
    std::string m_path;
    const std::string &m_displayName;
    std::unordered_set<std::string> m_known;
};

TokenizerSide sideFromJson(const json &object, const std::string &path, const std::string &displayName)
{
    SideReader r(object, path, displayName);
    TokenizerSide side;
    const std::string kind = r.string("kind", "");
    const auto k = std::find_if(std::begin(kindNames), std::end(kindNames),
                                [&](const auto &entry) { return kind == entry.second; });
    if (k == std::end(kindNames))
        r.fail(r.pathOf("kind") + (kind.empty() ? std::string(" is missing") : " '" + kind + "' is unknown")
               + " (attnviz knows sentencepiece, bpe, word and char)");
    side.kind = k->first;
    const std::string toolkit = r.string("toolkit", "plain");
    const auto t = std::find_if(std::begin(toolkitNames), std::end(toolkitNames),
                                [&](const auto &entry) { return toolkit == entry.second; });
    if (t == std::end(toolkitNames))
        r.fail(r.pathOf("toolkit") + " '" + toolkit + "' is unknown (attnviz knows plain, joeynmt and opennmt-py)");
    side.toolkit = t->first;
    side.lowercase = r.boolean("lowercase");
    side.normalize = r.boolean("normalize");
    if ((side.lowercase || side.normalize) && side.toolkit != TokenizerToolkit::JoeyNmt)
        r.fail(r.pathOf(side.lowercase ? "lowercase" : "normalize")
               + " is Joey NMT's pre-processing: it needs \"toolkit\": \"joeynmt\"");
    side.restrictToModelVocabulary = r.boolean("restrict_to_vocabulary");

    if (side.kind == TokenizerKind::SentencePiece) {
        const json *model = r.find("model_base64");
        if (!model || !model->is_string())
            r.fail(r.pathOf("model_base64") + (model ? " must be a string, found " + detail::describeJson(*model)
                                                     : std::string(" is missing (the SentencePiece model, base64)")));
        std::optional<std::string> bytes = base64Decode(model->get_ref<const std::string &>());
        if (!bytes)
            r.fail(r.pathOf("model_base64") + " is not base64 (standard alphabet with = padding, no line breaks)");
        side.sentencePieceModel = std::move(*bytes);
    } else if (side.kind == TokenizerKind::Bpe) {
        const json *codes = r.find("codes");
        if (!codes || !codes->is_string())
            r.fail(r.pathOf("codes") + (codes ? " must be a string, found " + detail::describeJson(*codes)
                                              : std::string(" is missing (the text of the subword-nmt codes file)")));
        side.codes = codes->get<std::string>();
        side.bpe.separator = r.string("separator", "@@");
        if (side.bpe.separator.empty())
            r.fail(r.pathOf("separator") + " must not be empty");
        side.bpe.merges = r.integer("merges", -1).value_or(-1);
        side.bpe.glossaries = r.strings("glossaries");
        side.bpeVocabulary = r.string("vocabulary", "");
        side.bpeVocabularyThreshold = r.integer("vocabulary_threshold", 0);
        if (side.bpeVocabularyThreshold && side.bpeVocabulary.empty())
            r.fail(r.pathOf("vocabulary_threshold") + " needs \"vocabulary\" (a get_vocab.py file's text)");
    }
    r.checkNoOtherKeys();
    return side;
}

json sideToJson(const TokenizerSide &side)
{
    json j;
    j["kind"] = tokenizerKindName(side.kind);
    if (side.toolkit != TokenizerToolkit::Plain)
        j["toolkit"] = tokenizerToolkitName(side.toolkit);
    if (side.lowercase)
        j["lowercase"] = true;
    if (side.normalize)
        j["normalize"] = true;
    if (side.restrictToModelVocabulary)
        j["restrict_to_vocabulary"] = true;
    if (side.kind == TokenizerKind::SentencePiece)
        j["model_base64"] = base64Encode(side.sentencePieceModel);
    if (side.kind == TokenizerKind::Bpe) {
        j["codes"] = side.codes;
        j["separator"] = side.bpe.separator;
        if (side.bpe.merges >= 0)
            j["merges"] = side.bpe.merges;
        if (!side.bpe.glossaries.empty())
            j["glossaries"] = side.bpe.glossaries;
        if (!side.bpeVocabulary.empty())
            j["vocabulary"] = side.bpeVocabulary;
        if (side.bpeVocabularyThreshold)
            j["vocabulary_threshold"] = *side.bpeVocabularyThreshold;
    }
    return j;
}

} // namespace

bool TokenizerSide::operator==(const TokenizerSide &o) const
{
    return kind == o.kind && toolkit == o.toolkit && sentencePieceModel == o.sentencePieceModel && codes == o.codes
        && bpe.separator == o.bpe.separator && bpe.merges == o.bpe.merges && bpe.glossaries == o.bpe.glossaries
        && bpeVocabulary == o.bpeVocabulary && bpeVocabularyThreshold == o.bpeVocabularyThreshold
        && restrictToModelVocabulary == o.restrictToModelVocabulary && lowercase == o.lowercase
        && normalize == o.normalize;
}

std::string tokenizerKindName(TokenizerKind kind)
{
    for (const auto &[k, name] : kindNames) {
        if (k == kind)
            return name;
    }
    return "word";
}

std::string tokenizerToolkitName(TokenizerToolkit toolkit)
{
    for (const auto &[t, name] : toolkitNames) {
        if (t == toolkit)
            return name;
    }
    return "plain";
}

json tokenizerRecordToJson(const TokenizerRecord &record)
{
    return {{"source", sideToJson(record.source)}, {"target", sideToJson(record.target)}};
}

TokenizerRecord tokenizerRecordFromJson(const json &record, const std::string &displayName)
{
    if (!record.is_object())
        throwModelError(displayName, "tokenizer must be a JSON object with source and target, found "
                                         + detail::describeJson(record));
    for (const auto &[key, value] : record.items()) {
        if (key != "source" && key != "target")
            throwModelError(displayName, "tokenizer." + key + ": unknown key (a tokenizer record has source and target)");
    }
    for (const char *key : {"source", "target"}) {
        if (!record.contains(key))
            throwModelError(displayName, std::string("tokenizer.") + key + " is missing");
    }
    return {sideFromJson(record["source"], "tokenizer.source", displayName),
            sideFromJson(record["target"], "tokenizer.target", displayName)};
}

TokenizerRecord tokenizerRecordFromText(std::string_view jsonText, const std::string &displayName)
{
    return tokenizerRecordFromJson(detail::parseJsonStrict(jsonText, displayName, "tokenizer"), displayName);
}

std::string base64Encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (size_t i = 0; i < bytes.size(); i += 3) {
        const size_t n = std::min<size_t>(3, bytes.size() - i);
        uint32_t v = 0;
        for (size_t k = 0; k < 3; ++k)
            v = v << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
        for (size_t k = 0; k < 4; ++k)
            out += k <= n ? base64Alphabet[(v >> (18 - 6 * k)) & 63] : '=';
    }
    return out;
}

std::optional<std::string> base64Decode(std::string_view text)
{
    if (text.size() % 4 != 0)
        return {};
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        uint32_t v = 0;
        int padding = 0;
        for (size_t k = 0; k < 4; ++k) {
            const char c = text[i + k];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                ++padding;
                v <<= 6;
                continue;
            }
            const char *at = c ? std::strchr(base64Alphabet, c) : nullptr;
            if (!at || padding > 0)
                return {};
            v = v << 6 | static_cast<uint32_t>(at - base64Alphabet);
        }
        for (int k = 0; k < 3 - padding; ++k)
            out += static_cast<char>((v >> (16 - 8 * k)) & 0xff);
    }
    return out;
}

struct Tokenizer::Impl
{
    TokenizerSide side;
    std::optional<SentencePieceSegmenter> sentencePiece;
    std::optional<BpeSegmenter> bpe;
    std::unordered_set<std::string> dropped; // specials left out of the output (Joey NMT)
};

Tokenizer::Tokenizer(const TokenizerSide &side, const std::vector<std::string> &vocabulary,
                     const std::vector<std::string> &specials, const std::string &unk, const std::string &displayName)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->side = side;
    if (side.toolkit == TokenizerToolkit::JoeyNmt) {
        m_impl->dropped.insert(specials.begin(), specials.end());
        m_impl->dropped.erase(unk);
    }
    if (side.kind == TokenizerKind::SentencePiece) {
        m_impl->sentencePiece = SentencePieceSegmenter::fromSerialized(side.sentencePieceModel,
                                                                        displayName + ".model_base64");
        if (side.restrictToModelVocabulary)
            m_impl->sentencePiece->setVocabulary(vocabulary);
    } else if (side.kind == TokenizerKind::Bpe) {
        m_impl->bpe = BpeSegmenter::fromText(side.codes, displayName + ".codes", side.bpe);
        std::unordered_set<std::string> allowed;
        if (!side.bpeVocabulary.empty())
            allowed = parseBpeVocabulary(side.bpeVocabulary, displayName + ".vocabulary", side.bpeVocabularyThreshold);
        if (side.restrictToModelVocabulary) {
            const std::unordered_set<std::string> special(specials.begin(), specials.end());
            for (const std::string &piece : vocabulary) {
                if (!special.count(piece))
                    allowed.insert(piece);
            }
        }
        m_impl->bpe->setVocabulary(std::move(allowed));
    }
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;

const TokenizerSide &Tokenizer::side() const
{
    return m_impl->side;
}

std::vector<std::string> Tokenizer::encode(std::string_view typed) const
{
    const TokenizerSide &side = m_impl->side;
    std::string text(typed);
    if (side.toolkit == TokenizerToolkit::JoeyNmt)
        text = joeyPreprocess(text, side.lowercase, side.normalize);
    std::vector<std::string> pieces;
    switch (side.kind) {
    case TokenizerKind::SentencePiece:
        // OpenNMT-py's corpus reader splits the line on spaces and the transform joins the words
        // again: the same text for SentencePiece. Joey feeds the pre-processed line as it is.
        return m_impl->sentencePiece->encode(text);
    case TokenizerKind::Bpe:
        // Joey: process_line, then str.split(); OpenNMT-py: segment_tokens on the words.
        return pythonSplit(m_impl->bpe->processLine(text));
    case TokenizerKind::Character: {
        replaceAll(text, " ", spaceEscape);
        const std::vector<std::string> none;
        for (size_t i = 0; i < text.size();) {
            size_t length = 1;
            const unsigned char lead = static_cast<unsigned char>(text[i]);
            if (lead >= 0xf0)
                length = 4;
            else if (lead >= 0xe0)
                length = 3;
            else if (lead >= 0xc0)
                length = 2;
            length = std::min(length, text.size() - i);
            pieces.push_back(text.substr(i, length));
            i += length;
        }
        return pieces;
    }
    case TokenizerKind::Word:
        // Joey's level word: raw_input.split(" "), so two spaces make an empty token (its UNK).
        for (size_t start = 0;;) {
            const size_t end = text.find(' ', start);
            pieces.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
            if (end == std::string::npos)
                break;
            start = end + 1;
        }
        if (pieces.size() == 1 && pieces.front().empty())
            pieces.clear();
        return pieces;
    }
    return pieces;
}

std::string Tokenizer::decode(const std::vector<std::string> &output) const
{
    const TokenizerSide &side = m_impl->side;
    const bool joey = side.toolkit == TokenizerToolkit::JoeyNmt;
    std::vector<std::string> pieces;
    for (const std::string &piece : output) {
        if (!m_impl->dropped.count(piece))
            pieces.push_back(piece);
    }
    const auto joined = [&pieces] {
        std::string text;
        for (size_t i = 0; i < pieces.size(); ++i)
            text += (i ? " " : "") + pieces[i];
        return text;
    };
    std::string text;
    switch (side.kind) {
    case TokenizerKind::SentencePiece:
        text = m_impl->sentencePiece->decode(pieces);
        if (joey) {
            replaceAll(text, spaceEscape, " ");
            text = pythonStrip(text);
        }
        break;
    case TokenizerKind::Bpe: {
        const std::string &separator = side.bpe.separator;
        text = joined();
        replaceAll(text, separator + " ", "");
        if (endsWith(text, separator))
            text.resize(text.size() - separator.size());
        break;
    }
    case TokenizerKind::Character:
        for (const std::string &piece : pieces)
            text += piece;
        replaceAll(text, spaceEscape, " ");
        break;
    case TokenizerKind::Word:
        text = joined();
        break;
    }
    if (joey && side.normalize)
        text = joeyRemoveExtraSpaces(text);
    return text;
}

SubwordMarking Tokenizer::marking() const
{
    switch (m_impl->side.kind) {
    case TokenizerKind::SentencePiece:
        return {SubwordMarking::WordStartPrefix, spaceEscape};
    case TokenizerKind::Bpe:
        return {SubwordMarking::ContinuationSuffix, m_impl->side.bpe.separator};
    case TokenizerKind::Character:
        return {SubwordMarking::Characters, spaceEscape};
    case TokenizerKind::Word:
        break;
    }
    return {};
}

std::vector<std::string> tokenizerSpecials(const ModelConfig &config)
{
    std::vector<std::string> specials = {config.sosToken, config.eosToken};
    if (config.unkToken)
        specials.push_back(*config.unkToken);
    for (const std::string &token : config.search.neverGenerate) {
        if (std::find(specials.begin(), specials.end(), token) == specials.end())
            specials.push_back(token);
    }
    return specials;
}

ModelTokenizers makeTokenizers(const ModelFile &model, const std::string &displayName)
{
    ModelTokenizers tokenizers;
    if (!model.tokenizer)
        return tokenizers;
    const std::vector<std::string> specials = tokenizerSpecials(model.config);
    const std::string unk = model.config.unkToken.value_or("");
    tokenizers.source.emplace(model.tokenizer->source, model.sourceVocab, specials, unk, displayName + ": tokenizer.source");
    tokenizers.target.emplace(model.tokenizer->target, model.targetVocab, specials, unk, displayName + ": tokenizer.target");
    return tokenizers;
}

} // namespace attnviz
