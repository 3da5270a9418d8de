// The one owner of what the window shows: the translation output, the beam hypothesis chosen
// from it and the decoder step selected in the views. Views, the alignment score and the status
// bar read it and subscribe to its signals; nothing else keeps a copy of the hypothesis or step.
//
// A new output (or a failure, or nothing) emits outputChanged(), then hypothesisChanged(), then
// stepChanged() if the step moved; so whoever shows the hypothesis connects to
// hypothesisChanged() alone, and reads the step there too.
#pragma once

#include "translationcontroller.h"

#include <attnviz/analysis/head_alignment.h>
#include <attnviz/analysis/word_units.h>

#include <QObject>
#include <QString>

namespace attnviz {

struct Hypothesis;
struct TranslationResult;

// Which of a transformer's attentions the heatmap shows (#23): the cross-attention over the
// source, or the decoder's or the encoder's self-attention (of the layers and heads chosen).
enum class AttentionKind { Cross, DecoderSelf, EncoderSelf };

class ResultSelection : public QObject
{
    Q_OBJECT
public:
    explicit ResultSelection(QObject *parent = nullptr);

    // The first hypothesis of the output; the step stays where it was (on the new output's rows).
    void setOutput(const TranslationOutput &output);
    void setFailure(const QString &message); // no output; error() says why
    void clear(); // no output, no error

    // What the views show: the translation output in the units chosen (setUnits). In words,
    // its result and ablations are merged from the pieces (mergeToWords) and its attention
    // overrides are on the word cells that hold the forced pieces.
    const TranslationOutput &output() const { return m_output; }
    // The output as decoded, in pieces.
    const TranslationOutput &pieceOutput() const { return m_pieceOutput; }
    // How the pieces form words, when words are shown; else nullptr.
    const WordMerge *wordMerge() const { return m_merge.get(); }
    std::shared_ptr<const WordMerge> sharedWordMerge() const { return m_merge; }

    // Pieces or words. Kept when the output changes; words are shown only when the output's
    // model marks its pieces (pieceMarkings), so a word-level model shows its tokens.
    TokenUnits units() const { return m_units; }
    void setUnits(TokenUnits units);
    // Whether the current output's model has pieces that form words.
    bool canShowWords() const { return m_markings.any(); }
    bool showsWords() const { return m_merge != nullptr; }
    const TranslationResult *result() const { return m_output.result.get(); } // nullptr when none
    bool hasResult() const; // a result with at least one hypothesis
    QString error() const { return m_error; }

    // A transformer's view (which layers and heads the attention is the mean of), changed
    // without decoding again: every hypothesis's attention, raw scores and contexts are taken
    // again from its crossAttention (applyView); the hypothesis and step stay. Returns false,
    // changing nothing, without a transformer result or for a selection out of its range.
    bool setView(const HeadSelection &view);
    // The view shown (as the result holds it: resolved when decoded); the default one without
    // a transformer result.
    HeadSelection view() const;
    bool showsHeads() const; // a transformer result with cross-attention

    // Which attention the heatmap shows; kept for the next outputs. Emits viewChanged and shows
    // the hypothesis again. A self-attention is drawn only when the result holds it
    // (hasSelfAttention; DecodeOptions::selfAttention).
    AttentionKind attentionKind() const { return m_kind; }
    void setAttentionKind(AttentionKind kind);
    bool hasSelfAttention() const; // the decoded result holds the encoder's and decoder's
    // Naive rows (y_t aligned by the step that emits it) or Shift-Att's (by the step that reads
    // it; shiftedAlignment): with Shifted every hypothesis's cross-attention maps, and so the
    // view, the contexts and the gold score, are read one row on. Kept for the next outputs.
    AlignmentRows alignmentRows() const { return m_rows; }
    void setAlignmentRows(AlignmentRows rows);
    // The result as decoded (naive rows), for what scores heads in either reading.
    const TranslationResult *decodedResult() const { return m_decoded.get(); }

    int hypothesisIndex() const { return m_hypothesis; }
    const Hypothesis *hypothesis() const; // nullptr when there is no result
    void selectHypothesis(int index); // clamped

    // -1 when there is nothing to select. Kept while the output goes and comes, so that the next
    // sentence shows the same step where it has one.
    int step() const { return m_step; }
    int steps() const; // rows of the hypothesis: its output tokens
    void selectStep(int step); // clamped to the hypothesis' steps

signals:
    void unitsChanged(attnviz::TokenUnits units); // before the output is shown again in them
    void outputChanged();
    void viewChanged(); // after setView, setAttentionKind or setAlignmentRows, before outputChanged
    void hypothesisChanged(int index);
    void stepChanged(int step);

private:
    void showHypothesis(int index);

    void convertOutput(); // m_output from m_pieceOutput in m_units
    // m_pieceOutput.result from m_decoded: its rows shifted when asked, the view applied.
    void deriveView(const HeadSelection &view);
    void showAgain(); // the same hypothesis and step, on a changed output

    std::shared_ptr<const TranslationResult> m_decoded;
    AttentionKind m_kind = AttentionKind::Cross;
    AlignmentRows m_rows = AlignmentRows::Naive;

    TranslationOutput m_pieceOutput, m_output;
    std::shared_ptr<const WordMerge> m_merge;
    TokenUnits m_units = TokenUnits::Pieces;
    PieceMarkings m_markings;
    const Model *m_markingsModel = nullptr;
    std::vector<std::string> m_specials;
    QString m_error;
    int m_hypothesis = 0;
    int m_step = -1;
};

// Whether the hypothesis' attention has slots past the source positions (tutorial_legacy: L
// slots of which the first T are the source), from the result itself.
bool hasPaddingSlots(const TranslationResult &result, int hypothesis);

} // namespace attnviz
