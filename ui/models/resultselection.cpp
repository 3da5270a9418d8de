#include "resultselection.h"

#include <attnviz/decoding/translate.h>

#include <algorithm>

namespace attnviz {

bool hasPaddingSlots(const TranslationResult &result, int hypothesis)
{
    if (hypothesis < 0 || size_t(hypothesis) >= result.hypotheses.size())
        return false;
    return result.hypotheses[size_t(hypothesis)].attention.cols() > result.sourceLength();
}

ResultSelection::ResultSelection(QObject *parent)
    : QObject(parent)
{ }

bool ResultSelection::hasResult() const
{
    return m_output.result && !m_output.result->hypotheses.empty();
}

const Hypothesis *ResultSelection::hypothesis() const
{
    if (!hasResult() || m_hypothesis >= int(m_output.result->hypotheses.size()))
        return nullptr;
    return &m_output.result->hypotheses[size_t(m_hypothesis)];
}

int ResultSelection::steps() const
{
    const Hypothesis *h = hypothesis();
    return h ? int(h->targetTokens.size()) : 0;
}

void ResultSelection::setOutput(const TranslationOutput &output)
{
    m_output = output;
    m_error.clear();
    emit outputChanged();
    showHypothesis(0);
}

void ResultSelection::setFailure(const QString &message)
{
    m_output = {};
    m_error = message;
    emit outputChanged();
    emit hypothesisChanged(m_hypothesis);
}

void ResultSelection::clear()
{
    setFailure(QString());
}

void ResultSelection::selectHypothesis(int index)
{
    if (!hasResult())
        return;
    showHypothesis(index);
}

void ResultSelection::showHypothesis(int index)
{
    m_hypothesis =
        hasResult() ? std::clamp(index, 0, int(m_output.result->hypotheses.size()) - 1) : 0;
    const int rows = steps();
    const int before = m_step;
    m_step = rows == 0 ? -1 : std::clamp(m_step < 0 ? 0 : m_step, 0, rows - 1);
    emit hypothesisChanged(m_hypothesis);
    if (m_step != before)
        emit stepChanged(m_step);
}

void ResultSelection::selectStep(int step)
{
    const int rows = steps();
    step = rows == 0 ? -1 : std::clamp(step, 0, rows - 1);
    if (step == m_step)
        return;
    m_step = step;
    emit stepChanged(step);
}

} // namespace attnviz
