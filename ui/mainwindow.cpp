#include "mainwindow.h"

#include "alignmentview.h"
#include "contextview.h"
#include "figureexport.h"
#include "heatmapmodel.h"
#include "importdialog.h"
#include "resulttext.h"
#include "sentenceedit.h"

#include <attnviz/model.h>
#include <attnviz/result_json.h>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
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
#include <QStatusBar>
#include <QTabWidget>
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
    statusBar()->addWidget(m_modelStatus);
    statusBar()->addWidget(m_unknownStatus, 1);
    statusBar()->addPermanentWidget(m_timeStatus);

    connect(this, &MainWindow::modelLoadFailed, this, &MainWindow::showLoadError);
    connect(m_controller, &TranslationController::resultReady, this, &MainWindow::showResult);
    connect(m_controller, &TranslationController::translationFailed, this, &MainWindow::showFailure);
    connect(m_controller, &TranslationController::cleared, this, &MainWindow::clearResult);

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
        m_controller->setSentence(text);
        QSettings().setValue(Key::lastSentence, text);
    });
    connect(m_reference, &QLineEdit::textChanged, this, &MainWindow::updateOptions);
    connect(m_decoding, qOverload<int>(&QComboBox::currentIndexChanged), this, &MainWindow::updateOptions);
    connect(m_beamWidth, qOverload<int>(&QSpinBox::valueChanged), this, &MainWindow::updateOptions);
    connect(m_maxLength, qOverload<int>(&QSpinBox::valueChanged), this, &MainWindow::updateOptions);
    connect(m_hypotheses, qOverload<int>(&QComboBox::activated), this, &MainWindow::showHypothesis);
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
    addDock(tr("Context vectors"), QStringLiteral("contextDock"), m_contextView, Qt::RightDockWidgetArea);
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

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    m_valuesAction = m_viewMenu->addAction(tr("Show &values in cells"));
    m_valuesAction->setCheckable(true);
    m_valuesAction->setShortcut(QKeySequence(tr("Ctrl+Shift+V")));
    connect(m_valuesAction, &QAction::toggled, this, &MainWindow::setShowValues);
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
    settings.setValue(Key::recentModels, recent);
    settings.setValue(Key::lastModel, path);
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
    QSettings().setValue(Key::colorMap, colorMapName(map));
}

bool MainWindow::showValues() const
{
    return m_heatmapView->showValues();
}

void MainWindow::setShowValues(bool show)
{
    m_heatmapView->setShowValues(show);
    m_valuesAction->setChecked(show);
    QSettings().setValue(Key::showValues, show);
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
    const bool legacy = m_output.model->config().architecture == Architecture::TutorialLegacy;
    m_heatmap->setResult(m_output.result, m_hypothesis, legacy);
    m_contextView->setResult(m_output.result, m_hypothesis);
    m_comparison->setHtml(comparisonHtml(m_output, m_hypothesis));
    selectStep(m_step < 0 ? 0 : m_step);
    updateStatus();
    m_exportAction->setEnabled(true);
    m_copyImageAction->setEnabled(true);
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
        bytes = QByteArray::fromStdString(alignmentToCsv(*m_output.result, m_hypothesis));
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
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
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
    settings.setValue(QStringLiteral("exportDirectory"), QFileInfo(path).absolutePath());
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
    updateStatus();
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
    m_timeStatus->setText(result ? tr("Translated in %1 ms").arg(QString::number(m_output.milliseconds, 'f', 1))
                                 : QString());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(Key::geometry, saveGeometry());
    settings.setValue(Key::state, saveState());
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
    loadModel(urls.first().toLocalFile());
}

} // namespace attnviz
