// The one owner of what the window shows: the translation output, the beam hypothesis chosen
// from it and the decoder step selected in the views. Views, the alignment score and the status
// bar read it and subscribe to its signals; nothing else keeps a copy of the hypothesis or step.
//
// A new output (or a failure, or nothing) emits outputChanged(), then hypothesisChanged(), then
// stepChanged() if the step moved; so whoever shows the hypothesis connects to
// hypothesisChanged() alone, and reads the step there too.
#pragma once

#include "translationcontroller.h"

#include <QObject>
#include <QString>

namespace attnviz {

struct Hypothesis;
struct TranslationResult;

class ResultSelection : public QObject
{
    Q_OBJECT
public:
    explicit ResultSelection(QObject *parent = nullptr);

    // The first hypothesis of the output; the step stays where it was (on the new output's rows).
    void setOutput(const TranslationOutput &output);
    void setFailure(const QString &message); // no output; error() says why
    void clear(); // no output, no error

    const TranslationOutput &output() const { return m_output; }
    const TranslationResult *result() const { return m_output.result.get(); } // nullptr when none
    bool hasResult() const; // a result with at least one hypothesis
    QString error() const { return m_error; }

    int hypothesisIndex() const { return m_hypothesis; }
    const Hypothesis *hypothesis() const; // nullptr when there is no result
    void selectHypothesis(int index); // clamped

    // -1 when there is nothing to select. Kept while the output goes and comes, so that the next
    // sentence shows the same step where it has one.
    int step() const { return m_step; }
    int steps() const; // rows of the hypothesis: its output tokens
    void selectStep(int step); // clamped to the hypothesis' steps

signals:
    void outputChanged();
    void hypothesisChanged(int index);
    void stepChanged(int step);

private:
    void showHypothesis(int index);

    TranslationOutput m_output;
    QString m_error;
    int m_hypothesis = 0;
    int m_step = -1;
};

// Whether the hypothesis' attention has slots past the source positions (tutorial_legacy: L
// slots of which the first T are the source), from the result itself.
bool hasPaddingSlots(const TranslationResult &result, int hypothesis);

} // namespace attnviz
