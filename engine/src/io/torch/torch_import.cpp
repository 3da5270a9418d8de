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

namespace {

const char *const encoderKeys[] = {"encoder", "encoder_state_dict", "enc", "en", "encoder_model"};
const char *const decoderKeys[] = {"decoder", "decoder_state_dict", "dec", "de", "decoder_model"};
const char *const modelKeys[] = {"model", "model_state_dict", "state_dict", "net", "seq2seq"};

const TorchValue *findFirst(const TorchValue &dict, const char *const (&keys)[5], std::string &found)
{
    for (const char *key : keys)
        if (const TorchValue *value = dict.find(key); value && (value->isDict() || isModuleRecord(*value))) {
            found = key;
            return value;
        }
    return nullptr;
}

std::string shortDescription(const TorchValue &value)
{
    if (value.isInt() && !value.isBool())
        return std::to_string(value.integer());
    if (value.isFloat()) {
        std::string text = std::to_string(value.real());
        return text;
    }
    if (value.isRecord())
        return value.className();
    return value.describe();
}

bool isLangLike(const TorchValue &value)
{
    if (!value.isRecord() && !value.isDict())
        return false;
    const TorchValue *index2word = value.find("index2word");
    const TorchValue *word2index = value.find("word2index");
    return (index2word && index2word->isDict()) || (word2index && word2index->isDict());
}

// Lang-like objects anywhere in the file (not inside modules), with their dotted paths.
void findLangs(const TorchValue &value, const std::string &path, int level,
               std::vector<std::pair<std::string, const TorchValue *>> &out)
{
    if (level > 6 || isModuleRecord(value))
        return;
    if (isLangLike(value)) {
        out.emplace_back(path, &value);
        return;
    }
    if (value.isDict() || value.isRecord())
        for (const auto &[key, item] : value.entries())
            findLangs(*item, path.empty() ? key : path + "." + key, level + 1, out);
    else if (value.isSequence())
        for (size_t i = 0; i < value.items().size(); ++i)
            findLangs(*value.items()[i], path + "[" + std::to_string(i) + "]", level + 1, out);
}

// A Lang's words by id: index2word {id: word} (n_words or num_words of them), else word2index.
std::vector<std::string> langWords(const TorchValue &lang, const std::string &path, const std::string &displayName)
{
    std::map<int64_t, std::string> byId;
    if (const TorchValue *index2word = lang.find("index2word"); index2word && index2word->isDict()) {
        for (const auto &[key, word] : index2word->dictItems())
            if (key->isInt() && word->isString())
                byId[key->integer()] = word->text();
    } else if (const TorchValue *word2index = lang.find("word2index")) {
        for (const auto &[word, key] : word2index->dictItems())
            if (key->isInt() && word->isString())
                byId[key->integer()] = word->text();
    }
    int64_t count = static_cast<int64_t>(byId.size());
    for (const char *field : {"n_words", "num_words"})
        if (const TorchValue *n = lang.find(field); n && n->isInt())
            count = n->integer();
    std::vector<std::string> words;
    for (int64_t id = 0; id < count; ++id) {
        const auto it = byId.find(id);
        if (it == byId.end())
            throwModelError(displayName, "vocabulary '" + path + "' has n_words " + std::to_string(count)
                                             + " but no word for id " + std::to_string(id));
        words.push_back(it->second);
    }
    return words;
}

bool hints(const std::string &path, std::initializer_list<const char *> words)
{
    for (const char *word : words)
        if (path.find(word) != std::string::npos)
            return true;
    return false;
}

int64_t embeddingRows(const StateDict &dict)
{
    const auto it = dict.find("embedding.weight");
    return it != dict.end() && it->second.shape.size() == 2 ? it->second.shape[0] : -1;
}

struct Located
{
    StateDict encoder, decoder;
    std::vector<std::string> ignored;
    std::vector<std::pair<std::string, const TorchValue *>> langs;
};

void splitPrefixes(const StateDict &all, Located &out, const std::string &displayName, const std::string &where)
{
    out.encoder = withoutPrefix(all, "encoder.");
    out.decoder = withoutPrefix(all, "decoder.");
    for (const auto &entry : all)
        if (entry.first.compare(0, 8, "encoder.") != 0 && entry.first.compare(0, 8, "decoder.") != 0)
            throwModelError(displayName, "tensor '" + entry.first + "'" + where
                                             + " is neither encoder.* nor decoder.*; for the tutorial's two "
                                               "files, give the encoder and the decoder separately");
}

// The tensors of one side given in its own file: a state dict, a whole module, or a checkpoint
// dict holding one of them under a usual key.
StateDict sideTensors(const TorchFile &file, const char *const (&keys)[5], Located &located)
{
    const TorchValue &root = file.root();
    if (!root.isDict() && !isModuleRecord(root))
        throwModelError(file.displayName(), "holds " + root.describe()
                                                + ", not a state dict or a module (torch.save(module.state_dict(), path))");
    if (!root.isDict())
        return collectTensors(file, root);
    std::string key;
    const TorchValue *side = findFirst(root, keys, key);
    if (!side)
        side = findFirst(root, modelKeys, key);
    if (!side) {
        StateDict tensors;
        for (const auto &[name, value] : root.entries()) {
            if (value->isTensor() || value->isDict())
                for (auto &entry : collectTensors(file, *value, name))
                    tensors.insert(std::move(entry));
            else if (!isLangLike(*value))
                located.ignored.push_back(name + " (" + shortDescription(*value) + ")");
        }
        return tensors;
    }
    for (const auto &[name, value] : root.entries())
        if (name != key && !isLangLike(*value))
            located.ignored.push_back(name + " (" + shortDescription(*value) + ")");
    return collectTensors(file, *side);
}

Located locateInOne(const TorchFile &file)
{
    Located located;
    const TorchValue &root = file.root();
    const std::string &displayName = file.displayName();
    findLangs(root, "", 1, located.langs);
    if (!root.isDict() && !isModuleRecord(root))
        throwModelError(displayName, "holds " + root.describe() + ", not a checkpoint, a state dict or a module");
    if (!root.isDict()) {
        splitPrefixes(collectTensors(file, root), located, displayName, "");
        return located;
    }
    std::string encoderKey, decoderKey, modelKey;
    const TorchValue *encoder = findFirst(root, encoderKeys, encoderKey);
    const TorchValue *decoder = findFirst(root, decoderKeys, decoderKey);
    const TorchValue *model = encoder && decoder ? nullptr : findFirst(root, modelKeys, modelKey);
    if (encoder && decoder) {
        located.encoder = collectTensors(file, *encoder);
        located.decoder = collectTensors(file, *decoder);
    } else if (model) {
        splitPrefixes(collectTensors(file, *model), located, displayName, " (in '" + modelKey + "')");
    }
    StateDict prefixed;
    for (const auto &[key, value] : root.entries()) {
        if (key == encoderKey || key == decoderKey || key == modelKey || isLangLike(*value))
            continue;
        if (!encoder && !model && value->isTensor()) {
            prefixed.emplace(key, file.tensor(*value, key));
            continue;
        }
        if (!encoder && !model && value->isDict() && (key == "encoder" || key == "decoder")) {
            for (auto &entry : collectTensors(file, *value, key))
                prefixed.insert(std::move(entry));
            continue;
        }
        located.ignored.push_back(key + " (" + shortDescription(*value) + ")");
    }
    if (!encoder && !model)
        splitPrefixes(prefixed, located, displayName, "");
    if (located.encoder.empty() && located.decoder.empty())
        throwModelError(displayName, "holds no encoder and decoder: looked for the keys encoder/encoder_state_dict/"
                                     "enc/en and decoder/decoder_state_dict/dec/de, model/model_state_dict/state_dict, "
                                     "and tensors named encoder.*/decoder.*");
    return located;
}

// Reads the files the options name and finds the two halves and the Langs in them; the Langs
// point into `files`.
Located locate(const TorchImportOptions &options, std::vector<TorchFile> &files)
{
    const bool pair = !options.encoderPath.empty() || !options.decoderPath.empty();
    Located located;
    if (pair) {
        files.push_back(TorchFile::open(options.encoderPath));
        files.push_back(TorchFile::open(options.decoderPath));
        located.encoder = sideTensors(files[0], encoderKeys, located);
        located.decoder = sideTensors(files[1], decoderKeys, located);
        for (const auto &[path, dict] : {std::pair(&options.encoderPath, &located.encoder), std::pair(&options.decoderPath, &located.decoder)})
            if (!withoutPrefix(*dict, "encoder.").empty() && !withoutPrefix(*dict, "decoder.").empty())
                throwModelError(*path, "holds both encoder.* and decoder.* tensors: give it as the one checkpoint");
        for (const TorchFile &file : files)
            findLangs(file.root(), "", 1, located.langs);
    } else if (options.checkpoint) {
        located = locateInOne(*options.checkpoint);
    } else {
        files.push_back(TorchFile::open(options.checkpointPath));
        located = locateInOne(files[0]);
    }
    if (!options.vocabPicklePath.empty()) {
        files.push_back(TorchFile::openPickle(options.vocabPicklePath));
        located.langs.clear();
        findLangs(files.back().root(), "", 1, located.langs);
        if (located.langs.size() < 2)
            throwModelError(options.vocabPicklePath, "holds " + std::to_string(located.langs.size())
                                                         + " Lang-like objects (index2word/word2index), not two");
    }

    return located;
}

} // namespace

