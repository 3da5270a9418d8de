#include "timelinewindow.h"

#include "alignmentrenderer.h"
#include "filedialogs.h"
#include "timelinecontroller.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSlider>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace attnviz {

// The heatmap of the checkpoint under the slider, scaled to fit.
class TimelineHeatmap : public QWidget
{
public:
    TimelineHeatmap(const TimelineController *controller, QWidget *parent)
        : QWidget(parent)
        , m_controller(controller)
    {
        setMinimumSize(200, 150);
    }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), palette().base());
        if (m_controller->current() < 0 || m_controller->count() == 0)
            return;
        const AlignmentRenderer renderer(*m_controller->heatmap(), AlignmentStyle::fromPalette(palette()), this);
        painter.setRenderHint(QPainter::TextAntialiasing);
        const QSizeF size = renderer.size();
        const double scale = std::min({(width() - 16) / size.width(), (height() - 16) / size.height(), 2.0});
        const QSizeF scaled = size * scale;
        renderer.paint(&painter, QRectF(QPointF((width() - scaled.width()) / 2, (height() - scaled.height()) / 2), scaled));
    }

private:
    const TimelineController *m_controller;
};

// The curves over training, each scaled to its own range (printed in the legend), with the
// checkpoint under the slider marked; a click moves the slider there.
class TimelineCurves : public QWidget
{
public:
    TimelineCurves(TimelineController *controller, QWidget *parent)
        : QWidget(parent)
        , m_controller(controller)
    {
        setMinimumSize(240, 150);
    }

protected:
    struct Series
    {
        QString name;
        QColor color;
        std::vector<double> values;
    };

    std::vector<Series> series() const
    {
        std::vector<Series> all = {{tr("log p of the output"), QColor(0x1f, 0x77, 0xb4), {}},
                                   {tr("mean attention entropy (nats)"), QColor(0xff, 0x7f, 0x0e), {}},
                                   {tr("argmax agreement with the last"), QColor(0x2c, 0xa0, 0x2c), {}}};
        const bool gold = !m_controller->timeline().points.empty() && m_controller->timeline().points.front().counts;
        if (gold)
            all.push_back({tr("AER"), QColor(0xd6, 0x27, 0x28), {}});
        for (const TimelinePoint &p : m_controller->timeline().points) {
            all[0].values.push_back(p.logProb);
            all[1].values.push_back(p.meanEntropy);
            all[2].values.push_back(p.agreementWithLast);
            if (gold)
                all[3].values.push_back(p.counts->alignmentErrorRate());
        }
        return all;
    }

    QRectF plotRect() const
    {
        const double legend = 4 * fontMetrics().height() + 12;
        return QRectF(12, 12, width() - 24, height() - 24 - legend - fontMetrics().height());
    }

    double xAt(int index) const
    {
        const QRectF plot = plotRect();
        const int n = m_controller->count();
        return n <= 1 ? plot.center().x() : plot.left() + plot.width() * index / (n - 1);
    }

