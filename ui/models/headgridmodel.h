// What the Heads grid shows and does (#23), without widgets: the layers x heads of the shown
// transformer hypothesis (cross-attention, or the decoder's or encoder's self-attention), the
// heads selected (what the heatmap is the mean of), the keyboard's head cursor and the toolkit's
// presets. A choice goes to ResultSelection (setView, setAttentionKind, setAlignmentRows), which
// recomputes every beam's attention from its heads without decoding again.
//
//     HeadGridModel grid(&selection);
//     grid.clickHead(5, 2, Qt::NoModifier);      // layer 6, head 3 alone
//     grid.clickHead(5, 4, Qt::ControlModifier); // and head 5: their mean
//     grid.clickLayer(2);                        // layer 3's mean
//     grid.setAttentionKind(AttentionKind::EncoderSelf); // its self-attention (once decoded)
#pragma once

#include "resultselection.h"

#include <attnviz/decoding/heads.h>

#include <QObject>
#include <QPoint>
#include <QStringList>

#include <optional>

namespace attnviz {

// A self-attention as the heatmap shows it: the mean of the view's heads, in pieces, or merged to
// words when a WordMerge is given.
// Encoder: [T x T], the source tokens on both sides. Decoder: [steps x steps], row i the step that
// emits y_i, column j the input of step j (the start token, then y_1 ... y_{n-1}); zero above the
// diagonal (a step reads only its inputs so far).
struct SelfAttentionView
{
    MatrixRM values;
    QStringList rowLabels, columnLabels;
};
// nullopt for the cross-attention, or when the result does not hold that self-attention.
// With `words` (the merge of `pieces` the Words view shows), rows and columns are words as the
// cross-attention's are (mergeMatrix: a word row the mean of its pieces' rows, a word column
// the sum of its pieces' columns); the decoder's columns are the words of its inputs, the start
// token standing alone.
std::optional<SelfAttentionView> selfAttentionView(const TranslationResult &pieces, int hypothesis,
                                                   AttentionKind kind, const HeadSelection &view,
                                                   const WordMerge *words = nullptr);

// For the heatmap's title and the exported figure's caption: which attention, which heads,
// the toolkit preset they are, and the rows: "cross-attention · layer 3 · head 1 · Marian's
// alignment · shifted rows (Shift-Att)". Empty for an RNN's result.
QString attentionViewTitle(const ResultSelection &selection);
QString attentionKindName(AttentionKind kind); // "cross-attention", "decoder self-attention", ...

class HeadGridModel : public QObject
{
    Q_OBJECT
public:
    explicit HeadGridModel(ResultSelection *selection, QObject *parent = nullptr);

    // Whether the shown result is a transformer's; else note() says why the grid is empty.
    bool available() const;
    QString note() const;
    int layers() const;
    int heads() const;
    // The cross-attention [steps x T] of head (layer, head) of the hypothesis shown; nullptr
    // when there is none. With shifted rows, the shifted map.
    const MatrixRM *crossAttention(int layer, int head) const;
    // The map of head (layer, head) of the attention kind shown: the cross-attention, the
    // decoder's self-attention [steps x steps] or the encoder's [T x T]; nullptr when the result
    // does not hold it (yet: the self-attention is decoded when first asked for). With Words
    // shown, merged to words as the heatmap is (a thumbnail has the heatmap's rows and columns);
    // crossAttention stays the model's own, in pieces.
    const MatrixRM *attentionMap(int layer, int head) const;

    // Which attention the grid and the heatmap show, and the rows of the alignment
    // (ResultSelection's, kept across sentences).
    AttentionKind attentionKind() const;
    void setAttentionKind(AttentionKind kind);
    AlignmentRows alignmentRows() const;
    void setAlignmentRows(AlignmentRows rows);
    // A self-attention is chosen but the result does not hold it yet.
    bool waitsForSelfAttention() const;

    HeadSelection view() const; // resolved: its layer explicit, its heads listed
    QString viewName() const;   // describeSelection: "layer 2, mean of 4 heads"
    QString title() const;      // attentionViewTitle
    bool isSelected(int layer, int head) const;

    // A click: alone, that head; with Shift or Ctrl, that head added to (or, when selected and
    // not the last, taken from) the heads of its layer. A selection holds the heads of one
    // layer, so Shift/Ctrl on another layer starts there.
    void clickHead(int layer, int head, Qt::KeyboardModifiers modifiers);
    void clickLayer(int layer); // the layer's mean over its heads
    void selectAllLayers();     // every layer's and head's mean

    // headPresets: the attention of the model's toolkit first (named after it), then the last
    // layer's mean and every layer's mean.
    QStringList presetNames() const;
    void applyPreset(int index);
    int presetIndex() const; // the preset the view is, or -1

    // The keyboard's head cursor: arrows move it (clamped), Enter / Space select it
    // (clickHead with the modifiers), Shift+arrows extend the selection along the layer.
    QPoint cursor() const { return m_cursor; } // x: head, y: layer
    void moveCursor(int layerStep, int headStep, bool extend);
    void activateCursor(Qt::KeyboardModifiers modifiers);

signals:
    void changed(); // the result, the view or the cursor

private:
    std::vector<HeadPreset> presets() const;
    void show(const HeadSelection &selection);
    const MatrixRM *pieceMap(int layer, int head) const;

    ResultSelection *m_selection;
    QPoint m_cursor;
    // Every head's map merged to words, for the result, merge, kind and hypothesis they were made
    // of (held, so that a new result at the same address is never taken for them).
    struct WordMaps
    {
        std::shared_ptr<const TranslationResult> pieces;
        std::shared_ptr<const WordMerge> merge;
        AttentionKind kind = AttentionKind::Cross;
        int hypothesis = -1;
        std::vector<MatrixRM> maps; // [layer * heads + head]
    };
    mutable WordMaps m_words;
};

} // namespace attnviz
