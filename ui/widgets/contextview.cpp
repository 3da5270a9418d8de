#include "contextview.h"

#include "colormap.h"
#include "resultselection.h"

#include <attnviz/decoding/translate.h>

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace attnviz {

namespace {

constexpr int margin = 8;
constexpr int stripHeight = 16;
constexpr int labelWidth = 92;

const QColor cosineColor(0x1f, 0x77, 0xb4);  // matplotlib tab:blue
const QColor entropyColor(0xff, 0x7f, 0x0e); // tab:orange

} // namespace

ContextView::ContextView(ResultSelection *selection, QWidget *parent)
    : QWidget(parent)
    , m_selection(selection)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    connect(selection, &ResultSelection::hypothesisChanged, this, qOverload<>(&QWidget::update));
    connect(selection, &ResultSelection::stepChanged, this, qOverload<>(&QWidget::update));
}

const Hypothesis *ContextView::hypothesis() const
{
    return m_selection->hypothesis();
}

int ContextView::step() const
{
    const Hypothesis *h = hypothesis();
    return h ? std::clamp(m_selection->step(), 0, std::max(0, h->steps() - 1)) : 0;
}

QSize ContextView::sizeHint() const
{
    return {340, 330};
}

QSize ContextView::minimumSizeHint() const
{
    return {240, 300};
}

QString ContextView::summaryText() const
{
    const Hypothesis *hypothesis = this->hypothesis();
    if (!hypothesis)
        return {};
    const Hypothesis &h = *hypothesis;
    const int step = this->step();
    if (step >= int(h.cosine.size()))
        return {};
    return tr("cos(cᵢ, c) = %2    ‖cᵢ − c‖ = %3    (i = %1)")
        .arg(QString::number(step + 1), QString::number(h.cosine[size_t(step)], 'f', 2),
             QString::number(h.distance[size_t(step)], 'f', 2));
}

QRectF ContextView::chartRect() const
{
    const int top = margin + 4 * (stripHeight + 6) + 2 * fontMetrics().height() + 16;
    return QRectF(margin + 30, top + fontMetrics().height() + 6, width() - 2 * margin - 60,
                  std::max(60, height() - top - fontMetrics().height() * 3 - 10));
}

