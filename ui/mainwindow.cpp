#include "mainwindow.h"

#include "alignmentmodel.h"
#include "alignmentsession.h"
#include "alignmentview.h"
#include "comparewindow.h"
#include "comparisoncontroller.h"
#include "contextdock.h"
#include "headalignmentmodel.h"
#include "headgrid.h"
#include "headgridmodel.h"
#include "timelinecontroller.h"
#include "timelinewindow.h"
#include "decodingpanel.h"
#include "exportwriter.h"
#include "figureexport.h"
#include "filedialogs.h"
#include "helpdialogs.h"
#include "helptext.h"
#include "importdialog.h"
#include "resultselection.h"
#include "resultstatus.h"
#include "resulttext.h"
#include "sentenceedit.h"
#include "settings.h"
#include "statusbar.h"
#include "walkthroughwindow.h"
#include "unitsswitch.h"
#include "attributionview.h"

#include <attnviz/decoding/heads.h>
#include <attnviz/io/model_import.h>
#include <attnviz/models/model.h>

#include <QAction>
#include <QActionGroup>
#include <QClipboard>
#include <QCoreApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScrollArea>
#include <QTabWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

namespace attnviz {

namespace {

QScrollArea *scrollable(QWidget *widget)
{
    auto *area = new QScrollArea;
    area->setWidget(widget);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    area->setFocusPolicy(Qt::NoFocus); // Tab goes from the tab bar straight to the view
    return area;
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_settings(new Settings(this))
    , m_controller(new TranslationController(this))
    , m_selection(new ResultSelection(this))
    , m_models(new ModelSession(m_settings, this))
    , m_alignments(new AlignmentSession(m_selection, this))
    , m_alignment(new AlignmentModel(this))
{
    // First of the selection's subscribers: the views read the alignment model when it changes.
    m_alignment->follow(m_selection);
    setAcceptDrops(true);
    createCentralWidget();
    createDocks();
    createMenus();
    m_status = new StatusBar(m_selection, m_models, m_alignments, m_settings, m_controller, this);
    setStatusBar(m_status);
    connectParts();

    m_selection->setUnits(m_settings->showWords() ? TokenUnits::Words : TokenUnits::Pieces);
    setColorMap(m_settings->colorMap());
    setShowValues(m_settings->showValues());
    resize(1280, 820);
    restoreGeometry(m_settings->windowGeometry());
    m_defaultDockSizes = !restoreState(m_settings->windowState());
    updateModelView();
    showHypothesis();
}

MainWindow::~MainWindow() = default;

void MainWindow::createCentralWidget()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    m_panel = new DecodingPanel(m_selection, central);
    layout->addWidget(m_panel);
    // A transformer's heatmap is one of many attentions: its title names which (#23).
    auto *caption = new QLabel(central);
    caption->setObjectName(QStringLiteral("viewCaption"));
    caption->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    caption->hide();
    layout->addWidget(caption);
    connect(m_selection, &ResultSelection::hypothesisChanged, caption, [this, caption] {
        const QString title = attentionViewTitle(*m_selection);
        caption->setText(tr("Heatmap: %1").arg(title));
        caption->setVisible(!title.isEmpty());
    });
    m_tabs = new QTabWidget(central);
    m_heatmapView = new AlignmentView(AlignmentView::Kind::Heatmap, m_alignment);
    m_heatmapView->setObjectName(QStringLiteral("heatmap"));
    m_linesView = new AlignmentView(AlignmentView::Kind::Lines, m_alignment);
    m_linesView->setObjectName(QStringLiteral("lines"));
    m_tabs->addTab(scrollable(m_heatmapView), tr("&Heatmap"));
    m_tabs->addTab(scrollable(m_linesView), tr("&Lines"));
    m_attributionPanel = new AttributionPanel(m_selection, m_tabs);
    m_tabs->addTab(m_attributionPanel, tr("Attri&bution"));
    connect(m_attributionPanel, &AttributionPanel::exportRequested, this, &MainWindow::exportAttributionDialog);
    connect(m_attributionPanel, &AttributionPanel::exported, this, [this](const QString &path) {
        statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
    });
    connect(m_attributionPanel, &AttributionPanel::exportFailed, this, [this](const QString &error) {
        QMessageBox::warning(this, tr("Export attribution"), error);
    });
    m_unitsSwitch = new UnitsSwitch(m_selection, m_tabs);
    m_tabs->setCornerWidget(m_unitsSwitch, Qt::TopRightCorner);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);
    for (AlignmentView *view : {m_heatmapView, m_linesView})
        view->setSelection(m_selection);
    connect(m_heatmapView, &AlignmentView::cellClicked, this, &MainWindow::onCellClicked);
    connect(m_heatmapView, &AlignmentView::currentCellChanged, this, &MainWindow::describeCell);
    connect(m_heatmapView, &AlignmentView::zoomChanged, m_linesView, &AlignmentView::setZoom);
    connect(m_linesView, &AlignmentView::zoomChanged, m_heatmapView, &AlignmentView::setZoom);
}

void MainWindow::createDocks()
{
    addDockWidget(Qt::RightDockWidgetArea, new ContextDock(m_selection, this));
    m_walkthrough = new WalkthroughWindow(m_selection, this);
    auto addDock = [this](const QString &title, const QString &name, QWidget *widget) {
        auto *dock = new QDockWidget(title, this);
        dock->setObjectName(name);
        dock->setWidget(widget);
        addDockWidget(Qt::RightDockWidgetArea, dock);
        return dock;
    };
    m_comparison = new QTextBrowser(this);
    m_comparison->setObjectName(QStringLiteral("comparison"));
    QDockWidget *comparisonDock =
        addDock(tr("Without attention"), QStringLiteral("comparisonDock"), m_comparison);
    m_info = new QTextBrowser(this);
    m_info->setObjectName(QStringLiteral("modelInfo"));
    QDockWidget *infoDock = addDock(tr("Model"), QStringLiteral("modelDock"), m_info);
    tabifyDockWidget(comparisonDock, infoDock);
    // #23: a transformer's layers and heads; the heatmap shows the heads chosen there.
    auto *headModel = new HeadGridModel(m_selection, this);
    auto *heads = new HeadGrid(headModel, this);
    heads->setObjectName(QStringLiteral("heads"));
    heads->setAlignmentScores(new HeadAlignmentModel(m_selection, m_alignments, this));
    heads->canvas()->setColorMap(m_alignment->colorMap());
    connect(m_alignment, &AlignmentModel::colorMapChanged, heads->canvas(), &HeadGridCanvas::setColorMap);
    // In a scroll area: at 800 x 600 the grid, the switches and the AER table do not all fit.
    QDockWidget *headsDock = addDock(tr("Heads"), QStringLiteral("headsDock"), scrollable(heads));
    auto *showHeads = new QAction(tr("Show &heads"), this);
    showHeads->setObjectName(QStringLiteral("showHeads"));
    showHeads->setShortcut(QKeySequence(tr("Ctrl+Shift+H")));
    showHeads->setStatusTip(tr("The Heads panel: a transformer's layers and heads, and which the heatmap shows"));
    connect(showHeads, &QAction::triggered, this, [this, headsDock, heads] {
        headsDock->show();
        headsDock->raise();
        // Room for the grid and the AER table: the tab group grows to 60 % of the height.
        if (!headsDock->isFloating() && headsDock->height() < height() * 45 / 100)
            resizeDocks({headsDock}, {height() * 60 / 100}, Qt::Vertical);
        heads->canvas()->setFocus();
    });
    tabifyDockWidget(infoDock, headsDock);
    connect(m_selection, &ResultSelection::viewChanged, this, [this, headModel] {
        m_controller->setView(m_selection->view()); // the next sentence keeps the chosen heads
        // Self-attention is decoded only while shown; the first time, once more for this sentence.
        m_controller->setSelfAttention(m_selection->attentionKind() != AttentionKind::Cross,
                                       m_selection->hasSelfAttention());
        if (headModel->available())
            statusBar()->showMessage(tr("Heatmap: %1").arg(headModel->title()), 5000);
    });
    comparisonDock->raise();
}

void MainWindow::resizeEvent(QResizeEvent *event)
{
    QMainWindow::resizeEvent(event);
    // Without a saved state, the docks get a third of the width and the comparison about 40 % of
    // the height (ten steps at the default size); and when the window is made smaller, the docks
    // give back what they hold over 45 % of its width, so the views keep their room (#22).
    auto *context = findChild<QDockWidget *>(QStringLiteral("contextDock"));
    if (m_defaultDockSizes || context->width() > width() * 45 / 100)
        resizeDocks({context}, {std::max(300, width() / 3)}, Qt::Horizontal);
    if (m_defaultDockSizes) {
        m_defaultDockSizes = false;
        resizeDocks({context, findChild<QDockWidget *>(QStringLiteral("comparisonDock"))},
                    {height() * 57 / 100, height() * 43 / 100}, Qt::Vertical);
    }
}

void MainWindow::connectParts()
{
    connect(this, &MainWindow::modelLoadFailed, this, &MainWindow::showLoadError);
    connect(m_models, &ModelSession::loadFailed, this, &MainWindow::modelLoadFailed);
    connect(m_models, &ModelSession::modelChanged, this, &MainWindow::modelChanged);
    connect(m_models, &ModelSession::pathChanged, this, &MainWindow::updateModelView);
    connect(m_models, &ModelSession::recentModelsChanged, this, &MainWindow::rebuildRecentMenu);
    connect(m_models, &ModelSession::modelChanged, m_alignments, &AlignmentSession::followModel);
    connect(m_models, &ModelSession::pathChanged, m_alignments, &AlignmentSession::renameModel);

    connect(m_controller, &TranslationController::resultReady, m_selection,
            &ResultSelection::setOutput);
    connect(m_controller, &TranslationController::translationFailed, m_selection,
            &ResultSelection::setFailure);
    connect(m_controller, &TranslationController::cleared, m_selection, &ResultSelection::clear);
    connect(m_controller, &TranslationController::translationCancelled, this,
            &MainWindow::showTranslationStopped);
    // A translation that takes a while can be stopped (Esc) until it is answered.
    connect(m_status, &StatusBar::translationSlow, m_stopAction,
            [this]() { m_stopAction->setEnabled(true); });
    connect(m_controller, &TranslationController::idle, m_stopAction,
            [this]() { m_stopAction->setEnabled(false); });

    connect(m_selection, &ResultSelection::hypothesisChanged, this, &MainWindow::showHypothesis);
    connect(m_selection, &ResultSelection::stepChanged, this, &MainWindow::stepSelected);
    connect(m_selection, &ResultSelection::unitsChanged, this, [this](TokenUnits units) {
        m_wordsAction->setChecked(units == TokenUnits::Words);
        m_settings->setShowWords(units == TokenUnits::Words);
        updateUnitsActions();
    });

    connect(m_panel, &DecodingPanel::sentenceEdited, this, [this](const QString &text) {
        // Links made for another sentence are kept for it.
        m_alignments->followInput(text, m_panel->reference());
        m_controller->setSentence(text);
        m_settings->setLastSentence(text);
    });
    connect(m_panel, &DecodingPanel::referenceChanged, this, [this](const QString &reference) {
        m_alignments->followInput(m_panel->sentence(), reference);
    });
    connect(m_panel, &DecodingPanel::optionsChanged, this,
            [this]() { m_controller->setOptions(m_panel->options()); });
    connect(m_panel, &DecodingPanel::temperatureChanged, m_alignment,
            &AlignmentModel::setTemperature);
    connect(m_panel, &DecodingPanel::linkThresholdChanged, m_alignments,
            &AlignmentSession::setThreshold);

    connect(m_alignments, &AlignmentSession::goldChanged, this, &MainWindow::showGold);
    connect(m_alignments, &AlignmentSession::sentenceChosen, this,
            [this](const QString &sentence, const QString &reference) {
                m_controller->clearAttentionOverrides();
                setReference(reference);
                setSentence(sentence);
                m_settings->setLastSentence(sentence);
            });
}

void MainWindow::createMenus()
{
    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    QAction *openAction = fileMenu->addAction(tr("&Open model…"), this, &MainWindow::openModel);
    openAction->setShortcut(QKeySequence::Open);
    fileMenu->addAction(tr("Open model &folder…"), this, [this] {
        const QString path = filedialogs::openModelFolder(
            this, m_settings->startDirectory(Settings::FileKind::Model, modelPath(), sampleModelsDirectory()));
        if (path.isEmpty())
            return;
        m_settings->rememberDirectoryOf(Settings::FileKind::Model, path + QStringLiteral("/config.json"));
        loadModel(path);
    });
    QAction *importAction = fileMenu->addAction(tr("&Import checkpoint…"), this,
                                                &MainWindow::importCheckpointDialog);
    importAction->setShortcut(QKeySequence(tr("Ctrl+I")));
    m_saveModelAction =
        fileMenu->addAction(tr("Save model &as…"), this, &MainWindow::saveModelDialog);
    m_saveModelAction->setShortcut(QKeySequence(tr("Ctrl+Shift+S")));
    m_saveModelAction->setEnabled(false);
    fileMenu->addAction(tr("Co&mpare with…"), this, &MainWindow::compareWithDialog);
    fileMenu->addAction(tr("Open trainin&g run…"), this, &MainWindow::openTrainingRunDialog);
    fileMenu->addAction(tr("Open training run from c&heckpoint files…"), this, &MainWindow::openCheckpointsDialog);
    m_recentMenu = fileMenu->addMenu(tr("&Recent models"));
    m_sampleMenu = fileMenu->addMenu(tr("&Sample models"));
    fileMenu->addSeparator();
    m_exportAction =
        fileMenu->addAction(tr("&Export alignment…"), this, &MainWindow::exportAlignmentDialog);
    m_exportAction->setShortcut(QKeySequence(tr("Ctrl+E")));
    m_exportAction->setEnabled(false);
    m_exportWalkthroughAction =
        fileMenu->addAction(tr("Export &walkthrough…"), this, &MainWindow::exportWalkthroughDialog);
    m_exportWalkthroughAction->setShortcut(QKeySequence(tr("Ctrl+Shift+W")));
    m_exportWalkthroughAction->setEnabled(false);
    m_exportAttributionAction =
        fileMenu->addAction(tr("Export attrib&ution…"), this, &MainWindow::exportAttributionDialog);
    m_exportAttributionAction->setToolTip(tr("The Attribution tab's heatmap as a figure (PNG, SVG, PDF)"));
    m_exportAttributionAction->setEnabled(false);
    fileMenu->addSeparator();
    QAction *openSetAction =
        fileMenu->addAction(tr("Open alignment se&t…"), this, &MainWindow::openAlignmentSetDialog);
    openSetAction->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    m_saveAlignmentsAction =
        fileMenu->addAction(tr("Save a&lignments…"), this, &MainWindow::saveAlignmentsDialog);
    m_saveAlignmentsAction->setShortcut(QKeySequence(tr("Ctrl+Alt+S")));
    m_saveAlignmentsAction->setEnabled(false);
    m_closeSetAction =
        fileMenu->addAction(tr("&Close alignment set"), this, &MainWindow::closeAlignmentSet);
    m_closeSetAction->setObjectName(QStringLiteral("closeAlignmentSet"));
    m_closeSetAction->setStatusTip(tr("Drop the gold links (asks first when they are not saved)"));
    m_closeSetAction->setEnabled(false);
    fileMenu->addSeparator();
    QAction *quitAction = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quitAction->setShortcut(QKeySequence(tr("Ctrl+Q")));
    rebuildRecentMenu();
    rebuildSampleMenu();

    QMenu *editMenu = menuBar()->addMenu(tr("&Edit"));
    m_copyImageAction = editMenu->addAction(tr("&Copy image"), this, &MainWindow::copyImage);
    m_copyImageAction->setShortcut(QKeySequence(tr("Ctrl+Shift+C")));
    m_copyImageAction->setEnabled(false);
    editMenu->addSeparator();
    QAction *focusSentence = editMenu->addAction(tr("Edit the &sentence"), this, [this]() {
        m_panel->sentenceEdit()->setFocus(Qt::ShortcutFocusReason);
        m_panel->sentenceEdit()->selectAll();
    });
    focusSentence->setShortcut(QKeySequence(tr("Ctrl+L")));
    QAction *focusReference =
        editMenu->addAction(tr("Edit the &reference translation"), this, [this]() {
            m_panel->referenceEdit()->setFocus(Qt::ShortcutFocusReason);
            m_panel->referenceEdit()->selectAll();
        });
    focusReference->setShortcut(QKeySequence(tr("Ctrl+R")));
    QAction *focusHeatmap = editMenu->addAction(tr("Go to the &alignment"), this, [this]() {
        m_tabs->currentWidget()->setFocus(Qt::ShortcutFocusReason);
        (m_tabs->currentIndex() == 0 ? m_heatmapView : m_linesView)
            ->setFocus(Qt::ShortcutFocusReason);
    });
    focusHeatmap->setShortcut(QKeySequence(tr("Ctrl+G")));
    editMenu->addSeparator();
    m_stopAction =
        editMenu->addAction(tr("S&top translation"), m_controller, &TranslationController::cancel);
    m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_stopAction->setStatusTip(
        tr("Stop a translation that takes long; the views stay empty until the next one"));
    m_stopAction->setEnabled(false);
    QAction *translateAgain = editMenu->addAction(tr("Translate a&gain"), m_controller,
                                                  &TranslationController::translateNow);
    translateAgain->setShortcut(QKeySequence(tr("Ctrl+T"))); // F5 is the walkthrough, as in slide programs
    editMenu->addSeparator();
    // F on the heatmap's cell cursor (the view's action, so the sentence box keeps its F).
    m_forceAttentionAction = editMenu->addAction(tr("&Force attention here"), this, [this]() {
        const auto [step, column] = m_heatmapView->ensureCurrentCell();
        forceAttention(step, column);
    });
    m_forceAttentionAction->setShortcut(QKeySequence(Qt::Key_F));
    m_forceAttentionAction->setShortcutContext(Qt::WidgetShortcut);
    m_forceAttentionAction->setStatusTip(
        tr("Put the Force share of this step's attention on the heatmap's cell cursor"));
    m_forceAttentionAction->setEnabled(false);
    m_heatmapView->addAction(m_forceAttentionAction);
    m_resetAttentionAction =
        editMenu->addAction(tr("Reset a&ttention"), this, &MainWindow::resetAttention);
    m_resetAttentionAction->setShortcut(QKeySequence(tr("Ctrl+Shift+R")));
    m_resetAttentionAction->setStatusTip(
        tr("Undo every forced cell (Alt+click or F): the model's own attention again"));
    m_resetAttentionAction->setEnabled(false);
    m_annotateAction = editMenu->addAction(tr("A&nnotate gold links"));
    m_annotateAction->setCheckable(true);
    m_annotateAction->setShortcut(QKeySequence(tr("Ctrl+Shift+G")));
    m_annotateAction->setStatusTip(tr("A click on a heatmap cell (or Space on the cell cursor) "
                                      "adds or removes a sure gold link"));
    m_previousSentenceAction =
        editMenu->addAction(tr("&Previous sentence of the set"), this,
                            [this]() { showSetSentence(alignmentSetIndex() - 1); });
    m_previousSentenceAction->setShortcuts(
        {QKeySequence(tr("Alt+Left")), QKeySequence(QKeySequence::MoveToPreviousPage)});
    m_nextSentenceAction = editMenu->addAction(tr("Ne&xt sentence of the set"), this, [this]() {
        showSetSentence(alignmentSetIndex() + 1);
    });
    m_nextSentenceAction->setShortcuts(
        {QKeySequence(tr("Alt+Right")), QKeySequence(QKeySequence::MoveToNextPage)});
    m_previousSentenceAction->setEnabled(false);
    m_nextSentenceAction->setEnabled(false);

    QMenu *viewMenu = menuBar()->addMenu(tr("&View"));
    m_valuesAction = viewMenu->addAction(tr("Show &values in cells"));
    m_valuesAction->setCheckable(true);
    m_valuesAction->setShortcut(QKeySequence(tr("Ctrl+Shift+V")));
    connect(m_valuesAction, &QAction::toggled, this, &MainWindow::setShowValues);
    m_energiesAction = viewMenu->addAction(tr("&Raw scores (before the softmax)"));
    m_energiesAction->setCheckable(true);
    m_energiesAction->setShortcut(QKeySequence(tr("Ctrl+Shift+E")));
    m_energiesAction->setStatusTip(
        tr("Show the scores e_ij instead of α_ij, centred on each row's mean"));
    connect(m_energiesAction, &QAction::toggled, this, &MainWindow::setEnergiesShown);
    m_wordsAction = viewMenu->addAction(tr("Read pieces as &words"));
    m_wordsAction->setObjectName(QStringLiteral("wordsAction"));
    m_wordsAction->setCheckable(true);
    m_wordsAction->setShortcut(QKeySequence(tr("Ctrl+Shift+U")));
    m_unitsSwitch->setShortcutText(m_wordsAction->shortcut().toString(QKeySequence::NativeText));
    connect(m_wordsAction, &QAction::toggled, this, [this](bool words) {
        m_selection->setUnits(words ? TokenUnits::Words : TokenUnits::Pieces);
    });
    QMenu *colorMenu = viewMenu->addMenu(tr("&Colour map"));
    m_colorMapActions = new QActionGroup(this);
    for (ColorMap map : allColorMaps()) {
        QAction *action = colorMenu->addAction(colorMapTitle(map));
        action->setCheckable(true);
        action->setData(colorMapName(map));
        m_colorMapActions->addAction(action);
        connect(action, &QAction::triggered, this, [this, map]() { setColorMap(map); });
    }
    viewMenu->addSeparator();
    QAction *zoomIn = viewMenu->addAction(tr("Zoom &in"), m_heatmapView, &AlignmentView::zoomIn);
    zoomIn->setShortcuts({QKeySequence(tr("Ctrl+=")), QKeySequence::ZoomIn});
    QAction *zoomOut = viewMenu->addAction(tr("Zoom &out"), m_heatmapView, &AlignmentView::zoomOut);
    zoomOut->setShortcuts({QKeySequence(tr("Ctrl+-")), QKeySequence::ZoomOut});
    QAction *zoomReset =
        viewMenu->addAction(tr("&Fit to view"), this, [this]() { m_heatmapView->setZoom(1); });
    zoomReset->setShortcut(QKeySequence(tr("Ctrl+0")));
    viewMenu->addSeparator();
    QAction *heatmapTab =
        viewMenu->addAction(tr("&Heatmap"), this, [this]() { m_tabs->setCurrentIndex(0); });
    heatmapTab->setShortcut(QKeySequence(tr("Ctrl+1")));
    QAction *linesTab =
        viewMenu->addAction(tr("&Lines"), this, [this]() { m_tabs->setCurrentIndex(1); });
    linesTab->setShortcut(QKeySequence(tr("Ctrl+2")));
    viewMenu->addSeparator();
    QAction *walkthrough = viewMenu->addAction(tr("&Walkthrough"), this, [this]() {
        if (m_walkthrough->isVisible() && m_walkthrough->isActiveWindow()) {
            m_walkthrough->close();
            return;
        }
        m_walkthrough->show();
        m_walkthrough->raise();
        m_walkthrough->activateWindow();
    });
    walkthrough->setShortcut(QKeySequence(Qt::Key_F5));
    walkthrough->setStatusTip(tr("Play the translation one decoder step at a time, in four stages"));
    if (QAction *showHeads = findChild<QAction *>(QStringLiteral("showHeads")))
        viewMenu->addAction(showHeads);
    if (auto *heads = findChild<HeadGrid *>(QStringLiteral("heads")))
        viewMenu->addMenu(tr("Hea&ds: attention shown"))->addActions(heads->viewActions());
    viewMenu->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        viewMenu->addAction(dock->toggleViewAction());

    QMenu *helpMenu = menuBar()->addMenu(tr("&Help"));
    QAction *shortcutsAction = helpMenu->addAction(tr("&Keyboard shortcuts"), this, [this]() {
        ShortcutsDialog dialog(
            shortcutEntries(findChildren<QAction *>(), AlignmentView::keyHelp() + HeadGrid::keyHelp()), this);
        dialog.exec();
    });
    shortcutsAction->setShortcut(QKeySequence(tr("Ctrl+/")));
    QAction *docsAction = helpMenu->addAction(tr("&Documentation"), this, [this]() {
        const QString path = documentationPath(QCoreApplication::applicationDirPath());
        if (path.isEmpty()) {
            QMessageBox::information(this, tr("Documentation"),
                                     tr("docs/gui.md is not installed beside the program."));
            return;
        }
        auto *window = new DocumentationWindow(path, this);
        window->setAttribute(Qt::WA_DeleteOnClose);
        window->show();
    });
    docsAction->setShortcut(QKeySequence::HelpContents);
    helpMenu->addSeparator();
    helpMenu->addAction(tr("&About attnviz"), this,
                        [this]() { QMessageBox::about(this, tr("About attnviz"), aboutHtml()); });
}

void MainWindow::rebuildSampleMenu()
{
    m_sampleMenu->clear();
    const QFileInfoList files = ModelSession::sampleModels();
    for (const QFileInfo &file : files) {
        const QString path = file.absoluteFilePath();
        m_sampleMenu->addAction(file.completeBaseName(), this, [this, path]() { loadModel(path); });
    }
    if (files.isEmpty())
        m_sampleMenu->addAction(tr("(none found in %1)").arg(QDir(sampleModelsDirectory()).path()))
            ->setEnabled(false);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = m_models->recentModels();
    int number = 1;
    for (const QString &path : recent) {
        const QString title =
            QStringLiteral("&%1 %2").arg(number++).arg(QFileInfo(path).fileName());
        QAction *action = m_recentMenu->addAction(title, this, [this, path]() { loadModel(path); });
        action->setToolTip(path);
        action->setStatusTip(path);
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::modelChanged()
{
    updateModelView();
    m_controller->setModel(m_models->model());
    m_saveModelAction->setEnabled(true);
    emit modelLoaded(m_models->path());
}

void MainWindow::importCheckpointDialog()
{
    ImportDialog dialog(this, m_settings, modelPath());
    if (dialog.exec() != QDialog::Accepted || !dialog.model())
        return;
    const QString label = dialog.modelLabel();
    try {
        useModel(std::make_shared<const Model>(*dialog.model(), label.toStdString()), label);
    } catch (const std::exception &error) {
        showLoadError(QString::fromStdString(error.what()));
        return;
    }
    statusBar()->showMessage(
        tr("Imported; File → Save model as… keeps it as an attnviz model file"), 8000);
}

void MainWindow::saveModelDialog()
{
    const QString path = filedialogs::saveModel(
        this, m_settings->startDirectory(Settings::FileKind::Model, modelPath()));
    m_settings->rememberDirectoryOf(Settings::FileKind::Model, path);
    QString error;
    if (!path.isEmpty() && !saveModelAs(path, &error))
        QMessageBox::warning(this, tr("Save model as"), error);
}

void MainWindow::restoreSession()
{
    const QString last = m_settings->lastModel();
    const QString sentence = m_settings->lastSentence();
    if (!last.isEmpty() && QFileInfo::exists(last))
        loadModel(last);
    setSentence(sentence);
}

void MainWindow::openModel()
{
    const QString path = filedialogs::openModel(
        this,
        m_settings->startDirectory(Settings::FileKind::Model, modelPath(), sampleModelsDirectory()));
    m_settings->rememberDirectoryOf(Settings::FileKind::Model, path);
    if (!path.isEmpty())
        loadModel(path);
}

void MainWindow::compareWithDialog()
{
    const QString path = filedialogs::openModel(
        this, m_settings->startDirectory(Settings::FileKind::Model, modelPath(), sampleModelsDirectory()));
    if (!path.isEmpty())
        compareWith(path);
}

CompareWindow *MainWindow::compareWith(const QString &path)
{
    if (!m_models->model()) {
        showLoadError(tr("Open a model first: it is model A, the one at %1 model B.").arg(path));
        return nullptr;
    }
    std::shared_ptr<const Model> b;
    try {
        ImportedModel imported = attnviz::openModel(path.toStdString());
        b = std::make_shared<const Model>(std::move(imported.model), path.toStdString());
    } catch (const std::exception &error) {
        showLoadError(QString::fromStdString(error.what()));
        return nullptr;
    }
    auto *controller = new ComparisonController;
    const QFileInfo file(path); // a Marian folder is chosen by its config.json: named after the folder
    const QString labelB = file.isDir() || file.fileName() == QLatin1String("config.json")
        ? QFileInfo(file.isDir() ? path : file.absolutePath()).fileName()
        : file.completeBaseName();
    controller->setModels(m_models->model(), m_models->name(), b, labelB);
    controller->setSentence(m_panel->sentence(), m_panel->reference());
    auto *window = new CompareWindow(controller, this);
    window->show();
    return window;
}

void MainWindow::openTrainingRunDialog()
{
    const QString directory = QFileDialog::getExistingDirectory(
        this, tr("Open training run (a folder of checkpoints)"),
        m_settings->startDirectory(Settings::FileKind::Model, modelPath(), sampleModelsDirectory()));
    if (!directory.isEmpty())
        openTrainingRun({directory});
}

void MainWindow::openCheckpointsDialog()
{
    const QStringList files = QFileDialog::getOpenFileNames(
        this, tr("Open training run (the checkpoints, in any order)"),
        m_settings->startDirectory(Settings::FileKind::Model, modelPath(), sampleModelsDirectory()),
        tr("Models and checkpoints (*.safetensors *.json *.pt *.pth *.tar *.ckpt *.bin);;All files (*)"));
    if (!files.isEmpty())
        openTrainingRun(files);
}

TimelineWindow *MainWindow::openTrainingRun(const QStringList &paths)
{
    if (paths.isEmpty())
        return nullptr;
    std::vector<std::string> files;
    for (const QString &path : paths)
        files.push_back(path.toStdString());
    const bool folder = paths.size() == 1 && QFileInfo(paths.front()).isDir();
    TrainingRun run;
    try {
        run = folder ? TrainingRun::fromDirectory(files.front()) : TrainingRun::fromFiles(files);
    } catch (const std::exception &error) { // the folder holds no run
        showLoadError(QString::fromStdString(error.what()));
        return nullptr;
    }
    const QString label = folder ? QFileInfo(paths.front()).fileName() : tr("%n checkpoints", nullptr, int(paths.size()));
    // The window's gold links are against the reference: the run's fixed output only when there is one.
    std::optional<GoldAlignment> gold;
    if (!m_panel->reference().trimmed().isEmpty())
        gold = m_alignments->goldAlignment();
    auto *controller = new TimelineController;
    controller->setUnits(m_selection->units()); // as the main window reads its model: pieces or words
    if (m_selection->showsHeads())
        controller->setView(m_selection->view()); // and the transformer heads it shows
    controller->openAsync(std::move(run), label, m_panel->sentence(), m_panel->reference(), gold);
    auto *window = new TimelineWindow(controller, this);
    window->show();
    return window;
}

void MainWindow::showLoadError(const QString &message)
{
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Cannot open model"), message,
                                QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadErrorBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::updateModelView()
{
    if (!model()) {
        setWindowTitle(tr("attnviz"));
        m_info->setHtml(QStringLiteral("<p><i>%1</i></p>").arg(tr("No model loaded")));
        return;
    }
    setWindowTitle(tr("%1 — attnviz").arg(QFileInfo(modelPath()).fileName()));
    m_info->setHtml(modelInfoHtml(*model(), modelPath()));
}

void MainWindow::setSentence(const QString &sentence)
{
    m_panel->setSentence(sentence);
    m_alignments->followInput(sentence, m_panel->reference());
    m_controller->setSentence(sentence);
}

void MainWindow::setColorMap(ColorMap map)
{
    m_alignment->setColorMap(map);
    for (QAction *action : m_colorMapActions->actions())
        action->setChecked(action->data().toString() == colorMapName(map));
    m_settings->setColorMap(map);
}

void MainWindow::setShowValues(bool show)
{
    m_heatmapView->setShowValues(show);
    m_valuesAction->setChecked(show);
    m_settings->setShowValues(show);
}

void MainWindow::showHypothesis()
{
    const bool haveResult = m_selection->result() != nullptr;
    const QString placeholder = placeholderText(model() != nullptr, m_selection->error());
    m_heatmapView->setPlaceholderText(placeholder);
    m_linesView->setPlaceholderText(placeholder);
    m_exportAction->setEnabled(haveResult);
    m_exportWalkthroughAction->setEnabled(haveResult);
    m_exportAttributionAction->setEnabled(haveResult);
    updateUnitsActions();
    m_copyImageAction->setEnabled(haveResult);
    if (!haveResult) {
        m_forceAttentionAction->setEnabled(false);
        m_comparison->clear();
        return;
    }
    m_resetAttentionAction->setEnabled(!m_selection->output().attentionOverrides.empty());
    m_forceAttentionAction->setEnabled(!m_selection->showsWords());
    m_comparison->setHtml(comparisonHtml(m_selection->output(), m_selection->hypothesisIndex()));
}

void MainWindow::showTranslationStopped()
{
    m_selection->clear();
    const QString stopped =
        tr("Translation stopped. Edit the sentence, or press Ctrl+T, to translate again.");
    m_panel->setOutputText(stopped);
    m_status->showStopped();
    m_heatmapView->setPlaceholderText(stopped);
    m_linesView->setPlaceholderText(stopped);
}

FigureOptions MainWindow::figureOptions(int pngDpi) const
{
    FigureOptions options;
    options.dpi = pngDpi;
    options.showValues = showValues();
    if (const auto &model = m_selection->output().model) {
        const std::string &name = model->config().name;
        options.title = figureTitle(m_selection->output().sentence,
                                    name.empty() ? QFileInfo(modelPath()).fileName()
                                                 : QString::fromStdString(name));
    }
    options.caption = attentionViewTitle(*m_selection); // a transformer's: which heads
    return options;
}

bool MainWindow::exportAlignment(const QString &path, int pngDpi, QString *error)
{
    const AlignmentExport what {*m_alignment, m_selection->output(), m_selection->hypothesisIndex(),
                                figureOptions(pngDpi), m_panel->reference().toStdString()};
    return attnviz::exportAlignment(path, what, error);
}

bool MainWindow::copyImage()
{
    if (!m_selection->hasResult())
        return false;
    QGuiApplication::clipboard()->setImage(renderFigureImage(*m_alignment, figureOptions(defaultFigureDpi)));
    return true;
}

void MainWindow::exportWalkthroughDialog()
{
    const QString path =
        m_walkthrough->exportDialog(m_settings->startDirectory(Settings::FileKind::Export, modelPath()));
    if (path.isEmpty())
        return;
    m_settings->rememberDirectoryOf(Settings::FileKind::Export, path);
    statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::exportAttributionDialog()
{
    if (!m_selection->hasResult())
        return;
    m_tabs->setCurrentWidget(m_attributionPanel); // it computes while shown
    const auto target = filedialogs::exportAttribution(
        this, m_settings->startDirectory(Settings::FileKind::Export, modelPath()));
    if (!target)
        return;
    m_settings->rememberDirectoryOf(Settings::FileKind::Export, target->path);
    m_attributionPanel->requestExport(target->path, target->pngDpi, figureOptions(target->pngDpi).title);
}

void MainWindow::exportAlignmentDialog()
{
    const auto target = filedialogs::exportAlignment(
        this, m_settings->startDirectory(Settings::FileKind::Export, modelPath()));
    if (!target)
        return;
    m_settings->rememberDirectoryOf(Settings::FileKind::Export, target->path);
    QString error;
    if (!exportAlignment(target->path, target->pngDpi, &error))
        QMessageBox::warning(this, tr("Export alignment"), error);
    else
        statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(target->path)),
                                 5000);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!maybeSaveAnnotations()) {
        event->ignore();
        return;
    }
    m_settings->setWindowGeometry(saveGeometry());
    m_settings->setWindowState(saveState());
    // Said in a box even when the status bar has said it: the window is going, and with it
    // what was not written.
    QString error;
    if (!syncSettings(&error)) {
        QMessageBox box(QMessageBox::Warning, tr("Settings not saved"), error, QMessageBox::Ok,
                        this);
        box.setObjectName(QStringLiteral("settingsErrorBox"));
        box.exec();
    }
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    if (event->modifiers() & Qt::ShiftModifier) // Shift: compare with the model in use
        compareWith(urls.first().toLocalFile());
    else
        loadModel(urls.first().toLocalFile());
}

void MainWindow::updateUnitsActions()
{
    // Words have no raw scores nor temperature, and attention is forced on pieces.
    const bool words = m_selection->showsWords();
    m_wordsAction->setEnabled(m_selection->canShowWords());
    m_wordsAction->setStatusTip(unitsSwitchToolTip(*m_selection, QString()));
    m_energiesAction->setEnabled(!words);
    m_energiesAction->setToolTip(words ? tr("Raw scores are per piece: switch to Pieces to see them")
                                       : m_energiesAction->text());
    m_panel->setTemperatureEnabled(!words && !m_energiesAction->isChecked());
    m_forceAttentionAction->setEnabled(m_selection->hasResult() && !words);
}

void MainWindow::setEnergiesShown(bool shown)
{
    m_alignment->setMode(shown ? HeatmapMode::Energies : HeatmapMode::Attention);
    m_energiesAction->setChecked(shown);
    m_panel->setTemperatureEnabled(!shown); // the scores have no temperature
}

void MainWindow::forceAttention(int step, int column)
{
    const TranslationResult *result = m_selection->result();
    if (!result || column < 0 || column >= result->sourceLength() || step < 0)
        return;
    if (m_alignment->showsSelfAttention()) {
        statusBar()->showMessage(tr("Attention is forced on the cross-attention: switch the Heads panel to Cross (Ctrl+Alt+1)"), 6000);
        return;
    }
    if (m_selection->showsHeads() && m_selection->alignmentRows() == AlignmentRows::Shifted) {
        // A shifted row is the next step's attention: forcing it there would pin another cell.
        statusBar()->showMessage(tr("Attention is forced on the decoder's own steps: turn Shifted rows off (Ctrl+Shift+A)"), 6000);
        return;
    }
    if (m_selection->showsWords()) {
        statusBar()->showMessage(tr("Attention is forced on pieces: switch to Pieces (%1) to force it")
                                     .arg(m_wordsAction->shortcut().toString(QKeySequence::NativeText)),
                                 6000);
        return;
    }
    const double share = attentionShare() / 100.0;
    const Model *model = this->model();
    if (!model || !model->isTransformer()) {
        m_controller->setAttentionOverride({step, column, share});
        statusBar()->showMessage(tr("Attention at step %1 forced to “%2”; Ctrl+Shift+R resets it")
                                     .arg(step + 1)
                                     .arg(m_alignment->columnLabel(column)),
                                 6000);
        return;
    }
    // A transformer: the heads the heatmap shows are forced (A[l,h] replaced before it
    // multiplies V), the other heads keep their own weights.
    HeadSelection view = m_selection->view();
    if (view.layer < 0)
        view.layer = model->layers() - 1; // -1 would be every layer to the engine's override
    std::vector<AttentionOverride> overrides;
    if (view.allLayers)
        overrides.push_back({step, column, share, -1, -1});
    else if (view.heads.empty())
        overrides.push_back({step, column, share, view.layer, -1});
    for (int head : view.allLayers ? std::vector<int>{} : view.heads)
        overrides.push_back({step, column, share, view.layer, head});
    m_controller->setAttentionOverrides(overrides);
    statusBar()->showMessage(tr("Attention of %1 at step %2 forced to “%3”; Ctrl+Shift+R resets it")
                                 .arg(QString::fromStdString(describeSelection(view, model->layers(), model->heads())))
                                 .arg(step + 1)
                                 .arg(m_alignment->columnLabel(column)),
                             6000);
}

void MainWindow::onCellClicked(int row, int column, Qt::KeyboardModifiers modifiers)
{
    if (m_annotateAction->isChecked())
        toggleGoldLink(row, column);
    else if (modifiers & Qt::AltModifier)
        forceAttention(row, column);
}

void MainWindow::describeCell(int row, int column)
{
    // What a hover tooltip says, for whoever moves with the keyboard; and what the keys do.
    QString what = m_alignment->toolTip(row, column);
    what.replace(QLatin1Char('\n'), QStringLiteral("; "));
    if (what.isEmpty())
        return;
    const QString keys = m_annotateAction->isChecked() ? tr("Space: add or remove a gold link")
                                                       : tr("F: force the attention here");
    statusBar()->showMessage(what + QStringLiteral("   —   ") + keys, 8000);
}

void MainWindow::showGold()
{
    m_alignment->setGoldAlignment(m_alignments->goldAlignment());
    m_saveAlignmentsAction->setEnabled(m_alignments->size() > 0);
    m_closeSetAction->setEnabled(m_alignments->size() > 0);
    m_previousSentenceAction->setEnabled(m_alignments->hasPrevious());
    m_nextSentenceAction->setEnabled(m_alignments->hasNext());
}

bool MainWindow::toggleGoldLink(int row, int column)
{
    const std::optional<Link> link = m_alignment->linkAt(row, column);
    if (!link) {
        statusBar()->showMessage(m_alignment->whyNoLink(row, column), 8000);
        return false;
    }
    if (!m_alignments->toggle(*link)) {
        statusBar()->showMessage(m_alignments->statusText(), 8000);
        return false;
    }
    return true;
}

void MainWindow::closeAlignmentSet()
{
    if (maybeSaveAnnotations())
        m_alignments->close();
}

bool MainWindow::maybeSaveAnnotations()
{
    if (!annotationsModified())
        return true;
    const auto answer = QMessageBox::question(
        this, tr("Unsaved gold links"),
        tr("The gold links of %n sentence(s) changed and are not saved. Save them?", nullptr,
           m_alignments->changedSentences()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Discard)
        return true;
    return answer == QMessageBox::Save && saveAlignmentsDialog();
}

void MainWindow::openAlignmentSetDialog()
{
    if (!maybeSaveAnnotations())
        return;
    const auto files = filedialogs::openAlignmentSet(
        this, m_settings->startDirectory(Settings::FileKind::Alignment, modelPath()));
    if (!files)
        return;
    m_settings->rememberDirectoryOf(Settings::FileKind::Alignment, files->sentences);
    QString error;
    if (!openAlignmentSet(files->sentences, files->references, files->gold, &error))
        QMessageBox::warning(this, tr("Open alignment set"), error);
}

bool MainWindow::saveAlignmentsDialog()
{
    const QString path = filedialogs::saveAlignments(
        this, m_settings->startDirectory(Settings::FileKind::Alignment, modelPath()),
        m_alignments->isFromFiles());
    if (path.isEmpty())
        return false;
    m_settings->rememberDirectoryOf(Settings::FileKind::Alignment, path);
    QString error;
    if (!saveAlignments(path, &error)) {
        QMessageBox::warning(this, tr("Save alignments"), error);
        return false;
    }
    QStringList saved;
    for (const QString &file : alignmentFiles(path))
        saved << QDir::toNativeSeparators(file);
    statusBar()->showMessage(tr("Saved %1").arg(saved.join(QStringLiteral(", "))), 8000);
    return true;
}

} // namespace attnviz
