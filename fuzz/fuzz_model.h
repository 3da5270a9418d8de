// What the model fuzz targets (and tst_fuzzcorpus, which replays their corpus) do with bytes:
// load them as a model, and when that succeeds, translate with it, so that every configuration
// the loader accepts also runs through the encoder, the decoder and the beam. Anything but
// ModelError from the loader or InputError from translate() is a finding.
#pragma once

#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_file.h>
#include <attnviz/io/toolkit_import.h>
#include <attnviz/io/torch_file.h>
#include <attnviz/io/torch_import.h>

#include <cstring>
#include <string_view>

namespace attnviz::fuzz {

inline void loadAndTranslate(std::string_view bytes, const std::string &displayName, bool asJson)
{
    ModelFile file;
    try {
        file = loadModelFromBytes(bytes, displayName, asJson);
    } catch (const ModelError &) {
        return;
    }
    const Model model(std::move(file), displayName);
    // The vocabulary's own words, so that the encoder sees known ids; a short limit keeps a
    // random model from decoding for long.
    std::string sentence;
    for (int id = 0; id < model.sourceVocabSize() && id < 4; ++id)
        sentence += model.sourceWord(id) + " ";
    DecodeOptions options;
    options.maxLength = 4;
    options.beamWidth = 2;
    try {
        translate(model, sentence, options);
        // Greedy decoding that guesses ahead (every guess wrong, so every undo runs too) must
        // give the tokens and log-probabilities of one step at a time, bit for bit.
        DecodeOptions greedy;
        greedy.maxLength = 4;
        greedy.speculation = Speculation::Off;
        const TranslationResult plain = translate(model, sentence, greedy);
        for (Speculation s : {Speculation::Always, Speculation::AlwaysWrong}) {
            greedy.speculation = s;
            const TranslationResult guessed = translate(model, sentence, greedy);
            const Hypothesis &a = plain.best(), &b = guessed.best();
            if (a.targetIds != b.targetIds || a.logProbs.size() != b.logProbs.size()
                || std::memcmp(a.logProbs.data(), b.logProbs.data(), a.logProbs.size() * sizeof(double)) != 0)
                __builtin_trap();
        }
        options.target = sentence;
        translate(model, sentence, options);
    } catch (const InputError &) {
    }
}

// What fuzz_torch does with bytes: unpickle them (nothing may run), read every tensor, and hand
// what unpickles to the importers that would take it (OpenNMT-py, the chatbot tutorial, a
// state dict of the translation tutorial), then translate whatever they accept.
inline void readTorchBytes(const std::string &bytes, const std::string &displayName)
{
    try {
        const TorchFile file = TorchFile::fromBytes(bytes, displayName);
        for (const auto &entry : file.root().entries())
            (void)entry.second->describe();
        collectTensors(file, file.root());
        ModelFile model;
        if (isOnmtCheckpoint(file))
            model = openOnmtModel(file, displayName);
        else if (isChatbotCheckpoint(file))
            model = chatbotModel(file, displayName);
        if (!model.tensors.empty()) {
            DecodeOptions options;
            options.maxLength = 4;
            const Model loaded(std::move(model), displayName);
            translate(loaded, loaded.sourceWord(0), options);
        }
    } catch (const ModelError &) {
    } catch (const InputError &) {
    }
    try {
        readTorchStateDictFromBytes(bytes, displayName);
    } catch (const ModelError &) {
    }
}

} // namespace attnviz::fuzz
