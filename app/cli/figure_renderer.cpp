#include "figure_renderer.h"

#include <figureexport.h>
#include <alignmentmodel.h>

#include <stdexcept>

namespace attnviz::cli {

std::string renderFigureForCli(const FigureRequest &request)
{
    const auto format = figureFormatFromName(QString::fromStdString(request.format));
    if (!format)
        throw std::runtime_error("unknown figure format '" + request.format + "'");
    AlignmentModel heatmap;
    // A non-owning pointer: the result outlives the heatmap.
    heatmap.setResult(std::shared_ptr<const TranslationResult>(std::shared_ptr<void>(), &request.result), 0);
    FigureOptions options;
    options.scale = request.scale;
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

} // namespace attnviz::cli
