// Two models on one sentence, and one model across its training run: both forced on the same
// output so that row i of each means the same thing (docs/compare.md).
//
//     auto a = attnviz::Model::fromFile("sample_models/eng-fra-bahdanau.safetensors");
//     auto b = attnviz::Model::fromFile("sample_models/eng-fra-luong.safetensors");
//     attnviz::ModelComparison c = attnviz::compareModels(*a, *b, "I am cold.", {});
//     c.targetTokens;  // A's translation, EOS included: the rows of both
//     c.jsd;           // per step, in nats: 0 for identical rows, at most ln 2
//     c.meanJsd, c.agreement;
#pragma once

#include <attnviz/analysis/alignment.h>
#include <attnviz/analysis/word_units.h>
#include <attnviz/decoding/translate.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnviz {

// The two models cannot be compared on this sentence: their source tokens or vocabularies differ.
// The message names both token lists (or the word one of them lacks).
class ComparisonError : public std::runtime_error
{
public:
    using runtime_error::runtime_error;
};

// Rows p and q of the same length, each summing to 1 (up to rounding).
// JSD(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = ½ (p + q), natural log: in [0, ln 2].
double jensenShannon(const Eigen::Ref<const Vector> &p, const Eigen::Ref<const Vector> &q);
// The same in double (attribution's rowAgreement: attention against the normalized |attribution|).
double jensenShannon(const Eigen::Ref<const Eigen::VectorXd> &p, const Eigen::Ref<const Eigen::VectorXd> &q);
// -sum_j p_j ln p_j (nats).
double rowEntropy(const Eigen::Ref<const Vector> &p);
// The first index of the largest value.
int rowArgmax(const Eigen::Ref<const Vector> &p);

// Per step and for the sentence, from two [steps x columns] matrices of the same shape.
struct RowComparison
{
    std::vector<double> jsd;        // per step, nats
    std::vector<int> agreement;     // per step: 1 when both rows have the same argmax
    std::vector<double> entropyA, entropyB;
    double meanJsd = 0, meanAgreement = 0; // means of the per-step values (0 for no steps)
};
RowComparison compareRows(const MatrixRM &a, const MatrixRM &b); // throws std::invalid_argument on a shape mismatch

// The attention over the T source positions only: a tutorial_legacy model's slots past the input
// are dropped and each row renormalised, so that such a model compares with one that has T columns.
MatrixRM sourceAttention(const TranslationResult &result); // [steps x T]

// Which output both models read.
enum class SharedOutput { A, B }; // the greedy translation of A, or of B

struct CompareOptions
{
    std::optional<std::string> target; // the reference; when set, `use` is ignored
    SharedOutput use = SharedOutput::A;
    int maxLength = 0;                 // of the greedy translation; 0 = the model's default
    // Pieces: both models must read the same tokens. Words: both read the shared output's text
    // in their own pieces, and the rows and columns are the words these merge to
    // (mergeToWords), which must agree. Unset: pieces when the two read the sentence as the same
    // tokens, else words when either model has subword pieces.
    std::optional<TokenUnits> units;
    HeadSelection view; // a transformer's α compared (default: the last layer's mean over its heads)
    // Checked at every decoder step of every decoding (may be empty): true stops the comparison
    // with Cancelled (the Compare window's Cancel, or a newer choice).
    std::function<bool()> cancelled;
};

struct ModelComparison
{
    TranslationResult a, b;                // both forced on targetTokens (in words: merged to words)
    std::vector<std::string> sourceTokens; // the same in both (EOS included when the models read it)
    std::vector<std::string> targetTokens; // the shared output, EOS included
    std::string sharedOutput;              // "a", "b" or "target"
    MatrixRM attentionA, attentionB;       // [steps x T]: sourceAttention of each
    RowComparison rows;
    double logProbA = 0, logProbB = 0;     // log p of the shared output under each model
    TokenUnits units = TokenUnits::Pieces; // what the rows and columns are
    std::string viewA, viewB;              // a transformer's view compared ("layer 6, mean of 8 heads"); empty for an RNN
};

// Throws ComparisonError when the source tokens (or, in words, the words) differ, or a shared
// output token is outside one model's target vocabulary; InputError as translate() does.
ModelComparison compareModels(const Model &a, const Model &b, const std::string &sentence, const CompareOptions &options);

// Forced decoding of `model` on exactly these target tokens (EOS included or not), by their ids:
// a subword model's pieces ("▁je") are not tokenized again as text. A token outside the model's
// target vocabulary is a ComparisonError naming it and `who`.
TranslationResult forceTokens(const Model &model, const std::string &sentence, const std::vector<std::string> &tokens,
                              const std::string &who, const HeadSelection &view = {},
                              const std::function<bool()> &cancelled = {});

// Means over sentences: of the per-sentence mean JSD and agreement (each sentence counts once),
// and AER of each model against gold links when given (links counted over all sentences).
struct CorpusComparison
{
    int sentences = 0;
    double meanJsd = 0, agreement = 0;
    std::optional<AlignmentCounts> countsA, countsB;

    // `gold`: the sentence's links (word positions of the source and of the shared output), or null.
    void add(const ModelComparison &comparison, const GoldAlignment *gold = nullptr);
};

} // namespace attnviz
