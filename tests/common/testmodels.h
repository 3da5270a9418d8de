// Small valid models with random weights, built in memory from the engine's own shape table.
#pragma once

#include <attnviz/io/model_file.h>

#include <random>

namespace attnviz::test {

// H = 4, source vocabulary 6 words, target vocabulary 7 words.
inline ModelFile makeRandomModel(Architecture architecture,
                                 LuongScore luongScore = LuongScore::General,
                                 CombineActivation combine = CombineActivation::Relu,
                                 unsigned seed = 1)
{
    ModelFile model;
    ModelConfig &config = model.config;
    config.architecture = architecture;
    config.hiddenSize = 4;
    config.sosToken = "SOS";
    config.eosToken = "EOS";
    config.unkToken = "UNK";
    config.luongScore = luongScore;
    if (architecture == Architecture::TutorialLegacy) {
        config.maxLength = 5;
        config.combineActivation = combine;
    }
    config.name = "random-" + architectureName(architecture);
    config.description = "random weights for tests";
    config.sourceLanguage = "eng";
    config.targetLanguage = "fra";
    model.sourceVocab = {"SOS", "EOS", "UNK", "i", "am", "cold"};
    model.targetVocab = {"SOS", "EOS", "UNK", "je", "suis", "froid", "ai"};

    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> distribution(-1.0f, 1.0f);
    const auto shapes = expectedTensorShapes(config, int64_t(model.sourceVocab.size()),
                                             int64_t(model.targetVocab.size()));
    for (const auto &[name, shape] : shapes) {
        Tensor &tensor = model.tensors[name];
        tensor.shape = shape;
        tensor.values.resize(size_t(tensor.elementCount()));
        for (float &value : tensor.values)
            value = distribution(generator);
    }
    return model;
}

} // namespace attnviz::test
