// The walkthrough (View → Walkthrough, File → Export walkthrough…, attnviz-cli walkthrough;
// docs/walkthrough.md): one decoder step at a time in four stages, drawn from the engine's
// numbers. WalkthroughData is what every page shows, made once per hypothesis from the result
// and explainHypothesis(); WalkthroughModel is the window's position in it (step and stage) and
// its play timer. Neither draws: walkthroughrenderer.h does, for the window and the exports.
#pragma once

#include <attnviz/decoding/walkthrough.h>

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace attnviz {

class Model;
struct TranslationOutput;

enum class WalkthroughStage { Encoder, Scores, Context, Output };
constexpr int walkthroughStageCount = 4;

// "Encoder", "Scores → weights", "Context", "Output"; a transformer's first stage is "Query".
QString walkthroughStageTitle(WalkthroughStage stage, bool transformer = false);

struct WalkthroughFrame
{
    int step = 0; // from 0
    WalkthroughStage stage = WalkthroughStage::Encoder;
};

// Every stage of steps [first, last] in order (last -1: the final step).
QList<WalkthroughFrame> walkthroughFrames(int steps, int first = 0, int last = -1);

struct WalkthroughData
{
    std::shared_ptr<const TranslationResult> result;
    int hypothesis = 0;
    int hypothesisCount = 1;
    StepDetails details;
    QString sentence, modelName;
    QStringList sourceLabels;  // per annotation h_j (T)
    QStringList columnLabels;  // per attention column: the source labels, then "pad 6", ...
    QStringList targetTokens;  // of the hypothesis
    QString encoderText;       // "bidirectional GRU encoder, 1 layer: h_j = [→h_j ; ←h_j], 16 numbers" (HTML)
    QString encoderFormula;    // HTML
    QString scoreFormula;      // HTML: e_ij = v^T tanh(W s + U h_j)
    QString outputFormula;     // HTML: p(y_i | y_<i, x) = softmax(W_o ...)
    bool forced = false;
    int vocabularySize = 0;
    double annotationScale = 1; // max |h_j| (and |c_i|, |alpha_ij h_j|): one colour scale for them
    double queryScale = 1;      // max |query| over the steps
    // What stages 2 and 3 and the heatmap show [steps x columns]: the hypothesis's alignment, or
    // for a transformer the explained head's weights and scaled scores (details.layer, .head).
    MatrixRM attention, energies;
    // Transformers: "layer 2, head 4" (from 1), and the colour scales of the keys and query
    // (queryScale), of the values and contexts, and of the d-wide vectors of the residual stream.
    QString headName;
    double valueScale = 1, streamScale = 1;

    bool transformer() const { return details.transformer; }
    int steps() const { return static_cast<int>(details.steps.size()); }
    int sourceLength() const { return static_cast<int>(sourceLabels.size()); }
    int columns() const { return static_cast<int>(columnLabels.size()); }
    const Hypothesis &hypothesisResult() const { return result->hypotheses[size_t(hypothesis)]; }
};

// Throws what explainHypothesis throws. layer (-1: the last) and head, from 0: a transformer's head.
WalkthroughData makeWalkthroughData(const Model &model, std::shared_ptr<const TranslationResult> result,
                                    int hypothesis, int topK, const QString &sentence,
                                    const std::vector<AttentionOverride> &overrides = {}, int layer = -1,
                                    int head = 0);

// The texts of a page, typeset as HTML (subscripts, Σ, α), with the step's numbers filled in.
// The renderer draws them; the tests read them back from the PDF.
QString walkthroughQueryText(const WalkthroughData &data, int step);   // "query s₂: the decoder state before step 3"
QString walkthroughSoftmaxFormula(const WalkthroughData &data, int step); // α_{3,2} = exp(2.10) / (exp(2.10) + ...) = 0.81
QString walkthroughContextFormula(const WalkthroughData &data, int step); // c_3 = 0.81·h_1 + ... ; cos
QString walkthroughOutputText(const WalkthroughData &data, int step);  // the chosen word, reference, ablation

// A number as the pages print it: two decimals, a true minus sign.
QString walkthroughNumber(double value, int decimals = 2);

class WalkthroughModel : public QObject
{
    Q_OBJECT
public:
    explicit WalkthroughModel(QObject *parent = nullptr);

    // The hypothesis of the output (nothing when it has no result); the position goes back to
    // the first page when the sentence changed, else it stays (clamped).
    void setOutput(const TranslationOutput &output, int hypothesis);
    void clear();
    bool hasData() const { return m_data != nullptr; }
    const WalkthroughData *data() const { return m_data.get(); }
    QString error() const { return m_error; } // why there is no data for a result

    int topK() const { return m_topK; }
    void setTopK(int k); // re-explains the hypothesis
    // A transformer's explained head, from 0 (layer -1: the last); kept for the next results,
    // back to the default when a model has not that many. An RNN ignores it.
    int layer() const { return m_layer; }
    int head() const { return m_head; }
    void setHead(int layer, int head); // re-explains the hypothesis

    int frameCount() const; // stages x steps
    int position() const { return m_position; } // 0 .. frameCount() - 1
    WalkthroughFrame frame() const;
    void setPosition(int position); // clamped
    void next();
    void previous();
    void first();
    void last();

    bool isPlaying() const { return m_timer.isActive(); }
    void play();  // from the first page when on the last
    void pause();
    void togglePlay();
    double speed() const { return m_speed; } // 1 = one page every baseInterval
    void setSpeed(double speed);             // clamped to [0.25, 8]
    int interval() const;                    // milliseconds per page
    static constexpr int baseInterval = 2500;
    // What the play timer does every interval(): the next page; at the last one, pause.
    void tick();

signals:
    void dataChanged();
    void positionChanged(int position);
    void playingChanged(bool playing);

private:
    void rebuild();

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const TranslationResult> m_result;
    std::vector<AttentionOverride> m_overrides;
    QString m_sentence, m_error;
    int m_hypothesis = 0;
    int m_topK = 5;
    int m_layer = -1, m_head = 0;
    std::unique_ptr<WalkthroughData> m_data;
    int m_position = 0;
    double m_speed = 1;
    QTimer m_timer;
};

} // namespace attnviz