    // The plot without what follows the slider: drawn again only when the run, the gold links
    // or the size change. Antialiased 2-pixel curves over 50 checkpoints cost 10 to 60 ms a
    // repaint in the raster engine, too slow for a slider (bench_timeline); the image is blitted.
    void paintCurves()
    {
        const qreal ratio = devicePixelRatioF();
        m_curves = QImage((QSizeF(size()) * ratio).toSize(), QImage::Format_ARGB32_Premultiplied);
        m_curves.setDevicePixelRatio(ratio);
        m_curves.fill(palette().base().color());
        QPainter painter(&m_curves);
        painter.setRenderHint(QPainter::Antialiasing);
        const int n = m_controller->count();
        const QRectF plot = plotRect();
        painter.setPen(QPen(palette().mid().color(), 1));
        painter.drawRect(plot);
        // The steps of the first and last checkpoint under the axis.
        painter.setPen(palette().text().color());
        const auto &points = m_controller->timeline().points;
        const double labelTop = plot.bottom() + 2;
        painter.drawText(QRectF(plot.left(), labelTop, plot.width(), fontMetrics().height()), Qt::AlignLeft,
                         tr("step %1").arg(points.front().checkpoint.step));
        painter.drawText(QRectF(plot.left(), labelTop, plot.width(), fontMetrics().height()), Qt::AlignRight,
                         tr("step %1").arg(points.back().checkpoint.step));
        for (const Series &s : series()) {
            const auto [low, high] = std::minmax_element(s.values.begin(), s.values.end());
            const double range = *high - *low;
            QPainterPath path;
            for (int i = 0; i < n; ++i) {
                const double t = range > 0 ? (s.values[size_t(i)] - *low) / range : 0.5;
                const QPointF point(xAt(i), plot.bottom() - t * plot.height());
                if (i == 0)
                    path.moveTo(point);
                else
                    path.lineTo(point);
            }
            painter.setPen(QPen(s.color, 2));
            painter.drawPath(path);
        }
    }

    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), palette().base());
        const int n = m_controller->count();
        if (n == 0)
            return;
        if (m_curves.isNull() || m_curves.deviceIndependentSize() != QSizeF(size()))
            paintCurves();
        painter.drawImage(QPointF(0, 0), m_curves);
        painter.setRenderHint(QPainter::Antialiasing);
        const QRectF plot = plotRect();
        const double x = xAt(m_controller->current());
        painter.setPen(QPen(palette().text().color(), 1, Qt::DashLine));
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        double legendTop = plot.bottom() + 2 + fontMetrics().height() + 6;
        for (const Series &s : series()) {
            const auto [low, high] = std::minmax_element(s.values.begin(), s.values.end());
            const double range = *high - *low;
            painter.setPen(QPen(s.color, 2));
            const double current = s.values[size_t(m_controller->current())];
            painter.setBrush(s.color);
            painter.drawEllipse(QPointF(x, plot.bottom() - (range > 0 ? (current - *low) / range : 0.5) * plot.height()),
                                3, 3);
            painter.setBrush(Qt::NoBrush);
            painter.drawLine(QPointF(plot.left(), legendTop + fontMetrics().height() / 2.0),
                             QPointF(plot.left() + 16, legendTop + fontMetrics().height() / 2.0));
            painter.setPen(palette().text().color());
            painter.drawText(QRectF(plot.left() + 22, legendTop, plot.width() - 22, fontMetrics().height()),
                             Qt::AlignLeft | Qt::AlignVCenter,
                             fontMetrics().elidedText(tr("%1: %2 (from %3 to %4)")
                                                          .arg(s.name, QString::number(current, 'f', 3),
                                                               QString::number(*low, 'f', 2),
                                                               QString::number(*high, 'f', 2)),
                                                      Qt::ElideRight, int(plot.width() - 22)));
            legendTop += fontMetrics().height() + 2;
        }
    }

    void mousePressEvent(QMouseEvent *event) override
    {
        const int n = m_controller->count();
        if (n == 0)
            return;
        int best = 0;
        for (int i = 1; i < n; ++i)
            if (std::abs(xAt(i) - event->position().x()) < std::abs(xAt(best) - event->position().x()))
                best = i;
        m_controller->setCurrent(best);
    }

public:
    // A new run, or gold links that bring or change the AER curve: the curves are drawn again.
    void curvesChanged()
    {
        m_curves = QImage();
        update();
    }

private:
    TimelineController *m_controller;
    QImage m_curves; // paintCurves(); null when it must be drawn again
};

