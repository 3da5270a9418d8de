// The Compare window's state: the two models, the sentence, the reference and whose translation
// both read; the comparison made from them (on the calling thread: the models the window
// compares are small) and its export. Failures travel as comparisonFailed(message).
#pragma once

#include "comparisonfigure.h"

#include <attnviz/models/model.h>

#include <QObject>
#include <QString>

#include <memory>

namespace attnviz {

class ComparisonController : public QObject
{
    Q_OBJECT

public:
    explicit ComparisonController(QObject *parent = nullptr);
    ~ComparisonController() override;

    void setModels(std::shared_ptr<const Model> a, QString labelA, std::shared_ptr<const Model> b, QString labelB);
    void setSentence(const QString &sentence, const QString &reference); // an empty reference: none
    void setSharedOutput(SharedOutput use);                               // ignored while a reference is set
    SharedOutput sharedOutput() const { return m_use; }
    bool hasReference() const { return !m_reference.isEmpty(); }

    // Null before the first comparison and after a failure.
    const ComparisonFigure *figure() const { return m_figure.get(); }
    QString failure() const { return m_failure; }

    // By the path's suffix: png (at dpi), svg, pdf (the figure), csv (the per-step numbers),
    // json (comparisonToJson plus sentence and the models' labels); atomic. False and *error
    // when there is nothing to export or the file cannot be written.
    bool exportTo(const QString &path, int dpi, QString *error) const;

signals:
    void comparisonChanged();
    void comparisonFailed(const QString &message);

private:
    void recompute();

    std::shared_ptr<const Model> m_a, m_b;
    QString m_labelA, m_labelB, m_sentence, m_reference, m_failure;
    SharedOutput m_use = SharedOutput::A;
    std::unique_ptr<ComparisonFigure> m_figure;
};

} // namespace attnviz
