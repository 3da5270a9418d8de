#include "export_command.h"

#include "text_files.h"

#include <attnviz/analysis/result_json.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <unistd.h>

namespace attnviz::cli {
namespace {

namespace fs = std::filesystem;

struct LineOutcome
{
    bool ok = false;
    std::string file, translation, error;
};

std::string join(const std::vector<std::string> &words)
{
    std::string s;
    for (const std::string &w : words)
        s += (s.empty() ? "" : " ") + w;
    return s;
}

void printProgress(size_t done, size_t total, std::chrono::steady_clock::time_point start)
{
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double eta = done > 0 ? elapsed / done * (total - done) : 0.0;
    std::fprintf(stderr, "\rexported %zu/%zu, ETA %d:%02d ", done, total, int(eta) / 60, int(eta) % 60);
    std::fflush(stderr);
}

} // namespace

CommandSpec exportCommand(FigureRenderer renderer, int threads, std::string unavailable)
{
    auto run = [renderer, threads, unavailable](const ParsedCommand &command) -> int {
        const std::string format = command.value("format");
        const bool image = format == "png" || format == "svg" || format == "pdf";
        if (!image && format != "csv" && format != "json")
            throw UsageError("--format is png, svg, pdf, csv or json, not '" + format + "'", command.command);
        if (image && !renderer)
            throw std::runtime_error(unavailable.empty() ? "this build of attnviz-cli cannot render " + format + " figures"
                                                         : unavailable);
        const int scale = command.intValue("scale", 1, 1, 4);
        if (command.has("scale") && format != "png")
            throw UsageError("--scale applies to png only", command.command);
        if (scale == 3)
            throw UsageError("--scale is 1, 2 or 4", command.command);
        if (!image && (command.has("title") || command.has("values")))
            throw UsageError("--title and --values apply to png, svg and pdf", command.command);
        DecodeOptions options;
        options.beamWidth = command.intValue("beam", 1, 1, 64);
        const bool skipExisting = command.has("skip-existing");

        const std::string outDir = command.value("out");
        std::error_code ec;
        if (!fs::is_directory(outDir, ec))
            throw std::runtime_error(outDir + ": no such directory (create it first)");
        if (::access(outDir.c_str(), W_OK) != 0)
            throw std::runtime_error(outDir + ": the directory is not writable");
        const std::string inputPath = command.value("input");
        const std::vector<std::string> lines = readLines(inputPath);
        std::vector<std::string> targets;
        if (command.has("targets")) {
            targets = readLines(command.value("targets"));
            if (targets.size() != lines.size())
                throw std::runtime_error(command.value("targets") + ": has " + std::to_string(targets.size())
                                         + " lines, but " + inputPath + " has " + std::to_string(lines.size()));
        }
        const auto model = Model::fromFile(command.value("model"), WeightAccess::Map);

        const int width = std::max<int>(4, static_cast<int>(std::to_string(lines.size()).size()));
        std::vector<LineOutcome> outcomes(lines.size());
        std::atomic<size_t> next{0}, finished{0};
        const auto work = [&]() {
            for (size_t n = next++; n < lines.size(); n = next++) {
                LineOutcome &out = outcomes[n];
                std::string number = std::to_string(n + 1);
                out.file = std::string(width - number.size(), '0') + number + "." + format;
                const std::string path = (fs::path(outDir) / out.file).string();
                try {
                    DecodeOptions lineOptions = options;
                    if (!targets.empty())
                        lineOptions.target = targets[n];
                    const TranslationResult result = translate(*model, lines[n], lineOptions);
                    out.translation = join(result.best().targetTokens);
                    if (!(skipExisting && fs::exists(path))) {
                        std::string bytes;
                        if (format == "csv")
                            bytes = alignmentToCsv(result);
                        else if (format == "json")
                            bytes = resultToJson(*model, lines[n], result, lineOptions).dump(1) + "\n";
                        else
                            bytes = renderer(FigureRequest{*model, lines[n], result, format, scale,
                                                           command.has("title"), command.has("values")});
                        writeFileAtomically(path, bytes);
                    }
                    out.ok = true;
                } catch (const std::exception &error) {
                    out.error = error.what();
                }
                ++finished;
            }
        };
        const int workers = std::max(1, std::min<int>(threads, static_cast<int>(lines.size())));
        const bool progress = ::isatty(STDERR_FILENO);
        const auto start = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 1; t < workers; ++t)
            pool.emplace_back(work);
        if (progress) {
            std::thread reporter([&]() {
                while (finished < lines.size()) {
                    printProgress(finished, lines.size(), start);
                    std::this_thread::sleep_for(std::chrono::milliseconds(200));
                }
            });
            work();
            for (std::thread &t : pool)
                t.join();
            reporter.join();
            printProgress(lines.size(), lines.size(), start);
            std::fputc('\n', stderr);
        } else {
            work();
            for (std::thread &t : pool)
                t.join();
        }

        int failures = 0;
        std::string index = "line,file,source,translation\n";
        for (size_t n = 0; n < lines.size(); ++n) {
            if (!outcomes[n].ok) {
                std::cerr << inputPath << ':' << n + 1 << ": " << outcomes[n].error << '\n';
                ++failures;
                continue;
            }
            index += std::to_string(n + 1) + "," + csvQuote(outcomes[n].file) + "," + csvQuote(lines[n]) + ","
                + csvQuote(outcomes[n].translation) + "\n";
        }
        writeFileAtomically((fs::path(outDir) / "index.csv").string(), index);
        return failures == 0 ? 0 : 1;
    };
    return {"export",
            "Write the alignment of each input line as an image or data file, plus index.csv.",
            {{"model", "FILE", "Model file (.safetensors, or .json)", true},
             {"input", "FILE", "Sentences, one per line", true},
             {"out", "DIR", "Existing, writable directory for the files", true},
             {"format", "FORMAT", "png, svg, pdf, csv or json", true},
             {"targets", "FILE", "Forced decoding: line n of FILE is the translation of line n"},
             {"beam", "K", "Beam search with K hypotheses; the best one is exported"},
             {"scale", "N", "png: 1, 2 or 4 pixels per point (default 1)"},
             {"title", "", "Images: the sentence and the model name above the figure"},
             {"values", "", "Images: print each weight in its cell"},
             {"skip-existing", "", "Keep files that are already there (they still appear in index.csv)"}},
            run,
            {}};
}

} // namespace attnviz::cli
