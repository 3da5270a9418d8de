// File → Open training run…: the run, the sentence, the timeline over its checkpoints (each
// forced on the last checkpoint's translation, or the reference) and the checkpoint shown.
#pragma once

#include "alignmentmodel.h"

#include <attnviz/analysis/training_run.h>

#include <QObject>
#include <QString>

#include <memory>

namespace attnviz {

class TimelineController : public QObject
{
    Q_OBJECT

public:
    explicit TimelineController(QObject *parent = nullptr);
    ~TimelineController() override;

    // Computes every checkpoint's point (each model is read once, through the run's cache);
    // false and timelineFailed(message) when a checkpoint cannot be read or compared.
    bool open(TrainingRun run, const QString &runLabel, const QString &sentence, const QString &reference);

    const Timeline &timeline() const { return m_timeline; }
    const QString &runLabel() const { return m_runLabel; }
    int count() const { return static_cast<int>(m_timeline.points.size()); }
    int current() const { return m_current; }
    void setCurrent(int index); // clamped; currentChanged when it moves
    // The current checkpoint's attention, as the heatmap shows it.
    const AlignmentModel *heatmap() const { return &m_heatmap; }

    // By the path's suffix: png (at dpi), svg, pdf: the small multiples, one heatmap per
    // checkpoint with its step, six to a row; csv, json: timelineToCsv / timelineToJson (with the
    // sentence). Atomic; false and *error when there is nothing to export or it cannot be written.
    bool exportTo(const QString &path, int dpi, QString *error) const;

signals:
    void currentChanged(int index);
    void timelineFailed(const QString &message);

private:
    Timeline m_timeline;
    QString m_runLabel, m_sentence;
    int m_current = -1;
    AlignmentModel m_heatmap;
};

} // namespace attnviz
