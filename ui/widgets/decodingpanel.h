// The rows above the views: the sentence and the reference, the decoding options (greedy or
// beam, maximum length, the hypothesis shown), the display controls (temperature, force share,
// link threshold) and the output line. The hypothesis list and the output line follow a
// ResultSelection; the rest is input, announced by signals.
#pragma once

#include <attnviz/decoding/translate.h>

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace attnviz {

class ResultSelection;
class SentenceEdit;

class DecodingPanel : public QWidget
{
    Q_OBJECT
public:
    explicit DecodingPanel(ResultSelection *selection, QWidget *parent = nullptr);

    SentenceEdit *sentenceEdit() const { return m_sentence; }
    QLineEdit *referenceEdit() const { return m_reference; }

    QString sentence() const;
    void setSentence(const QString &sentence); // emits sentenceEdited() when it changes
    QString reference() const;
    void setReference(const QString &reference);
    void setBeamWidth(int width); // 1: greedy
    // Beam width, maximum length and (a reference typed) the target of forced decoding.
    DecodeOptions options() const;

    double temperature() const;
    void setTemperature(double temperature);
    void setTemperatureEnabled(bool enabled); // the raw scores have no temperature
    int attentionShare() const; // percent
    void setAttentionShare(int percent);
    double linkThreshold() const;
    void setLinkThreshold(double threshold);

    QString outputText() const;
    void setOutputText(const QString &text); // e.g. after a translation was stopped

signals:
    void sentenceEdited(const QString &sentence);
    void referenceChanged(const QString &reference);
    void optionsChanged(); // options() changed
    void temperatureChanged(double temperature);
    void linkThresholdChanged(double threshold);

private:
    void updateOptions();
    void showOutput();

    ResultSelection *m_selection;
    SentenceEdit *m_sentence;
    QLineEdit *m_reference;
    QComboBox *m_decoding;
    QSpinBox *m_beamWidth, *m_maxLength;
    QComboBox *m_hypotheses;
    QDoubleSpinBox *m_temperature;
    QSpinBox *m_share;
    QDoubleSpinBox *m_threshold;
    QLabel *m_outputLabel;
};

} // namespace attnviz
