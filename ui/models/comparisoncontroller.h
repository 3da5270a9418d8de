// The Compare window's state: the two models, the sentence, the reference and whose translation
// both read, pieces or words, and a transformer's heads; the comparison made from them, on a worker thread (two transformers take a while),
// and its export. A result arrives as comparisonChanged(); a failure as comparisonFailed(message),
// with the last comparison that worked kept (figure()).
#pragma once

#include "comparisonfigure.h"

#include <attnviz/models/model.h>

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
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
    // Pieces or words; unset: automatic (pieces when both read the sentence as the same tokens).
    void setUnits(std::optional<TokenUnits> units);
    std::optional<TokenUnits> units() const { return m_units; }
    // A transformer's attention compared (default: the last layer's mean over its heads).
    void setView(const HeadSelection &view);
    const HeadSelection &view() const { return m_view; }
    const Model *modelA() const { return m_a.get(); }
    bool hasTransformer() const { return (m_a && m_a->isTransformer()) || (m_b && m_b->isTransformer()); }
    bool hasReference() const { return !m_reference.isEmpty(); }

    // Null before the first comparison; after a failure, the last one that worked.
    const ComparisonFigure *figure() const { return m_figure.get(); }
    QString failure() const { return m_failure; } // of the newest request; empty when it worked
    bool isComputing() const { return m_computing; }
    void cancel(); // the result of the comparison running is dropped; computingChanged(false)
    // Blocks until the running comparison ends (tests; the window never waits); true when the
    // newest request has a figure.
    bool waitForComparison(int milliseconds = 60000);

    // By the path's suffix: png (at dpi), svg, pdf (the figure), csv (the per-step numbers),
    // json (comparisonToJson plus sentence and the models' labels); atomic. False and *error
    // when there is nothing to export or the file cannot be written.
    bool exportTo(const QString &path, int dpi, QString *error) const;

signals:
    void comparisonChanged();
    void comparisonFailed(const QString &message);
    void computingChanged(bool computing);

private:
    void recompute();
    void finished(quint64 job, std::shared_ptr<ModelComparison> comparison, const QString &error);

    std::shared_ptr<const Model> m_a, m_b;
    QString m_labelA, m_labelB, m_sentence, m_reference, m_failure;
    SharedOutput m_use = SharedOutput::A;
    std::optional<TokenUnits> m_units;
    HeadSelection m_view;
    std::unique_ptr<ComparisonFigure> m_figure;
    QThreadPool m_pool;
    quint64 m_job = 0;
    std::shared_ptr<std::atomic_bool> m_stop; // of the comparison sent last: stops it mid-decoding
    bool m_computing = false;
};

} // namespace attnviz
