#include "attributionview.h"

#include "attributionfigure.h"
#include "attributionmodel.h"
#include "exportwriter.h"
#include "colormap.h"
#include "resultselection.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

namespace attnviz {

namespace {

constexpr int cell = 34, margin = 8, agreementWidth = 96;

QString token(const std::string &text)
{
    return QString::fromStdString(text);
}

} // namespace

AttributionCanvas::AttributionCanvas(AttributionModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
{
    setObjectName(QStringLiteral("attributionCanvas"));
    connect(model, &AttributionModel::changed, this, qOverload<>(&QWidget::update));
    connect(model, &AttributionModel::changed, this, &QWidget::updateGeometry);
}

QSize AttributionCanvas::sizeHint() const
{
    const AttributionView *view = m_model->current();
    if (!view)
        return {400, 200};
    const QFontMetrics fm = fontMetrics();
    int label = 0;
    for (const std::string &t : view->targetTokens)
        label = std::max(label, fm.horizontalAdvance(token(t)));
    int top = 0;
    for (const std::string &t : view->sourceTokens)
        top = std::max(top, fm.horizontalAdvance(token(t)));
    return {margin * 3 + label + int(view->sourceTokens.size()) * cell + agreementWidth,
            margin * 3 + top + int(view->targetTokens.size()) * cell + 2 * fm.height()};
}

void AttributionCanvas::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    const AttributionView *view = m_model->current();
    if (!view) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter,
                         m_model->isComputing()        ? tr("Computing…")
                         : !m_model->error().isEmpty() ? tr("No attribution: %1").arg(m_model->error())
                                                       : tr("Translate a sentence to see its attribution"));
        return;
    }
    const QFontMetrics fm = fontMetrics();
    const int rows = int(view->targetTokens.size()), cols = int(view->sourceTokens.size());
    int label = 0, top = 0;
    for (const std::string &t : view->targetTokens)
        label = std::max(label, fm.horizontalAdvance(token(t)));
    for (const std::string &t : view->sourceTokens)
        top = std::max(top, fm.horizontalAdvance(token(t)));
    const int x0 = margin * 2 + label, y0 = margin * 2 + top;
    const Eigen::MatrixXd &v = view->attribution.values;
    double bound = 0;
    for (Eigen::Index i = 0; i < v.rows(); ++i)
        for (Eigen::Index j = 0; j < v.cols(); ++j)
            if (std::isfinite(v(i, j)))
                bound = std::max(bound, std::abs(v(i, j)));
    const bool signedScale = isSignedAttribution(view->attribution.method);
    painter.setPen(palette().color(QPalette::Text));
    for (int j = 0; j < cols; ++j) { // source labels, turned
        painter.save();
        painter.translate(x0 + j * cell + cell / 2 + fm.ascent() / 2, y0 - margin / 2);
        painter.rotate(-90);
        painter.drawText(0, 0, token(view->sourceTokens[size_t(j)]));
        painter.restore();
    }
    for (int i = 0; i < rows; ++i) {
        const QRect labelRect(margin, y0 + i * cell, label, cell);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(labelRect, Qt::AlignRight | Qt::AlignVCenter, token(view->targetTokens[size_t(i)]));
        for (int j = 0; j < cols; ++j) {
            const QRect r(x0 + j * cell, y0 + i * cell, cell, cell);
            const double value = v(i, j);
            QColor color = palette().color(QPalette::Window);
            if (std::isfinite(value) && bound > 0)
                color = signedScale ? divergingColor(value / bound) : colorMapColor(ColorMap::Viridis, value / bound);
            painter.fillRect(r, color);
            painter.setPen(contrastingTextColor(color));
            QFont small = font();
            small.setPointSizeF(small.pointSizeF() * 0.75);
            painter.setFont(small);
            painter.drawText(r, Qt::AlignCenter, std::isfinite(value) ? QString::number(value, 'f', 2) : tr("n/a"));
            painter.setFont(font());
        }
        if (size_t(i) < view->rows.size()) { // the row's agreement with attention
            const RowAgreement &a = view->rows[size_t(i)];
            painter.setPen(palette().color(QPalette::Text));
            painter.drawText(QRect(x0 + cols * cell + margin, y0 + i * cell, agreementWidth, cell), Qt::AlignLeft | Qt::AlignVCenter,
                             tr("ρ %1 %2").arg(a.spearman, 0, 'f', 2).arg(a.top1 ? QStringLiteral("✓") : QStringLiteral("✗")));
        }
    }
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRect(x0 + cols * cell + margin, y0 - fm.height() - 2, agreementWidth, fm.height()), Qt::AlignLeft,
                     tr("ρ, top-1"));
    const QString scale = signedScale ? tr("blue −%1 … white 0 … red +%1").arg(bound, 0, 'g', 3)
                                      : tr("0 … %1 (viridis)").arg(bound, 0, 'g', 3);
    painter.drawText(QRect(margin, y0 + rows * cell + margin, width() - 2 * margin, fm.height()), Qt::AlignLeft, scale);
}

