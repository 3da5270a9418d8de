// What the model fuzz targets (and tst_fuzzcorpus, which replays their corpus) do with bytes:
// load them as a model, and when that succeeds, translate with it, so that every configuration
// the loader accepts also runs through the encoder, the decoder and the beam. Anything but
// ModelError from the loader or InputError from translate() is a finding.
#pragma once

#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_file.h>

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
        options.target = sentence;
        translate(model, sentence, options);
    } catch (const InputError &) {
    }
}

} // namespace attnviz::fuzz
