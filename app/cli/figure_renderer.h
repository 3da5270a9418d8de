// The figures of attnviz-cli export, drawn by the window's own renderer (ui/models), which needs
// Qt Gui. They live in a module of their own, attnviz-cli-figures.so, loaded only by `export`, `walkthrough`, `attribute --image` and `timeline --out FILE.gif`,
// so that every other command starts without loading Qt (about 30 shared libraries).
#pragma once

#include "attribute_command.h"
#include "compare_command.h"
#include "export_command.h"
#include "walkthrough_command.h"

#include <string>

namespace attnviz::cli {

// What the module exports, as the C names attnvizStartFigures and attnvizFinishFigures: the
// first makes the QGuiApplication (offscreen) on the calling thread and returns the renderer, the
// second destroys it.
using RenderFigure = std::string (*)(const FigureRequest &);
using StartFigures = RenderFigure (*)(int &argc, char **argv);
using FinishFigures = void (*)();
// attnvizWriteWalkthrough: attnviz-cli walkthrough's pages (walkthrough_command.h).
using WriteWalkthrough = int (*)(const WalkthroughRequest &);
// attnvizWriteAttributionFigure: attnviz-cli attribute --image (attribute_command.h).
using WriteAttributionFigure = void (*)(const AttributionFigureRequest &);
// attnvizWriteTimelineAnimation: attnviz-cli timeline --out FILE.gif (compare_command.h).
using WriteTimelineAnimation = void (*)(const TimelineAnimationRequest &);

// Loads the module from beside the executable (ATTNVIZ_FIGURES_MODULE_PATH, relative to it) and
// starts it, on the main thread, before any figure is drawn. Throws std::runtime_error naming
// the module's path when it cannot be loaded.
class FigureModule
{
public:
    FigureModule(int &argc, char **argv);
    ~FigureModule();
    FigureModule(const FigureModule &) = delete;
    FigureModule &operator=(const FigureModule &) = delete;

    FigureRenderer renderer() const { return m_render; }
    WalkthroughWriter walkthroughWriter() const { return m_walkthrough; }
    AttributionFigureWriter attributionWriter() const { return m_attribution; }
    TimelineAnimationWriter timelineAnimationWriter() const { return m_timeline; }

private:
    void *m_handle = nullptr;
    RenderFigure m_render = nullptr;
    FinishFigures m_finish = nullptr;
    WriteWalkthrough m_walkthrough = nullptr;
    WriteAttributionFigure m_attribution = nullptr;
    WriteTimelineAnimation m_timeline = nullptr;
};

} // namespace attnviz::cli
