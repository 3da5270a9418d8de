#include "timelinecontroller.h"

#include "alignmentrenderer.h"
#include "exportwriter.h"
#include "figureexport.h"
#include "timelineanimation.h"
#include "workerjob.h"

#include <attnviz/analysis/compare_json.h>

#include <QFile>
#include <QFileInfo>
#include <QFontMetricsF>
#include <QPaintDevice>
#include <QPainter>
#include <QPointer>

#include <algorithm>
#include <cmath>
#include <utility>

namespace attnviz {

TimelineController::TimelineController(QObject *parent)
    : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
}

TimelineController::~TimelineController()
{
    if (m_cancel)
        m_cancel->store(true);
    m_pool.waitForDone();
}

TimelineOptions TimelineController::startOptions(const QString &reference, std::optional<GoldAlignment> gold)
{
    stopWorker(); // what still runs is no longer asked for
    if (gold) {
        m_gold = std::move(gold);
        m_goldUnits = m_units; // given in the units the run is opened in
    }
    TimelineOptions options;
    if (!reference.trimmed().isEmpty())
        options.target = reference.trimmed().toStdString();
    options.gold = goldFor(m_units);
    options.units = m_units;
    options.view = m_view;
    return options;
}

bool TimelineController::open(TrainingRun run, const QString &runLabel, const QString &sentence,
                              const QString &reference, std::optional<GoldAlignment> gold)
{
    const TimelineOptions options = startOptions(reference, std::move(gold));
    try {
        Timeline t = attnviz::timeline(run, sentence.toStdString(), options);
        m_runLabel = runLabel;
        m_sentence = sentence;
        show(std::move(t));
        return true;
    } catch (const std::exception &error) { // ModelError, ComparisonError, InputError
        emit timelineFailed(QString::fromStdString(error.what()));
        return false;
    }
}

void TimelineController::openAsync(TrainingRun run, const QString &runLabel, const QString &sentence,
                                   const QString &reference, std::optional<GoldAlignment> gold)
{
    TimelineOptions options = startOptions(reference, std::move(gold));
    m_run = run;
    m_askedLabel = runLabel;
    m_askedSentence = sentence;
    m_askedReference = reference;
    auto cancelled = std::make_shared<std::atomic_bool>(false);
    const quint64 job = ++m_job;
    QPointer<TimelineController> self(this);
    options.cancelled = [cancelled] { return cancelled->load(); };
    options.progress = [self, job](int done, int total) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, job, done, total] {
                if (self && self->m_job == job)
                    emit self->progressChanged(done, total);
            },
            Qt::QueuedConnection);
    };
    m_cancel = cancelled;
    m_pendingLabel = runLabel;
    m_pendingSentence = sentence;
    if (count() == 0)
        m_runLabel = runLabel; // the window's title while it reads the first run
    m_running = true;
    emit computingChanged(true);
    const std::string text = sentence.toStdString();
    m_pool.start([self, job, run = std::move(run), text, options]() {
        computeAndPost<Timeline>([&] { return attnviz::timeline(run, text, options); },
                                 [self, job](std::shared_ptr<Timeline> result, const QString &error) {
                                     if (self)
                                         self->finished(job, std::move(result), error);
                                 });
    });
}

void TimelineController::finished(quint64 job, std::shared_ptr<Timeline> timeline, const QString &error)
{
    if (job != m_job || !m_running)
        return; // cancelled, or another computation started since
    m_running = false;
    if (!timeline) {
        backToShownUnits();
        emit computingChanged(false);
        emit timelineFailed(error);
        return;
    }
    emit computingChanged(false);
    if (timeline->cancelled)
        return;
    m_runLabel = m_pendingLabel;
    m_sentence = m_pendingSentence;
    // The links as they are now (Gold links… may have read a file meanwhile), in their units.
    setTimelineGold(*timeline, goldFor(timeline->units));
    show(std::move(*timeline));
}

void TimelineController::show(Timeline timeline)
{
    const int before = m_current; // the slider may have moved while this was computed
    m_timeline = std::move(timeline);
    m_current = -1;
    emit timelineChanged();
    const bool keep = std::exchange(m_keepPlace, false);
    setCurrent(keep && before >= 0 && before < count() ? before : count() - 1); // the trained model first
}

void TimelineController::setUnits(TokenUnits units)
{
    if (units == m_units)
        return;
    m_units = units;
    emit unitsChanged();
    if (!m_run)
        return; // for the first timeline
    m_keepPlace = count() > 0;
    openAsync(*m_run, m_askedLabel, m_askedSentence, m_askedReference);
}

std::optional<GoldAlignment> TimelineController::goldFor(TokenUnits units) const
{
    return m_gold && m_goldUnits == units ? m_gold : std::nullopt;
}

void TimelineController::backToShownUnits()
{
    m_keepPlace = false;
    if (count() > 0 && m_units != m_timeline.units) {
        m_units = m_timeline.units;
        emit unitsChanged();
    }
}

void TimelineController::stopWorker()
{
    if (m_cancel)
        m_cancel->store(true);
    ++m_job; // a result still queued is dropped
    if (m_running) {
        m_running = false;
        emit computingChanged(false);
    }
}

void TimelineController::cancel()
{
    stopWorker();
    backToShownUnits(); // what is shown stays, and so do the units it is in
}

bool TimelineController::waitForTimeline(int milliseconds)
{
    processEventsWhile([this] { return m_running; }, milliseconds);
    return !m_running && count() > 0;
}

void TimelineController::setGold(std::optional<GoldAlignment> gold)
{
    m_gold = std::move(gold);
    m_goldUnits = count() > 0 ? m_timeline.units : m_units; // the links index what is shown
    setTimelineGold(m_timeline, goldFor(m_timeline.units));
    emit goldChanged();
}

