// attnviz-cli attribute: attribution beside attention for a fixed output, and their agreement;
// with --image, the attribution heatmap as a figure, drawn by the window's renderer in the
// figure module (figure_renderer.h), as export's figures are.
#pragma once

#include "command_line.h"

#include <attnviz/analysis/attribution.h>
#include <attnviz/decoding/translate.h>

#include <functional>
#include <string>

namespace attnviz::cli {

struct AttributionFigureRequest
{
    const Model &model;
    const std::string &sentence;
    const TranslationResult &result; // its best hypothesis is the fixed output
    const Attribution &attribution;
    int steps = 0;   // integrated gradients' steps, else 0
    std::string out; // FILE.png, FILE.svg or FILE.pdf
    int dpi = 300;   // png
    bool title = false; // the sentence and the model name above the figure
};

// Writes the figure; throws std::runtime_error naming the file when it cannot.
using AttributionFigureWriter = std::function<void(const AttributionFigureRequest &)>;

// writer may be empty: --image then fails with `unavailable` (why the figure cannot be drawn).
CommandSpec attributeCommand(AttributionFigureWriter writer = {}, std::string unavailable = {});

} // namespace attnviz::cli
