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
    // The tutorial's two files (each a state dict, a whole module saved with torch.save(encoder),
    // or a checkpoint dict holding one under a usual key)...
    std::string encoderPath, decoderPath;
    // ...or one file holding both: a checkpoint dict with encoder/encoder_state_dict/enc/en and
    // decoder/decoder_state_dict/dec/de (state dicts or modules), or model/model_state_dict/
    // state_dict, or tensors named encoder.*/decoder.*, or a whole Seq2Seq module. Other entries
    // (epoch, loss, optimizer...) are ignored and listed in the report.
    std::string checkpointPath;
    // checkpointPath already opened (openModel reads a file once); not owned, may be null.
    const TorchFile *checkpoint = nullptr;
    // Vocabularies, the first that is there: Lang-like objects (index2word/word2index/n_words)
    // in the checkpoint; a pickle holding two of them (pickle.dump((input_lang, output_lang)));
    // the vocabulary files; the training pairs.
    std::string vocabPicklePath;
    std::string sourceVocabPath, targetVocabPath; // readVocabularyFile...
    std::string pairsPath;                        // ...or rebuilt by tutorialVocabularies
    bool reversePairs = false;
    bool filterPairs = false;
    bool combineRelu = true; // the original tutorial: ReLU after attn_combine (the design notes: none)
    std::string name; // shown to the user; empty: none
};

// What the importer found, for `info` and the import dialog.
struct TorchImportReport
{
    std::string format;        // of the (first) file: "zip" or "legacy"
    std::string configuration; // describeArchitecture
    std::string vocabularies;  // where they came from
    std::vector<std::string> ignored; // "epoch (12)", "optimizer_state_dict (a dict)"
};

// Reads, detects and assembles, then runs validateModel, so that every shape or vocabulary
// mismatch is reported as the loader would. Throws ModelError.
ModelFile importTorchCheckpoint(const TorchImportOptions &options, TorchImportReport *report = nullptr);

// The encoder's and decoder's tensors wherever the options' files hold them, what else is in
// them, and the paths of the Lang-like objects found ("input_lang"): for previews.
struct TutorialWeights
{
    StateDict encoder, decoder; // without their encoder./decoder. prefixes
    std::vector<std::string> ignored;
    std::vector<std::string> vocabularies;
};
TutorialWeights findTutorialWeights(const TorchImportOptions &options);

// Whether the checkpoint carries its own vocabularies (two Lang-like objects).
bool hasTutorialVocabularies(const std::string &checkpointPath);

} // namespace attnviz
