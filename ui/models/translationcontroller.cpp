#include "translationcontroller.h"

#include <attnviz/models/model.h>

#include <QElapsedTimer>
#include <QEventLoop>
#include <QThread>

#include <algorithm>

namespace attnviz {

TranslationController::TranslationController(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<TranslationOutput>();
    // One worker: a new request replaces any queued one, and the model is read by one thread.
    m_pool.setMaxThreadCount(1);
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(40);
    connect(&m_debounce, &QTimer::timeout, this, &TranslationController::translateNow);
}

TranslationController::~TranslationController()
{
    stopRunning(); // closing the window does not wait for a long translation to finish
    m_pool.clear();
    // Results still queued for this object are discarded with it.
    m_pool.waitForDone();
}

void TranslationController::setModel(std::shared_ptr<const Model> model)
{
    m_model = std::move(model);
    m_options.view = {}; // another model's layers and heads
    inputChanged();
}

void TranslationController::setOptions(const DecodeOptions &options)
{
    std::vector<AttentionOverride> overrides = std::move(m_options.attentionOverrides);
    HeadSelection view = std::move(m_options.view);
    const bool selfAttention = m_options.selfAttention;
    m_options = options;
    m_options.selfAttention = selfAttention;
    m_options.ablation = Ablation::None;
    m_options.attentionOverrides = std::move(overrides);
    m_options.view = std::move(view);
    inputChanged();
}

void TranslationController::setView(const HeadSelection &view)
{
    m_options.view = view; // the shown result already has it (ResultSelection::setView)
}

bool TranslationController::setSelfAttention(bool on, bool current)
{
    m_options.selfAttention = on;
    if (!on || current || !m_model || !m_model->isTransformer() || m_sentence.trimmed().isEmpty())
        return false;
    inputChanged();
    return true;
}

void TranslationController::setSentence(const QString &sentence)
{
    if (sentence == m_sentence)
        return;
    m_sentence = sentence;
    m_options.attentionOverrides.clear();
    inputChanged();
}

void TranslationController::setAttentionOverride(const AttentionOverride &attentionOverride)
{
    setAttentionOverrides({attentionOverride});
}

void TranslationController::setAttentionOverrides(const std::vector<AttentionOverride> &added)
{
    // -1 is every layer (head): two overrides meet when their steps are the same and their
    // layers and heads overlap; the new one replaces the old.
    const auto overlap = [](int a, int b) { return a < 0 || b < 0 || a == b; };
    auto &overrides = m_options.attentionOverrides;
    for (const AttentionOverride &n : added) {
        overrides.erase(std::remove_if(overrides.begin(), overrides.end(),
                                       [&](const AttentionOverride &o) {
                                           return o.step == n.step && overlap(o.layer, n.layer) && overlap(o.head, n.head);
                                       }),
                        overrides.end());
    }
    overrides.insert(overrides.end(), added.begin(), added.end());
    inputChanged();
}

void TranslationController::clearAttentionOverrides()
{
    if (m_options.attentionOverrides.empty())
        return;
    m_options.attentionOverrides.clear();
    inputChanged();
}

void TranslationController::setDebounceInterval(int milliseconds)
{
    m_debounce.setInterval(milliseconds);
}

void TranslationController::stopRunning()
{
    if (m_stop)
        m_stop->store(true);
    m_stop.reset();
}

void TranslationController::cancel()
{
    m_debounce.stop();
    m_pool.clear();
    stopRunning();
    ++m_serial; // whatever the worker still sends is dropped
    if (!m_pending)
        return;
    m_pending = false;
    emit translationCancelled();
    emit idle();
}

void TranslationController::inputChanged()
{
    // Whatever is in flight now answers an outdated question: stop it.
    stopRunning();
    ++m_serial;
    m_pending = true;
    m_debounce.start();
}

void TranslationController::translateNow()
{
    m_debounce.stop();
    const quint64 serial = ++m_serial;
    m_pending = true;
    m_pool.clear();
    if (!m_model || m_sentence.trimmed().isEmpty()) {
        m_pending = false;
        emit cleared();
        emit idle();
        return;
    }

    const int delay = std::exchange(m_testDelay, 0);
    stopRunning();
    const auto stop = std::make_shared<std::atomic<bool>>(false);
    m_stop = stop;
    TranslationOutput request;
    request.serial = serial;
    request.sentence = m_sentence;
    request.model = m_model;
    request.attentionOverrides = m_options.attentionOverrides;
    DecodeOptions options = m_options;
    options.selfAttention = options.selfAttention && m_model->isTransformer();
    options.cancelled = [stop]() { return stop->load(std::memory_order_relaxed); };
    m_pool.start([this, request, options, delay, stop]() mutable {
        for (int slept = 0; slept < delay && !stop->load(); slept += 5)
            QThread::msleep(5);
        QString error;
        try {
            const std::string sentence = request.sentence.toStdString();
            QElapsedTimer timer;
            timer.start();
            auto result = std::make_shared<TranslationResult>(translate(*request.model, sentence, options));
            request.milliseconds = double(timer.nsecsElapsed()) / 1e6;
            // The two no-attention comparisons reuse the encoding: no second translate().
            request.summed = decodeAblation(*request.model, *result, Ablation::Summed, options.maxLength,
                                            options.cancelled);
            request.mean = decodeAblation(*request.model, *result, Ablation::Mean, options.maxLength,
                                          options.cancelled);
            request.result = std::move(result);
        } catch (const Cancelled &) {
            return; // stopped because a newer request (or cancel()) took its place: nothing to say
        } catch (const std::exception &exception) {
            error = QString::fromStdString(exception.what());
        }
        QMetaObject::invokeMethod(
            this, [this, request, error]() { deliver(request, error); }, Qt::QueuedConnection);
    });
    emit translationStarted();
}

void TranslationController::deliver(const TranslationOutput &output, const QString &error)
{
    if (output.serial != m_serial)
        return;
    m_pending = false;
    if (error.isEmpty())
        emit resultReady(output);
    else
        emit translationFailed(error);
    emit idle();
}

bool TranslationController::waitForIdle(int timeoutMilliseconds)
{
    if (!m_pending)
        return true;
    if (m_debounce.isActive())
        translateNow();
    if (!m_pending)
        return true;
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    connect(this, &TranslationController::idle, &loop, &QEventLoop::quit);
    timeout.start(timeoutMilliseconds);
    loop.exec();
    return !m_pending;
}

} // namespace attnviz
