// Importing the PyTorch tutorial's own checkpoints (torch.save of a state dict), without Python.
// What is read and what is refused: docs/pytorch-import.md.
//
//     #include <attnviz/io/torch_import.h>
//
//     attnviz::TorchImportOptions options;
//     options.encoderPath = "encoder.pt";   // torch.save(encoder.state_dict(), "encoder.pt")
//     options.decoderPath = "decoder.pt";
//     options.pairsPath = "eng-fra.txt";    // or sourceVocabPath / targetVocabPath
//     options.reversePairs = options.filterPairs = true; // prepareData('eng', 'fra', True)
//     attnviz::ModelFile model = attnviz::importTorchCheckpoint(options); // throws ModelError
//     attnviz::saveModelFile(model, "eng-fra.safetensors");
#pragma once

#include <attnviz/io/model_file.h>
#include <attnviz/io/torch_file.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz {

// Reads a file written by torch.save (either format, see TorchFile) that holds a state dict of
// tensors of any storage type (widened to float32). Nested dicts of tensors are
// flattened with "." ({"encoder": {"gru.bias_ih_l0": t}} -> "encoder.gru.bias_ih_l0"); anything
// else in it is refused. Nothing in the pickle is executed. Throws ModelError
// "<path>: <problem>".
StateDict readTorchStateDict(const std::string &path);
StateDict readTorchStateDictFromBytes(std::string_view bytes, const std::string &displayName);

// The architecture and sizes, from the tensor names and shapes (the encoder's and decoder's
// state dicts, without prefixes): Bahdanau for the current tutorial (attention.Wa.weight),
// tutorial_legacy for the original one (attn.weight + attn_combine.weight; max_length = rows
// of attn.weight; combine activation relu), Luong with concat.weight (general when
// attention.W.weight is there, else dot). sos "SOS", eos "EOS", tutorial normalization.
// Throws ModelError prefixed with displayName when the tensors fit no architecture.
ModelConfig detectArchitecture(const StateDict &encoder, const StateDict &decoder,
                               const std::string &displayName);

// A vocabulary file: a JSON list of words (name ending in ".json"), or one word per line.
std::vector<std::string> readVocabularyFile(const std::string &path);

struct TutorialVocabularies
{
    std::vector<std::string> source, target; // index = token id
};

// The tutorial's readLangs + filterPairs + Lang: each line "first<TAB>second" is normalized
// (Normalization::Tutorial), reversed if asked (the tutorial's fra -> eng), and, with filter,
// kept only if both sides have fewer than 10 words and the second (target) side starts with
// one of the tutorial's English prefixes ("i am ", "he is", ...). Each vocabulary is SOS, EOS,
// then the words in order of first appearance. Lines without a tab are skipped.
TutorialVocabularies tutorialVocabularies(const std::string &pairsPath, bool reverse, bool filter);

struct TorchImportOptions
{
    std::string encoderPath, decoderPath; // the tutorial's two files...
    std::string checkpointPath;           // ...or one holding encoder.* and decoder.* tensors
    std::string sourceVocabPath, targetVocabPath; // readVocabularyFile...
    std::string pairsPath;                        // ...or rebuilt by tutorialVocabularies
    bool reversePairs = false;
    bool filterPairs = false;
    bool combineRelu = true; // the original tutorial: ReLU after attn_combine (the design notes: none)
    std::string name; // shown to the user; empty: none
};

// Reads, detects and assembles, then runs validateModel, so that every shape or vocabulary
// mismatch is reported as the loader would. Throws ModelError.
ModelFile importTorchCheckpoint(const TorchImportOptions &options);

} // namespace attnviz
