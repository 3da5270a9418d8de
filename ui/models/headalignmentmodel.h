// The AER of every layer and head against the sentence's gold links (#23), as a table for the
// Heads panel: a row per decoder layer (its heads, then its mean) and a last row for the mean of
// all layers; the lowest AER is the best. The same counts as `attnviz-cli align --per-layer`
// (scoreHeads): the argmax links of each head (and those above the window's threshold), in the
// gold's units; read as words, a word pair is linked when any of their pieces is. Both readings
// are scored, the table shows the one chosen in ResultSelection (naive or shifted rows).
//
//     HeadAlignmentModel aer(&selection, &alignments);
//     aer.scores(AlignmentRows::Shifted).best();  // the best head in Shift-Att's reading
//     aer.activate(aer.index(1, 2));               // the heatmap shows layer 2, head 3
#pragma once

#include <attnviz/analysis/head_alignment.h>
#include <attnviz/decoding/options.h>

#include <QAbstractTableModel>

#include <optional>

namespace attnviz {

class AlignmentSession;
class ResultSelection;

class HeadAlignmentModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Roles { AerRole = Qt::UserRole + 1, BestRole };

    HeadAlignmentModel(ResultSelection *selection, const AlignmentSession *gold, QObject *parent = nullptr);

    // Scores to show: a transformer's result and the gold links of its sentence.
    bool available() const { return m_naive.has_value(); }
    // Why there is no table ("Load gold links…", or the error of a link outside the sentence).
    QString note() const { return m_note; }
    const HeadScores &scores(AlignmentRows rows) const; // empty when !available()
    AlignmentRows rows() const; // the reading shown
    // "Best (naive rows): layer 1, head 4, AER 0.714  ·  shifted rows: layer 2, mean, AER 0.500"
    QString summary() const;

    // The heads a cell stands for: (layer, {head}), the layer's mean, or all layers' mean.
    std::optional<HeadSelection> selectionAt(const QModelIndex &index) const;
    // Shows the cell's heads' cross-attention in the heatmap (ResultSelection::setView).
    void activate(const QModelIndex &index);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    void changed(); // after the scores (or the note) are computed again

private:
    void recompute();
    const AlignmentCounts *countsAt(const QModelIndex &index) const;
    bool isBest(const QModelIndex &index) const;

    ResultSelection *m_selection;
    const AlignmentSession *m_gold;
    std::optional<HeadScores> m_naive, m_shifted;
    QString m_note;
};

// "layer 1, head 4", "layer 2, mean", "all layers" (counted from 1)
QString bestHeadName(const HeadScores::Best &best);

} // namespace attnviz
