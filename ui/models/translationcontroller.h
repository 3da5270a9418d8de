// Runs translations off the GUI thread. Every change of input gets a new serial number; a
// result whose serial is not the newest is dropped, so a slow old translation never shows late.
// A change of input, a new model, cancel() and the controller's end also stop the translation
// in flight at its next decoder step (DecodeOptions::cancelled), so the newest starts at once.
#pragma once

#include <attnviz/decoding/translate.h>

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <QTimer>

#include <atomic>
#include <memory>
#include <optional>

namespace attnviz {

class Model;

struct TranslationOutput
{
    quint64 serial = 0;
    QString sentence;
    std::shared_ptr<const Model> model;
    std::shared_ptr<const TranslationResult> result;
    std::optional<AblationResult> summed; // every c_i replaced by c = sum_j h_j
    std::optional<AblationResult> mean;   // ... by c / T
    double milliseconds = 0;              // the translation itself, without the ablations
    std::vector<AttentionOverride> attentionOverrides; // what-if weights this result was decoded with
};

class TranslationController : public QObject
{
    Q_OBJECT
public:
    explicit TranslationController(QObject *parent = nullptr);
    ~TranslationController() override;

    void setModel(std::shared_ptr<const Model> model);
    // Beam width, maximum length and target (forced decoding) are used; the ablation is not
    // (the controller always decodes both ablations for the comparison view), nor the attention
    // overrides: those are the controller's own, set with setAttentionOverride().
    void setOptions(const DecodeOptions &options); // keeps the overrides and the view
    // A transformer's view of the heads for the next translations, without translating again.
    void setView(const HeadSelection &view);
    // Whether the next translations keep a transformer's self-attention too (the heatmap shows
    // one): asked only while shown, since it costs steps x steps per head. Translates again
    // only when turned on and `current` (the result shown) lacks it; returns whether it did.
    bool setSelfAttention(bool on, bool current);
    // A new sentence drops the attention overrides: their steps and positions were for the old one.
    void setSentence(const QString &sentence);

    // What-if: force the attention of a step (DecodeOptions::attentionOverrides). Setting one
    // for a step replaces the step's earlier one (for a transformer: the earlier one of the same
    // layer and head, -1 meaning every layer or head); the result is decoded again.
    void setAttentionOverride(const AttentionOverride &attentionOverride);
    // Several at once (one a head of the view shown), decoded again once.
    void setAttentionOverrides(const std::vector<AttentionOverride> &overrides);
    void clearAttentionOverrides(); // back to the model's own attention
    const std::vector<AttentionOverride> &attentionOverrides() const { return m_options.attentionOverrides; }

    std::shared_ptr<const Model> model() const { return m_model; }
    const DecodeOptions &options() const { return m_options; }
    QString sentence() const { return m_sentence; }

    // Changes wait this long for the next keystroke before translating (default 40 ms).
    void setDebounceInterval(int milliseconds);
    // Starts the translation of the current input now instead of after the debounce delay.
    void translateNow();
    bool isBusy() const { return m_pending; }
    // Stops the translation in flight (and any waiting one); emits translationCancelled and idle.
    void cancel();
    // Blocks (running the event loop) until the newest request is answered; false on timeout.
    bool waitForIdle(int timeoutMilliseconds);

    // Test hook: the next request sleeps this long in the worker before translating.
    void delayNextRequestForTesting(int milliseconds) { m_testDelay = milliseconds; }

signals:
    void resultReady(const attnviz::TranslationOutput &output);
    void translationFailed(const QString &message);
    void cleared(); // no model or an empty sentence: nothing to show
    void translationStarted();   // a translation went to the worker
    void translationCancelled(); // by cancel()
    void idle(); // the newest request has been answered (result, failure, cleared or cancelled)

private:
    void inputChanged();
    void stopRunning(); // asks the translation in flight to stop
    void deliver(const TranslationOutput &output, const QString &error);

    std::shared_ptr<const Model> m_model;
    DecodeOptions m_options;
    QString m_sentence;
    QTimer m_debounce;
    QThreadPool m_pool;
    quint64 m_serial = 0;
    bool m_pending = false;
    int m_testDelay = 0;
    std::shared_ptr<std::atomic<bool>> m_stop; // of the newest translation sent to the worker
};

} // namespace attnviz

Q_DECLARE_METATYPE(attnviz::TranslationOutput)
