// File → Open training run…: the run, the sentence, the timeline over its checkpoints (each
// forced on the last checkpoint's translation, or the reference) and the checkpoint shown.
// The timeline is computed on a worker thread (openAsync: progress, cancel); the window stays
// responsive and keeps what it showed when a new computation fails.
#pragma once

#include "alignmentmodel.h"

#include <attnviz/analysis/training_run.h>

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <memory>
#include <optional>

namespace attnviz {

class TimelineController : public QObject
{
    Q_OBJECT

public:
    explicit TimelineController(QObject *parent = nullptr);
    ~TimelineController() override; // stops the worker and waits for it

    // Computes every checkpoint's point on a worker thread (each model is read once, through the
    // run's cache): progressChanged(done, total) per checkpoint, then timelineChanged(), or
    // timelineFailed(message naming the checkpoint) with the previous timeline kept. A later
    // openAsync or cancel() stops a computation still running; its result is dropped.
    void openAsync(TrainingRun run, const QString &runLabel, const QString &sentence, const QString &reference,
                   std::optional<GoldAlignment> gold = std::nullopt);
    // The same on the calling thread (tests, the bench): false and timelineFailed when it fails.
    bool open(TrainingRun run, const QString &runLabel, const QString &sentence, const QString &reference,
              std::optional<GoldAlignment> gold = std::nullopt);
    bool isComputing() const { return m_running; }
    // Pieces or words for the next timelines (TimelineOptions::units). After a timeline has been
    // asked for, a change computes it again in the background (the slider's checkpoint is kept);
    // cancel() or a failure goes back to the units of the timeline shown (unitsChanged). Gold
    // links count the units they were given in (those of the timeline shown, or of the run
    // when opened): a timeline in the other units has no AER until they are given again.
    void setUnits(TokenUnits units);
    TokenUnits units() const { return m_units; }
    // A transformer's heads the next timelines follow (the main window's view when opened).
    void setView(const HeadSelection &view) { m_view = view; }
    // The run's model has pieces that merge to words (a word-level model reads the same in both).
    bool hasSubwords() const { return m_timeline.subwords; }
    void cancel(); // computingChanged(false); the timeline shown stays
    // Blocks until the running computation ends (tests; the window never waits); true when a
    // timeline is there.
    bool waitForTimeline(int milliseconds = 60000);

    const Timeline &timeline() const { return m_timeline; }
    const QString &runLabel() const { return m_runLabel; }
    int count() const { return static_cast<int>(m_timeline.points.size()); }
    int current() const { return m_current; }
    void setCurrent(int index); // clamped; currentChanged when it moves
    // The current checkpoint's attention, as the heatmap shows it.
    const AlignmentModel *heatmap() const { return &m_heatmap; }

    // Gold links of the sentence (source word, output word, from 0, against the fixed output):
    // every checkpoint's AER, without decoding again (setTimelineGold, as attnviz-cli timeline
    // --gold); goldChanged(). Also kept for the next open.
    void setGold(std::optional<GoldAlignment> gold);
    const std::optional<GoldAlignment> &gold() const { return m_gold; }
    // The first line of a Pharaoh file; false and *error (naming the file and line) when it
    // cannot be read, holds no line, or is not Pharaoh. The links shown stay.
    bool loadGold(const QString &path, QString *error);

    // By the path's suffix: png (at dpi), svg, pdf: the small multiples, one heatmap per
    // checkpoint with its step, six to a row; gif, apng: an animation, a frame per checkpoint
    // (timelineanimation.h); csv, json: timelineToCsv / timelineToJson (with the sentence).
    // Atomic; false and *error when there is nothing to export or it cannot be written.
    bool exportTo(const QString &path, int dpi, QString *error) const;

signals:
    void currentChanged(int index);
    void timelineChanged(); // a new timeline (current() is its last checkpoint)
    void timelineFailed(const QString &message);
    void progressChanged(int done, int total);
    void computingChanged(bool computing);
    void goldChanged();
    void unitsChanged();

private:
    void finished(quint64 job, std::shared_ptr<Timeline> timeline, const QString &error);
    void show(Timeline timeline);
    TimelineOptions startOptions(const QString &reference, std::optional<GoldAlignment> gold);

    Timeline m_timeline;
    QString m_runLabel, m_sentence;
    // What the last openAsync asked for, to compute it again in other units.
    std::optional<TrainingRun> m_run;
    QString m_askedLabel, m_askedSentence, m_askedReference;
    TokenUnits m_units = TokenUnits::Pieces;
    HeadSelection m_view;
    bool m_keepPlace = false; // a timeline in other units comes: show the same checkpoint
    TokenUnits m_goldUnits = TokenUnits::Pieces; // what m_gold's indices count
    std::optional<GoldAlignment> goldFor(TokenUnits units) const; // m_gold when it is in `units`
    void backToShownUnits(); // after a cancel or a failure: the units of the timeline shown
    void stopWorker();
    QString m_pendingLabel, m_pendingSentence;
    std::optional<GoldAlignment> m_gold;
    int m_current = -1;
    AlignmentModel m_heatmap;
    QThreadPool m_pool;
    quint64 m_job = 0;
    bool m_running = false;
    std::shared_ptr<std::atomic_bool> m_cancel;
};

} // namespace attnviz
