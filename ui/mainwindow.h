#pragma once

#include "figureexport.h"

#include "colormap.h"
#include "translationcontroller.h"

#include <attnviz/analysis/alignment.h>

#include <QMainWindow>
#include <QTimer>

#include <memory>

class QAction;
class QActionGroup;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSettings;
class QLineEdit;
class QMenu;
class QSpinBox;
class QTabWidget;
class QTableWidget;
class QTextBrowser;

namespace attnviz {

class AlignmentView;
class ContextView;
class HeatmapModel;
class Model;
class SentenceEdit;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Loads a model; on failure keeps the current one, emits modelLoadFailed() and shows the
    // message in a window-modal box that does not block the caller.
    bool loadModel(const QString &path);
    // A model made in memory (the PyTorch import): shown like a loaded one, not yet saved.
    void useModel(std::shared_ptr<const Model> model, const QString &label);
    // Writes the current model as an attnviz-seq2seq/1 file (format by extension), atomically.
    bool saveModelAs(const QString &path, QString *error);
    // Reopens the last model and sentence from the settings.
    void restoreSession();

    const Model *model() const { return m_model.get(); } // nullptr when none is loaded
    QString modelPath() const { return m_modelPath; }

    void setSentence(const QString &sentence);
    QString sentence() const;
    void setReference(const QString &reference); // non-empty: forced decoding
    void setBeamWidth(int width);                // 1: greedy
    // Runs the event loop until the current input is translated; false on timeout.
    bool waitForTranslation(int timeoutMilliseconds = 30000);

    ColorMap colorMap() const;
    void setColorMap(ColorMap map);
    bool showValues() const;
    void setShowValues(bool show);
    int selectedStep() const { return m_step; }
    void selectStep(int step);

    // Raw scores e_ij (before the softmax) instead of α in the heatmap.
    bool energiesShown() const;
    void setEnergiesShown(bool shown);
    double temperature() const; // α = softmax(e / τ) in the heatmap
    void setTemperature(double temperature);

    // What-if: put attentionShare() of step's attention on source position `column` and decode
    // again; resetAttention() goes back to the model's own.
    void forceAttention(int step, int column);
    void resetAttention();
    int attentionShare() const; // percent
    void setAttentionShare(int percent);

    // Gold links of the current sentence (word positions, EOS excluded); nullopt: none.
    void setGoldAlignment(std::optional<GoldAlignment> gold);
    std::optional<GoldAlignment> goldAlignment() const;
    double linkThreshold() const; // 0: argmax links only
    void setLinkThreshold(double threshold);
    QString alignmentScoreText() const; // "P 1.00  R 0.67  AER 0.20 (3 links, 3 sure)"
    bool isAnnotating() const;
    void setAnnotating(bool on);
    bool toggleGoldLink(int row, int column); // false when the cell is no word pair
    // Sentences, references and gold links, one sentence per line; false with *error on
    // mismatched line counts or a Pharaoh syntax error. Shows the first sentence.
    bool openAlignmentSet(const QString &sentences, const QString &references, const QString &gold,
                          QString *error);
    int alignmentSetSize() const { return int(m_setSentences.size()); }
    int alignmentSetIndex() const { return m_setIndex; }
    void showSetSentence(int index);
    // The gold links (writePharaoh), atomically. Annotations made in the window, not in a set
    // opened from files, are saved as a set: NAME.src and NAME.ref beside the links.
    bool saveAlignments(const QString &path, QString *error);
    QStringList alignmentFiles(const QString &path) const; // what saveAlignments(path) writes
    bool annotationsModified() const { return m_annotationsModified; }
    int annotatedSentences() const; // with at least one link
    // Writes the settings out now (each change is also written at once). On failure the status
    // bar says so, with the file, until a write succeeds; closing the window says so in a box.
    bool syncSettings(QString *error = nullptr);
    QAction *stopAction() const { return m_stopAction; }

    void showLinesView();
    HeatmapModel *heatmapModel() const { return m_heatmap; }
    AlignmentView *heatmapView() const { return m_heatmapView; }
    TranslationController *controller() const { return m_controller; }
    QString outputText() const;
    QString statusText() const; // model, time and unknown words, as the status bar shows them
    // Forced decoding: "log p: 1999 −0.00 · 05 −0.01 …" and the reference words outside the vocabulary.
    QString referenceText() const;

