// The attnviz window. It composes the parts (docs/architecture.md, "The window"): the state
// lives in ResultSelection, ModelSession, AlignmentSession, Settings and TranslationController;
// the widgets (DecodingPanel, the AlignmentViews, ContextDock, StatusBar) subscribe to them.
// MainWindow owns the menus and the dialogs, wires the parts together, and offers what the
// tests and main() drive.
#pragma once

#include "alignmentmodel.h"
#include "alignmentsession.h"
#include "alignmentview.h"
#include "colormap.h"
#include "decodingpanel.h"
#include "modelsession.h"
#include "resultselection.h"
#include "settings.h"
#include "statusbar.h"
#include "translationcontroller.h"

#include <attnviz/analysis/alignment.h>

#include <QAction>
#include <QMainWindow>
#include <QTabWidget>

#include <memory>
#include <optional>

class QActionGroup;
class QMenu;
class QTextBrowser;

namespace attnviz {

class AttributionPanel;
class CompareWindow;
class TimelineWindow;
class Model;
class UnitsSwitch;
struct FigureOptions;
class WalkthroughWindow;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // The parts.
    ResultSelection *selection() const { return m_selection; }
    ModelSession *models() const { return m_models; }
    AlignmentSession *alignments() const { return m_alignments; }
    Settings *settings() const { return m_settings; }
    TranslationController *controller() const { return m_controller; }
    AlignmentModel *alignmentModel() const { return m_alignment; }
    AlignmentView *heatmapView() const { return m_heatmapView; }
    QAction *stopAction() const { return m_stopAction; }
    WalkthroughWindow *walkthroughWindow() const { return m_walkthrough; }

    // Loads a model; on failure keeps the current one, emits modelLoadFailed() and shows the
    // message in a window-modal box that does not block the caller.
    bool loadModel(const QString &path) { return m_models->load(path); }
    bool openFiles(const QStringList &paths) { return m_models->openFiles(paths); }
    // File → Compare with…: the model in use (A) and the model at `path` (B) on the sentence and
    // reference of the panel, in a window of their own; null (and a message box) when B cannot
    // be opened or no model is loaded.
    CompareWindow *compareWith(const QString &path);
    // File → Open training run…: a folder of checkpoints, or several checkpoint files (put in step
    // order), on the panel's sentence and reference; null (and a message box) when the run
    // cannot be opened.
    TimelineWindow *openTrainingRun(const QStringList &paths);
    // A model made in memory (the PyTorch import): shown like a loaded one, not yet saved.
    void useModel(std::shared_ptr<const Model> model, const QString &label)
    {
        m_models->use(std::move(model), label);
    }
    // ModelSession::saveAs
    bool saveModelAs(const QString &path, QString *error) { return m_models->saveAs(path, error); }
    void restoreSession(); // reopens the last model and sentence from the settings
    // nullptr when none is loaded
    const Model *model() const { return m_models->model().get(); }
    QString modelPath() const { return m_models->path(); }

    void setSentence(const QString &sentence);
    QString sentence() const { return m_panel->sentence(); }
    // non-empty: forced decoding
    void setReference(const QString &reference) { m_panel->setReference(reference); }
    // 1: greedy
    void setBeamWidth(int width) { m_panel->setBeamWidth(width); }
    // Runs the event loop until the current input is translated; false on timeout.
    bool waitForTranslation(int timeoutMilliseconds = 30000)
    {
        return m_controller->waitForIdle(timeoutMilliseconds);
    }

    ColorMap colorMap() const { return m_alignment->colorMap(); }
    void setColorMap(ColorMap map);
    bool showValues() const { return m_heatmapView->showValues(); }
    void setShowValues(bool show);
    int selectedStep() const { return m_selection->step(); }
    void selectStep(int step) { m_selection->selectStep(step); }
    // raw scores e_ij (before the softmax) instead of α
    bool energiesShown() const { return m_alignment->mode() == HeatmapMode::Energies; }
    void setEnergiesShown(bool shown);
    QAction *wordsAction() const { return m_wordsAction; } // View → Read pieces as words
    // α = softmax(e / τ) in the heatmap
    double temperature() const { return m_alignment->temperature(); }
    void setTemperature(double temperature) { m_panel->setTemperature(temperature); }

    // What-if: put attentionShare() of step's attention on source position `column` and decode
    // again; resetAttention() goes back to the model's own.
    void forceAttention(int step, int column);
    void resetAttention() { m_controller->clearAttentionOverrides(); }
    // percent
    int attentionShare() const { return m_panel->attentionShare(); }
    void setAttentionShare(int percent) { m_panel->setAttentionShare(percent); }

