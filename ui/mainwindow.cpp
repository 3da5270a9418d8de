#include "mainwindow.h"

#include "alignmentview.h"
#include "contextview.h"
#include "figureexport.h"
#include "heatmapmodel.h"
#include "importdialog.h"
#include "resulttext.h"
#include "sentenceedit.h"

#include <attnviz/analysis/alignment.h>
#include <attnviz/models/model.h>
#include <attnviz/analysis/result_json.h>
#include <attnviz/analysis/statistics.h>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSaveFile>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace attnviz {

namespace {

namespace Key {
const QString lastModel = QStringLiteral("session/lastModel");
const QString lastSentence = QStringLiteral("session/lastSentence");
const QString recentModels = QStringLiteral("session/recentModels");
const QString colorMap = QStringLiteral("view/colorMap");
const QString showValues = QStringLiteral("view/showValues");
const QString geometry = QStringLiteral("window/geometry");
const QString state = QStringLiteral("window/state");
} // namespace Key

QScrollArea *scrollable(QWidget *widget)
{
    auto *area = new QScrollArea;
    area->setWidget(widget);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    return area;
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_controller(new TranslationController(this))
    , m_heatmap(new HeatmapModel(this))
{
    setAcceptDrops(true);
    createCentralWidget();
    createDocks();
    createMenus();

    m_modelStatus = new QLabel(this);
    m_timeStatus = new QLabel(this);
    m_unknownStatus = new QLabel(this);
    m_unknownStatus->setObjectName(QStringLiteral("unknownWords"));
    m_scoreStatus = new QLabel(this);
    m_scoreStatus->setObjectName(QStringLiteral("alignmentScore"));
    m_setStatus = new QLabel(this);
    m_setStatus->setObjectName(QStringLiteral("alignmentSet"));
    m_referenceStatus = new QLabel(this);
    m_referenceStatus->setObjectName(QStringLiteral("referenceLogProbs"));
    statusBar()->addWidget(m_modelStatus);
    statusBar()->addWidget(m_unknownStatus);
    statusBar()->addWidget(m_referenceStatus, 1);
    m_settingsStatus = new QLabel(this);
    m_settingsStatus->setObjectName(QStringLiteral("settingsStatus"));
    m_settingsStatus->setStyleSheet(QStringLiteral("color: #c62828"));
    m_settingsStatus->hide();
    statusBar()->addPermanentWidget(m_settingsStatus);
    statusBar()->addPermanentWidget(m_setStatus);
    statusBar()->addPermanentWidget(m_scoreStatus);
    statusBar()->addPermanentWidget(m_timeStatus);

    connect(this, &MainWindow::modelLoadFailed, this, &MainWindow::showLoadError);
    connect(m_controller, &TranslationController::resultReady, this, &MainWindow::showResult);
    connect(m_controller, &TranslationController::translationFailed, this, &MainWindow::showFailure);
    connect(m_controller, &TranslationController::cleared, this, &MainWindow::clearResult);
    // A translation that takes a while says so, and Esc stops it.
    m_busyTimer.setSingleShot(true);
    m_busyTimer.setInterval(300);
    connect(&m_busyTimer, &QTimer::timeout, this, [this]() {
        m_timeStatus->setText(tr("Translating… (Esc stops)"));
        m_stopAction->setEnabled(true);
    });
    connect(m_controller, &TranslationController::translationStarted, &m_busyTimer, qOverload<>(&QTimer::start));
    connect(m_controller, &TranslationController::idle, this, [this]() {
        m_busyTimer.stop();
        m_stopAction->setEnabled(false);
    });
    connect(m_controller, &TranslationController::translationCancelled, this, [this]() {
        clearResult();
        const QString stopped = tr("Translation stopped. Edit the sentence, or press F5, to translate again.");
        m_outputLabel->setText(stopped);
        m_timeStatus->setText(tr("Stopped"));
        m_heatmapView->setPlaceholderText(stopped);
        m_linesView->setPlaceholderText(stopped);
    });

    QSettings settings;
    setColorMap(colorMapFromName(settings.value(Key::colorMap).toString()).value_or(ColorMap::Viridis));
    setShowValues(settings.value(Key::showValues, false).toBool());
    resize(1280, 820);
    restoreGeometry(settings.value(Key::geometry).toByteArray());
    restoreState(settings.value(Key::state).toByteArray());

    updateModelView();
    updateStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::createCentralWidget()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_sentence = new SentenceEdit(central);
    m_sentence->setObjectName(QStringLiteral("sentence"));
    m_sentence->setPlaceholderText(tr("Type a sentence in the source language"));
    auto *sentenceLabel = new QLabel(tr("&Sentence:"), central);
    sentenceLabel->setBuddy(m_sentence);
    form->addRow(sentenceLabel, m_sentence);

    m_reference = new QLineEdit(central);
    m_reference->setObjectName(QStringLiteral("reference"));
    m_reference->setClearButtonEnabled(true);
    m_reference->setPlaceholderText(
        tr("Reference translation (optional): when filled, the model is forced to produce it"));
    auto *referenceLabel = new QLabel(tr("&Reference:"), central);
    referenceLabel->setBuddy(m_reference);
    form->addRow(referenceLabel, m_reference);
    layout->addLayout(form);

    auto *controls = new QHBoxLayout;
    m_decoding = new QComboBox(central);
    m_decoding->setObjectName(QStringLiteral("decoding"));
    m_decoding->addItems({tr("Greedy"), tr("Beam search")});
    auto *decodingLabel = new QLabel(tr("&Decoding:"), central);
    decodingLabel->setBuddy(m_decoding);
    m_beamWidth = new QSpinBox(central);
    m_beamWidth->setObjectName(QStringLiteral("beamWidth"));
    m_beamWidth->setRange(2, 16);
    m_beamWidth->setValue(4);
    m_beamWidth->setPrefix(tr("width "));
    m_beamWidth->setEnabled(false);
    m_maxLength = new QSpinBox(central);
    m_maxLength->setObjectName(QStringLiteral("maxLength"));
    m_maxLength->setRange(0, 500);
    m_maxLength->setSpecialValueText(tr("auto"));
    auto *maxLengthLabel = new QLabel(tr("Ma&x. length:"), central);
    maxLengthLabel->setBuddy(m_maxLength);
    m_hypotheses = new QComboBox(central);
    m_hypotheses->setObjectName(QStringLiteral("hypotheses"));
    m_hypotheses->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_hypotheses->setToolTip(tr("Beam hypotheses, best first, with their log-probability"));
    m_hypotheses->setVisible(false);
    auto *hypothesesLabel = new QLabel(tr("&Hypothesis:"), central);
    hypothesesLabel->setBuddy(m_hypotheses);
    hypothesesLabel->setVisible(false);
    controls->addWidget(decodingLabel);
    controls->addWidget(m_decoding);
    controls->addWidget(m_beamWidth);
    controls->addSpacing(12);
    controls->addWidget(maxLengthLabel);
    controls->addWidget(m_maxLength);
    controls->addSpacing(12);
    controls->addWidget(hypothesesLabel);
    controls->addWidget(m_hypotheses);
    controls->addStretch(1);
    m_temperature = new QDoubleSpinBox(central);
    m_temperature->setObjectName(QStringLiteral("temperature"));
    m_temperature->setRange(0.1, 5.0);
    m_temperature->setSingleStep(0.1);
    m_temperature->setDecimals(2);
    m_temperature->setValue(1.0);
    m_temperature->setToolTip(tr("The heatmap shows softmax(e / τ): above 1 flatter, below 1 more peaked; "
                                 "1 is the model's own attention"));
    auto *temperatureLabel = new QLabel(tr("&Temperature τ:"), central);
    temperatureLabel->setBuddy(m_temperature);
    m_share = new QSpinBox(central);
    m_share->setObjectName(QStringLiteral("attentionShare"));
    m_share->setRange(0, 100);
    m_share->setValue(100);
    m_share->setSuffix(QStringLiteral("%"));
    m_share->setToolTip(tr("Alt+click a heatmap cell (or press F on the heatmap's cell cursor) to put this share of "
                          "the step's attention on that word"));
    auto *shareLabel = new QLabel(tr("F&orce share:"), central);
    shareLabel->setBuddy(m_share);
    m_threshold = new QDoubleSpinBox(central);
    m_threshold->setObjectName(QStringLiteral("linkThreshold"));
    m_threshold->setRange(0.0, 0.95);
    m_threshold->setSingleStep(0.05);
    m_threshold->setDecimals(2);
    m_threshold->setSpecialValueText(tr("argmax"));
    m_threshold->setToolTip(tr("The model's links for precision, recall and AER: each output word's "
                               "argmax source word, and every weight above this threshold"));
    auto *thresholdLabel = new QLabel(tr("Lin&k threshold:"), central);
    thresholdLabel->setBuddy(m_threshold);
    controls->addWidget(temperatureLabel);
    controls->addWidget(m_temperature);
    controls->addSpacing(12);
    controls->addWidget(shareLabel);
    controls->addWidget(m_share);
    controls->addSpacing(12);
    controls->addWidget(thresholdLabel);
    controls->addWidget(m_threshold);
    layout->addLayout(controls);

    m_outputLabel = new QLabel(central);
    m_outputLabel->setObjectName(QStringLiteral("output"));
    m_outputLabel->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_outputLabel->setWordWrap(true);
    QFont outputFont = m_outputLabel->font();
    outputFont.setPointSizeF(outputFont.pointSizeF() * 1.3);
    m_outputLabel->setFont(outputFont);
    layout->addWidget(m_outputLabel);

    m_tabs = new QTabWidget(central);
    m_heatmapView = new AlignmentView(AlignmentView::Kind::Heatmap, m_heatmap);
    m_heatmapView->setObjectName(QStringLiteral("heatmap"));
    m_linesView = new AlignmentView(AlignmentView::Kind::Lines, m_heatmap);
    m_linesView->setObjectName(QStringLiteral("lines"));
    m_tabs->addTab(scrollable(m_heatmapView), tr("&Heatmap"));
    m_tabs->addTab(scrollable(m_linesView), tr("&Lines"));
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    connect(m_sentence, &SentenceEdit::textEdited, this, [this](const QString &text) {
        followAnnotations(); // links made for another sentence are kept for it
        m_controller->setSentence(text);
        storeSetting(Key::lastSentence, text);
    });
    connect(m_reference, &QLineEdit::textChanged, this, &MainWindow::followAnnotations);
    connect(m_reference, &QLineEdit::textChanged, this, &MainWindow::updateOptions);
    connect(m_decoding, qOverload<int>(&QComboBox::currentIndexChanged), this, &MainWindow::updateOptions);
    connect(m_beamWidth, qOverload<int>(&QSpinBox::valueChanged), this, &MainWindow::updateOptions);
    connect(m_maxLength, qOverload<int>(&QSpinBox::valueChanged), this, &MainWindow::updateOptions);
    connect(m_hypotheses, qOverload<int>(&QComboBox::activated), this, &MainWindow::showHypothesis);
    connect(m_temperature, qOverload<double>(&QDoubleSpinBox::valueChanged), m_heatmap,
            &HeatmapModel::setTemperature);
    connect(m_threshold, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
            &MainWindow::updateAlignmentScore);
    connect(m_heatmapView, &AlignmentView::cellClicked, this, &MainWindow::onCellClicked);
    connect(m_heatmapView, &AlignmentView::currentCellChanged, this, &MainWindow::describeCell);
    connect(m_hypotheses, &QComboBox::currentIndexChanged, this, [this, hypothesesLabel](int) {
        hypothesesLabel->setVisible(m_hypotheses->count() > 1);
        m_hypotheses->setVisible(m_hypotheses->count() > 1);
    });
    for (AlignmentView *view : {m_heatmapView, m_linesView})
        connect(view, &AlignmentView::stepSelected, this, &MainWindow::selectStep);
    connect(m_heatmapView, &AlignmentView::zoomChanged, m_linesView, &AlignmentView::setZoom);
    connect(m_linesView, &AlignmentView::zoomChanged, m_heatmapView, &AlignmentView::setZoom);
}

void MainWindow::createDocks()
{
    auto addDock = [this](const QString &title, const QString &name, QWidget *widget,
                          Qt::DockWidgetArea area) {
        auto *dock = new QDockWidget(title, this);
        dock->setObjectName(name);
        dock->setWidget(widget);
        addDockWidget(area, dock);
        return dock;
    };
    m_contextView = new ContextView(this);
    m_contextView->setObjectName(QStringLiteral("contextView"));
    // How c_i is made: each source word's part a_ij h_j, its size and its direction.
    m_contributions = new QTableWidget(0, 3, this);
    m_contributions->setObjectName(QStringLiteral("contributions"));
    m_contributions->setHorizontalHeaderLabels(
        {tr("Source word"), QStringLiteral("‖α_ij h_j‖"), QStringLiteral("cos(α_ij h_j, c_i)")});
    m_contributions->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_contributions->verticalHeader()->setVisible(false);
    m_contributions->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_contributions->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_contributions->setToolTip(tr("c_i = Σ_j α_ij h_j: how much each source word adds to the context "
                                   "of the selected step, and how far it points the same way"));
    auto *contextSplitter = new QSplitter(Qt::Vertical, this);
    contextSplitter->addWidget(m_contextView);
    contextSplitter->addWidget(m_contributions);
    contextSplitter->setStretchFactor(0, 3);
    contextSplitter->setStretchFactor(1, 2);
    addDock(tr("Context vectors"), QStringLiteral("contextDock"), contextSplitter, Qt::RightDockWidgetArea);
    connect(m_contextView, &ContextView::stepSelected, this, &MainWindow::selectStep);

    m_comparison = new QTextBrowser(this);
    m_comparison->setObjectName(QStringLiteral("comparison"));
    addDock(tr("Without attention"), QStringLiteral("comparisonDock"), m_comparison,
            Qt::RightDockWidgetArea);

    m_info = new QTextBrowser(this);
    m_info->setObjectName(QStringLiteral("modelInfo"));
    QDockWidget *infoDock = addDock(tr("Model"), QStringLiteral("modelDock"), m_info, Qt::RightDockWidgetArea);
    tabifyDockWidget(findChild<QDockWidget *>(QStringLiteral("comparisonDock")), infoDock);
    findChild<QDockWidget *>(QStringLiteral("comparisonDock"))->raise();
}

void MainWindow::createMenus()
{
    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    QAction *openAction = fileMenu->addAction(tr("&Open model…"), this, &MainWindow::openModel);
    openAction->setShortcut(QKeySequence::Open);
    QAction *importAction = fileMenu->addAction(tr("&Import PyTorch checkpoint…"), this, &MainWindow::importCheckpointDialog);
    importAction->setShortcut(QKeySequence(tr("Ctrl+I")));
    m_saveModelAction = fileMenu->addAction(tr("Save model &as…"), this, &MainWindow::saveModelDialog);
    m_saveModelAction->setShortcut(QKeySequence(tr("Ctrl+Shift+S")));
    m_saveModelAction->setEnabled(false);
    m_recentMenu = fileMenu->addMenu(tr("&Recent models"));
    m_sampleMenu = fileMenu->addMenu(tr("&Sample models"));
    fileMenu->addSeparator();
    m_exportAction = fileMenu->addAction(tr("&Export alignment…"), this, &MainWindow::exportAlignmentDialog);
    m_exportAction->setShortcut(QKeySequence(tr("Ctrl+E")));
    m_exportAction->setEnabled(false);
    fileMenu->addSeparator();
    QAction *openSetAction = fileMenu->addAction(tr("Open alignment se&t…"), this, &MainWindow::openAlignmentSetDialog);
    openSetAction->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    m_saveAlignmentsAction = fileMenu->addAction(tr("Save a&lignments…"), this, &MainWindow::saveAlignmentsDialog);
    m_saveAlignmentsAction->setShortcut(QKeySequence(tr("Ctrl+Alt+S")));
    m_saveAlignmentsAction->setEnabled(false);
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
        m_sentence->setFocus(Qt::ShortcutFocusReason);
        m_sentence->selectAll();
    });
    focusSentence->setShortcut(QKeySequence(tr("Ctrl+L")));
    QAction *focusReference = editMenu->addAction(tr("Edit the &reference translation"), this, [this]() {
        m_reference->setFocus(Qt::ShortcutFocusReason);
        m_reference->selectAll();
    });
    focusReference->setShortcut(QKeySequence(tr("Ctrl+R")));
    QAction *focusHeatmap = editMenu->addAction(tr("Go to the &alignment"), this, [this]() {
        m_tabs->currentWidget()->setFocus(Qt::ShortcutFocusReason);
        (m_tabs->currentIndex() == 0 ? m_heatmapView : m_linesView)->setFocus(Qt::ShortcutFocusReason);
    });
    focusHeatmap->setShortcut(QKeySequence(tr("Ctrl+G")));
    editMenu->addSeparator();
    m_stopAction = editMenu->addAction(tr("S&top translation"), m_controller, &TranslationController::cancel);
    m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_stopAction->setStatusTip(tr("Stop a translation that takes long; the views stay empty until the next one"));
    m_stopAction->setEnabled(false);
    QAction *translateAgain = editMenu->addAction(tr("Translate a&gain"), m_controller, &TranslationController::translateNow);
    translateAgain->setShortcut(QKeySequence(Qt::Key_F5));
    editMenu->addSeparator();
    m_resetAttentionAction = editMenu->addAction(tr("Reset a&ttention"), this, &MainWindow::resetAttention);
    m_resetAttentionAction->setShortcut(QKeySequence(tr("Ctrl+Shift+R")));
    m_resetAttentionAction->setStatusTip(tr("Undo every forced cell (Alt+click or F): the model's own attention again"));
    m_resetAttentionAction->setEnabled(false);
    m_annotateAction = editMenu->addAction(tr("A&nnotate gold links"));
    m_annotateAction->setCheckable(true);
    m_annotateAction->setShortcut(QKeySequence(tr("Ctrl+Shift+G")));
    m_annotateAction->setStatusTip(tr("A click on a heatmap cell (or Space on the cell cursor) adds or removes a sure gold link"));
    m_previousSentenceAction = editMenu->addAction(tr("&Previous sentence of the set"), this,
                                                   [this]() { showSetSentence(m_setIndex - 1); });
    m_previousSentenceAction->setShortcuts({QKeySequence(tr("Alt+Left")), QKeySequence(QKeySequence::MoveToPreviousPage)});
    m_nextSentenceAction = editMenu->addAction(tr("Ne&xt sentence of the set"), this,
                                               [this]() { showSetSentence(m_setIndex + 1); });
    m_nextSentenceAction->setShortcuts({QKeySequence(tr("Alt+Right")), QKeySequence(QKeySequence::MoveToNextPage)});
    m_previousSentenceAction->setEnabled(false);
    m_nextSentenceAction->setEnabled(false);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    m_valuesAction = m_viewMenu->addAction(tr("Show &values in cells"));
    m_valuesAction->setCheckable(true);
    m_valuesAction->setShortcut(QKeySequence(tr("Ctrl+Shift+V")));
    connect(m_valuesAction, &QAction::toggled, this, &MainWindow::setShowValues);
    m_energiesAction = m_viewMenu->addAction(tr("&Raw scores (before the softmax)"));
    m_energiesAction->setCheckable(true);
    m_energiesAction->setShortcut(QKeySequence(tr("Ctrl+Shift+E")));
    m_energiesAction->setStatusTip(tr("Show the scores e_ij instead of α_ij, centred on each row's mean"));
    connect(m_energiesAction, &QAction::toggled, this, &MainWindow::setEnergiesShown);
    QMenu *colorMenu = m_viewMenu->addMenu(tr("&Colour map"));
    m_colorMapActions = new QActionGroup(this);
    for (ColorMap map : allColorMaps()) {
        QAction *action = colorMenu->addAction(colorMapTitle(map));
        action->setCheckable(true);
        action->setData(colorMapName(map));
        m_colorMapActions->addAction(action);
        connect(action, &QAction::triggered, this, [this, map]() { setColorMap(map); });
    }
    m_viewMenu->addSeparator();
    QAction *zoomIn = m_viewMenu->addAction(tr("Zoom &in"), m_heatmapView, &AlignmentView::zoomIn);
    zoomIn->setShortcuts({QKeySequence(tr("Ctrl+=")), QKeySequence::ZoomIn});
    QAction *zoomOut = m_viewMenu->addAction(tr("Zoom &out"), m_heatmapView, &AlignmentView::zoomOut);
    zoomOut->setShortcuts({QKeySequence(tr("Ctrl+-")), QKeySequence::ZoomOut});
    QAction *zoomReset = m_viewMenu->addAction(tr("&Actual size"), this, [this]() { m_heatmapView->setZoom(1); });
    zoomReset->setShortcut(QKeySequence(tr("Ctrl+0")));
    m_viewMenu->addSeparator();
    QAction *heatmapTab = m_viewMenu->addAction(tr("&Heatmap"), this, [this]() { m_tabs->setCurrentIndex(0); });
    heatmapTab->setShortcut(QKeySequence(tr("Ctrl+1")));
    QAction *linesTab = m_viewMenu->addAction(tr("&Lines"), this, [this]() { m_tabs->setCurrentIndex(1); });
    linesTab->setShortcut(QKeySequence(tr("Ctrl+2")));
    m_viewMenu->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        m_viewMenu->addAction(dock->toggleViewAction());
}

