#include "attributionmodel.h"

#include "resultselection.h"
#include "translationcontroller.h"

#include <attnviz/decoding/heads.h>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QMetaObject>
#include <QPointer>
#include <QThread>

#include <cmath>

namespace attnviz {

AttributionView makeAttributionView(Attribution attribution, const TranslationResult &result, int hypothesis,
                                    int steps)
{
    AttributionView view;
    view.attribution = std::move(attribution);
    view.steps = steps;
    const Hypothesis &h = result.hypotheses.at(size_t(hypothesis));
    const int T = result.sourceLength();
    double top1 = 0;
    for (int i = 0; i < h.steps(); ++i) {
        Eigen::VectorXd alpha(T), values(T);
        for (int k = 0; k < T; ++k) {
            alpha[k] = h.attention(i, k);
            const double v = view.attribution.values(i, k);
            values[k] = std::isfinite(v) ? v : 0.0;
        }
        const RowAgreement r = rowAgreement(alpha, values);
        view.rows.push_back(r);
        view.mean.spearman += r.spearman / h.steps();
        view.mean.kendall += r.kendall / h.steps();
        view.mean.jsd += r.jsd / h.steps();
        top1 += r.top1 ? 1.0 / h.steps() : 0.0;
    }
    view.meanTop1 = top1;
    view.sourceTokens = result.sourceTokens;
    view.targetTokens = h.targetTokens;
    if (!h.crossAttention.empty())
        view.alphaView = describeSelection(result.view, h.crossAttention.layers, h.crossAttention.heads);
    return view;
}

AttributionModel::AttributionModel(ResultSelection *selection, QObject *parent)
    : QObject(parent)
    , m_selection(selection)
{
    connect(selection, &ResultSelection::outputChanged, this, &AttributionModel::refresh);
    connect(selection, &ResultSelection::hypothesisChanged, this, &AttributionModel::refresh);
    connect(selection, &ResultSelection::viewChanged, this, &AttributionModel::viewChanged);
}

void AttributionModel::viewChanged()
{
    // The same serial, other weights: each kept attribution of this result gets the agreement
    // with the attention now chosen (cheap; the attribution does not depend on the view).
    const TranslationOutput &output = m_selection->pieceOutput();
    if (!output.result)
        return;
    for (auto &[key, view] : m_cache) {
        const int hypothesis = std::get<1>(key);
        if (std::get<0>(key) != output.serial || hypothesis >= int(output.result->hypotheses.size()))
            continue;
        view = std::make_shared<const AttributionView>(
            makeAttributionView(view->attribution, *output.result, hypothesis, view->steps));
    }
}

AttributionModel::~AttributionModel()
{
    stopWorker();
}

void AttributionModel::setMethod(AttributionMethod method)
{
    if (method == m_method)
        return;
    m_method = method;
    refresh();
}

void AttributionModel::setSteps(int steps)
{
    steps = std::max(1, steps);
    if (steps == m_steps)
        return;
    m_steps = steps;
    refresh();
}

void AttributionModel::setActive(bool active)
{
    if (active == m_active)
        return;
    m_active = active;
    refresh();
}

AttributionModel::Key AttributionModel::currentKey() const
{
    const TranslationOutput &output = m_selection->pieceOutput();
    const int steps = m_method == AttributionMethod::IntegratedGradients ? m_steps : 0;
    return {output.serial, m_selection->hypothesisIndex(), int(m_method), steps};
}

const AttributionView *AttributionModel::current() const
{
    const auto it = m_cache.find(currentKey());
    return it == m_cache.end() ? nullptr : it->second.get();
}

void AttributionModel::refresh()
{
    const TranslationOutput &output = m_selection->pieceOutput();
    const bool have = output.result && output.model && !output.result->hypotheses.empty();
    if (m_running && (!have || *m_running != currentKey()))
        stopWorker(); // what it computes is no longer asked for
    if (have && m_active && !current() && !m_running && !m_errors.count(currentKey()))
        start(currentKey());
    emit changed();
}

void AttributionModel::start(const Key &key)
{
    const TranslationOutput &output = m_selection->pieceOutput();
    const int index = std::min<int>(m_selection->hypothesisIndex(), int(output.result->hypotheses.size()) - 1);
    const std::shared_ptr<const Model> model = output.model;
    const std::shared_ptr<const TranslationResult> result = output.result;
    AttributionOptions options;
    options.method = m_method;
    options.steps = m_steps;
    auto cancel = std::make_shared<std::atomic_bool>(false);
    options.cancelled = [cancel] { return cancel->load(); };
    const quint64 job = ++m_job;
    QPointer<AttributionModel> self(this);
    options.progress = [self, job](double done) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, job, done] {
                if (self && self->m_job == job) {
                    self->m_progress = done;
                    emit self->progressChanged(done);
                }
            },
            Qt::QueuedConnection);
    };
    m_cancel = cancel;
    m_running = key;
    m_progress = 0;
    m_worker = std::make_unique<std::thread>([self, job, model, result, index, options] {
        auto view = std::make_shared<AttributionView>();
        QString error;
        try {
            view->attribution = attribute(*model, result->sourceIds, result->hypotheses[size_t(index)].targetIds, options);
        } catch (const std::exception &e) {
            view.reset();
            error = QString::fromStdString(e.what());
        }
        if (view && view->attribution.cancelled)
            view.reset();
        QMetaObject::invokeMethod(
            QCoreApplication::instance(), [self, job, view, error] {
                if (self)
                    self->finished(job, view, error);
            },
            Qt::QueuedConnection);
    });
    emit changed();
}

QString AttributionModel::error() const
{
    const auto it = m_errors.find(currentKey());
    return it == m_errors.end() ? QString() : it->second;
}

void AttributionModel::finished(quint64 job, std::shared_ptr<AttributionView> view, QString error)
{
    if (job != m_job || !m_running)
        return;
    const Key key = *m_running;
    if (m_worker && m_worker->joinable())
        m_worker->join();
    m_worker.reset();
    m_running.reset();
    if (view && m_selection->pieceOutput().result) {
        // The agreement on this thread, with the attention shown now (the view may have changed
        // while the worker ran).
        const TranslationOutput &output = m_selection->pieceOutput();
        const int index = std::min<int>(std::get<1>(key), int(output.result->hypotheses.size()) - 1);
        m_cache[key] = std::make_shared<const AttributionView>(
            makeAttributionView(std::move(view->attribution), *output.result, index, std::get<3>(key)));
    } else if (!error.isEmpty()) {
        m_errors[key] = error;
    }
    if (m_errors.size() > 64)
        m_errors.erase(m_errors.begin());
    if (m_cache.size() > 64) // a long session: keep the newest results' entries
        m_cache.erase(m_cache.begin());
    refresh();
}

void AttributionModel::stopWorker()
{
    if (m_cancel)
        m_cancel->store(true);
    if (m_worker && m_worker->joinable())
        m_worker->join();
    m_worker.reset();
    m_running.reset();
    ++m_job; // its queued result is ignored
}

void AttributionModel::cancel()
{
    stopWorker();
    emit changed();
}

bool AttributionModel::waitForComputed(int milliseconds)
{
    QElapsedTimer timer;
    timer.start();
    while (m_running && timer.elapsed() < milliseconds) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    return !m_running && current();
}

} // namespace attnviz
