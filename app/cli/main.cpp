// attnviz-cli: the headless front end. Each command is one CommandSpec and one run function.
#include "command_docs.h"
#include "command_line.h"
#include "align_command.h"
#include "compare_command.h"
#include "attribute_command.h"
#include "import_command.h"
#include "model_options.h"
#include "tokenize_command.h"
#include "export_command.h"
#include "figure_renderer.h"
#include "translate_command.h"
#include "walkthrough_command.h"

#include <attnviz/io/model_file.h>
#include <attnviz/io/model_import.h>
#include <attnviz/io/model_summary.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <iostream>

namespace {

constexpr const char *programName = "attnviz-cli";

int runInfo(const attnviz::cli::ParsedCommand &command)
{
    attnviz::ImportOptions options;
    options.access = attnviz::WeightAccess::Map;
    options.subwords = attnviz::cli::subwordFiles(command);
    const attnviz::ImportedModel imported = attnviz::openModel(command.value("model"), options);
    std::vector<attnviz::ModelSummaryField> fields = attnviz::modelSummary(imported.model);
    if (imported.report.toolkit != "attnviz") { // what was found in a checkpoint
        fields.insert(fields.begin(), {"Imported from", imported.report.toolkit + " (" + imported.report.format + ")"});
        fields.push_back({"Vocabularies from", imported.report.vocabularies});
        std::string ignored;
        for (const std::string &entry : imported.report.ignored)
            ignored += (ignored.empty() ? "" : ", ") + entry;
        fields.push_back({"Ignored entries", ignored.empty() ? "none" : ignored});
    }
    size_t width = 0;
    for (const auto &field : fields)
        width = std::max(width, field.label.size());
    for (const auto &field : fields)
        std::cout << field.label << ':' << std::string(width - field.label.size() + 1, ' ')
                  << field.value << '\n';
    return 0;
}

// Qt 6 paints text from any thread, so figures are drawn on every core.
int exportThreads()
{
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::vector<attnviz::cli::CommandSpec> commands(const attnviz::cli::FigureRenderer &renderer,
                                                const attnviz::cli::WalkthroughWriter &walkthrough,
                                                const attnviz::cli::AttributionFigureWriter &attribution,
                                                const attnviz::cli::TimelineAnimationWriter &animation,
                                                const std::string &figureError)
{
    const std::vector<attnviz::cli::OptionSpec> infoOptions = attnviz::cli::withSubwordOptions(
        {{"model", "FILE", "Model file (.safetensors, .json) or a PyTorch checkpoint", true}});
    return {
        {"info",
         "Print what a model file contains: architecture, sizes, vocabularies, tokenizer.",
         infoOptions,
         runInfo,
         {}},
        attnviz::cli::translateCommand(),
        attnviz::cli::tokenizeCommand(),
        attnviz::cli::alignCommand(),
        attnviz::cli::attributeCommand(attribution, figureError),
        attnviz::cli::importCommand(),
        attnviz::cli::exportCommand(renderer, exportThreads(), figureError),
        attnviz::cli::compareCommand(),
        attnviz::cli::timelineCommand(animation, figureError),
        attnviz::cli::walkthroughCommand(walkthrough, figureError),
    };
}

attnviz::cli::ProgramInfo programInfo()
{
    return {programName, ATTNVIZ_VERSION, ATTNVIZ_RELEASE_DATE,
            "translate, align, attribute and export with attention translation models, without a window",
            "attnviz-cli runs the models that attnviz(1) shows: it translates sentences and prints the "
            "attention of each output word over the source words, scores alignments against gold "
            "links, attributes each output word to the source words (attribute), converts PyTorch "
            "checkpoints into attnviz model files, exports alignment figures (PNG, SVG, PDF) and "
            "data (CSV, JSON) for many sentences at once, and draws the decoder's steps of one "
            "sentence as slides (walkthrough).\n\n"
            "Each command is one word followed by its options; COMMAND --help lists them. Models "
            "are attnviz model files (.safetensors or .json); sample models are installed in "
            "share/attnviz/sample_models.",
            "attnviz(1)"};
}

} // namespace

int main(int argc, char *argv[])
{
    // Only `export`, `walkthrough`, `attribute --image` and `timeline --out FILE.gif` load Qt (for their figures), on this
    // thread, before any worker.
    std::unique_ptr<attnviz::cli::FigureModule> figures;
    std::string figureError;
    const auto drawsFigures = [&]() {
        if (argc < 2)
            return false;
        const std::string command = argv[1];
        if (command == "export" || command == "walkthrough")
            return true;
        if (command == "timeline") {
            for (int i = 2; i < argc; ++i) {
                const std::string arg = argv[i];
                if ((arg == "--out" && i + 1 < argc && attnviz::cli::isAnimationName(argv[i + 1]))
                    || (arg.rfind("--out=", 0) == 0 && attnviz::cli::isAnimationName(arg.substr(6))))
                    return true;
            }
            return false;
        }
        if (command != "attribute")
            return false;
        for (int i = 2; i < argc; ++i)
            if (std::string(argv[i]) == "--image" || std::string(argv[i]).rfind("--image=", 0) == 0)
                return true;
        return false;
    };
    if (drawsFigures()) {
        try {
            figures = std::make_unique<attnviz::cli::FigureModule>(argc, argv);
        } catch (const std::exception &error) {
            figureError = error.what();
        }
    }
    const attnviz::cli::FigureRenderer renderer = figures ? figures->renderer() : attnviz::cli::FigureRenderer();
    using namespace attnviz::cli;
    const WalkthroughWriter walkthrough = figures ? figures->walkthroughWriter() : WalkthroughWriter();
    const AttributionFigureWriter attribution = figures ? figures->attributionWriter() : AttributionFigureWriter();
    const TimelineAnimationWriter animation = figures ? figures->timelineAnimationWriter() : TimelineAnimationWriter();
    const std::vector<CommandSpec> specs = commands(renderer, walkthrough, attribution, animation, figureError);
    // --manpage and --bash-completion are for the build (app/CMakeLists.txt), which installs
    // what they print; they are documented for packagers in docs/install.md.
    if (argc == 2 && std::string(argv[1]) == "--version") {
        std::cout << programName << ' ' << ATTNVIZ_VERSION << '\n';
        return 0;
    }
    if (argc == 2 && std::string(argv[1]) == "--manpage") {
        std::cout << manPage(programInfo(), specs);
        return 0;
    }
    if (argc == 2 && std::string(argv[1]) == "--bash-completion") {
        std::cout << bashCompletion(programName, specs);
        return 0;
    }
    ParsedCommand parsed;
    try {
        parsed = parseCommandLine(std::vector<std::string>(argv + 1, argv + argc), specs);
    } catch (const UsageError &error) {
        std::cerr << programName << ": " << error.what() << "\n\n"
                  << (error.command() ? commandUsageText(programName, *error.command())
                                      : usageText(programName, specs));
        return 2;
    }
    if (parsed.helpRequested) {
        std::cout << (parsed.command ? commandUsageText(programName, *parsed.command)
                                     : usageText(programName, specs));
        return 0;
    }
    try {
        return parsed.command->run(parsed);
    } catch (const UsageError &error) { // options that parse but do not fit together
        std::cerr << programName << ": " << error.what() << "\n\n"
                  << commandUsageText(programName, *parsed.command);
        return 2;
    } catch (const std::exception &error) {
        std::cerr << programName << ": " << error.what() << '\n';
        return 1;
    }
}
