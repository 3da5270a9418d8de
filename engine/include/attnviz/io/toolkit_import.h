// Joey NMT and OpenNMT-py models as points of the engine's family: their configurations,
// vocabularies and tensor names mapped onto a ModelFile, without Python. What maps and what is
// refused: docs/toolkits.md.
//
//     #include <attnviz/io/toolkit_import.h>
//
//     // Joey NMT: config.yaml, the vocabulary files it names, the checkpoint's model_state
//     attnviz::JoeyConfig joey = attnviz::joeyConfigFromYaml(yamlText, "models/deen/config.yaml");
//     std::vector<std::string> source = attnviz::joeyVocabulary(srcVocabText, joey.specials);
//     std::vector<std::string> target = attnviz::joeyVocabulary(trgVocabText, joey.specials);
//     attnviz::ModelFile model = attnviz::joeyModel(joey, source, target, modelState, "best.ckpt");
//
//     // OpenNMT-py: the checkpoint's opt (as JSON), vocab lists, model and generator tensors
//     attnviz::ModelConfig config = attnviz::onmtConfig(optJson, "model_step_1000.pt");
//     attnviz::ModelFile onmt = attnviz::onmtModel(config, srcList, tgtList, weights, "model_step_1000.pt");
#pragma once

#include <attnviz/io/model_file.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace attnviz {

using StateDict = std::map<std::string, Tensor>; // "encoder.rnn.weight_ih_l0" -> [3H, E]

// --- Joey NMT (2.x; 1.x configurations, which differ in key names) ---

// data.special_symbols (Joey 2.x; 1.x has fixed ones): the tokens and the ids Joey expects.
struct JoeySpecials
{
    std::string unk = "<unk>", pad = "<pad>", bos = "<s>", eos = "</s>";
    std::optional<std::string> sep;
    std::vector<std::string> langTags;
    int unkId = 0, padId = 1, bosId = 2, eosId = 3;
};

struct JoeyConfig
{
    ModelConfig config; // the family point, the tokens and Joey's search rules
    JoeySpecials specials;
    // The vocabulary files config.yaml names (data.src.voc_file, 1.x data.src_vocab); empty
    // when it names none (then Joey reads src_vocab.txt / trg_vocab.txt in the model directory).
    std::string sourceVocabFile, targetVocabFile;
    bool tiedEmbeddings = false, tiedSoftmax = false;
    bool version1 = false; // the 1.x layout (data.src is a language name)
    // data.src / data.trg's tokenizer (level bpe or char, or normalize), without the file it
    // names: tokenizerFiles[0] / [1] is tokenizer_cfg.model_file or codes as config.yaml gives
    // it (openJoeyModel reads it and embeds it). None: Joey's plain word level.
    std::optional<TokenizerRecord> tokenizer;
    std::string tokenizerFiles[2];
};

// Reads config.yaml (yaml-cpp) and maps its model section. Throws ModelError "<displayName>:
// <key>: ..." for what does not parse or what the engine cannot run (a transformer: "not
// supported yet", naming the key).
JoeyConfig joeyConfigFromYaml(const std::string &yamlText, const std::string &displayName);

// Joey's Vocabulary from a vocabulary file's text: its special symbols first, then the file's
// lines (split as Python's str.splitlines does), each kept once, in order. Throws ModelError
// when the specials do not land on the ids the config expects.
std::vector<std::string> joeyVocabulary(const std::string &fileText, const JoeySpecials &specials,
                                        const std::string &displayName);

// model_state (the names of Joey's modules: src_embed.lut.weight, encoder.rnn.*, decoder.rnn.*,
// decoder.attention.*, decoder.att_vector_layer.*, decoder.bridge_layer.*, decoder.output_layer.*)
// renamed to the engine's, then validated as a model file is. Throws ModelError.
ModelFile joeyModel(const JoeyConfig &joey, std::vector<std::string> sourceVocab, std::vector<std::string> targetVocab,
                    const StateDict &modelState, const std::string &displayName);

// --- OpenNMT-py (3.x; 2.x option names) ---

// The checkpoint's opt (an argparse.Namespace, as a JSON object of its fields) mapped onto the
// family, with OpenNMT-py's tokens (<s>, </s>, <unk>), no EOS on the source and onmt_translate's
// default length rule. Throws ModelError "<displayName>: opt.<field> ...: ..." for what the engine
// cannot run (copy attention, coverage, a context gate, sparsemax, SRU, source features,
// position encoding, transformers and the other encoders).
ModelConfig onmtConfig(const nlohmann::json &opt, const std::string &displayName);

// `weights` holds the model's tensors and the generator's as "generator.weight" and
// "generator.bias" (the .pt's `generator` entry, or the safetensors file's own names).
ModelFile onmtModel(const ModelConfig &config, std::vector<std::string> sourceVocab,
                    std::vector<std::string> targetVocab, const StateDict &weights, const std::string &displayName);

// --- From disk (checkpoints read with TorchFile) ---

class TorchFile;

// A Joey NMT model directory, or one of its .ckpt files (best.ckpt, latest.ckpt, N.ckpt): a
// directory or .ckpt with config.yaml beside it.
bool isJoeyModelPath(const std::string &path);
// The directory's best.ckpt, else latest.ckpt, else its last N.ckpt; config.yaml and the
// vocabulary files beside it. Throws ModelError.
// `checkpoint`: the .ckpt of `path` already opened (openModel reads a file once), or null.
ModelFile openJoeyModel(const std::string &path, const TorchFile *checkpoint = nullptr);

// A torch.save file with 'opt' (a Namespace record) and 'vocab': OpenNMT-py's *_step_N.pt.
bool isOnmtCheckpoint(const TorchFile &file);
// model + generator from the .pt, or, for save_format safetensors, from the .safetensors file
// beside it. Throws ModelError.
ModelFile openOnmtModel(const std::string &path);
ModelFile openOnmtModel(const TorchFile &file, const std::string &path); // `file`: `path`, opened

// The PyTorch chatbot tutorial's checkpoint (trainIters: en, de, voc_dict, embedding, ... in a
// .tar): a 1..N-layer bidirectional GRU encoder with the directions summed, Luong's dot,
// general or concat attention, one vocabulary and one embedding for both sides.
bool isChatbotCheckpoint(const TorchFile &file);
ModelFile chatbotModel(const TorchFile &file, const std::string &displayName);

// --- Hugging Face Marian (opus-mt) folders, as transformers 4.2x reads them ---

// A directory whose config.json says "model_type": "marian".
bool isMarianFolder(const std::string &path);
// config.json onto a transformer of the family (post-norm, sinusoidal halves, tied and shared
// as the file says, final_logits_bias as the output bias, the decoder start token (pad) as SOS,
// bad_words_ids of one token as never generated). Throws ModelError naming the key.
ModelConfig marianConfig(const nlohmann::json &config, const std::vector<std::string> &sourceVocab,
                         const std::vector<std::string> &targetVocab, const std::string &displayName);
// The folder: config.json, model.safetensors or pytorch_model.bin, vocab.json (ids as the
// model's; target_vocab.json when share_encoder_decoder_embeddings is false), source.spm and
// target.spm as the tokenizer record. Throws ModelError.
ModelFile openMarianModel(const std::string &path);

} // namespace attnviz
