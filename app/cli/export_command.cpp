#include "export_command.h"

#include "text_files.h"
#include "units_option.h"

#include <attnviz/analysis/result_json.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
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

bool isBlank(const std::string &line)
{
    return line.find_first_not_of(" \t\v\f") == std::string::npos;
}

std::string fileName(size_t line, int width, const std::string &format)
{
    const std::string number = std::to_string(line);
    return std::string(size_t(width) - std::min(number.size(), size_t(width)), '0') + number + "." + format;
}

constexpr const char *indexHeader = "line,file,source,translation";

// A row of index.csv: its line number, and the rest of it (file, source, translation) as written.
struct IndexRow
{
    size_t line = 0;
    std::string fields;
};

// The rows an earlier run left in index.csv whose files are still there, by file name, so that
// runs with another format or another part of the input add to the index instead of replacing it.
std::map<std::string, IndexRow> earlierIndexRows(const std::string &path, const std::string &directory)
{
    std::map<std::string, IndexRow> rows;
    std::error_code ec;
    if (!fs::exists(path, ec))
        return rows;
    const std::vector<std::string> lines = readLines(path);
    if (lines.empty() || lines[0] != indexHeader) {
        std::cerr << path << ": not an index.csv written by attnviz-cli; replaced\n";
        return rows;
    }
    for (size_t n = 1; n < lines.size(); ++n) {
        // "17,0017.svg,..." (the file names attnviz-cli writes need no quotes).
        const std::string &row = lines[n];
        const size_t comma = row.find(','), next = row.find(',', comma + 1);
        const std::string file = comma == std::string::npos || next == std::string::npos
            ? std::string() : row.substr(comma + 1, next - comma - 1);
        size_t used = 0;
        size_t line = 0;
        try {
            line = std::stoul(row.substr(0, comma), &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (file.empty() || used != comma || file.find_first_of("/\"") != std::string::npos) {
            std::cerr << path << ':' << n + 1 << ": not a row of line,file,source,translation; dropped\n";
            continue;
        }
        if (fs::exists(fs::path(directory) / file, ec))
            rows[file] = {line, row.substr(comma + 1)};
    }
    return rows;
}

std::string indexText(const std::map<std::string, IndexRow> &rows)
{
    std::vector<std::pair<std::string, IndexRow>> sorted(rows.begin(), rows.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto &a, const auto &b) { return a.second.line < b.second.line; });
    std::string text = std::string(indexHeader) + "\n";
    for (const auto &[file, row] : sorted)
        text += std::to_string(row.line) + "," + row.fields + "\n";
    return text;
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
        if ((command.has("scale") || command.has("dpi")) && format != "png")
            throw UsageError("--scale and --dpi apply to png only", command.command);
        if (command.has("scale") && command.has("dpi"))
            throw UsageError("give --scale or --dpi, not both (--scale N is --dpi 72N)", command.command);
        const int scale = command.intValue("scale", 0, 1, 4);
        if (scale == 3)
            throw UsageError("--scale is 1, 2 or 4", command.command);
        const int dpi = scale > 0 ? 72 * scale : command.intValue("dpi", defaultFigureDpi, minimumFigureDpi, maximumFigureDpi);
        if (!image && (command.has("title") || command.has("values")))
            throw UsageError("--title and --values apply to png, svg and pdf", command.command);
        DecodeOptions options;
        options.beamWidth = command.intValue("beam", 1, 1, 64);
        const bool skipExisting = command.has("skip-existing");
        const TokenUnits units = unitsOption(command).value_or(TokenUnits::Pieces);

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

        // Made only now, so that a bad model or input leaves no new directory behind.
        const std::string outDir = command.value("out");
        std::error_code ec;
        if (!fs::is_directory(outDir, ec)) {
            fs::create_directories(outDir, ec);
            if (ec || !fs::is_directory(outDir, ec))
                throw std::runtime_error(outDir + ": cannot create the directory"
                                         + (ec ? ": " + ec.message() : std::string()));
        }
        if (::access(outDir.c_str(), W_OK) != 0)
            throw std::runtime_error(outDir + ": the directory is not writable");

        const int width = std::max<int>(4, static_cast<int>(std::to_string(lines.size()).size()));
        std::vector<LineOutcome> outcomes(lines.size());
        std::atomic<size_t> next{0}, finished{0};
        const auto work = [&]() {
            for (size_t n = next++; n < lines.size(); n = next++) {
                LineOutcome &out = outcomes[n];
                if (isBlank(lines[n])) {
                    ++finished;
                    continue;
                }
                out.file = fileName(n + 1, width, format);
                const std::string path = (fs::path(outDir) / out.file).string();
                try {
                    DecodeOptions lineOptions = options;
                    if (!targets.empty())
                        lineOptions.target = targets[n];
                    const UnitsResult inUnitsResult = inUnits(*model, translate(*model, lines[n], lineOptions), units);
                    const TranslationResult &result = inUnitsResult.shown();
                    out.translation = join(result.best().targetTokens);
                    if (!(skipExisting && fs::exists(path))) {
                        std::string bytes;
                        if (format == "csv")
                            bytes = alignmentToCsv(result);
                        else if (format == "json")
                        {
                            nlohmann::json j = resultToJson(*model, lines[n], result, lineOptions);
                            inUnitsResult.addToJson(j);
                            bytes = j.dump(1) + "\n";
                        }
                        else
                            bytes = renderer(FigureRequest{*model, lines[n], result, format, dpi,
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
        const std::string indexPath = (fs::path(outDir) / "index.csv").string();
        std::map<std::string, IndexRow> index = earlierIndexRows(indexPath, outDir);
        for (size_t n = 0; n < lines.size(); ++n) {
            if (isBlank(lines[n])) {
                std::cerr << inputPath << ':' << n + 1 << ": empty line, skipped\n";
                continue;
            }
            if (!outcomes[n].ok) {
                std::cerr << inputPath << ':' << n + 1 << ": " << outcomes[n].error << '\n';
                ++failures;
                continue;
            }
            index[outcomes[n].file] = {n + 1, csvQuote(outcomes[n].file) + "," + csvQuote(lines[n]) + ","
                                                  + csvQuote(outcomes[n].translation)};
        }
        writeFileAtomically(indexPath, indexText(index));
        return failures == 0 ? 0 : 1;
    };
    return {"export",
            "Write the alignment of each input line as an image or data file, plus index.csv.",
            {{"model", "FILE", "Model file (.safetensors, or .json)", true},
             {"input", "FILE", "Sentences, one per line", true},
             {"out", "DIR", "Directory for the files (created if missing); index.csv there keeps earlier rows", true},
             {"format", "FORMAT", "png, svg, pdf, csv or json", true},
             {"targets", "FILE", "Forced decoding: line n of FILE is the translation of line n"},
             {"beam", "K", "Beam search with K hypotheses; the best one is exported"},
             {"dpi", "N", "png: pixels per inch at the figure's size in points (default 300, 72 to 1200)"},
             {"scale", "N", "png: 1, 2 or 4 pixels per point (--dpi 72, 144 or 288)"},
             {"title", "", "Images: the sentence and the model name above the figure"},
             {"values", "", "Images: print each weight in its cell"},
             unitsOptionSpec,
             {"skip-existing", "", "Keep files that are already there (they still appear in index.csv)"}},
            run,
            {}};
}

} // namespace attnviz::cli
