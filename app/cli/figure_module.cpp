// attnviz-cli-figures.so: the Qt half of attnviz-cli export (figure_renderer.h).
#include "figure_renderer.h"

#include <alignmentmodel.h>
#include <attributionfigure.h>
#include <exportwriter.h>
#include <figureexport.h>
#include <timelineanimation.h>
#include <walkthroughexport.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>

#include <unistd.h>

#include <memory>
#include <stdexcept>

namespace attnviz::cli {

namespace {

static_assert(defaultFigureDpi == attnviz::defaultFigureDpi, "the window and the CLI export PNG at one resolution");

std::unique_ptr<QGuiApplication> application;

std::string renderFigureForCli(const FigureRequest &request)
{
    const auto format = figureFormatFromName(QString::fromStdString(request.format));
    if (!format)
        throw std::runtime_error("unknown figure format '" + request.format + "'");
    AlignmentModel heatmap;
    // A non-owning pointer: the result outlives the heatmap.
    heatmap.setResult(std::shared_ptr<const TranslationResult>(std::shared_ptr<void>(), &request.result), 0);
    FigureOptions options;
    options.dpi = request.dpi;
    options.showValues = request.values;
    if (request.title) {
        const ModelConfig &config = request.model.config();
        options.title = figureTitle(QString::fromStdString(request.sentence),
                                    QString::fromStdString(config.name.empty() ? request.model.displayName() : config.name));
    }
    const QByteArray bytes = renderFigure(heatmap, *format, options);
    if (bytes.isEmpty())
        throw std::runtime_error("the " + request.format + " figure came out empty");
    return bytes.toStdString();
}

int writeWalkthroughForCli(const WalkthroughRequest &request)
{
    // A non-owning pointer: the result outlives the pages.
    const WalkthroughData data = makeWalkthroughData(
        request.model, std::shared_ptr<const TranslationResult>(std::shared_ptr<void>(), &request.result),
        request.hypothesis, request.topK, QString::fromStdString(request.sentence), {}, request.layer, request.head);
    const QList<WalkthroughFrame> frames = walkthroughFrames(data.steps(), request.firstStep, request.lastStep);
    QString error;
    int files = 0;
    if (!exportWalkthrough(QString::fromStdString(request.out), data, frames, {}, &error, &files))
        throw std::runtime_error(error.toStdString());
    return int(frames.size());
}

void writeAttributionFigureForCli(const AttributionFigureRequest &request)
{
    const QString path = QString::fromStdString(request.out);
    const auto format = figureFormatFromName(QFileInfo(path).suffix());
    if (!format)
        throw std::runtime_error(request.out + ": the attribution figure is .png, .svg or .pdf");
    const AttributionView view = makeAttributionView(request.attribution, request.result, 0, request.steps);
    AttributionFigureOptions options;
    options.dpi = request.dpi;
    if (request.title) {
        const ModelConfig &config = request.model.config();
        options.title = figureTitle(QString::fromStdString(request.sentence),
                                    QString::fromStdString(config.name.empty() ? request.model.displayName() : config.name));
    }
    const QByteArray bytes = renderAttributionFigure(view, *format, options);
    if (bytes.isEmpty())
        throw std::runtime_error(request.out + ": the figure came out empty");
    QString error;
    if (!writeFileAtomically(path, bytes, &error))
        throw std::runtime_error(error.toStdString());
}

void writeTimelineAnimationForCli(const TimelineAnimationRequest &request)
{
    const QString path = QString::fromStdString(request.out);
    const auto format = animationFormatFromSuffix(QFileInfo(path).suffix());
    if (!format)
        throw std::runtime_error(request.out + ": the animation is .gif or .apng");
    const QByteArray bytes = timelineAnimation(request.timeline, QString::fromStdString(request.runLabel), *format);
    if (bytes.isEmpty())
        throw std::runtime_error(request.out + ": the animation came out empty");
    QString error;
    if (!writeFileAtomically(path, bytes, &error))
        throw std::runtime_error(error.toStdString());
}

} // namespace

extern "C" {

// Exporting figures needs Qt's fonts and painting, never a display.
__attribute__((visibility("default"))) RenderFigure attnvizStartFigures(int &argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) { // else Qt warns on every run
        const QByteArray runtime = QDir::tempPath().toUtf8() + "/attnviz-runtime-" + QByteArray::number(::getuid());
        QDir().mkpath(QString::fromUtf8(runtime));
        QFile::setPermissions(QString::fromUtf8(runtime),
                              QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        qputenv("XDG_RUNTIME_DIR", runtime);
    }
    application = std::make_unique<QGuiApplication>(argc, argv);
    return renderFigureForCli;
}

__attribute__((visibility("default"))) int attnvizWriteWalkthrough(const WalkthroughRequest &request)
{
    return writeWalkthroughForCli(request);
}

__attribute__((visibility("default"))) void attnvizWriteAttributionFigure(const AttributionFigureRequest &request)
{
    writeAttributionFigureForCli(request);
}

__attribute__((visibility("default"))) void attnvizWriteTimelineAnimation(const TimelineAnimationRequest &request)
{
    writeTimelineAnimationForCli(request);
}

__attribute__((visibility("default"))) void attnvizFinishFigures()
{
    application.reset();
}

} // extern "C"

} // namespace attnviz::cli