TimelineWindow::TimelineWindow(TimelineController *controller, QWidget *parent)
    : QDialog(parent)
    , m_controller(controller)
{
    controller->setParent(this);
    setAttribute(Qt::WA_DeleteOnClose);
    m_output = new QLabel(this);
    m_output->setWordWrap(true);
    m_heatmap = new TimelineHeatmap(controller, this);
    m_curves = new TimelineCurves(controller, this);
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_heatmap);
    splitter->addWidget(m_curves);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    m_play = new QPushButton(tr("&Play"), this);
    m_play->setCheckable(true);
    m_play->setAutoDefault(false); // Return in the window must not start playing
    m_play->setToolTip(tr("Step through the checkpoints; again to stop"));
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setPageStep(1);
    m_slider->setTickPosition(QSlider::TicksBelow);
    m_slider->setToolTip(tr("The checkpoint shown (Left / Right: the previous and next)"));
    m_step = new QLabel(this);
    m_step->setMinimumWidth(m_step->fontMetrics().horizontalAdvance(QStringLiteral("step 00000 · 00/00 · model_step_0000.safetensors")));
    m_timer = new QTimer(this);
    m_timer->setInterval(600);

    m_progress = new QProgressBar(this);
    m_progress->setFormat(tr("Reading checkpoint %v of %m"));
    m_cancel = new QPushButton(tr("&Cancel"), this);
    m_cancel->setAutoDefault(false);
    m_cancel->setToolTip(tr("Stop reading the checkpoints; what is shown stays"));
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    auto *progress = new QHBoxLayout;
    progress->addWidget(m_progress, 1);
    progress->addWidget(m_cancel);

    m_words = new QCheckBox(tr("&Words"), this);
    m_words->setToolTip(tr("Merge the pieces of a subword model into words: the heatmaps, the curves and the "
                           "export read words (every checkpoint still reads the same pieces)"));
    m_words->setChecked(controller->units() == TokenUnits::Words);
    connect(m_words, &QCheckBox::toggled, controller,
            [controller](bool on) { controller->setUnits(on ? TokenUnits::Words : TokenUnits::Pieces); });

    auto *controls = new QHBoxLayout;
    controls->addWidget(m_play);
    controls->addWidget(m_slider, 1);
    controls->addWidget(m_step);
    controls->addWidget(m_words);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    m_goldButton = buttons->addButton(tr("&Gold links…"), QDialogButtonBox::ActionRole);
    m_goldButton->setAutoDefault(false);
    m_goldButton->setToolTip(tr("A Pharaoh file whose first line holds the sentence's links: the AER curve"));
    connect(m_goldButton, &QPushButton::clicked, this, [this]() {
        const QString path = QFileDialog::getOpenFileName(this, tr("Gold links of the sentence (Pharaoh)"), QString(),
                                                          tr("Pharaoh alignments (*.gold *.align *.txt);;All files (*)"));
        QString error;
        if (!path.isEmpty() && !m_controller->loadGold(path, &error))
            QMessageBox::warning(this, tr("Cannot read the gold links"), error);
    });
    m_export = buttons->addButton(tr("&Export…"), QDialogButtonBox::ActionRole);
    m_export->setAutoDefault(false);
    m_export->setToolTip(tr("Every checkpoint's heatmap as a strip (PNG, SVG, PDF) or an animation (GIF, APNG), "
                            "or the numbers (CSV, JSON)"));
    connect(m_export, &QPushButton::clicked, this, [this]() {
        const std::optional<filedialogs::ExportTarget> target = filedialogs::exportTrainingRun(this, QString());
        QString error;
        if (target && !m_controller->exportTo(target->path, target->pngDpi, &error))
            QMessageBox::warning(this, tr("Export failed"), error);
    });
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_output);
    layout->addWidget(m_message);
    layout->addLayout(progress);
    layout->addWidget(splitter, 1);
    layout->addLayout(controls);
    layout->addWidget(buttons);

    connect(m_slider, &QSlider::valueChanged, controller, &TimelineController::setCurrent);
    connect(controller, &TimelineController::currentChanged, this, &TimelineWindow::showCurrent);
    connect(controller, &TimelineController::timelineChanged, this, &TimelineWindow::showTimeline);
    connect(controller, &TimelineController::goldChanged, m_curves, &TimelineCurves::curvesChanged);
    connect(controller, &TimelineController::timelineChanged, m_curves, &TimelineCurves::curvesChanged);
    connect(controller, &TimelineController::computingChanged, this, &TimelineWindow::showComputing);
    connect(controller, &TimelineController::unitsChanged, this, &TimelineWindow::showUnits);
    connect(controller, &TimelineController::progressChanged, this, [this](int done, int total) {
        m_progress->setMaximum(total);
        m_progress->setValue(done);
    });
    connect(controller, &TimelineController::timelineFailed, this, [this](const QString &message) {
        if (m_controller->count() == 0)
            m_output->clear();
        m_message->setText(m_controller->count() > 0
                               ? tr("The run could not be read again: %1 (shown: the last run read)").arg(message)
                               : tr("The run cannot be shown: %1").arg(message));
        m_message->show();
    });
    connect(m_cancel, &QPushButton::clicked, this, [this]() {
        m_controller->cancel();
        if (m_controller->count() == 0)
            m_output->setText(tr("Reading the checkpoints was cancelled."));
    });
    connect(m_play, &QPushButton::toggled, this, &TimelineWindow::togglePlay);
    connect(m_timer, &QTimer::timeout, this, [this]() {
        if (m_slider->value() >= m_slider->maximum()) {
            m_play->setChecked(false);
            return;
        }
        m_slider->setValue(m_slider->value() + 1);
    });
    showTimeline();
    showComputing(controller->isComputing());
    const QRect screen = this->screen()->availableGeometry();
    resize(std::min(1100, screen.width() * 9 / 10), std::min(620, screen.height() * 9 / 10));
}