AttributionPanel::AttributionPanel(ResultSelection *selection, QWidget *parent)
    : QWidget(parent)
    , m_model(new AttributionModel(selection, this))
    , m_selection(selection)
{
    setObjectName(QStringLiteral("attribution"));
    m_method = new QComboBox(this);
    m_method->setObjectName(QStringLiteral("attributionMethod"));
    for (const AttributionMethod method : {AttributionMethod::IntegratedGradients, AttributionMethod::Gradient,
                                           AttributionMethod::InputXGradient, AttributionMethod::Occlusion,
                                           AttributionMethod::LeaveOneOut})
        m_method->addItem(QString::fromLatin1(attributionMethodName(method)), int(method));
    m_method->setToolTip(tr("How much each source token changes each output token's log-probability (docs/attribution.md)"));
    m_steps = new QSpinBox(this);
    m_steps->setRange(1, 1000);
    m_steps->setValue(m_model->steps());
    m_steps->setPrefix(tr("steps "));
    m_steps->setToolTip(tr("Integrated gradients: steps of the Riemann sum"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("attributionStatus"));
    m_status->setWordWrap(true);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_export = new QPushButton(tr("Ex&port…"), this);
    m_export->setObjectName(QStringLiteral("attributionExport"));
    m_export->setToolTip(tr("This attribution heatmap as a figure: PNG, SVG or PDF (File → Export attribution…)"));
    m_export->setEnabled(false);
    auto *methodLabel = new QLabel(tr("&Method:"), this);
    methodLabel->setBuddy(m_method);
    auto *bar = new QHBoxLayout;
    bar->addWidget(methodLabel);
    bar->addWidget(m_method);
    bar->addWidget(m_steps);
    bar->addWidget(m_cancel);
    bar->addStretch(1);
    bar->addWidget(m_export);
    m_canvas = new AttributionCanvas(m_model, this);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_canvas);
    scroll->setWidgetResizable(true);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(scroll, 1);
    layout->addWidget(m_status);
    connect(m_method, &QComboBox::currentIndexChanged, this, [this] {
        m_model->setMethod(AttributionMethod(m_method->currentData().toInt()));
    });
    connect(m_steps, &QSpinBox::valueChanged, m_model, &AttributionModel::setSteps);
    connect(m_cancel, &QPushButton::clicked, m_model, &AttributionModel::cancel);
    connect(m_model, &AttributionModel::changed, this, &AttributionPanel::update);
    connect(m_model, &AttributionModel::changed, this, &AttributionPanel::writePendingExport);
    connect(m_export, &QPushButton::clicked, this, &AttributionPanel::exportRequested);
    connect(m_model, &AttributionModel::progressChanged, this, &AttributionPanel::update);
    update();
}

QString AttributionPanel::summaryText() const
{
    return m_status->text();
}

