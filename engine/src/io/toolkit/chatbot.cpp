// The PyTorch chatbot tutorial's checkpoint (beginner_source/chatbot_tutorial.py, trainIters):
// {iteration, en, de, en_opt, de_opt, loss, voc_dict, embedding} in one .tar, read as a model of
// the family. The rules follow the tutorial's own EncoderRNN, Attn, LuongAttnDecoderRNN and
// GreedySearchDecoder; docs/toolkits.md.
#include <attnviz/io/toolkit_import.h>
#include <attnviz/io/torch_file.h>

#include "io/load_helpers.h"
#include "io/toolkit/assemble.h"

namespace attnviz {

namespace {

using detail::throwModelError;

// The vocabulary of voc.__dict__: index2word {id: word} for ids 0 .. num_words - 1 (PAD 0,
// SOS 1, EOS 2).
std::vector<std::string> chatbotVocabulary(const TorchValue &voc, const std::string &displayName)
{
    const TorchValue *index2word = voc.find("index2word");
    const TorchValue *count = voc.find("num_words");
    if (!index2word || !index2word->isDict())
        throwModelError(displayName, "voc_dict has no index2word dict (the tutorial's Voc.__dict__ holds one)");
    if (!count || !count->isInt() || count->integer() < 3 || count->integer() > (int64_t(1) << 24))
        throwModelError(displayName, "voc_dict['num_words'] is " + (count ? count->describe() : std::string("missing"))
                                         + ", not a word count of at least 3");
    // Every id below num_words needs its word: a file whose index2word is shorter is refused
    // before anything is allocated (a fuzzed num_words of 2^24 must not cost 2^24 strings).
    const size_t entries = index2word->dictItems().size();
    if (entries < static_cast<size_t>(count->integer()))
        throwModelError(displayName, "voc_dict['index2word'] has " + std::to_string(entries) + " words but num_words is "
                                         + std::to_string(count->integer()));
    std::vector<std::string> words(static_cast<size_t>(count->integer()));
    std::vector<bool> seen(words.size());
    for (const auto &[key, word] : index2word->dictItems()) {
        if (!key->isInt() || !word->isString())
            throwModelError(displayName, "voc_dict['index2word'] maps " + key->describe() + " to " + word->describe()
                                             + "; expected ids to words");
        if (key->integer() < 0 || key->integer() >= count->integer())
            throwModelError(displayName, "voc_dict['index2word'] has id " + std::to_string(key->integer())
                                             + ", outside num_words " + std::to_string(count->integer()));
        words[size_t(key->integer())] = word->text();
        seen[size_t(key->integer())] = true;
    }
    for (size_t id = 0; id < words.size(); ++id)
        if (!seen[id])
            throwModelError(displayName, "voc_dict['index2word'] has no word for id " + std::to_string(id)
                                             + " (num_words is " + std::to_string(words.size()) + ")");
    return words;
}

int gruLayers(const StateDict &state, const char *what, const std::string &displayName)
{
    int layers = 0;
    while (state.count("gru.weight_ih_l" + std::to_string(layers)))
        ++layers;
    if (layers == 0)
        throwModelError(displayName, std::string(what) + " has no gru.weight_ih_l0: not the tutorial's "
                                         + (what[0] == 'e' ? "EncoderRNN" : "LuongAttnDecoderRNN"));
    return layers;
}

} // namespace

bool isChatbotCheckpoint(const TorchFile &file)
{
    const TorchValue &root = file.root();
    return root.isDict() && root.find("en") && root.find("de") && root.find("voc_dict");
}

ModelFile chatbotModel(const TorchFile &file, const std::string &displayName)
{
    if (!isChatbotCheckpoint(file))
        throwModelError(displayName, "not a PyTorch chatbot tutorial checkpoint (no 'en', 'de' and 'voc_dict' entries)");
    const TorchValue &root = file.root();
    const StateDict encoder = collectTensors(file, *root.find("en"));
    const StateDict decoder = collectTensors(file, *root.find("de"));
    std::vector<std::string> vocab = chatbotVocabulary(*root.find("voc_dict"), displayName);

    const auto embedding = encoder.find("embedding.weight");
    if (embedding == encoder.end() || embedding->second.shape.size() != 2)
        throwModelError(displayName, "en has no embedding.weight [num_words, hidden_size]");
    const int hidden = static_cast<int>(embedding->second.shape[1]);
    if (embedding->second.shape[0] != static_cast<int64_t>(vocab.size()))
        throwModelError(displayName, "en's embedding.weight has " + std::to_string(embedding->second.shape[0])
                                         + " rows but voc_dict has " + std::to_string(vocab.size()) + " words");

    ModelConfig c;
    c.name = "PyTorch chatbot tutorial";
    c.sosToken = vocab[1];
    c.eosToken = vocab[2];
    c.normalization = Normalization::Tutorial; // normalizeString
    c.sourceEos = true;                        // indexesFromSentence appends EOS_token
    EncoderConfig &e = c.encoder;
    e.cell = Cell::Gru;
    e.layers = gruLayers(encoder, "en", displayName);
    e.embeddingSize = e.hiddenSize = hidden;
    e.bidirectional = true;
    e.merge = DirectionMerge::Sum; // outputs[:, :, :H] + outputs[:, :, H:]
    DecoderConfig &d = c.decoder;
    d.cell = Cell::Gru;
    d.layers = gruLayers(decoder, "de", displayName);
    d.embeddingSize = d.hiddenSize = hidden;
    d.input = DecoderInput::Embedding;
    d.query = Query::Current;      // Attn(rnn_output, encoder_outputs)
    d.init = InitRule::FirstLayers; // decoder_hidden = encoder_hidden[:decoder.n_layers]
    d.attentional = Attentional::StateContext; // tanh(concat(cat(rnn_output, context)))
    d.attentionalActivation = Activation::Tanh;
    d.attentionalBias = true;
    d.outputBias = true;
    AttentionConfig &a = c.attention;
    if (decoder.count("attn.v")) { // concat: v . tanh(attn([s; h_j]))
        a.score = Score::Concat;
        a.hiddenSize = hidden;
        a.bias = true;
        a.energyBias = false;
    } else if (decoder.count("attn.attn.weight")) { // general: s . attn(h_j), attn with bias
        a.score = Score::Bilinear;
        a.bias = true;
    } else {
        a.score = Score::Dot;
    }
    // GreedySearchDecoder runs MAX_LENGTH = 10 steps, whatever the source.
    c.search.maxLengthOffset = 10;

    StateDict weights;
    for (const auto &[name, tensor] : encoder)
        weights.emplace("en." + name, tensor);
    for (const auto &[name, tensor] : decoder)
        if (name != "embedding.weight") // the tutorial's one nn.Embedding, saved in en, de and embedding
            weights.emplace("de." + name, tensor);
    if (auto v = weights.find("de.attn.v"); v != weights.end() && v->second.shape.size() == 1)
        v->second.shape = {1, v->second.shape[0]}; // the energy layer's [1, Da]
    const auto chatbotName = [](const std::string &name) -> detail::TensorSource {
        using detail::startsWith;
        if (name == "decoder.embedding.weight")
            return {"en.embedding.weight"};
        if (startsWith(name, "encoder.rnn."))
            return {"en.gru." + name.substr(12)};
        if (startsWith(name, "encoder."))
            return {"en." + name.substr(8)};
        if (startsWith(name, "decoder.rnn."))
            return {"de.gru." + name.substr(12)};
        if (startsWith(name, "decoder.attentional."))
            return {"de.concat." + name.substr(20)};
        if (startsWith(name, "decoder.attention.concat."))
            return {"de.attn.attn." + name.substr(25)};
        if (name == "decoder.attention.energy_layer.weight")
            return {"de.attn.v"};
        if (startsWith(name, "decoder.attention.linear."))
            return {"de.attn.attn." + name.substr(25)};
        return {"de." + name.substr(8)};
    };
    std::vector<std::string> target = vocab;
    return detail::assembleModel(c, std::move(vocab), std::move(target), weights, chatbotName, "en/de",
                                 displayName);
}

} // namespace attnviz
