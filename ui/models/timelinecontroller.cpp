#include "timelinecontroller.h"

#include <algorithm>

namespace attnviz {

TimelineController::TimelineController(QObject *parent)
    : QObject(parent)
{
}

TimelineController::~TimelineController() = default;

bool TimelineController::open(TrainingRun run, const QString &runLabel, const QString &sentence,
                              const QString &reference)
{
    TimelineOptions options;
    if (!reference.trimmed().isEmpty())
        options.target = reference.trimmed().toStdString();
    try {
        m_timeline = attnviz::timeline(run, sentence.toStdString(), options);
    } catch (const std::exception &error) { // ModelError, ComparisonError, InputError
        m_timeline = {};
        m_current = -1;
        emit timelineFailed(QString::fromStdString(error.what()));
        return false;
    }
    m_runLabel = runLabel;
    m_current = -1;
    setCurrent(count() - 1); // the trained model first
    return true;
}

void TimelineController::setCurrent(int index)
{
    if (count() == 0)
        return;
    index = std::clamp(index, 0, count() - 1);
    if (index == m_current)
        return;
    m_current = index;
    m_heatmap.setResult(std::make_shared<const TranslationResult>(m_timeline.points[size_t(index)].result), 0);
    emit currentChanged(index);
}

} // namespace attnviz
