// Reading an alignment of subword pieces as words: how pieces form words, and the result's
// matrices merged from pieces to words (docs/subword.md, "Reading pieces as words").
//
//     attnviz::PieceMarkings markings = attnviz::pieceMarkings(*model); // from the vocabularies
//     attnviz::WordMerge merge = attnviz::mergeToWords(result, markings);
//     merge.words.best().attention; // [output words x source words]: rows still sum to 1
//     merge.source.words[0].pieces;  // the piece positions of the first source word
#pragma once

#include <attnviz/analysis/statistics.h>
#include <attnviz/decoding/result.h>

#include <optional>
#include <string>
#include <vector>

namespace attnviz {

class Model;

// How a vocabulary marks where words begin and end.
enum class PieceMarking {
    None,               // every token is a word (word-level models)
    WordStart,          // SentencePiece: "▁" (U+2581) starts a word ("▁cat", "s")
    ContinuationSuffix, // subword-nmt BPE: "@@" ends a piece that continues ("ca@@", "ts")
    Joiner,             // OpenNMT Tokenizer: "￭" (U+FFED) on a side that attaches ("a￭", "￭b")
};

const char *pieceMarkingName(PieceMarking marking);

// The units a result is read in: the model's tokens, or the words they form.
enum class TokenUnits { Pieces, Words };
const char *tokenUnitsName(TokenUnits units); // "pieces", "words"
std::optional<TokenUnits> parseTokenUnits(const std::string &name); // "none", "word-start", "continuation-suffix", "joiner"

// A token that is always a word of its own and never joins a neighbour: one of `specials`, or
// one spelled like "<unk>", "</s>", "<pad>" ('<', at least one character, '>').
bool isSpecialToken(const std::string &token, const std::vector<std::string> &specials);

// The marking a vocabulary uses, from its strings alone (special tokens left out): the marking
// whose pieces are the most numerous, when they are at least 2 % of the strings; else None.
// Pieces of WordStart begin with "▁", of ContinuationSuffix end with "@@" (and are more than
// "@@"), of Joiner begin or end with "￭".
PieceMarking inferPieceMarking(const std::vector<std::string> &vocabulary,
                               const std::vector<std::string> &specials = {});

struct PieceMarkings
{
    PieceMarking source = PieceMarking::None, target = PieceMarking::None;
    bool any() const { return source != PieceMarking::None || target != PieceMarking::None; }
};

// The model's markings: from its tokenizer record when it has one (SentencePiece "▁" word
// starts, BPE "@@" continuations, "￭" joiners), else inferred from its vocabularies
// (inferPieceMarking, with the model's SOS, EOS and UNK as specials).
PieceMarkings pieceMarkings(const Model &model);

// One word and the token positions it is made of (consecutive, at least one).
struct WordUnit
{
    std::string text;        // the pieces joined with their markers removed; see groupPieces
    std::vector<int> pieces; // positions in the token sequence
    bool special = false;    // a special token (EOS, UNK, ...) standing alone
};

struct WordGrouping
{
    std::vector<WordUnit> words;
    std::vector<int> wordOf; // per token position: the index of its word

    int size() const { return int(words.size()); }
    bool isIdentity() const { return words.size() == wordOf.size(); } // every token its own word
};

// Groups a token sequence into words. Special tokens (isSpecialToken) stand alone and end the
// word before them. Edge cases:
// - WordStart: a piece without "▁" continues the word before it, unless it is the first or
//   follows a special token (then it starts a word). A lone "▁" starts a word whose text is
//   the next pieces' ("▁" "(" is the word "("); a lone "▁" with nothing after it is the word "▁".
// - ContinuationSuffix: a piece ending in "@@" joins the next piece; when there is none (the
//   end, or a special token next), the word ends there and keeps its "@@" ("lo@@"), so that the
//   dangling piece shows.
// - Joiner: a piece ending in "￭" joins the next, a piece starting with "￭" joins the one
//   before; "￭" on both sides (or a lone "￭") joins both. Markers are removed from the text; a
//   word left empty is shown as its pieces joined.
// - None: every token is its own word.
WordGrouping groupPieces(const std::vector<std::string> &tokens, PieceMarking marking,
                         const std::vector<std::string> &specials = {});

// A [rows x columns] matrix of pieces merged to words: each word column is the sum of its
// pieces' columns, each word row the mean of its pieces' rows. Columns past the grouped ones
// (the slots of tutorial_legacy) are kept, after the word columns. A row-stochastic matrix stays
// row-stochastic: summing columns keeps each row's total, and a mean of rows summing to 1 sums to 1.
MatrixRM mergeMatrix(const MatrixRM &pieces, const WordGrouping &rows, const WordGrouping &columns);

// A translation result of pieces, read as words: `words` is a TranslationResult of the same
// shape whose tokens are words, so that the views, the JSON and CSV exports and the gold-link
// scoring read it unchanged.
struct WordMerge
{
    TranslationResult words;
    WordGrouping source;              // over the source tokens, EOS included
    std::vector<WordGrouping> target; // per hypothesis, over its output tokens
    std::optional<WordGrouping> ablationTarget;
};

// In `words`, per hypothesis: attention merged (mergeMatrix); contexts the mean of the word's
// pieces' c_i (the context the mean attention row gives, since c_i is linear in α_i); cosine,
// distance and entropy computed again from those; paddingMass the mean; coverage the sum of
// each word column; logProbs the sum over the word's pieces (log p of the word, by the chain
// rule); score and normalizedScore as decoded (per piece: beams are ranked on them). Raw
// scores have no merged meaning (a sum or mean of e_ij before the softmax is not the score of a
// word), so `energies` is empty. Ids are the first piece's; sourceWords / targetWords are the
// words, sourceWordIndex / targetWordIndex their positions, so gold links are word indices.
// unknownWords / unknownTargetWords are kept as typed (some never reached the encoder). The source is grouped on the typed
// pieces when they match the tokens one to one (an UNK token keeps the marker it was typed
// with), else on the tokens.
WordMerge mergeToWords(const TranslationResult &pieces, PieceMarkings markings,
                       const std::vector<std::string> &specials = {});

// The ablation's output merged the same way (log p summed per word).
AblationResult mergeAblationToWords(const AblationResult &pieces, PieceMarking target,
                                    const std::vector<std::string> &specials = {});

// What each source word adds to the word row's context: for output word i and source word w,
// the norm of mean_{i' in i} sum_{j in w} α_i'j h_j and its cosine with the word row's context.
// `pieces` and `hypothesis` are the piece result the merge was made from.
std::vector<Contribution> wordContextContributions(const TranslationResult &pieces, int hypothesis,
                                                   const WordMerge &merge, int wordStep);

// The special tokens of a model: its SOS, EOS and UNK words.
std::vector<std::string> specialTokens(const Model &model);

} // namespace attnviz
