#include "comparewindow.h"

#include "comparisoncontroller.h"
#include "filedialogs.h"

#include <attnviz/decoding/heads.h>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace attnviz {

// The side-by-side figure, scaled to fit the widget and centred.
class ComparisonFigureView : public QWidget
{
public:
    explicit ComparisonFigureView(const ComparisonController *controller, QWidget *parent)
        : QWidget(parent)
        , m_controller(controller)
    {
        setMinimumSize(240, 120);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), Qt::white);
        const ComparisonFigure *figure = m_controller->figure();
        if (!figure)
            return;
        const QSizeF natural = figure->size(this);
        const double scale = std::min({width() / natural.width(), height() / natural.height(), 1.5});
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setRenderHint(QPainter::TextAntialiasing);
        painter.translate((width() - natural.width() * scale) / 2, (height() - natural.height() * scale) / 2);
        painter.scale(scale, scale);
        figure->paint(painter, this);
    }

private:
    const ComparisonController *m_controller;
};

CompareWindow::CompareWindow(ComparisonController *controller, QWidget *parent)
    : QDialog(parent)
    , m_controller(controller)
{
    controller->setParent(this);
    setWindowTitle(tr("Compare models"));
    setAttribute(Qt::WA_DeleteOnClose);

    m_sharedOutput = new QComboBox(this);
    m_sharedOutput->addItem(tr("Model A's translation"));
    m_sharedOutput->addItem(tr("Model B's translation"));
    m_sharedOutput->setToolTip(tr("The output both models are forced on, so that their rows compare"));
    auto *outputLabel = new QLabel(tr("&Both read:"), this);
    outputLabel->setBuddy(m_sharedOutput);
    m_unitsBox = new QComboBox(this);
    m_unitsBox->addItem(tr("Automatic"));
    m_unitsBox->addItem(tr("Pieces"));
    m_unitsBox->addItem(tr("Words"));
    m_unitsBox->setToolTip(tr("Rows and columns as the models' pieces, or as the words they merge to "
                              "(automatic: pieces when both models cut the sentence the same way)"));
    auto *unitsLabel = new QLabel(tr("&Tokens:"), this);
    unitsLabel->setBuddy(m_unitsBox);
    connect(m_unitsBox, qOverload<int>(&QComboBox::activated), this, [this](int index) {
        m_controller->setUnits(index == 1   ? std::optional<TokenUnits>(TokenUnits::Pieces)
                               : index == 2 ? std::optional<TokenUnits>(TokenUnits::Words)
                                            : std::nullopt);
    });
    m_viewBox = new QComboBox(this);
    m_viewBox->setToolTip(tr("The transformer attention both models' rows show"));
    m_viewLabel = new QLabel(tr("&Attention:"), this);
    m_viewLabel->setBuddy(m_viewBox);
    connect(m_viewBox, qOverload<int>(&QComboBox::activated), this, [this](int index) {
        if (index >= 0 && size_t(index) < m_views.size())
            m_controller->setView(m_views[size_t(index)]);
    });
    fillViews();
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    m_view = new ComparisonFigureView(controller, this);
    m_table = new QTableWidget(this);
    m_table->setColumnCount(7);
    m_table->setHorizontalHeaderLabels({tr("Output"), tr("JSD"), tr("Agree"), tr("H(A)"), tr("H(B)"), tr("log p A"),
                                        tr("log p B")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_view);
    splitter->addWidget(m_table);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_export = buttons->addButton(tr("&Export…"), QDialogButtonBox::ActionRole);
    m_export->setAutoDefault(false);
    m_export->setToolTip(tr("The side-by-side figure (PNG, SVG, PDF) or the numbers (CSV, JSON)"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    connect(m_export, &QPushButton::clicked, this, &CompareWindow::exportDialog);

    m_busy = new QProgressBar(this);
    m_busy->setRange(0, 0); // no steps to count: two forced decodings
    m_busy->setFormat(tr("Comparing…"));
    m_busy->setTextVisible(true);
    m_busy->setMaximumWidth(180);
    m_cancel = new QPushButton(tr("&Cancel"), this);
    m_cancel->setAutoDefault(false);
    m_cancel->setToolTip(tr("Stop waiting for this comparison; what is shown stays"));
    connect(m_cancel, &QPushButton::clicked, controller, &ComparisonController::cancel);
    m_units = new QLabel(this);
    m_units->setWordWrap(true);
    m_units->hide();

    auto *top = new QHBoxLayout;
    top->addWidget(outputLabel);
    top->addWidget(m_sharedOutput);
    top->addSpacing(12);
    top->addWidget(unitsLabel);
    top->addWidget(m_unitsBox);
    top->addSpacing(12);
    top->addWidget(m_viewLabel);
    top->addWidget(m_viewBox);
    top->addStretch(1);
    top->addWidget(m_busy);
    top->addWidget(m_cancel);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_units);
    layout->addWidget(m_message);
    layout->addWidget(splitter, 1);
    layout->addWidget(buttons);

    if (controller->hasReference()) {
        m_sharedOutput->addItem(tr("The reference"));
        m_sharedOutput->setCurrentIndex(2);
        m_sharedOutput->setEnabled(false);
        m_sharedOutput->setToolTip(tr("Both models read the reference typed in the main window"));
    }
    connect(m_sharedOutput, qOverload<int>(&QComboBox::activated), this, [this](int index) {
        m_controller->setSharedOutput(index == 1 ? SharedOutput::B : SharedOutput::A);
    });
    connect(controller, &ComparisonController::comparisonChanged, this, &CompareWindow::showComparison);
    connect(controller, &ComparisonController::comparisonFailed, this, &CompareWindow::showFailure);
    connect(controller, &ComparisonController::computingChanged, this, &CompareWindow::showComputing);
    showComputing(controller->isComputing());
    if (controller->figure())
        showComparison();
    else if (!controller->failure().isEmpty())
        showFailure(controller->failure());
    // Large enough for a sentence of ten words, never larger than the screen (800 x 600 too).
    const QRect screen = this->screen()->availableGeometry();
    resize(std::min(1100, screen.width() * 9 / 10), std::min(700, screen.height() * 9 / 10));
}

// The default view, the toolkit's presets and every layer's mean (headPresets), then each head,
// by model A's layers and heads; hidden when neither model is a transformer.
void CompareWindow::fillViews()
{
    m_views.clear();
    m_viewBox->clear();
    const Model *a = m_controller->modelA();
    const bool shown = m_controller->hasTransformer() && a && a->isTransformer();
    m_viewBox->setVisible(shown);
    m_viewLabel->setVisible(shown);
    if (!shown)
        return;
    const int layers = a->layers(), heads = a->heads();
    const auto add = [&](const QString &name, const HeadSelection &view) {
        for (const HeadSelection &known : m_views)
            if (resolveSelection(known, layers, heads) == resolveSelection(view, layers, heads))
                return;
        m_views.push_back(view);
        m_viewBox->addItem(name);
    };
    add(tr("Last layer, mean of heads (default)"), HeadSelection{});
    for (const HeadPreset &preset : headPresets(a->config(), layers))
        add(QString::fromStdString(preset.name), preset.selection);
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h)
            add(tr("Layer %1, head %2").arg(l + 1).arg(h + 1), HeadSelection{l, {h}, false});
    for (size_t k = 0; k < m_views.size(); ++k)
        if (m_views[k] == m_controller->view())
            m_viewBox->setCurrentIndex(int(k));
}

void CompareWindow::showComparison()
{
    const ComparisonFigure *figure = m_controller->figure();
    const ModelComparison &c = figure->comparison();
    m_message->hide();
    m_export->setEnabled(true);
    // What the rows and columns are: words when the models' pieces differ; a transformer's view.
    QStringList notes;
    if (c.units == TokenUnits::Words)
        notes << tr("in words (the pieces merged)");
    if (!c.viewA.empty())
        notes << (c.viewA == c.viewB ? tr("attention: %1").arg(QString::fromStdString(c.viewA))
                                     : tr("attention: A %1, B %2").arg(QString::fromStdString(c.viewA),
                                                                       QString::fromStdString(c.viewB)));
    m_units->setText(notes.join(QStringLiteral(" · ")));
    m_units->setVisible(!notes.isEmpty());
    m_table->setRowCount(int(c.targetTokens.size()));
    const auto number = [](double value) { return QString::number(value, 'f', 4); };
    for (int i = 0; i < int(c.targetTokens.size()); ++i) {
        const size_t s = size_t(i);
        const QStringList cells = {QString::fromStdString(c.targetTokens[s]), number(c.rows.jsd[s]),
                                   c.rows.agreement[s] ? tr("yes") : tr("no"), number(c.rows.entropyA[s]),
                                   number(c.rows.entropyB[s]), number(c.a.best().logProbs[s]),
                                   number(c.b.best().logProbs[s])};
        for (int k = 0; k < cells.size(); ++k)
            m_table->setItem(i, k, new QTableWidgetItem(cells[k]));
    }
    setWindowTitle(tr("Compare: %1 and %2").arg(figure->labelA(), figure->labelB()));
    m_view->update();
}

void CompareWindow::showFailure(const QString &message)
{
    const bool kept = m_controller->figure() != nullptr; // the last comparison that worked stays
    m_message->setText(kept ? tr("These models cannot be compared so: %1 (shown: the last comparison)").arg(message)
                            : tr("These models cannot be compared on this sentence: %1").arg(message));
    m_message->show();
    if (!kept) {
        m_table->setRowCount(0);
        m_export->setEnabled(false);
    }
    m_view->update();
}

void CompareWindow::showComputing(bool computing)
{
    m_busy->setVisible(computing);
    m_cancel->setVisible(computing);
    m_sharedOutput->setEnabled(!computing && !m_controller->hasReference());
    m_unitsBox->setEnabled(!computing);
    m_viewBox->setEnabled(!computing);
}

void CompareWindow::exportDialog()
{
    const std::optional<filedialogs::ExportTarget> target = filedialogs::exportAlignment(this, QString());
    if (!target)
        return;
    QString error;
    if (!m_controller->exportTo(target->path, target->pngDpi, &error))
        QMessageBox::warning(this, tr("Export failed"), error);
}

} // namespace attnviz
