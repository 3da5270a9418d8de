#include <attnviz/io/torch_import.h>

#include <attnviz/io/half.h>
#include <attnviz/io/text.h>

#include "io/file_io.h"
#include "io/load_helpers.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <cstring>
#include <limits>
#include <set>

namespace attnviz {

using detail::throwModelError;

namespace {

// A state dict, strictly: string keys, tensors or nested dicts of them, nothing else.
void flattenStateDict(const TorchFile &file, const TorchValue &dict, const std::string &prefix, int level,
                      StateDict &result)
{
    if (level > TorchFile::maxDepth)
        throwModelError(file.displayName(), "data.pkl: dicts nested deeper than " + std::to_string(TorchFile::maxDepth)
                                                + " levels");
    for (const auto &[key, value] : dict.dictItems()) {
        if (!key->isString())
            throwModelError(file.displayName(), "data.pkl: a state dict key that is not a string");
        const std::string name = prefix + key->text();
        if (value->isDict()) {
            flattenStateDict(file, *value, name + ".", level + 1, result);
        } else if (value->isTensor()) {
            if (result.count(name))
                throwModelError(file.displayName(), "data.pkl: tensor '" + name + "' appears twice");
            result.emplace(name, file.tensor(*value, name));
        } else {
            throwModelError(file.displayName(), "'" + name + "' is " + value->describe()
                                                    + ", not a tensor: a state dict, as saved by "
                                                      "torch.save(module.state_dict(), path), holds only tensors");
        }
    }
}

const Tensor *find(const StateDict &dict, const char *name, size_t rank)
{
    const auto it = dict.find(name);
    return it != dict.end() && it->second.shape.size() == rank ? &it->second : nullptr;
}

int toInt(int64_t value, const char *what, const std::string &displayName)
{
    if (value < 1 || value > INT_MAX)
        throwModelError(displayName, std::string(what) + " of " + std::to_string(value) + " is out of range");
    return static_cast<int>(value);
}

bool hasDecoderTensors(const StateDict &dict)
{
    return dict.count("attention.Wa.weight") || dict.count("attn.weight") || dict.count("concat.weight");
}

std::string joinNames(const StateDict &dict)
{
    std::string names;
    for (const auto &entry : dict)
        names += (names.empty() ? "" : ", ") + entry.first;
    return names.empty() ? "none" : names;
}

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string> lines(const std::string &text)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find_first_of("\r\n", start);
        if (end == std::string::npos)
            end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    }
    return out;
}

// Python's str.split(" "): empty pieces included, so that "" is one (empty) word, as in the tutorial.
std::vector<std::string> splitOnSpace(const std::string &text)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        const size_t end = text.find(' ', start);
        out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos)
            return out;
        start = end + 1;
    }
}

bool startsWithEnglishPrefix(const std::string &sentence)
{
    static const char *const prefixes[] = {"i am ",   "i m ",    "he is",  "he s ",   "she is",  "she s ",
                                           "you are", "you re ", "we are", "we re ", "they are", "they re "};
    for (const char *prefix : prefixes)
        if (sentence.compare(0, std::strlen(prefix), prefix) == 0)
            return true;
    return false;
}

void addWords(std::vector<std::string> &vocab, std::set<std::string> &seen, const std::vector<std::string> &words)
{
    for (const std::string &word : words)
        if (seen.insert(word).second)
            vocab.push_back(word);
}

StateDict withoutPrefix(const StateDict &dict, const std::string &prefix)
{
    StateDict out;
    for (const auto &[name, tensor] : dict)
        if (name.compare(0, prefix.size(), prefix) == 0)
            out.emplace(name.substr(prefix.size()), tensor);
    return out;
}

} // namespace

StateDict readTorchStateDictFromBytes(std::string_view bytes, const std::string &displayName)
{
    const TorchFile file = TorchFile::fromBytes(std::string(bytes), displayName);
    if (!file.root().isDict())
        throwModelError(displayName, "holds " + file.root().describe()
                                         + ", not a state dict (save it with torch.save(module.state_dict(), path))");
    StateDict result;
    flattenStateDict(file, file.root(), "", 1, result);
    return result;
}