void ContextView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    painter.fillRect(rect(), pal.color(QPalette::Base));
    painter.setPen(pal.color(QPalette::Text));
    const TranslationResult *result = m_selection->result();
    if (!hypothesis()) {
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("No translation"));
        return;
    }
    const Hypothesis &h = *hypothesis();
    const int step = this->step();
    const Vector &summed = result->summedContext;
    const int hidden = int(summed.size());
    const double T = std::max(1, result->sourceLength());
    auto ci = [&](int k) { return double(h.contexts(step, k)); };
    auto c = [&](int k) { return double(summed(k)); };
    auto mean = [&](int k) { return double(summed(k)) / T; };

    // One diverging scale for the three strips, symmetric around 0.
    double scale = 1e-12;
    for (int k = 0; k < hidden; ++k)
        scale = std::max({scale, std::abs(ci(k)), std::abs(c(k)), std::abs(mean(k))});

    const QFontMetrics metrics = fontMetrics();
    int y = margin;
    const QString token = step < int(h.targetTokens.size())
        ? QString::fromStdString(h.targetTokens[size_t(step)]) : QString();
    painter.drawText(QRect(margin, y, width() - 2 * margin, metrics.height()), Qt::AlignLeft,
                     tr("Step %1 of %2: “%3”   (size %4)").arg(step + 1).arg(h.steps()).arg(token).arg(hidden));
    y += metrics.height() + 6;
    const double stripWidth = width() - 2 * margin - labelWidth;
    auto drawStrip = [&](const QString &label, auto value) {
        painter.setPen(pal.color(QPalette::Text));
        painter.drawText(QRect(margin, y, labelWidth - 6, stripHeight),
                         Qt::AlignRight | Qt::AlignVCenter, label);
        const double cell = stripWidth / std::max(1, hidden);
        painter.setRenderHint(QPainter::Antialiasing, false);
        for (int k = 0; k < hidden; ++k)
            painter.fillRect(QRectF(margin + labelWidth + k * cell, y, cell + 0.5, stripHeight),
                             divergingColor(value(k) / scale));
        painter.setRenderHint(QPainter::Antialiasing, true);
        y += stripHeight + 6;
    };
    drawStrip(tr("cᵢ, i = %1").arg(step + 1), ci);
    drawStrip(tr("c = Σ hⱼ"), c);
    drawStrip(tr("c / T"), mean);
    // The legend of the scale.
    {
        // The bar leaves room for its "±bound" label inside the view, however narrow the dock.
        const QString label = tr("±%1").arg(QString::number(scale, 'g', 3));
        const double labelRoom = metrics.horizontalAdvance(label) + 6;
        const double legendWidth = std::max(16.0, std::min(160.0, stripWidth - labelRoom));
        const double x0 = margin + labelWidth;
        painter.setRenderHint(QPainter::Antialiasing, false);
        for (int i = 0; i < 64; ++i)
            painter.fillRect(QRectF(x0 + legendWidth * i / 64, y, legendWidth / 64 + 0.5, 8),
                             divergingColor(-1 + 2 * (i + 0.5) / 64));
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setPen(pal.color(QPalette::Text));
        painter.drawText(QRectF(x0 + legendWidth + 6, y - 4, labelRoom, 16), Qt::AlignLeft | Qt::AlignVCenter, label);
        y += stripHeight + 6;
    }
    painter.drawText(QRect(margin, y, width() - 2 * margin, metrics.height()), Qt::AlignLeft,
                     summaryText());

    // Chart over all steps: cosine on the left axis [-1, 1], entropy on the right [0, ln n].
    const QRectF chart = chartRect();
    painter.drawText(QRectF(margin, chart.top() - metrics.height() - 4, width() - 2 * margin,
                            metrics.height()),
                     Qt::AlignLeft, tr("Over all steps"));
    QColor grid = pal.color(QPalette::Text);
    grid.setAlpha(60);
    painter.setPen(grid);
    painter.drawRect(chart);
    painter.drawLine(QPointF(chart.left(), chart.center().y()), QPointF(chart.right(), chart.center().y()));
    const int steps = h.steps();
    const double maxEntropy = std::log(std::max<double>(2, double(h.attention.cols())));
    auto xAt = [&](int i) {
        return steps <= 1 ? chart.center().x() : chart.left() + chart.width() * i / (steps - 1);
    };
    auto plot = [&](const std::vector<double> &values, double low, double high, const QColor &color) {
        QPainterPath path;
        for (int i = 0; i < int(values.size()); ++i) {
            const double f = (values[size_t(i)] - low) / (high - low);
            const QPointF point(xAt(i), chart.bottom() - chart.height() * std::clamp(f, 0.0, 1.0));
            if (i == 0)
                path.moveTo(point);
            else
                path.lineTo(point);
            painter.setPen(Qt::NoPen);
            painter.setBrush(color);
            painter.drawEllipse(point, 2.5, 2.5);
        }
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(color, 1.6));
        painter.drawPath(path);
    };
    plot(h.cosine, -1, 1, cosineColor);
    plot(h.entropy, 0, maxEntropy, entropyColor);
    QColor marker = pal.color(QPalette::Highlight);
    painter.setPen(QPen(marker, 1.5, Qt::DashLine));
    painter.drawLine(QPointF(xAt(step), chart.top()), QPointF(xAt(step), chart.bottom()));

    // Axes and legend.
    painter.setPen(cosineColor);
    painter.drawText(QRectF(margin, chart.top() - 6, 26, 12), Qt::AlignRight | Qt::AlignVCenter,
                     QStringLiteral("1"));
    painter.drawText(QRectF(margin, chart.bottom() - 6, 26, 12), Qt::AlignRight | Qt::AlignVCenter,
                     QStringLiteral("−1"));
    painter.setPen(entropyColor);
    painter.drawText(QRectF(chart.right() + 4, chart.top() - 6, 40, 12), Qt::AlignLeft | Qt::AlignVCenter,
                     QString::number(maxEntropy, 'f', 1));
    painter.drawText(QRectF(chart.right() + 4, chart.bottom() - 6, 40, 12),
                     Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("0"));
    const double legendY = chart.bottom() + 6;
    painter.setPen(cosineColor);
    painter.drawText(QRectF(chart.left(), legendY, chart.width(), metrics.height()), Qt::AlignLeft,
                     tr("— cos(cᵢ, c)"));
    painter.setPen(entropyColor);
    painter.drawText(QRectF(chart.left(), legendY, chart.width(), metrics.height()), Qt::AlignRight,
                     tr("— entropy of αᵢ (nats)"));
}

void ContextView::mousePressEvent(QMouseEvent *event)
{
    const QRectF chart = chartRect();
    if (!hypothesis() || !chart.adjusted(-6, -6, 6, 6).contains(event->position()))
        return QWidget::mousePressEvent(event);
    const int steps = hypothesis()->steps();
    const double f = (event->position().x() - chart.left()) / std::max(1.0, chart.width());
    const int step = std::clamp(int(std::lround(f * (steps - 1))), 0, steps - 1);
    m_selection->selectStep(step);
    emit stepSelected(step);
}

} // namespace attnviz
