// attnviz-cli export: one alignment file per input line, plus index.csv.
#pragma once

#include "command_line.h"

#include <attnviz/decoding/translate.h>

#include <functional>
#include <string>

namespace attnviz::cli {

// PNG resolution at the figure's natural size in points: 300 dpi prints sharply in one column of
// a paper (the window exports the same; ui/models/figureexport.h).
constexpr int defaultFigureDpi = 300, minimumFigureDpi = 72, maximumFigureDpi = 1200;

struct FigureRequest
{
    const Model &model;
    const std::string &sentence;
    const TranslationResult &result;
    std::string format; // "png", "svg" or "pdf"
    int dpi = defaultFigureDpi; // png only
    bool title = false; // the sentence and the model's name above the figure
    bool values = false; // alpha printed in each cell
};

// Renders the alignment figure to the bytes of a file. Given by the Qt side of the program;
// throws std::runtime_error when it cannot.
using FigureRenderer = std::function<std::string(const FigureRequest &)>;

// renderer may be empty: the image formats are then refused, with `unavailable` as the message
// when given (why the figures cannot be drawn).
CommandSpec exportCommand(FigureRenderer renderer, int threads, std::string unavailable = {});

} // namespace attnviz::cli
