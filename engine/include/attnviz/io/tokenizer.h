// A model's tokenizer: how typed text becomes the pieces its toolkit fed it, and how output
// pieces become the translation line. The record (TokenizerRecord) travels in the model file
// (docs/model-format.md, "tokenizer"); a Tokenizer is built from one side of it.
//
//     #include <attnviz/io/tokenizer.h>
//
//     attnviz::TokenizerSide side;
//     side.kind = attnviz::TokenizerKind::Bpe;
//     side.codes = "#version: 0.2\ni r\nir on</w>\n";
//     attnviz::Tokenizer bpe(side, {}, {}, "", "model.safetensors: tokenizer.source");
//     bpe.encode("iron irony");                // {"iron", "ir@@", "o@@", "n@@", "y"}
//     bpe.decode({"ir@@", "on", "."});          // "iron ."
//
// What each kind and option reproduces: docs/subword.md.
#pragma once

#include <attnviz/io/bpe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace attnviz {

struct ModelConfig;
struct ModelFile;

enum class TokenizerKind {
    Word,          // split on spaces (Joey NMT's level word, with its pre-processing)
    Character,     // one piece per character, a space as "▁" (Joey NMT's level char)
    SentencePiece, // a SentencePiece model
    Bpe,           // subword-nmt codes
};

// Whose conventions pre-processing and detokenization follow.
enum class TokenizerToolkit {
    Plain,     // the library's own: SentencePiece's DecodePieces, BPE separators removed
    JoeyNmt,   // BasicTokenizer.pre_process / post_process (lowercase, normalize)
    OpenNmtPy, // the sentencepiece and bpe transforms (apply_reverse)
};

// One side (source or target) of the record.
struct TokenizerSide
{
    TokenizerKind kind = TokenizerKind::Word;
    TokenizerToolkit toolkit = TokenizerToolkit::Plain;
    std::string sentencePieceModel; // SentencePiece: the .model file's bytes
    std::string codes;              // BPE: the codes file's text
    BpeOptions bpe;                 // BPE: separator, merges, glossaries
    // BPE: a get_vocab.py vocabulary ("piece count" lines) to restrict the pieces to, with the
    // threshold (subword-nmt's --vocabulary / --vocabulary-threshold; OpenNMT-py's subword_vocab).
    std::string bpeVocabulary;
    std::optional<int> bpeVocabularyThreshold;
    // Only pieces of the model's own vocabulary (Joey NMT's set_vocab: SetVocabulary for
    // SentencePiece, the vocabulary without its special symbols for BPE).
    bool restrictToModelVocabulary = false;
    bool lowercase = false; // Joey NMT: lowercase after normalizing
    bool normalize = false; // Joey NMT: NFKC, quotes, spaces (joeyPreprocess)

    bool operator==(const TokenizerSide &other) const;
    bool operator!=(const TokenizerSide &other) const { return !(*this == other); }
};

// The model file's "tokenizer" entry. No record: a word-level model whose text is split by
// its config's normalization (attnviz/io/text.h).
struct TokenizerRecord
{
    TokenizerSide source, target;

    bool operator==(const TokenizerRecord &other) const { return source == other.source && target == other.target; }
    bool operator!=(const TokenizerRecord &other) const { return !(*this == other); }
};

// The record as the model file stores it, and back. Parsing checks the structure (throws
// ModelError "<displayName>: tokenizer.source.kind: ..."); what the record names is only
// checked when a Tokenizer is built.
nlohmann::json tokenizerRecordToJson(const TokenizerRecord &record);
TokenizerRecord tokenizerRecordFromJson(const nlohmann::json &json, const std::string &displayName);
TokenizerRecord tokenizerRecordFromText(std::string_view jsonText, const std::string &displayName);

std::string tokenizerKindName(TokenizerKind kind);       // "sentencepiece", "bpe", "word", "char"
std::string tokenizerToolkitName(TokenizerToolkit kind); // "plain", "joeynmt", "opennmt-py"

std::string base64Encode(std::string_view bytes);
// Standard alphabet with padding; nothing when the text is not base64 (whitespace refused).
std::optional<std::string> base64Decode(std::string_view text);

// How a piece says where words start, for reading pieces as words.
struct SubwordMarking
{
    enum Style {
        Words,              // every piece is a word (word-level)
        WordStartPrefix,    // a piece starting with `marker` starts a word (SentencePiece "▁")
        ContinuationSuffix, // a piece ending with `marker` continues into the next (BPE "@@")
        Characters,         // one piece per character, `marker` ("▁") is a space
    };
    Style style = Words;
    std::string marker;
};

class Tokenizer
{
public:
    // `vocabulary` is the model's vocabulary of this side (used when restrictToModelVocabulary),
    // `specials` its special tokens (tokenizerSpecials), which Joey NMT leaves out of the BPE
    // restriction and, but for the unknown-word token `unk`, drops from the output before
    // detokenizing. Throws ModelError "<displayName>.<key>: ..." when the side's model or codes
    // cannot be read.
    Tokenizer(const TokenizerSide &side, const std::vector<std::string> &vocabulary,
              const std::vector<std::string> &specials, const std::string &unk, const std::string &displayName);
    ~Tokenizer();
    Tokenizer(Tokenizer &&) noexcept;
    Tokenizer &operator=(Tokenizer &&) noexcept;

    // Typed text to the pieces the toolkit feeds the model (pre-processing included).
    std::vector<std::string> encode(std::string_view text) const;
    // Output pieces (without the final EOS) to the text of the toolkit's translation line.
    std::string decode(const std::vector<std::string> &pieces) const;

    SubwordMarking marking() const;
    const TokenizerSide &side() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// The config's special tokens: SOS, EOS, UNK, search.never_generate (Joey NMT's PAD, SEP and
// language tags).
std::vector<std::string> tokenizerSpecials(const ModelConfig &config);

// Both sides of the model file's record; none for a word-level model (no record). Throws
// ModelError "<displayName>: tokenizer.source.model_base64: not a SentencePiece model ...".
struct ModelTokenizers
{
    std::optional<Tokenizer> source, target;
};
ModelTokenizers makeTokenizers(const ModelFile &model, const std::string &displayName);

} // namespace attnviz
