#include "figure_renderer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <stdexcept>

namespace attnviz::cli {

namespace {

// The module's path: ATTNVIZ_FIGURES_MODULE_PATH relative to the directory of this executable,
// the same in the build tree and in an installed (or relocated) prefix.
std::string modulePath()
{
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string directory = ".";
    if (n > 0) {
        directory.assign(self, size_t(n));
        directory = directory.substr(0, directory.rfind('/'));
    }
    return directory + "/" + ATTNVIZ_FIGURES_MODULE_PATH;
}

} // namespace

FigureModule::FigureModule(int &argc, char **argv)
{
    const std::string path = modulePath();
    m_handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!m_handle) {
        const char *why = ::dlerror();
        throw std::runtime_error("cannot load the figure module " + path + ": " + (why ? why : "unknown error")
                                 + " (export's PNG, SVG and PDF, walkthrough, attribute --image and timeline's animations need it; CSV and JSON do not)");
    }
    const auto start = reinterpret_cast<StartFigures>(::dlsym(m_handle, "attnvizStartFigures"));
    m_finish = reinterpret_cast<FinishFigures>(::dlsym(m_handle, "attnvizFinishFigures"));
    m_walkthrough = reinterpret_cast<WriteWalkthrough>(::dlsym(m_handle, "attnvizWriteWalkthrough"));
    m_attribution = reinterpret_cast<WriteAttributionFigure>(::dlsym(m_handle, "attnvizWriteAttributionFigure"));
    m_timeline = reinterpret_cast<WriteTimelineAnimation>(::dlsym(m_handle, "attnvizWriteTimelineAnimation"));
    if (!start || !m_finish || !m_walkthrough || !m_attribution || !m_timeline)
        throw std::runtime_error("the figure module " + path
                                 + " has no attnvizStartFigures/attnvizFinishFigures/attnvizWriteWalkthrough/"
                                   "attnvizWriteAttributionFigure/attnvizWriteTimelineAnimation");
    m_render = start(argc, argv);
}

FigureModule::~FigureModule()
{
    if (m_finish)
        m_finish();
    // The module stays loaded: Qt's plugins and fonts may still run their exit handlers.
}

} // namespace attnviz::cli
