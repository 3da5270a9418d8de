#include "comparisoncontroller.h"

#include "exportwriter.h"
#include "workerjob.h"

#include <attnviz/analysis/compare_json.h>

#include <QFileInfo>
#include <QPointer>

namespace attnviz {

ComparisonController::ComparisonController(QObject *parent)
    : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
}

ComparisonController::~ComparisonController()
{
    if (m_stop)
        m_stop->store(true);
    m_pool.clear();
    m_pool.waitForDone();
}

void ComparisonController::setModels(std::shared_ptr<const Model> a, QString labelA, std::shared_ptr<const Model> b,
                                     QString labelB)
{
    m_a = std::move(a);
    m_b = std::move(b);
    m_labelA = std::move(labelA);
    m_labelB = std::move(labelB);
    recompute();
}

void ComparisonController::setSentence(const QString &sentence, const QString &reference)
{
    m_sentence = sentence;
    m_reference = reference.trimmed();
    recompute();
}

void ComparisonController::setSharedOutput(SharedOutput use)
{
    if (use == m_use)
        return;
    m_use = use;
    recompute();
}

void ComparisonController::setUnits(std::optional<TokenUnits> units)
{
    if (units == m_units)
        return;
    m_units = units;
    recompute();
}

void ComparisonController::setView(const HeadSelection &view)
{
    if (view == m_view)
        return;
    m_view = view;
    recompute();
}

void ComparisonController::recompute()
{
    if (!m_a || !m_b || m_sentence.trimmed().isEmpty())
        return;
    CompareOptions options;
    options.use = m_use;
    options.units = m_units;
    options.view = m_view;
    if (!m_reference.isEmpty())
        options.target = m_reference.toStdString();
    const quint64 job = ++m_job;
    m_pool.clear(); // a request not started yet is not needed any more
    if (m_stop)
        m_stop->store(true); // nor the one running: it stops at its next decoder step
    auto stop = std::make_shared<std::atomic_bool>(false);
    m_stop = stop;
    options.cancelled = [stop] { return stop->load(std::memory_order_relaxed); };
    if (!m_computing) {
        m_computing = true;
        emit computingChanged(true);
    }
    QPointer<ComparisonController> self(this);
    m_pool.start([self, job, a = m_a, b = m_b, sentence = m_sentence.toStdString(), options]() {
        computeAndPost<ModelComparison>([&] { return compareModels(*a, *b, sentence, options); },
                                        [self, job](std::shared_ptr<ModelComparison> result, const QString &error) {
                                            if (self)
                                                self->finished(job, std::move(result), error);
                                        });
    });
}

void ComparisonController::finished(quint64 job, std::shared_ptr<ModelComparison> comparison, const QString &error)
{
    if (job != m_job)
        return; // a newer request (or cancel) came since
    m_computing = false;
    emit computingChanged(false);
    if (!comparison) {
        m_failure = error;
        emit comparisonFailed(m_failure);
        return;
    }
    m_figure = std::make_unique<ComparisonFigure>(std::move(*comparison), m_labelA, m_labelB);
    m_failure.clear();
    emit comparisonChanged();
}

void ComparisonController::cancel()
{
    ++m_job;
    m_pool.clear();
    if (m_stop)
        m_stop->store(true);
    if (m_computing) {
        m_computing = false;
        emit computingChanged(false);
    }
}

bool ComparisonController::waitForComparison(int milliseconds)
{
    processEventsWhile([this] { return m_computing; }, milliseconds);
    return !m_computing && m_figure && m_failure.isEmpty();
}

bool ComparisonController::exportTo(const QString &path, int dpi, QString *error) const
{
    if (!m_figure) {
        *error = tr("There is no comparison to export.");
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    QByteArray bytes;
    if (suffix == QLatin1String("csv")) {
        bytes = QByteArray::fromStdString(comparisonToCsv(m_figure->comparison()));
    } else if (suffix == QLatin1String("json")) {
        nlohmann::json j = comparisonToJson(m_figure->comparison());
        j["sentence"] = m_sentence.toStdString();
        j["model_a"] = m_labelA.toStdString();
        j["model_b"] = m_labelB.toStdString();
        bytes = QByteArray::fromStdString(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    } else if (const std::optional<FigureFormat> format = figureFormatFromName(suffix)) {
        bytes = renderComparisonFigure(*m_figure, *format, dpi);
    } else {
        *error = tr("%1: choose a name ending in .png, .svg, .pdf, .csv or .json.").arg(path);
        return false;
    }
    return writeFileAtomically(path, bytes, error);
}

} // namespace attnviz
