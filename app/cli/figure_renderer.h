// The Qt side of attnviz-cli export: figures drawn by the GUI's own renderer.
#pragma once

#include "export_command.h"

namespace attnviz::cli {

// Renders with ui/figureexport.h; needs a QGuiApplication (made by main for `export`).
std::string renderFigureForCli(const FigureRequest &request);

} // namespace attnviz::cli