QString MainWindow::sampleModelsDirectory()
{
    const QDir installed(QCoreApplication::applicationDirPath()
                         + QStringLiteral("/../share/attnviz/sample_models"));
    if (installed.exists())
        return installed.canonicalPath();
#ifdef ATTNVIZ_SOURCE_SAMPLE_MODELS_DIR
    return QStringLiteral(ATTNVIZ_SOURCE_SAMPLE_MODELS_DIR);
#else
    return {};
#endif
}

void MainWindow::rebuildSampleMenu()
{
    m_sampleMenu->clear();
    const QDir dir(sampleModelsDirectory());
    const QFileInfoList files =
        dir.entryInfoList({QStringLiteral("*.safetensors")}, QDir::Files, QDir::Name);
    for (const QFileInfo &file : files) {
        const QString path = file.absoluteFilePath();
        m_sampleMenu->addAction(file.completeBaseName(), this, [this, path]() { loadModel(path); });
    }
    if (files.isEmpty())
        m_sampleMenu->addAction(tr("(none found in %1)").arg(dir.path()))->setEnabled(false);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(Key::recentModels).toStringList();
    int number = 1;
    for (const QString &path : recent) {
        const QString title = QStringLiteral("&%1 %2").arg(number++).arg(QFileInfo(path).fileName());
        QAction *action = m_recentMenu->addAction(title, this, [this, path]() { loadModel(path); });
        action->setToolTip(path);
        action->setStatusTip(path);
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::addRecentModel(const QString &path)
{
    QSettings settings;
    QStringList recent = settings.value(Key::recentModels).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > maxRecentModels)
        recent.removeLast();
    storeSetting(Key::recentModels, recent);
    storeSetting(Key::lastModel, path);
    rebuildRecentMenu();
}

bool MainWindow::loadModel(const QString &path)
{
    // The one place where loader exceptions turn into something the UI shows.
    std::shared_ptr<const Model> model;
    try {
        model = Model::fromFile(QFile::encodeName(path).toStdString());
    } catch (const std::exception &error) {
        emit modelLoadFailed(QString::fromStdString(error.what()));
        return false;
    }
    m_model = std::move(model);
    m_modelPath = path;
    addRecentModel(QFileInfo(path).absoluteFilePath());
    updateModelView();
    m_controller->setModel(m_model);
    m_saveModelAction->setEnabled(true);
    emit modelLoaded(path);
    return true;
}

void MainWindow::useModel(std::shared_ptr<const Model> model, const QString &label)
{
    m_model = std::move(model);
    m_modelPath = label; // not a file until saved: neither recent nor restored next time
    updateModelView();
    m_controller->setModel(m_model);
    m_saveModelAction->setEnabled(true);
    emit modelLoaded(label);
}

bool MainWindow::saveModelAs(const QString &path, QString *error)
{
    if (!m_model)
        return false;
    try {
        saveModelFile(m_model->file(), QFile::encodeName(path).toStdString());
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    m_modelPath = path;
    addRecentModel(QFileInfo(path).absoluteFilePath());
    updateModelView();
    return true;
}

void MainWindow::importCheckpointDialog()
{
    ImportDialog dialog(this);
    if (dialog.exec() != QDialog::Accepted || !dialog.model())
        return;
    const QString label = dialog.options().name.empty()
        ? QFileInfo(dialog.checkpointEdit()->isEnabled() ? dialog.checkpointEdit()->text() : dialog.decoderEdit()->text())
                  .completeBaseName()
            + tr(" (imported)")
        : QString::fromStdString(dialog.options().name);
    try {
        useModel(std::make_shared<const Model>(*dialog.model(), label.toStdString()), label);
    } catch (const std::exception &error) {
        showLoadError(QString::fromStdString(error.what()));
        return;
    }
    statusBar()->showMessage(tr("Imported; File → Save model as… keeps it as an attnviz model file"), 8000);
}

void MainWindow::saveModelDialog()
{
    const QString start = QFileInfo(m_modelPath).exists() ? QFileInfo(m_modelPath).absolutePath() : QDir::homePath();
    QString path = QFileDialog::getSaveFileName(this, tr("Save model as"), start + QStringLiteral("/model.safetensors"),
                                                tr("attnviz models (*.safetensors);;JSON models (*.json)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".safetensors");
    QString error;
    if (!saveModelAs(path, &error))
        QMessageBox::warning(this, tr("Save model as"), error);
}

void MainWindow::restoreSession()
{
    QSettings settings;
    const QString last = settings.value(Key::lastModel).toString();
    const QString sentence = settings.value(Key::lastSentence).toString();
    if (!last.isEmpty() && QFileInfo::exists(last))
        loadModel(last);
    setSentence(sentence);
}

void MainWindow::openModel()
{
    const QString start = m_modelPath.isEmpty() ? sampleModelsDirectory() : QFileInfo(m_modelPath).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open model"), start, tr("attnviz models (*.safetensors *.json);;All files (*)"));
    if (!path.isEmpty())
        loadModel(path);
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
    if (!m_model) {
        setWindowTitle(tr("attnviz"));
        m_info->setHtml(QStringLiteral("<p><i>%1</i></p>").arg(tr("No model loaded")));
        return;
    }
    setWindowTitle(tr("%1 — attnviz").arg(QFileInfo(m_modelPath).fileName()));
    m_info->setHtml(modelInfoHtml(*m_model, m_modelPath));
}

void MainWindow::setSentence(const QString &sentence)
{
    m_sentence->setText(sentence);
    followAnnotations();
    m_controller->setSentence(sentence);
}

QString MainWindow::sentence() const
{
    return m_sentence->text();
}

void MainWindow::setReference(const QString &reference)
{
    m_reference->setText(reference);
}

void MainWindow::setBeamWidth(int width)
{
    if (width > 1)
        m_beamWidth->setValue(width);
    m_decoding->setCurrentIndex(width > 1 ? 1 : 0);
}

bool MainWindow::waitForTranslation(int timeoutMilliseconds)
{
    return m_controller->waitForIdle(timeoutMilliseconds);
}

void MainWindow::updateOptions()
{
    const bool forced = !m_reference->text().trimmed().isEmpty();
    m_decoding->setEnabled(!forced);
    m_beamWidth->setEnabled(!forced && m_decoding->currentIndex() == 1);
    DecodeOptions options;
    options.beamWidth = m_beamWidth->isEnabled() ? m_beamWidth->value() : 1;
    options.maxLength = m_maxLength->value();
    if (forced)
        options.target = m_reference->text().toStdString();
    options.attentionOverrides = m_controller->attentionOverrides();
    m_controller->setOptions(options);
}

ColorMap MainWindow::colorMap() const
{
    return m_heatmap->colorMap();
}

void MainWindow::setColorMap(ColorMap map)
{
    m_heatmap->setColorMap(map);
    for (QAction *action : m_colorMapActions->actions())
        action->setChecked(action->data().toString() == colorMapName(map));
    storeSetting(Key::colorMap, colorMapName(map));
}

bool MainWindow::showValues() const
{
    return m_heatmapView->showValues();
}

void MainWindow::setShowValues(bool show)
{
    m_heatmapView->setShowValues(show);
    m_valuesAction->setChecked(show);
    storeSetting(Key::showValues, show);
}

void MainWindow::selectStep(int step)
{
    const int rows = m_heatmap->rows();
    step = rows == 0 ? -1 : std::clamp(step, 0, rows - 1);
    const bool changed = step != m_step;
    m_step = step;
    m_heatmapView->setSelectedStep(step);
    m_linesView->setSelectedStep(step);
    m_contextView->setStep(std::max(0, step));
    updateContributions();
    if (changed)
        emit stepSelected(step);
}

void MainWindow::showResult(const TranslationOutput &output)
{
    m_output = output;
    m_error.clear();
    m_hypotheses->clear();
    m_hypotheses->addItems(hypothesisTitles(output));
    m_hypotheses->setCurrentIndex(0);
    showHypothesis(0);
}

void MainWindow::showHypothesis(int index)
{
    if (!m_output.result || !m_model)
        return;
    m_hypothesis = std::clamp(index, 0, int(m_output.result->hypotheses.size()) - 1);
    const bool padding = m_output.result->hypotheses[size_t(m_hypothesis)].attention.cols() > m_output.result->sourceLength();
    m_heatmap->setResult(m_output.result, m_hypothesis, padding);
    m_heatmap->setAttentionOverrides(m_output.attentionOverrides);
    m_resetAttentionAction->setEnabled(!m_output.attentionOverrides.empty());
    m_contextView->setResult(m_output.result, m_hypothesis);
    m_comparison->setHtml(comparisonHtml(m_output, m_hypothesis));
    selectStep(m_step < 0 ? 0 : m_step);
    updateStatus();
    m_exportAction->setEnabled(true);
    m_copyImageAction->setEnabled(true);
    updateAlignmentScore();
}

FigureOptions MainWindow::figureOptions(int pngScale) const
{
    FigureOptions options;
    options.scale = pngScale;
    options.showValues = showValues();
    const ModelConfig &config = m_output.model->config();
    options.title = m_output.sentence + QStringLiteral("  \u2014  ")
        + (config.name.empty() ? QFileInfo(m_modelPath).fileName() : QString::fromStdString(config.name));
    return options;
}

bool MainWindow::exportAlignment(const QString &path, int pngScale, QString *error)
{
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (!m_output.result || m_output.result->hypotheses.empty())
        return fail(tr("There is no alignment to export yet: type a sentence first."));
    const QString suffix = QFileInfo(path).suffix().toLower();
    QByteArray bytes;
    if (const auto format = figureFormatFromName(suffix)) {
        bytes = renderFigure(*m_heatmap, *format, figureOptions(pngScale));
    } else if (suffix == QLatin1String("csv")) {
        // The numbers the heatmap shows: alpha, the raw scores, or alpha at the temperature.
        CsvValues values;
        values.energies = m_heatmap->mode() == HeatmapMode::Energies;
        values.temperature = m_heatmap->temperature();
        bytes = QByteArray::fromStdString(alignmentToCsv(*m_output.result, m_hypothesis, values));
    } else if (suffix == QLatin1String("json")) {
        DecodeOptions options;
        if (m_output.result->forced)
            options.target = m_reference->text().toStdString();
        bytes = QByteArray::fromStdString(
            resultToJson(*m_output.model, m_output.sentence.toStdString(), *m_output.result, options, m_hypothesis)
                .dump(1)
            + "\n");
    } else {
        return fail(tr("“%1”: the file name must end in .png, .svg, .pdf, .csv or .json.").arg(path));
    }
    QSaveFile file(path); // a temporary file, renamed into place by commit()
    // flush() before commit(): Qt 6.4's commit() ignores a failed flush of the write buffer (a
    // full disk) and renames the truncated file into place.
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.flush()
        || !file.commit())
        return fail(tr("Could not write “%1”: %2").arg(path, file.errorString()));
    return true;
}

bool MainWindow::copyImage()
{
    if (!m_output.result || m_output.result->hypotheses.empty())
        return false;
    QGuiApplication::clipboard()->setImage(renderFigureImage(*m_heatmap, figureOptions(2)));
    return true;
}

void MainWindow::exportAlignmentDialog()
{
    const QStringList filters = {tr("PNG image, 2 pixels per point (*.png)"), tr("PNG image, 1 pixel per point (*.png)"),
                                 tr("PNG image, 4 pixels per point (*.png)"), tr("SVG vector image (*.svg)"),
                                 tr("PDF document (*.pdf)"), tr("CSV: the matrix (*.csv)"),
                                 tr("JSON: everything attnviz-cli prints (*.json)")};
    QSettings settings;
    const QString directory = settings.value(QStringLiteral("exportDirectory"), QDir::homePath()).toString();
    QString filter = filters.front();
    QString path = QFileDialog::getSaveFileName(this, tr("Export alignment"), directory + QStringLiteral("/alignment.png"),
                                                filters.join(QStringLiteral(";;")), &filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty()) // the chosen filter gives the extension
        path += QLatin1Char('.') + filter.section(QStringLiteral("(*."), 1).chopped(1);
    const int scale = filter == filters[1] ? 1 : filter == filters[2] ? 4 : 2;
    storeSetting(QStringLiteral("exportDirectory"), QFileInfo(path).absolutePath());
    QString error;
    if (!exportAlignment(path, scale, &error))
        QMessageBox::warning(this, tr("Export alignment"), error);
    else
        statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::showFailure(const QString &message)
{
    m_output = {};
    m_error = message;
    m_exportAction->setEnabled(false);
    m_copyImageAction->setEnabled(false);
    m_heatmap->clear();
    m_hypotheses->clear();
    m_contextView->setResult(nullptr, 0);
    m_comparison->clear();
    m_contributions->setRowCount(0);
    updateStatus();
    updateAlignmentScore();
}

void MainWindow::clearResult()
{
    showFailure(QString());
}

void MainWindow::showLinesView()
{
    m_tabs->setCurrentIndex(1);
}

QString MainWindow::outputText() const
{
    return m_outputLabel->text();
}

QString MainWindow::referenceText() const
{
    return m_referenceStatus->text();
}

QString MainWindow::statusText() const
{
    QStringList parts;
    for (const QLabel *label : {m_modelStatus, m_unknownStatus, m_timeStatus}) {
        if (!label->text().isEmpty())
            parts << label->text();
    }
    return parts.join(QStringLiteral(" | "));
}

void MainWindow::updateStatus()
{
    m_modelStatus->setText(m_model ? QString::fromStdString(m_model->config().name.empty()
                                                                ? m_model->displayName()
                                                                : m_model->config().name)
                                   : tr("No model"));
    const TranslationResult *result = m_output.result.get();
    if (!m_error.isEmpty()) {
        m_outputLabel->setText(tr("Cannot translate: %1").arg(m_error));
        m_outputLabel->setStyleSheet(QStringLiteral("color: #c62828"));
    } else {
        m_outputLabel->setStyleSheet(QString());
        if (result && m_hypothesis < int(result->hypotheses.size())) {
            const Hypothesis &h = result->hypotheses[size_t(m_hypothesis)];
            QString text = joinTokens(h.targetTokens, m_model->config().eosToken);
            if (text.isEmpty())
                text = tr("(no words: only EOS)");
            m_outputLabel->setText(result->forced
                                       ? tr("%1   (forced; perplexity %2)")
                                             .arg(text, QString::number(perplexity(h), 'f', 2))
                                       : text);
        } else {
            m_outputLabel->setText(QString());
        }
    }

    const QString placeholder = !m_model ? tr("Open a model (Ctrl+O) and type a sentence.")
        : !m_error.isEmpty()             ? tr("No alignment: this sentence cannot be translated.")
                                         : tr("Type a sentence (Ctrl+L) to see its alignment.");
    m_heatmapView->setPlaceholderText(placeholder);
    m_linesView->setPlaceholderText(placeholder);

    QStringList unknown;
    if (result) {
        for (const std::string &word : result->unknownWords)
            unknown << QString::fromStdString(word);
        unknown.removeDuplicates();
    }
    m_sentence->setUnknownWords(unknown, m_model ? m_model->config().normalization : Normalization::Tutorial);
    constexpr int maxListed = 8;
    QString listed = unknown.mid(0, maxListed).join(QStringLiteral(", "));
    if (unknown.size() > maxListed)
        listed += tr(" and %1 more").arg(unknown.size() - maxListed);
    m_unknownStatus->setText(unknown.isEmpty() ? QString() : tr("Unknown words: %1").arg(listed));
    m_unknownStatus->setToolTip(unknown.join(QStringLiteral(", ")));
    m_unknownStatus->setStyleSheet(unknown.isEmpty() ? QString() : QStringLiteral("color: #c62828"));
    QString reference;
    if (result && result->forced && m_hypothesis < int(result->hypotheses.size())) {
        const Hypothesis &h = result->hypotheses[size_t(m_hypothesis)];
        QStringList tokens;
        for (size_t i = 0; i < h.targetTokens.size() && i < h.logProbs.size(); ++i)
            tokens << QStringLiteral("%1 %2").arg(QString::fromStdString(h.targetTokens[i]),
                                                  QString::number(h.logProbs[i], 'f', 2).replace(QLatin1Char('-'), QStringLiteral("−")));
        reference = tr("log p: %1").arg(tokens.join(QStringLiteral(" · ")));
        QStringList outside;
        for (const std::string &word : result->unknownTargetWords)
            outside << QString::fromStdString(word);
        outside.removeDuplicates();
        if (!outside.isEmpty())
            reference += tr("   Reference words outside the vocabulary: %1").arg(outside.join(QStringLiteral(", ")));
    }
    m_referenceStatus->setText(reference);
    m_referenceStatus->setToolTip(tr("The log-probability the model gives each token of the reference"));
    m_timeStatus->setText(result ? tr("Translated in %1 ms").arg(QString::number(m_output.milliseconds, 'f', 1))
                                 : QString());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!maybeSaveAnnotations()) {
        event->ignore();
        return;
    }
    storeSetting(Key::geometry, saveGeometry());
    storeSetting(Key::state, saveState());
    QString error;
    if (!syncSettings(&error) && !m_settingsWarningShown)
        QMessageBox::warning(this, tr("Settings not saved"), error);
    QMainWindow::closeEvent(event);
}

void MainWindow::storeSetting(const QString &key, const QVariant &value)
{
    QSettings settings;
    settings.setValue(key, value);
    // QSettings would write them when `settings` goes, and keep quiet if that failed.
    settings.sync();
    reportSettingsStatus(settings);
}

bool MainWindow::syncSettings(QString *error)
{
    QSettings settings;
    settings.sync();
    return reportSettingsStatus(settings, error);
}

bool MainWindow::reportSettingsStatus(const QSettings &settings, QString *error)
{
    // QSettings writes a new file and renames it over the old one: a failure keeps the old file,
    // and the changes stay in memory for the next write.
    if (settings.status() == QSettings::NoError) {
        m_settingsStatus->hide();
        return true;
    }
    const QString message = tr("Settings could not be saved to “%1”: the folder is not writable or the disk "
                               "is full. Recent models, the last sentence and the window layout will not be "
                               "remembered; the previous settings file is unchanged.")
                                .arg(QDir::toNativeSeparators(settings.fileName()));
    if (error)
        *error = message;
    m_settingsStatus->setText(tr("Settings not saved"));
    m_settingsStatus->setToolTip(message);
    m_settingsStatus->show();
    if (!m_settingsWarningShown) {
        statusBar()->showMessage(message, 15000);
        m_settingsWarningShown = true;
    }
    return false;
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
    loadModel(urls.first().toLocalFile());
}

bool MainWindow::energiesShown() const
{
    return m_heatmap->mode() == HeatmapMode::Energies;
}

void MainWindow::setEnergiesShown(bool shown)
{
    m_heatmap->setMode(shown ? HeatmapMode::Energies : HeatmapMode::Attention);
    m_energiesAction->setChecked(shown);
    m_temperature->setEnabled(!shown); // the scores have no temperature
}

double MainWindow::temperature() const
{
    return m_heatmap->temperature();
}

void MainWindow::setTemperature(double temperature)
{
    m_temperature->setValue(temperature);
}

int MainWindow::attentionShare() const
{
    return m_share->value();
}

void MainWindow::setAttentionShare(int percent)
{
    m_share->setValue(percent);
}

void MainWindow::forceAttention(int step, int column)
{
    if (!m_output.result || column < 0 || column >= m_output.result->sourceLength() || step < 0)
        return;
    m_controller->setAttentionOverride({step, column, m_share->value() / 100.0});
    statusBar()->showMessage(tr("Attention at step %1 forced to “%2”; Ctrl+Shift+R resets it")
                                 .arg(step + 1)
                                 .arg(m_heatmap->columnLabel(column)),
                             6000);
}

void MainWindow::resetAttention()
{
    m_controller->clearAttentionOverrides();
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
    const QString what = m_heatmap->toolTip(row, column);
    if (what.isEmpty())
        return;
    const QString keys = m_annotateAction->isChecked()
        ? tr("Space: add or remove a gold link")
        : tr("F: force the attention here");
    statusBar()->showMessage(what + QStringLiteral("   —   ") + keys, 8000);
}

void MainWindow::updateContributions()
{
    const TranslationResult *result = m_output.result.get();
    if (!result || m_step < 0 || m_hypothesis >= int(result->hypotheses.size())) {
        m_contributions->setRowCount(0);
        return;
    }
    const Hypothesis &h = result->hypotheses[size_t(m_hypothesis)];
    if (m_step >= h.steps() || h.contexts.rows() <= m_step) {
        m_contributions->setRowCount(0);
        return;
    }
    const std::vector<Contribution> parts = contextContributions(*result, h, m_step);
    double largest = 0;
    for (const Contribution &part : parts)
        largest = std::max(largest, part.norm);
    m_contributions->setRowCount(int(parts.size()));
    for (int j = 0; j < int(parts.size()); ++j) {
        auto *word = new QTableWidgetItem(QString::fromStdString(result->sourceTokens[size_t(j)]));
        auto *norm = new QTableWidgetItem(QString::number(parts[size_t(j)].norm, 'f', 3));
        auto *cosine = new QTableWidgetItem(QString::number(parts[size_t(j)].cosine, 'f', 3));
        norm->setData(Qt::UserRole, parts[size_t(j)].norm);
        cosine->setData(Qt::UserRole, parts[size_t(j)].cosine);
        // A bar behind each number: the norm against the largest, the cosine on the diverging scale.
        QColor bar = palette().color(QPalette::Highlight);
        bar.setAlphaF(largest > 0 ? 0.15 + 0.6 * parts[size_t(j)].norm / largest : 0.0);
        norm->setBackground(bar);
        QColor sign = divergingColor(parts[size_t(j)].cosine);
        cosine->setBackground(sign);
        cosine->setForeground(contrastingTextColor(sign));
        norm->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        cosine->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_contributions->setItem(j, 0, word);
        m_contributions->setItem(j, 1, norm);
        m_contributions->setItem(j, 2, cosine);
    }
}

void MainWindow::setGoldAlignment(std::optional<GoldAlignment> gold)
{
    if (!gold) {
        m_gold.clear();
        m_setSentences.clear();
        m_setReferences.clear();
        m_setIndex = -1;
        m_setFromFiles = false;
        m_annotationsModified = false;
    } else if (m_setIndex < 0) {
        // The first links for this sentence (and reference): a new entry of the annotations.
        m_gold.push_back(*gold);
        m_setSentences << m_sentence->text();
        m_setReferences << m_reference->text();
        m_setIndex = int(m_gold.size()) - 1;
        m_annotationsModified = true;
    } else {
        m_gold[size_t(m_setIndex)] = *gold;
        m_annotationsModified = true;
    }
    showGold();
}

void MainWindow::followAnnotations()
{
    // Without a set from files, annotations belong to the sentence and reference they were made
    // for: another sentence shows none, and coming back shows them again.
    if (m_setFromFiles)
        return;
    const int before = m_setIndex;
    m_setIndex = -1;
    for (int i = 0; i < m_setSentences.size(); ++i) {
        if (m_setSentences[i] == m_sentence->text() && m_setReferences[i] == m_reference->text()) {
            m_setIndex = i;
            break;
        }
    }
    if (m_setIndex != before)
        showGold();
}

int MainWindow::annotatedSentences() const
{
    return int(std::count_if(m_gold.begin(), m_gold.end(),
                             [](const GoldAlignment &g) { return !g.sure.empty() || !g.possible.empty(); }));
}

std::optional<GoldAlignment> MainWindow::goldAlignment() const
{
    if (m_setIndex < 0)
        return std::nullopt;
    return m_gold[size_t(m_setIndex)];
}

void MainWindow::showGold()
{
    m_heatmap->setGoldAlignment(goldAlignment());
    m_saveAlignmentsAction->setEnabled(!m_gold.empty());
    m_previousSentenceAction->setEnabled(m_setFromFiles && m_setIndex > 0);
    m_nextSentenceAction->setEnabled(m_setFromFiles && m_setIndex + 1 < int(m_gold.size()));
    if (m_setFromFiles)
        m_setStatus->setText(tr("Sentence %1 of %2").arg(m_setIndex + 1).arg(m_gold.size()));
    else
        m_setStatus->setText(m_gold.empty() ? QString()
                                            : tr("Annotated: %n sentence(s)%1", nullptr, annotatedSentences())
                                                  .arg(m_annotationsModified ? tr(", not saved") : QString()));
    updateAlignmentScore();
}

double MainWindow::linkThreshold() const
{
    return m_threshold->value();
}

void MainWindow::setLinkThreshold(double threshold)
{
    m_threshold->setValue(threshold);
}

QString MainWindow::alignmentScoreText() const
{
    return m_scoreStatus->text();
}

void MainWindow::updateAlignmentScore()
{
    const std::optional<GoldAlignment> gold = goldAlignment();
    const TranslationResult *result = m_output.result.get();
    if (!gold || !result || m_hypothesis >= int(result->hypotheses.size())) {
        m_scoreStatus->clear();
        return;
    }
    const std::set<Link> links = hardLinks(*result, result->hypotheses[size_t(m_hypothesis)], m_threshold->value());
    const AlignmentCounts counts = countAgreement(links, *gold);
    m_scoreStatus->setText(tr("P %1  R %2  AER %3 (%4 model links, %5 sure)")
                               .arg(QString::number(counts.precision(), 'f', 2),
                                    QString::number(counts.recall(), 'f', 2),
                                    QString::number(counts.alignmentErrorRate(), 'f', 2))
                               .arg(counts.a)
                               .arg(counts.s));
    m_scoreStatus->setToolTip(tr("The model's hard links against the gold links: precision |A∩P|/|A|, "
                                 "recall |A∩S|/|S|, alignment error rate (Och & Ney 2003)"));
}

bool MainWindow::isAnnotating() const
{
    return m_annotateAction->isChecked();
}

void MainWindow::setAnnotating(bool on)
{
    m_annotateAction->setChecked(on);
}

bool MainWindow::toggleGoldLink(int row, int column)
{
    const std::optional<Link> link = m_heatmap->linkAt(row, column);
    if (!link)
        return false;
    GoldAlignment gold = goldAlignment().value_or(GoldAlignment {});
    gold.toggle(*link);
    setGoldAlignment(gold);
    return true;
}

namespace {

// The lines of a text file, without the empty one after a final newline.
std::optional<QStringList> readLines(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = MainWindow::tr("Cannot read “%1”: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    QString text = QString::fromUtf8(file.readAll());
    text.remove(QLatin1Char('\r'));
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    return text.isEmpty() ? QStringList() : text.split(QLatin1Char('\n'));
}

} // namespace

bool MainWindow::openAlignmentSet(const QString &sentencesPath, const QString &referencesPath,
                                  const QString &goldPath, QString *error)
{
    QString message;
    const auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    const std::optional<QStringList> sentences = readLines(sentencesPath, &message);
    if (!sentences)
        return fail(message);
    const std::optional<QStringList> references = readLines(referencesPath, &message);
    if (!references)
        return fail(message);
    QFile goldFile(goldPath);
    if (!goldFile.open(QIODevice::ReadOnly))
        return fail(tr("Cannot read “%1”: %2").arg(goldPath, goldFile.errorString()));
    std::vector<GoldAlignment> gold;
    try {
        gold = parsePharaoh(goldFile.readAll().toStdString(), QFileInfo(goldPath).fileName().toStdString());
    } catch (const std::exception &e) {
        return fail(QString::fromStdString(e.what()));
    }
    if (sentences->isEmpty())
        return fail(tr("“%1” has no sentences.").arg(sentencesPath));
    if (references->size() != sentences->size() || int(gold.size()) != sentences->size())
        return fail(tr("The files do not line up: %1 sentences, %2 references and %3 gold alignment lines.")
                        .arg(sentences->size())
                        .arg(references->size())
                        .arg(gold.size()));
    m_gold = std::move(gold);
    m_setSentences = *sentences;
    m_setReferences = *references;
    m_setFromFiles = true;
    m_annotationsModified = false;
    m_setIndex = 0;
    showSetSentence(0);
    return true;
}

void MainWindow::showSetSentence(int index)
{
    if (!m_setFromFiles || index < 0 || index >= int(m_gold.size()))
        return;
    m_setIndex = index;
    m_controller->clearAttentionOverrides();
    setReference(m_setReferences[index]);
    setSentence(m_setSentences[index]);
    storeSetting(Key::lastSentence, m_setSentences[index]);
    showGold();
}

namespace {

bool writeAtomically(const QString &path, const QByteArray &bytes, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.flush()
        || !file.commit()) { // flush() first: see exportAlignment
        if (error)
            *error = QCoreApplication::translate("MainWindow", "Could not write “%1”: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QByteArray lines(const QStringList &texts)
{
    QByteArray bytes;
    for (const QString &text : texts)
        bytes += text.toUtf8() + '\n';
    return bytes;
}

} // namespace

QStringList MainWindow::alignmentFiles(const QString &path) const
{
    if (m_setFromFiles)
        return {path};
    // Annotations made in the window are saved as a set that File → Open alignment set reads:
    // NAME.src (sentences), NAME.ref (references), and the links at `path` (NAME.gold).
    const QFileInfo info(path);
    const QString base = info.absolutePath() + QLatin1Char('/') + info.completeBaseName();
    const QString suffix = info.suffix().toLower();
    const QString gold = suffix == QLatin1String("src") || suffix == QLatin1String("ref") ? base + QStringLiteral(".gold") : path;
    return {base + QStringLiteral(".src"), base + QStringLiteral(".ref"), gold};
}

bool MainWindow::saveAlignments(const QString &path, QString *error)
{
    if (m_gold.empty()) {
        if (error)
            *error = tr("There are no gold links to save: open an alignment set or annotate first.");
        return false;
    }
    const QStringList files = alignmentFiles(path);
    // Each file is replaced whole or not at all; the links go last, so a failure never leaves
    // links that do not match the sentences beside them.
    if (files.size() == 3
        && (!writeAtomically(files[0], lines(m_setSentences), error)
            || !writeAtomically(files[1], lines(m_setReferences), error)))
        return false;
    if (!writeAtomically(files.last(), QByteArray::fromStdString(writePharaoh(m_gold)), error))
        return false;
    m_annotationsModified = false;
    showGold();
    return true;
}

bool MainWindow::maybeSaveAnnotations()
{
    if (!m_annotationsModified)
        return true;
    const auto answer = QMessageBox::question(
        this, tr("Unsaved gold links"),
        tr("The gold links you changed (%n annotated sentence(s)) are not saved. Save them?", nullptr,
           annotatedSentences()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Discard)
        return true;
    return answer == QMessageBox::Save && saveAlignmentsDialog();
}

void MainWindow::openAlignmentSetDialog()
{
    if (!maybeSaveAnnotations())
        return;
    const QString directory = QSettings().value(QStringLiteral("alignmentDirectory"), QDir::homePath()).toString();
    const QString sentences = QFileDialog::getOpenFileName(this, tr("Open alignment set: 1/3, the sentences"), directory,
                                                           tr("Sentences, one per line (*.src *.txt);;All files (*)"));
    if (sentences.isEmpty())
        return;
    const QString base = QFileInfo(sentences).absolutePath() + QLatin1Char('/') + QFileInfo(sentences).completeBaseName();
    const QString references = QFileDialog::getOpenFileName(
        this, tr("Open alignment set: 2/3, the reference translations"),
        QFileInfo::exists(base + QStringLiteral(".ref")) ? base + QStringLiteral(".ref") : QFileInfo(sentences).absolutePath(),
        tr("References, one per line (*.ref *.txt);;All files (*)"));
    if (references.isEmpty())
        return;
    const QString gold = QFileDialog::getOpenFileName(
        this, tr("Open alignment set: 3/3, the gold links (Pharaoh)"),
        QFileInfo::exists(base + QStringLiteral(".gold")) ? base + QStringLiteral(".gold") : QFileInfo(sentences).absolutePath(),
        tr("Pharaoh alignments (*.gold *.align *.txt);;All files (*)"));
    if (gold.isEmpty())
        return;
    storeSetting(QStringLiteral("alignmentDirectory"), QFileInfo(sentences).absolutePath());
    QString error;
    if (!openAlignmentSet(sentences, references, gold, &error))
        QMessageBox::warning(this, tr("Open alignment set"), error);
}

bool MainWindow::saveAlignmentsDialog()
{
    const QString directory = QSettings().value(QStringLiteral("alignmentDirectory"), QDir::homePath()).toString();
    const QString title = m_setFromFiles ? tr("Save alignments")
                                         : tr("Save alignments (also NAME.src and NAME.ref, the sentences and references)");
    const QString path = QFileDialog::getSaveFileName(this, title, directory + QStringLiteral("/alignments.gold"),
                                                      tr("Pharaoh alignments (*.gold *.align *.txt);;All files (*)"));
    if (path.isEmpty())
        return false;
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