    // Writes what the views show (the selected beam, or the forced reference) to path, in the
    // format its extension names: .png (pngScale pixels per point), .svg, .pdf, .csv, .json.
    // Atomic (QSaveFile): on failure *error says why and no file is left. The same figure
    // as attnviz-cli export draws.
    bool exportAlignment(const QString &path, int pngScale, QString *error);
    // The figure at 2x on the clipboard; false when there is nothing to copy.
    bool copyImage();

    // Installed: <prefix>/share/attnviz/sample_models next to bin/; else the source tree's.
    static QString sampleModelsDirectory();
    static constexpr int maxRecentModels = 8;

signals:
    void modelLoaded(const QString &path);
    void modelLoadFailed(const QString &message);
    void stepSelected(int step);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createMenus();
    void createCentralWidget();
    void createDocks();
    void openModel();
    void exportAlignmentDialog();
    void importCheckpointDialog();
    void saveModelDialog();
    FigureOptions figureOptions(int pngScale) const; // title: the sentence and the model name
    void showLoadError(const QString &message);
    void updateModelView();
    void rebuildRecentMenu();
    void rebuildSampleMenu();
    void addRecentModel(const QString &path);
    void updateOptions();
    void showResult(const TranslationOutput &output);
    void showFailure(const QString &message);
    void clearResult();
    void showHypothesis(int index);
    void updateStatus();
    void updateContributions();
    void updateAlignmentScore();
    void showGold();
    void onCellClicked(int row, int column, Qt::KeyboardModifiers modifiers);
    void storeSetting(const QString &key, const QVariant &value);
    bool reportSettingsStatus(const QSettings &settings, QString *error = nullptr);
    void describeCell(int row, int column); // in the status bar
    void openAlignmentSetDialog();
    bool saveAlignmentsDialog();
    bool maybeSaveAnnotations(); // asks when gold links changed since the last save; false: cancel
    void followAnnotations();    // shows the links of the sentence and reference now typed

    std::shared_ptr<const Model> m_model;
    QString m_modelPath;
    TranslationController *m_controller;
    HeatmapModel *m_heatmap;
    TranslationOutput m_output;
    int m_hypothesis = 0;
    int m_step = -1;
    QString m_error;

    SentenceEdit *m_sentence = nullptr;
    QLineEdit *m_reference = nullptr;
    QComboBox *m_decoding = nullptr;
    QSpinBox *m_beamWidth = nullptr;
    QSpinBox *m_maxLength = nullptr;
    QComboBox *m_hypotheses = nullptr;
    QLabel *m_outputLabel = nullptr;
    QTabWidget *m_tabs = nullptr;
    AlignmentView *m_heatmapView = nullptr;
    AlignmentView *m_linesView = nullptr;
    ContextView *m_contextView = nullptr;
    QTextBrowser *m_comparison = nullptr;
    QTextBrowser *m_info = nullptr;
    QLabel *m_modelStatus = nullptr;
    QLabel *m_timeStatus = nullptr;
    QLabel *m_settingsStatus = nullptr; // shown while the settings cannot be written
    QAction *m_stopAction = nullptr;    // Edit → Stop translation (Esc), while one takes long
    QTimer m_busyTimer;                 // how long a translation runs before the window says so
    bool m_settingsWarningShown = false;
    QLabel *m_unknownStatus = nullptr;
    QMenu *m_recentMenu = nullptr;
    QMenu *m_sampleMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QAction *m_valuesAction = nullptr;
    QAction *m_exportAction = nullptr, *m_copyImageAction = nullptr; // enabled with a result
    QAction *m_saveModelAction = nullptr; // enabled with a model
    QActionGroup *m_colorMapActions = nullptr;
    QAction *m_energiesAction = nullptr, *m_annotateAction = nullptr, *m_resetAttentionAction = nullptr;
    QAction *m_saveAlignmentsAction = nullptr, *m_previousSentenceAction = nullptr, *m_nextSentenceAction = nullptr;
    QDoubleSpinBox *m_temperature = nullptr;
    QSpinBox *m_share = nullptr;
    QDoubleSpinBox *m_threshold = nullptr;
    QTableWidget *m_contributions = nullptr;
    QLabel *m_scoreStatus = nullptr;
    QLabel *m_setStatus = nullptr;
    QLabel *m_referenceStatus = nullptr; // forced: each reference token's log p, unknown words

    // Gold links: one per sentence of an opened set, or one made by annotating.
    std::vector<GoldAlignment> m_gold;
    QStringList m_setSentences, m_setReferences;
    int m_setIndex = -1; // into m_gold; -1: no gold links
    bool m_setFromFiles = false;   // else the set is the sentences annotated in the window
    bool m_annotationsModified = false;
};

} // namespace attnviz
