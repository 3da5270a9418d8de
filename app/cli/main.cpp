// attnviz-cli: the headless front end. Each command is one CommandSpec and one run function.
#include "command_line.h"
#include "align_command.h"
#include "import_command.h"
#include "export_command.h"
#include "figure_renderer.h"
#include "translate_command.h"

#include <attnviz/io/model_file.h>
#include <attnviz/io/model_summary.h>

#include <QDir>
#include <QFile>
#include <QGuiApplication>

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <iostream>

namespace {

constexpr const char *programName = "attnviz-cli";

int runInfo(const attnviz::cli::ParsedCommand &command)
{
    const attnviz::ModelFile model = attnviz::loadModelFile(command.value("model"), attnviz::WeightAccess::Map);
    const std::vector<attnviz::ModelSummaryField> fields = attnviz::modelSummary(model);
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

std::vector<attnviz::cli::CommandSpec> commands()
{
    return {
        {"info",
         "Print what a model file contains: architecture, sizes, vocabularies.",
         {{"model", "FILE", "Model file (.safetensors, or .json)", true}},
         runInfo,
         {}},
        attnviz::cli::translateCommand(),
        attnviz::cli::alignCommand(),
        attnviz::cli::importCommand(),
        attnviz::cli::exportCommand(attnviz::cli::renderFigureForCli, exportThreads()),
    };
}

} // namespace

int main(int argc, char *argv[])
{
    // Exporting figures needs Qt's fonts and painting, never a display.
    std::unique_ptr<QGuiApplication> gui;
    if (argc > 1 && std::string(argv[1]) == "export") {
        qputenv("QT_QPA_PLATFORM", "offscreen");
        if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) { // else Qt warns on every run
            const QByteArray runtime = QDir::tempPath().toUtf8() + "/attnviz-runtime-" + QByteArray::number(::getuid());
            QDir().mkpath(QString::fromUtf8(runtime));
            QFile::setPermissions(QString::fromUtf8(runtime), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
            qputenv("XDG_RUNTIME_DIR", runtime);
        }
        gui = std::make_unique<QGuiApplication>(argc, argv);
    }
    using namespace attnviz::cli;
    const std::vector<CommandSpec> specs = commands();
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