bool TimelineController::loadGold(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = tr("%1: cannot be read: %2").arg(path, file.errorString());
        return false;
    }
    try {
        const std::vector<GoldAlignment> gold = parsePharaoh(file.readAll().toStdString(), path.toStdString());
        if (gold.empty()) {
            *error = tr("%1: holds no line of links for the sentence").arg(path);
            return false;
        }
        setGold(gold.front());
        return true;
    } catch (const std::exception &e) { // AlignmentFormatError: the file, line and column
        *error = QString::fromStdString(e.what());
        return false;
    }
}

void TimelineController::setCurrent(int index)
{
    if (count() == 0)
        return;
    index = std::clamp(index, 0, count() - 1);
    if (index == m_current)
        return;
    m_current = index;
    m_heatmap.setResult(std::make_shared<const TranslationResult>(m_timeline.points[size_t(index)].result), 0);
    emit currentChanged(index);
}

namespace {

constexpr int stripColumns = 6;
constexpr double stripMarginPoints = 8, stripGapPoints = 12;

// The small multiples: every checkpoint's heatmap (the colour bar only on the last), its step above.
struct Strip
{
    Strip(const Timeline &timeline, QPaintDevice *device)
    {
        AlignmentStyle style;
        for (size_t i = 0; i < timeline.points.size(); ++i) {
            auto model = std::make_unique<AlignmentModel>();
            model->setResult(std::make_shared<const TranslationResult>(timeline.points[i].result), 0);
            style.showColorBar = i + 1 == timeline.points.size();
            renderers.push_back(std::make_unique<AlignmentRenderer>(*model, style, device));
            models.push_back(std::move(model));
            captions.push_back(QStringLiteral("step %1").arg(timeline.points[i].checkpoint.step));
        }
        unit = device->logicalDpiY() / 72.0;
        font = AlignmentStyle::defaultFont();
        captionHeight = std::ceil(QFontMetricsF(font, device).lineSpacing() + 2 * unit);
        // The places are as wide as the heatmaps without a colour bar; the last one's bar reaches
        // into the space beside it.
        const int n = int(renderers.size()), columns = std::min(n, stripColumns), rows = (n + stripColumns - 1) / stripColumns;
        for (int i = 0; i < n; ++i) {
            if (i + 1 < n || n == 1)
                cellWidth = std::max(cellWidth, renderers[size_t(i)]->size().width());
            cellHeight = std::max(cellHeight, renderers[size_t(i)]->size().height());
        }
        const double margin = std::round(stripMarginPoints * unit), gap = std::round(stripGapPoints * unit);
        const double lastRight = ((n - 1) % stripColumns) * (cellWidth + gap) + renderers.back()->size().width();
        width = std::ceil(2 * margin + std::max(columns * cellWidth + (columns - 1) * gap, lastRight));
        height = std::ceil(2 * margin + rows * (captionHeight + cellHeight) + (rows - 1) * gap);
        this->margin = margin;
        this->gap = gap;
    }

    void paint(QPainter &painter) const
    {
        painter.fillRect(QRectF(0, 0, width, height), Qt::white);
        painter.setFont(font);
        painter.setPen(Qt::black);
        for (size_t i = 0; i < renderers.size(); ++i) {
            const double x = margin + double(i % stripColumns) * (cellWidth + gap);
            const double y = margin + double(i / stripColumns) * (captionHeight + cellHeight + gap);
            painter.drawText(QRectF(x, y, cellWidth, captionHeight), Qt::AlignLeft | Qt::AlignTop, captions[i]);
            painter.save();
            painter.translate(x, y + captionHeight);
            renderers[i]->paint(&painter);
            painter.restore();
        }
    }

    std::vector<std::unique_ptr<AlignmentModel>> models;
    std::vector<std::unique_ptr<AlignmentRenderer>> renderers;
    QStringList captions;
    QFont font;
    double unit = 1, margin = 0, gap = 0, captionHeight = 0, cellWidth = 0, cellHeight = 0, width = 0, height = 0;
};

} // namespace

bool TimelineController::exportTo(const QString &path, int dpi, QString *error) const
{
    if (count() == 0) {
        *error = tr("There is no training run to export.");
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    QByteArray bytes;
    if (suffix == QLatin1String("csv")) {
        bytes = QByteArray::fromStdString(timelineToCsv(m_timeline));
    } else if (suffix == QLatin1String("json")) {
        nlohmann::json j = timelineToJson(m_timeline);
        j["sentence"] = m_sentence.toStdString();
        j["run"] = m_runLabel.toStdString();
        bytes = QByteArray::fromStdString(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    } else if (const std::optional<AnimationFormat> animation = animationFormatFromSuffix(suffix)) {
        bytes = timelineAnimation(m_timeline, m_runLabel, *animation);
    } else if (const std::optional<FigureFormat> format = figureFormatFromName(suffix)) {
        PaintedFigure figure;
        figure.size = [this](QPaintDevice *device) {
            const Strip strip(m_timeline, device);
            return QSizeF(strip.width, strip.height);
        };
        figure.paint = [this](QPainter &painter, QPaintDevice *device) { Strip(m_timeline, device).paint(painter); };
        figure.title = tr("Attention over the training run %1").arg(m_runLabel);
        bytes = renderPaintedFigure(figure, *format, dpi);
    } else {
        *error = tr("%1: choose a name ending in .png, .svg, .pdf, .gif, .apng, .csv or .json.").arg(path);
        return false;
    }
    if (bytes.isEmpty()) {
        *error = tr("%1: the export came out empty").arg(path);
        return false;
    }
    return writeFileAtomically(path, bytes, error);
}

} // namespace attnviz