void TimelineWindow::showTimeline()
{
    setWindowTitle(tr("Training run: %1").arg(m_controller->runLabel()));
    const bool have = m_controller->count() > 0;
    m_slider->setRange(0, std::max(0, m_controller->count() - 1));
    for (QWidget *w : {static_cast<QWidget *>(m_slider), static_cast<QWidget *>(m_play),
                       static_cast<QWidget *>(m_export), static_cast<QWidget *>(m_goldButton)})
        w->setEnabled(have);
    showUnits();
    if (!have) {
        m_output->setText(tr("Reading the checkpoints…"));
        return;
    }
    m_message->hide();
    QStringList tokens;
    for (const std::string &token : m_controller->timeline().targetTokens)
        tokens << QString::fromStdString(token);
    m_output->setText((m_controller->timeline().fixedOutput == "target" ? tr("Every checkpoint reads the reference: %1")
                                                                         : tr("Every checkpoint reads the last one's translation: %1"))
                          .arg(tokens.join(QLatin1Char(' ')))
                      + (m_controller->timeline().units == TokenUnits::Words ? tr(" (in words)") : QString())
                      + (m_controller->timeline().view.empty()
                             ? QString()
                             : tr(" · cross-attention: %1").arg(QString::fromStdString(m_controller->timeline().view))));
    showCurrent(m_controller->current());
}

void TimelineWindow::showUnits()
{
    // Only a subword model's run has words to show; a word-level run reads the same either way.
    const bool subwords = m_controller->count() > 0 && m_controller->hasSubwords();
    const QSignalBlocker block(m_words);
    m_words->setChecked(subwords && m_controller->units() == TokenUnits::Words);
    m_words->setEnabled(subwords);
}

void TimelineWindow::showComputing(bool computing)
{
    m_progress->setVisible(computing);
    m_cancel->setVisible(computing);
    if (computing) {
        m_progress->setRange(0, 0); // busy until the first checkpoint's progress
        m_play->setChecked(false);
    }
}

void TimelineWindow::setPlayInterval(int milliseconds)
{
    m_timer->setInterval(milliseconds);
}

void TimelineWindow::togglePlay()
{
    if (!m_play->isChecked()) {
        m_timer->stop();
        m_play->setText(tr("&Play"));
        return;
    }
    if (m_slider->value() >= m_slider->maximum())
        m_slider->setValue(0); // from the start again
    m_play->setText(tr("&Stop"));
    m_timer->start();
}

void TimelineWindow::showCurrent(int index)
{
    if (index < 0)
        return;
    const TimelinePoint &p = m_controller->timeline().points[size_t(index)];
    m_slider->setValue(index);
    m_step->setText(tr("step %1 · %2/%3 · %4")
                        .arg(p.checkpoint.step)
                        .arg(index + 1)
                        .arg(m_controller->count())
                        .arg(QString::fromStdString(p.checkpoint.file)));
    m_heatmap->update();
    m_curves->update();
}

} // namespace attnviz
