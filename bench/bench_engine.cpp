// The engine's benchmarks: the cases of cases.json (written by tools/make_bench_models.py, also
// run by tools/bench_torch.py), each timed as the median of repeats, printed as one JSON object
// per line. bench/run.sh runs both and prints the comparison. Never a CTest test: times depend on
// the machine and on whatever else it is doing.
//
//     bench_engine build/bench-models               every case
//     bench_engine build/bench-models greedy/       cases whose name contains "greedy/"
//     bench_engine --load-rss model.safetensors     peak resident memory while loading one model
//     bench_engine --roofline build/bench-models    greedy step against plain Eigen GEMVs
#include "timing.h"

#include <attnviz/models/model.h>
#include <attnviz/io/text.h>
#include <attnviz/decoding/translate.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace attnviz;
using nlohmann::json;
using attnviz::bench::measure;

namespace {

long residentKb(const char *field) // "VmHWM:" (peak) or "VmRSS:" from /proc/self/status
{
    std::ifstream status("/proc/self/status");
    std::string key;
    long value = 0;
    while (status >> key) {
        if (key == field && status >> value)
            return value;
        status.ignore(1 << 10, '\n');
    }
    return -1;
}

std::vector<int> sourceIds(const Model &model, const std::string &sentence)
{
    std::vector<int> ids;
    for (const std::string &word : tokenize(sentence, model.config().normalization)) {
        if (const auto id = model.sourceId(word))
            ids.push_back(*id);
    }
    ids.push_back(model.sourceEosId());
    return ids;
}

json runCase(const json &c, const std::string &dir)
{
    const std::string kind = c["kind"], path = dir + "/" + c["model"].get<std::string>() + ".safetensors";
    const auto sentences = c["sentences"].get<std::vector<std::string>>();
    json extra;
    bench::Timing timing;
    if (kind == "load") {
        timing = measure([&] { Model::fromFile(path); });
    } else {
        const auto model = Model::fromFile(path);
        DecodeOptions options;
        options.beamWidth = kind == "beam5" ? 5 : 1;
        if (kind == "encode") {
            timing = measure([&] { model->encode(sourceIds(*model, sentences.front())); });
        } else if (kind == "batch") {
            const int threads = c["threads"];
            int tokens = 0;
            timing = measure([&] {
                tokens = 0;
                for (const TranslationResult &r : translateBatch(*model, sentences, options, threads))
                    tokens += r.best().steps();
            });
            extra["tokens"] = tokens;
        } else {
            int tokens = 0;
            timing = measure([&] { tokens = translate(*model, sentences.front(), options).best().steps(); });
            extra["tokens"] = tokens;
        }
    }
    json out = bench::toJson(c["name"], timing);
    if (!extra.is_null())
        out.update(extra);
    return out;
}

// Peak resident memory of loading one model, beyond what the process held before.
int loadRss(const std::string &path)
{
    const long before = residentKb("VmHWM:");
    const auto model = Model::fromFile(path);
    const long peak = residentKb("VmHWM:");
    const double weightsMb = static_cast<double>(model->file().parameterCount()) * sizeof(float) / 1e6;
    std::cout << json{{"case", "load_rss/" + path.substr(path.find_last_of('/') + 1)},
                      {"peak_mb", (peak - before) * 1024 / 1e6},
                      {"weights_mb", weightsMb}}
              << std::endl;
    return 0;
}

// How close a greedy step comes to the machine: the step's multiply-adds against plain Eigen
// GEMVs of the same matrices, timed alone.
double gemvMs(int rows, int cols)
{
    const MatrixRM w = MatrixRM::Random(rows, cols);
    const Vector x = Vector::Random(cols);
    Vector y(rows);
    const int inner = std::max(1, static_cast<int>(2e7 / (static_cast<double>(rows) * cols)));
    return measure([&] {
               for (int i = 0; i < inner; ++i) {
                   y.noalias() = w * x;
                   asm volatile("" : : "g"(y.data()) : "memory");
               }
           }).medianMs
        / inner;
}

// Memory bandwidth of one thread: Eigen summing 256 MB of floats, far past every cache.
double streamGbPerS()
{
    const Eigen::VectorXf big = Eigen::VectorXf::Ones(64 * 1024 * 1024);
    float sink = 0;
    const double ms = measure([&] {
                          sink += big.sum();
                          asm volatile("" : : "g"(&sink) : "memory");
                      }).medianMs;
    return static_cast<double>(big.size()) * sizeof(float) / (ms * 1e6);
}

int roofline(const std::string &dir)
{
    const double stream = streamGbPerS();
    json cases = json::parse(std::ifstream(dir + "/cases.json"))["cases"];
    for (const json &c : cases) {
        const std::string name = c["name"];
        if (c["kind"] != "greedy" || name.rfind("greedy/bahdanau", 0) != 0 || name.find("/len20") == std::string::npos)
            continue;
        const auto model = Model::fromFile(dir + "/" + c["model"].get<std::string>() + ".safetensors");
        const std::string sentence = c["sentences"][0];
        const int H = model->hiddenSize(), V = model->targetVocabSize();
        const int T = static_cast<int>(sourceIds(*model, sentence).size());
        int tokens = 0;
        const double total = measure([&] { tokens = translate(*model, sentence, {}).best().steps(); }).medianMs;
        const double encode = measure([&] { model->encode(sourceIds(*model, sentence)); }).medianMs;
        const double stepMs = (total - encode) / tokens;
        // Bahdanau per output token: Wa s (H x H), Va tanh(.) and the context (2 T x H),
        // W_ih [E y; c] (3H x 2H), W_hh s (3H x H), out (V x H).
        const double macs = 10.0 * H * H + 2.0 * T * H + static_cast<double>(V) * H;
        const double weightBytes = (10.0 * H * H + static_cast<double>(V) * H) * sizeof(float);
        const json parts = {{"Wa", gemvMs(H, H) * 1e3},
                            {"W_ih", gemvMs(3 * H, 2 * H) * 1e3},
                            {"W_hh", gemvMs(3 * H, H) * 1e3},
                            {"out", gemvMs(V, H) * 1e3}};
        double gemv = 0;
        for (const auto &part : parts)
            gemv += part.get<double>() / 1e3;
        std::cout << json{{"case", "roofline/" + c["model"].get<std::string>()},
                          {"step_us", stepMs * 1e3},
                          {"mflop_per_token", 2 * macs / 1e6},
                          {"step_gflops", 2 * macs / (stepMs * 1e6)},
                          {"gemv_us", gemv * 1e3},
                          {"gemv_us_by_matrix", parts},
                          {"gemv_gflops", 2 * macs / (gemv * 1e6)},
                          {"percent_of_gemv", 100 * gemv / stepMs},
                          // The weights a step reads (everything but the T x H keys and
                          // encoder outputs) against the memory bandwidth of one thread.
                          {"weight_mb_per_token", weightBytes / 1e6},
                          {"step_gb_per_s", weightBytes / (stepMs * 1e6)},
                          {"stream_gb_per_s", stream},
                          {"percent_of_stream", 100 * weightBytes / (stepMs * 1e6) / stream}}
                  << std::endl;
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    const std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (args.size() == 2 && args[0] == "--load-rss")
            return loadRss(args[1]);
        if (args.size() == 2 && args[0] == "--roofline")
            return roofline(args[1]);
        if (args.empty() || args.size() > 2 || args[0].rfind("--", 0) == 0) {
            std::cerr << "usage: bench_engine MODELS_DIR [NAME_FILTER] | --load-rss FILE | --roofline MODELS_DIR\n";
            return 2;
        }
        const json cases = json::parse(std::ifstream(args[0] + "/cases.json"))["cases"];
        for (const json &c : cases) {
            if (args.size() == 2 && c["name"].get<std::string>().find(args[1]) == std::string::npos)
                continue;
            std::cout << runCase(c, args[0]) << std::endl;
        }
    } catch (const std::exception &error) {
        std::cerr << "bench_engine: " << error.what() << '\n';
        return 1;
    }
    return 0;
}