StateDict readTorchStateDict(const std::string &path)
{
    const std::string bytes = detail::readWholeFile(path);
    return readTorchStateDictFromBytes(bytes, path);
}

ModelConfig detectArchitecture(const StateDict &encoder, const StateDict &decoder, const std::string &displayName)
{
    if (hasDecoderTensors(encoder) && !hasDecoderTensors(decoder))
        throwModelError(displayName, "the encoder holds attention tensors and the decoder none: "
                                     "are the encoder and decoder files swapped?");
    const Tensor *embedding = find(encoder, "embedding.weight", 2);
    if (!embedding)
        throwModelError(displayName, "the encoder has no 'embedding.weight' of shape [V, H] (its tensors: "
                                         + joinNames(encoder) + ")");
    const int hidden = toInt(embedding->shape[1], "hidden size", displayName);
    ModelConfig config;
    if (decoder.count("attention.Wa.weight")) {
        config = bahdanauConfig(hidden);
    } else if (decoder.count("attn.weight") && decoder.count("attn_combine.weight")) {
        const Tensor *attn = find(decoder, "attn.weight", 2);
        if (!attn)
            throwModelError(displayName, "the decoder's 'attn.weight' is not a matrix");
        config = tutorialLegacyConfig(hidden, toInt(attn->shape[0], "max_length (rows of attn.weight)", displayName),
                                      true);
    } else if (decoder.count("concat.weight")) {
        config = luongConfig(hidden, decoder.count("attention.W.weight") ? LuongScore::General : LuongScore::Dot);
    } else {
        throwModelError(displayName, "cannot tell the decoder's architecture: it has none of attention.Wa.weight "
                                     "(current tutorial), attn.weight + attn_combine.weight (original tutorial), "
                                     "concat.weight (Luong); its tensors: "
                                         + joinNames(decoder));
    }
    config.sosToken = "SOS";
    config.eosToken = "EOS";
    config.normalization = Normalization::Tutorial;
    return config;
}

std::vector<std::string> readVocabularyFile(const std::string &path)
{
    const std::string text = detail::readWholeFile(path);
    std::vector<std::string> words;
    if (detail::isJsonPath(path)) {
        const nlohmann::json json = detail::parseJsonStrict(text, path, "vocabulary");
        if (!json.is_array())
            throwModelError(path, "a JSON vocabulary is a list of words, not " + detail::describeJson(json));
        for (const nlohmann::json &word : json) {
            if (!word.is_string())
                throwModelError(path, "word " + std::to_string(words.size()) + " is not a string but "
                                          + detail::describeJson(word));
            words.push_back(word.get<std::string>());
        }
        return words;
    }
    words = lines(text);
    for (size_t i = 0; i < words.size(); ++i)
        if (words[i].empty())
            throwModelError(path, "line " + std::to_string(i + 1) + " is empty (one word per line)");
    return words;
}

TutorialVocabularies tutorialVocabularies(const std::string &pairsPath, bool reverse, bool filter)
{
    constexpr size_t maxWords = 10; // the tutorial's MAX_LENGTH
    TutorialVocabularies vocabs {{"SOS", "EOS"}, {"SOS", "EOS"}};
    std::set<std::string> seenSource(vocabs.source.begin(), vocabs.source.end());
    std::set<std::string> seenTarget = seenSource;
    for (std::string line : lines(detail::readWholeFile(pairsPath))) {
        size_t begin = 0, end = line.size();
        while (begin < end && isSpace(line[begin]))
            ++begin;
        while (end > begin && isSpace(line[end - 1]))
            --end;
        line = line.substr(begin, end - begin);
        const size_t tab = line.find('\t');
        if (tab == std::string::npos)
            continue;
        const size_t secondEnd = line.find('\t', tab + 1);
        std::string first = normalizeText(line.substr(0, tab), Normalization::Tutorial);
        std::string second = normalizeText(
            line.substr(tab + 1, secondEnd == std::string::npos ? std::string::npos : secondEnd - tab - 1),
            Normalization::Tutorial);
        if (reverse)
            std::swap(first, second);
        const std::vector<std::string> sourceWords = splitOnSpace(first), targetWords = splitOnSpace(second);
        if (filter && (sourceWords.size() >= maxWords || targetWords.size() >= maxWords || !startsWithEnglishPrefix(second)))
            continue;
        addWords(vocabs.source, seenSource, sourceWords);
        addWords(vocabs.target, seenTarget, targetWords);
    }
    return vocabs;
}

