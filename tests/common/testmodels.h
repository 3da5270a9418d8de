// Small valid models with random weights, built in memory from the engine's own shape table.
#pragma once

#include <attnviz/io/model_file.h>

#include <random>

namespace attnviz::test {

// Every tensor the model's configuration and vocabularies need, uniform in [-scale, scale].
inline void setRandomWeights(ModelFile &model, unsigned seed, float scale = 1.0f)
{
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> distribution(-scale, scale);
    const auto shapes = expectedTensorShapes(model.config, int64_t(model.sourceVocab.size()),
                                             int64_t(model.targetVocab.size()));
    for (const auto &[name, shape] : shapes) {
        Tensor &tensor = model.tensors[name];
        tensor.shape = shape;
        tensor.values.resize(size_t(tensor.elementCount()));
        for (float &value : tensor.values)
            value = distribution(generator);
    }
}

// Random weights for every tensor the configuration needs; the vocabularies and names below.
inline ModelFile makeRandomModel(const ModelConfig &family, const std::string &modelName, unsigned seed = 1)
{
    ModelFile model;
    ModelConfig &config = model.config;
    config = family;
    config.sosToken = "SOS";
    config.eosToken = "EOS";
    config.unkToken = "UNK";
    config.name = modelName;
    config.description = "random weights for tests";
    config.sourceLanguage = "eng";
    config.targetLanguage = "fra";
    model.sourceVocab = {"SOS", "EOS", "UNK", "i", "am", "cold"};
    model.targetVocab = {"SOS", "EOS", "UNK", "je", "suis", "froid", "ai"};

    setRandomWeights(model, seed);
    return model;
}

// One of the three version 1 architectures: H = 4, source vocabulary 6 words, target
// vocabulary 7 words, L = 5 slots.
inline ModelFile makeRandomModel(Architecture architecture, LuongScore luongScore = LuongScore::General,
                                 bool combineRelu = true, unsigned seed = 1)
{
    const ModelConfig config = architecture == Architecture::Bahdanau ? bahdanauConfig(4)
        : architecture == Architecture::Luong                        ? luongConfig(4, luongScore)
                                                                     : tutorialLegacyConfig(4, 5, combineRelu);
    return makeRandomModel(config, "random-" + architectureName(architecture), seed);
}

// A small transformer (d 16, feed-forward 24, pre-norm, tied output): `layers` encoder and
// decoder layers of `heads` heads over the words of "i am cold" / "je suis froid" and a few more.
inline ModelFile makeTransformerModel(int layers = 2, int heads = 4, unsigned seed = 7)
{
    ModelConfig config;
    config.family = Family::Transformer;
    TransformerConfig &t = config.transformer;
    t.encoderLayers = layers;
    t.decoderLayers = layers;
    t.modelSize = 16;
    t.heads = heads;
    t.feedForwardSize = 24;
    t.tiedOutput = false;
    t.outputBias = true;
    config.normalization = Normalization::None;
    ModelFile model = makeRandomModel(config, "tiny-transformer", seed);
    model.sourceVocab = {"SOS", "EOS", "UNK", "i", "am", "cold", "you", "are", "tired", "we", "the", "cat", "."};
    model.targetVocab = {"SOS", "EOS", "UNK", "je", "suis", "froid", "tu", "es", "fatigue", "le", "chat", "."};
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> distribution(-1.0f, 1.0f);
    model.tensors.clear();
    for (const auto &[name, shape] : expectedTensorShapes(model.config, int64_t(model.sourceVocab.size()),
                                                          int64_t(model.targetVocab.size()))) {
        Tensor &tensor = model.tensors[name];
        tensor.shape = shape;
        tensor.values.resize(size_t(tensor.elementCount()));
        const bool norm = name.find("norm.weight") != std::string::npos;
        for (float &value : tensor.values)
            value = distribution(generator) + (norm ? 1.0f : 0.0f);
    }
    return model;
}

} // namespace attnviz::test