    // Gold links (AlignmentSession), as the tests and main() reach them.
    void setGoldAlignment(std::optional<GoldAlignment> gold)
    {
        m_alignments->setGoldAlignment(std::move(gold));
    }
    std::optional<GoldAlignment> goldAlignment() const { return m_alignments->goldAlignment(); }
    // 0: argmax links only
    double linkThreshold() const { return m_panel->linkThreshold(); }
    void setLinkThreshold(double threshold) { m_panel->setLinkThreshold(threshold); }
    // "P 1.00  R 0.67  AER 0.20 (3 model links, 3 sure)"
    QString alignmentScoreText() const { return m_status->alignmentScoreText(); }
    bool isAnnotating() const { return m_annotateAction->isChecked(); }
    void setAnnotating(bool on) { m_annotateAction->setChecked(on); }
    // false when the cell is no word pair (EOS, padding) or the set's links are hidden; the
    // status bar says why
    bool toggleGoldLink(int row, int column);
    bool openAlignmentSet(const QString &sentences, const QString &references, const QString &gold,
                          QString *error)
    {
        return m_alignments->open(sentences, references, gold, error);
    }
    int alignmentSetSize() const { return m_alignments->size(); }
    int alignmentSetIndex() const { return m_alignments->index(); }
    void showSetSentence(int index) { m_alignments->showSentence(index); }
    bool saveAlignments(const QString &path, QString *error)
    {
        return m_alignments->save(path, error);
    }
    // what saveAlignments(path) writes
    QStringList alignmentFiles(const QString &path) const { return m_alignments->files(path); }
    bool annotationsModified() const { return m_alignments->isModified(); }
    int annotatedSentences() const { return m_alignments->annotatedSentences(); }
    // Writes the pending settings now. On failure the status bar says so, with the file, until
    // a write succeeds; closing the window says so in a box.
    bool syncSettings(QString *error = nullptr) { return m_settings->sync(error); }

    void showLinesView() { m_tabs->setCurrentIndex(1); }
    QString outputText() const { return m_panel->outputText(); }
    // model, time and unknown words, as the status bar shows them
    QString statusText() const { return m_status->statusText(); }
    // Forced decoding: "log p: 1999 −0.00 · 05 −0.01 …" and the reference words outside the
    // vocabulary.
    QString referenceText() const { return m_status->referenceText(); }

    // Writes what the views show (the selected beam, or the forced reference) to path, in the
    // format its extension names: .png (at pngDpi), .svg, .pdf, .csv, .json.
    // Atomic: on failure *error says why and no file is left. The same figure as attnviz-cli
    // export draws.
    bool exportAlignment(const QString &path, int pngDpi, QString *error);
    // The Attribution tab (its figure: AttributionPanel::exportFigure, requestExport).
    AttributionPanel *attributionPanel() const { return m_attributionPanel; }
    // File → Export attribution… and the tab's Export… button: shows the tab (so that it
    // computes), asks for the file, and writes the figure when the attribution is there.
    void exportAttributionDialog();
    bool copyImage(); // the figure at 2x on the clipboard; false when there is nothing to copy

    static QString sampleModelsDirectory() { return ModelSession::sampleModelsDirectory(); }
    static constexpr int maxRecentModels = ModelSession::maxRecentModels;

signals:
    void modelLoaded(const QString &path);
    void modelLoadFailed(const QString &message);
    void stepSelected(int step);

protected:
    void closeEvent(QCloseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createCentralWidget();
    void createDocks();
    void createMenus();
    void connectParts();
    void openModel();
    void compareWithDialog();
    void openTrainingRunDialog();
    void openCheckpointsDialog();
    void importCheckpointDialog();
    void saveModelDialog();
    void exportAlignmentDialog();
    void exportWalkthroughDialog();
    void openAlignmentSetDialog();
    bool saveAlignmentsDialog();
    void closeAlignmentSet(); // File → Close alignment set
    bool maybeSaveAnnotations(); // asks when gold links changed since the last save; false: cancel
    void showLoadError(const QString &message);
    void modelChanged();
    void updateModelView();
    void rebuildRecentMenu();
    void rebuildSampleMenu();
    void showHypothesis();
    void updateUnitsActions(); // the Words action and what words disable
    void showTranslationStopped();
    void showGold();
    void onCellClicked(int row, int column, Qt::KeyboardModifiers modifiers);
    void describeCell(int row, int column); // in the status bar
    FigureOptions figureOptions(int pngDpi) const; // title: the sentence and the model name

    Settings *m_settings;
    TranslationController *m_controller;
    ResultSelection *m_selection;
    ModelSession *m_models;
    AlignmentSession *m_alignments;
    AlignmentModel *m_alignment;

    DecodingPanel *m_panel = nullptr;
    QTabWidget *m_tabs = nullptr;
    AlignmentView *m_heatmapView = nullptr;
    AlignmentView *m_linesView = nullptr;
    QTextBrowser *m_comparison = nullptr;
    QTextBrowser *m_info = nullptr;
    StatusBar *m_status = nullptr;
    UnitsSwitch *m_unitsSwitch = nullptr;
    QAction *m_wordsAction = nullptr;

    bool m_defaultDockSizes = true; // no saved window state: size the docks at the first resize
    QMenu *m_recentMenu = nullptr;
    QMenu *m_sampleMenu = nullptr;
    QAction *m_stopAction = nullptr; // Edit → Stop translation (Esc), while one takes long
    QAction *m_valuesAction = nullptr;
    QAction *m_exportAction = nullptr, *m_copyImageAction = nullptr; // enabled with a result
    QAction *m_exportWalkthroughAction = nullptr; // enabled with a result
    QAction *m_exportAttributionAction = nullptr; // enabled with a result
    AttributionPanel *m_attributionPanel = nullptr;
    WalkthroughWindow *m_walkthrough = nullptr; // View → Walkthrough
    QAction *m_saveModelAction = nullptr; // enabled with a model
    QActionGroup *m_colorMapActions = nullptr;
    QAction *m_energiesAction = nullptr, *m_annotateAction = nullptr,
            *m_forceAttentionAction = nullptr, *m_resetAttentionAction = nullptr;
    QAction *m_saveAlignmentsAction = nullptr, *m_closeSetAction = nullptr,
            *m_previousSentenceAction = nullptr,
            *m_nextSentenceAction = nullptr;
};

} // namespace attnviz