ModelFile importTorchCheckpoint(const TorchImportOptions &options)
{
    const bool pair = !options.encoderPath.empty() || !options.decoderPath.empty();
    const std::string displayName = pair ? options.encoderPath + " + " + options.decoderPath : options.checkpointPath;
    if (pair == !options.checkpointPath.empty() || (pair && (options.encoderPath.empty() || options.decoderPath.empty())))
        throw ModelError("import: give the encoder and decoder files, or one checkpoint holding both");

    StateDict encoder, decoder;
    if (pair) {
        encoder = readTorchStateDict(options.encoderPath);
        decoder = readTorchStateDict(options.decoderPath);
        for (const auto &[path, dict] : {std::pair(&options.encoderPath, &encoder), std::pair(&options.decoderPath, &decoder)})
            if (!withoutPrefix(*dict, "encoder.").empty() && !withoutPrefix(*dict, "decoder.").empty())
                throwModelError(*path, "holds both encoder.* and decoder.* tensors: give it as the one checkpoint");
    } else {
        const StateDict both = readTorchStateDict(options.checkpointPath);
        for (const auto &entry : both)
            if (entry.first.compare(0, 8, "encoder.") != 0 && entry.first.compare(0, 8, "decoder.") != 0)
                throwModelError(displayName, "tensor '" + entry.first
                                                 + "' is neither encoder.* nor decoder.*; for the tutorial's two "
                                                   "files, give the encoder and the decoder separately");
        encoder = withoutPrefix(both, "encoder.");
        decoder = withoutPrefix(both, "decoder.");
    }

    ModelFile model;
    model.config = detectArchitecture(encoder, decoder, displayName);
    if (model.config.decoder.input == DecoderInput::Combine)
        model.config.decoder.combineActivation = options.combineRelu ? Activation::Relu : Activation::Identity;
    model.config.name = options.name;

    const bool vocabFiles = !options.sourceVocabPath.empty() || !options.targetVocabPath.empty();
    if (vocabFiles == !options.pairsPath.empty())
        throwModelError(displayName, "give the source and target vocabulary files, or the training pairs file "
                                     "to rebuild them from (not both)");
    if (vocabFiles) {
        if (options.sourceVocabPath.empty() || options.targetVocabPath.empty())
            throwModelError(displayName, "give both the source and the target vocabulary files");
        model.sourceVocab = readVocabularyFile(options.sourceVocabPath);
        model.targetVocab = readVocabularyFile(options.targetVocabPath);
    } else {
        TutorialVocabularies vocabs = tutorialVocabularies(options.pairsPath, options.reversePairs, options.filterPairs);
        model.sourceVocab = std::move(vocabs.source);
        model.targetVocab = std::move(vocabs.target);
    }

    // The tutorial's modules have the names of attnviz-seq2seq/1.
    for (auto &[name, tensor] : encoder)
        model.tensors.emplace(tensorNameFromV1("encoder." + name), std::move(tensor));
    for (auto &[name, tensor] : decoder)
        model.tensors.emplace(tensorNameFromV1("decoder." + name), std::move(tensor));
    validateModel(model, displayName);
    return model;
}

} // namespace attnviz
