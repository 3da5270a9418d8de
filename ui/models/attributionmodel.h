// The Attribution view's state (issue #20), without widgets: the method and IG steps chosen,
// the attribution of the selected hypothesis computed on a worker thread with progress and
// cancel, cached per result, hypothesis, method and steps, and the agreement with attention.
// It computes only while active (the view shown), so typing never waits for it.
#pragma once

#include <attnviz/analysis/attribution.h>
#include <attnviz/decoding/translate.h>

#include <QObject>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <tuple>

namespace attnviz {

class ResultSelection;

struct AttributionView
{
    Attribution attribution;
    std::vector<RowAgreement> rows; // per output step, against the hypothesis' attention
    RowAgreement mean;              // the means (top1: share of rows, as 0 or 1 each)
    double meanTop1 = 0;
    std::vector<std::string> sourceTokens, targetTokens; // pieces, as attributed
    int steps = 0; // integrated gradients: the Riemann sum's steps; 0 for the other methods
    // A transformer's: which cross-attention the rows are compared with ("layer 6, mean of 8
    // heads", the view chosen); empty for an RNN's one attention.
    std::string alphaView;
};

// The view of an attribution of result's hypothesis `hypothesis`: its rows' agreement with that
// hypothesis' attention (a transformer's: the view result was made with) and their means. The
// window and attnviz-cli attribute --image both make it here.
AttributionView makeAttributionView(Attribution attribution, const TranslationResult &result, int hypothesis,
                                    int steps);

class AttributionModel : public QObject
{
    Q_OBJECT

public:
    explicit AttributionModel(ResultSelection *selection, QObject *parent = nullptr);
    ~AttributionModel() override;

    AttributionMethod method() const { return m_method; }
    void setMethod(AttributionMethod method);
    int steps() const { return m_steps; }
    void setSteps(int steps);

    // Computes only while active; activating computes what the selection shows now.
    void setActive(bool active);
    bool isActive() const { return m_active; }

    // The attribution of the current selection in the current method, when it is computed.
    const AttributionView *current() const;
    bool isComputing() const { return m_worker != nullptr; }
    // Why the current selection has no attribution (the engine's message: a transformer, an empty
    // output), or empty; such a selection is not computed again.
    QString error() const;
    double progress() const { return m_progress; }
    void cancel(); // stops the computation; current() stays empty until asked again
    // Blocks until the running computation ends (tests; the window never waits).
    bool waitForComputed(int milliseconds = 30000);

signals:
    void changed();                 // current() changed, or computing started or stopped
    void progressChanged(double done);

private:
    using Key = std::tuple<quint64, int, int, int>; // result serial, hypothesis, method, steps
    Key currentKey() const;
    void refresh();
    void start(const Key &key);
    void finished(quint64 job, std::shared_ptr<AttributionView> view, QString error);
    void stopWorker();
    void viewChanged(); // the attention compared with changed: the agreement, not the attribution

    ResultSelection *m_selection;
    AttributionMethod m_method = AttributionMethod::IntegratedGradients;
    int m_steps = 50;
    bool m_active = false;
    std::map<Key, std::shared_ptr<const AttributionView>> m_cache;
    std::map<Key, QString> m_errors;
    std::unique_ptr<std::thread> m_worker;
    std::shared_ptr<std::atomic_bool> m_cancel;
    quint64 m_job = 0;
    std::optional<Key> m_running;
    double m_progress = 0;
};

} // namespace attnviz