bool AttributionPanel::exportFigure(const QString &path, int pngDpi, const QString &title, QString *error) const
{
    const AttributionView *view = m_model->current();
    if (!view) {
        *error = m_model->isComputing() ? tr("The attribution is still being computed.")
                                        : tr("There is no attribution to export: translate a sentence first.");
        return false;
    }
    const auto format = figureFormatFromName(QFileInfo(path).suffix());
    if (!format) {
        *error = tr("%1: the attribution figure is PNG, SVG or PDF (.png, .svg, .pdf).").arg(path);
        return false;
    }
    AttributionFigureOptions options;
    options.dpi = pngDpi;
    options.title = title;
    const QByteArray bytes = renderAttributionFigure(*view, *format, options);
    if (bytes.isEmpty()) {
        *error = tr("%1: the figure came out empty.").arg(path);
        return false;
    }
    return writeFileAtomically(path, bytes, error);
}

void AttributionPanel::requestExport(const QString &path, int pngDpi, const QString &title)
{
    m_pending = PendingExport{path, title, pngDpi, m_selection->pieceOutput().serial};
    writePendingExport();
    if (m_pending)
        m_status->setText(m_status->text() + QLatin1Char(' ')
                          + tr("It will be exported to %1 when it is computed.").arg(QFileInfo(path).fileName()));
}

void AttributionPanel::writePendingExport()
{
    if (!m_pending)
        return;
    if (m_pending->serial != m_selection->pieceOutput().serial) {
        m_pending.reset(); // a new sentence: the figure asked for is gone
        return;
    }
    if (!m_model->current()) {
        if (!m_model->isComputing() && m_model->isActive())
            m_pending.reset(); // cancelled, or nothing to attribute; hidden, it waits to be shown
        return;
    }
    const PendingExport pending = *m_pending;
    m_pending.reset();
    QString error;
    if (exportFigure(pending.path, pending.dpi, pending.title, &error))
        emit exported(pending.path);
    else
        emit exportFailed(error);
}

void AttributionPanel::update()
{
    m_steps->setEnabled(m_model->method() == AttributionMethod::IntegratedGradients);
    m_cancel->setVisible(m_model->isComputing());
    const AttributionView *view = m_model->current();
    m_export->setEnabled(view != nullptr);
    if (m_model->isComputing()) {
        m_status->setText(tr("Computing %1… %2%").arg(QString::fromLatin1(attributionMethodName(m_model->method())))
                              .arg(int(100 * m_model->progress())));
    } else if (!view && !m_model->error().isEmpty()) {
        m_status->setText(m_model->error());
    } else if (!view) {
        m_status->setText(tr("Pieces as the model reads them; the fixed output is the translation shown (or the forced reference)."));
    } else {
        const QString with = view->alphaView.empty()
                                 ? tr("attention")
                                 : tr("attention (%1)").arg(QString::fromStdString(view->alphaView));
        QString text = tr("Agreement with %1: Spearman %2, Kendall %3, top-1 %4%, JSD %5.")
                           .arg(with)
                           .arg(view->mean.spearman, 0, 'f', 3)
                           .arg(view->mean.kendall, 0, 'f', 3)
                           .arg(int(std::lround(100 * view->meanTop1)))
                           .arg(view->mean.jsd, 0, 'f', 3);
        const Attribution &a = view->attribution;
        if (!a.completenessSum.empty()) {
            double gap = 0;
            for (size_t i = 0; i < a.completenessSum.size(); ++i)
                gap = std::max(gap, std::abs(a.completenessSum[i] - a.completenessTarget[i]));
            text += QLatin1Char(' ') + tr("Completeness: Σ IG within %1 of log p(x) − log p(0).").arg(gap, 0, 'g', 3);
        }
        m_status->setText(text);
    }
}

void AttributionPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_model->setActive(true);
}

void AttributionPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_model->setActive(false);
}

} // namespace attnviz