TutorialWeights findTutorialWeights(const TorchImportOptions &options)
{
    std::vector<TorchFile> files;
    Located located = locate(options, files);
    TutorialWeights weights {std::move(located.encoder), std::move(located.decoder), std::move(located.ignored), {}};
    for (const auto &lang : located.langs)
        weights.vocabularies.push_back(lang.first);
    return weights;
}

ModelFile importTorchCheckpoint(const TorchImportOptions &options, TorchImportReport *report)
{
    const bool pair = !options.encoderPath.empty() || !options.decoderPath.empty();
    const std::string displayName = pair ? options.encoderPath + " + " + options.decoderPath : options.checkpointPath;
    if (pair == !options.checkpointPath.empty() || (pair && (options.encoderPath.empty() || options.decoderPath.empty())))
        throw ModelError("import: give the encoder and decoder files, or one checkpoint holding both");

    std::vector<TorchFile> files;
    Located located = locate(options, files);
    ModelFile model;
    model.config = detectArchitecture(located.encoder, located.decoder, displayName);
    if (model.config.decoder.input == DecoderInput::Combine)
        model.config.decoder.combineActivation = options.combineRelu ? Activation::Relu : Activation::Identity;
    model.config.name = options.name;

    TorchImportReport found;
    found.ignored = located.ignored;
    const bool vocabFiles = !options.sourceVocabPath.empty() || !options.targetVocabPath.empty();
    if (located.langs.size() >= 2) {
        // Source and target by their names (input_lang/output_lang, src/tgt...), else in order;
        // swapped when only the other way fits the embeddings.
        size_t source = 0, target = 1;
        for (size_t i = 0; i < located.langs.size(); ++i) {
            if (hints(located.langs[i].first, {"input", "src", "source"}))
                source = i;
            if (hints(located.langs[i].first, {"output", "tgt", "trg", "target"}))
                target = i;
        }
        if (source == target)
            target = source == 0 ? 1 : 0;
        model.sourceVocab = langWords(*located.langs[source].second, located.langs[source].first, displayName);
        model.targetVocab = langWords(*located.langs[target].second, located.langs[target].first, displayName);
        const int64_t sourceRows = embeddingRows(located.encoder), targetRows = embeddingRows(located.decoder);
        if (int64_t(model.sourceVocab.size()) != sourceRows && int64_t(model.targetVocab.size()) == sourceRows
            && int64_t(model.sourceVocab.size()) == targetRows) {
            std::swap(model.sourceVocab, model.targetVocab);
            std::swap(source, target);
        }
        found.vocabularies = "'" + located.langs[source].first + "' (source, " + std::to_string(model.sourceVocab.size())
                             + " words) and '" + located.langs[target].first + "' (target, "
                             + std::to_string(model.targetVocab.size()) + " words)"
                             + (options.vocabPicklePath.empty() ? "" : " from " + options.vocabPicklePath);
    } else {
        if (vocabFiles == !options.pairsPath.empty())
            throwModelError(displayName, "give the source and target vocabulary files, or the training pairs file "
                                         "to rebuild them from (not both)");
        if (vocabFiles) {
            if (options.sourceVocabPath.empty() || options.targetVocabPath.empty())
                throwModelError(displayName, "give both the source and the target vocabulary files");
            model.sourceVocab = readVocabularyFile(options.sourceVocabPath);
            model.targetVocab = readVocabularyFile(options.targetVocabPath);
            found.vocabularies = options.sourceVocabPath + " and " + options.targetVocabPath;
        } else {
            TutorialVocabularies vocabs = tutorialVocabularies(options.pairsPath, options.reversePairs, options.filterPairs);
            model.sourceVocab = std::move(vocabs.source);
            model.targetVocab = std::move(vocabs.target);
            found.vocabularies = "rebuilt from " + options.pairsPath;
        }
    }
    found.format = (options.checkpoint ? *options.checkpoint : files.front()).format();
    found.configuration = describeArchitecture(model.config);

    // The tutorial's modules have the names of attnviz-seq2seq/1.
    for (auto &[name, tensor] : located.encoder)
        model.tensors.emplace(tensorNameFromV1("encoder." + name), std::move(tensor));
    for (auto &[name, tensor] : located.decoder)
        model.tensors.emplace(tensorNameFromV1("decoder." + name), std::move(tensor));
    validateModel(model, displayName);
    if (report)
        *report = std::move(found);
    return model;
}

bool hasTutorialVocabularies(const std::string &checkpointPath)
{
    const TorchFile file = TorchFile::open(checkpointPath);
    std::vector<std::pair<std::string, const TorchValue *>> langs;
    findLangs(file.root(), "", 1, langs);
    return langs.size() >= 2;
}

} // namespace attnviz
