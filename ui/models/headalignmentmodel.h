// The AER of every layer and head against the sentence's gold links (#23), as a table for the
// Heads panel: a row per decoder layer (its heads, then its mean) and a last row for the mean of
// all layers; the lowest AER is the best. The same counts as `attnviz-cli align --per-layer`
// (scoreHeads): the argmax links of each head (and those above the window's threshold), in the
// gold's units; read as words, a word pair is linked when any of their pieces is. Both readings
// are scored, the table shows the one chosen in ResultSelection (naive or shifted rows).
// Scope::Set scores every sentence of the alignment set instead (scoreHeadSet, the counts summed
// over the set as `align --per-layer` does), on a worker thread with progress and cancel; kept
// until the model, the set's sentences or links, the units or the threshold change.
//
//     HeadAlignmentModel aer(&selection, &alignments);
//     aer.scores(AlignmentRows::Shifted).best();  // the best head in Shift-Att's reading
//     aer.activate(aer.index(1, 2));               // the heatmap shows layer 2, head 3
//     aer.setScope(HeadAlignmentModel::Scope::Set); // every sentence of the set, in the background
#pragma once

#include <attnviz/analysis/head_alignment.h>
#include <attnviz/decoding/options.h>

#include <QAbstractTableModel>
#include <QStringList>
#include <QThreadPool>

#include <atomic>
#include <memory>
#include <optional>

namespace attnviz {

class AlignmentSession;
class Model;
class ResultSelection;

class HeadAlignmentModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Roles { AerRole = Qt::UserRole + 1, BestRole };

    HeadAlignmentModel(ResultSelection *selection, const AlignmentSession *gold, QObject *parent = nullptr);
    ~HeadAlignmentModel() override; // stops a set's scoring and waits for it

    // What the table scores: the sentence shown, or every sentence of the alignment set (or of the
    // sentences annotated, those with links).
    enum class Scope { Sentence, Set };
    Scope scope() const { return m_scope; }
    // Set: scores the set now unless its scores are current (progress, then changed()).
    void setScope(Scope scope);
    // A transformer is in use and the session holds sentences with links to score as a set.
    bool canScoreSet() const;
    int setSize() const; // the sentences the set's scores count
    bool isScoringSet() const { return m_setRunning; }
    // Stops the set's scoring: back to the sentence shown.
    void cancelSetScoring();
    // Runs the event loop until the set is scored (tests; the window never waits).
    bool waitForSet(int milliseconds = 60000);

    // Scores to show: a transformer's result and the gold links of its sentence; with Scope::Set,
    // the set's scores once computed.
    bool available() const { return current(AlignmentRows::Naive) != nullptr; }
    // Why there is no table ("Load gold links…", "Scoring the set: 3 of 40…", or the error of a
    // link outside a sentence).
    QString note() const { return m_scope == Scope::Set ? m_setNote : m_note; }
    const HeadScores &scores(AlignmentRows rows) const; // empty when !available()
    AlignmentRows rows() const; // the reading shown
    // "Best, naive rows: layer 1, head 4, AER 0.714  ·  shifted rows: layer 2, mean, AER 0.500"
    // (with Scope::Set: "Whole set, 40 sentences: best, …")
    QString summary() const;

    // The table as tab-separated text, for a spreadsheet or a paper's table: a header line
    // ("AER", "head 1", …, "mean"), a line per layer and "all layers", 4 decimals, then a line
    // naming the scope, the reading and the best. Empty when !available().
    QString toTsv() const;

    // The heads a cell stands for: (layer, {head}), the layer's mean, or all layers' mean.
    std::optional<HeadSelection> selectionAt(const QModelIndex &index) const;
    // Shows the cell's heads' cross-attention in the heatmap (ResultSelection::setView).
    void activate(const QModelIndex &index);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    void changed(); // after the scores (or the note) are computed again, or the set's progress

private:
    // What a set's scores were computed from: they stay current while all of it is the same.
    struct SetKey
    {
        const Model *model = nullptr;
        bool words = false;
        double threshold = 0;
        QStringList sentences, references;
        std::vector<GoldAlignment> links;
        bool operator==(const SetKey &other) const;
    };
    SetKey setKey() const;
    bool canScore(const SetKey &key) const; // canScoreSet, for a key already made
    void recompute();
    void refreshSet(); // with Scope::Set: start scoring when the scores are not current
    void stopSet();    // stops a scoring under way (its half-done scores go)
    void dropSet();    // stopSet, and the scores (or the refusal) go too
    void setFinished(quint64 job, std::shared_ptr<HeadSetScores> scores, const QString &error);
    const HeadScores *current(AlignmentRows rows) const;
    const AlignmentCounts *countsAt(const QModelIndex &index) const;
    bool isBest(const QModelIndex &index) const;

    ResultSelection *m_selection;
    const AlignmentSession *m_gold;
    std::optional<HeadScores> m_naive, m_shifted;
    QString m_note;

    Scope m_scope = Scope::Sentence;
    std::shared_ptr<const Model> m_model; // the last transformer the selection showed
    std::optional<HeadSetScores> m_set;
    SetKey m_setKey;          // of m_set, or of the scoring running
    QString m_setNote;
    bool m_setRunning = false;
    bool m_setFailed = false; // m_setKey was refused (m_setNote); not tried again until it changes
    int m_setTotal = 0;
    quint64 m_setJob = 0;
    std::shared_ptr<std::atomic_bool> m_setCancel;
    QThreadPool m_pool;
};

// "layer 1, head 4", "layer 2, mean", "all layers" (counted from 1)
QString bestHeadName(const HeadScores::Best &best);

} // namespace attnviz
