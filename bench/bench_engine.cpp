// The engine's benchmarks: the cases of cases.json (written by tools/make_bench_models.py, also
// run by tools/bench_torch.py), each timed as the median of repeats, printed as one JSON object
// per line. bench/run.sh runs both and prints the comparison. Never a CTest test: times depend on
// the machine and on whatever else it is doing.
//
//     bench_engine build/bench-models               every case
//     bench_engine build/bench-models greedy/       cases whose name contains "greedy/"
//     bench_engine --load-rss model.safetensors     peak resident memory while loading one model
//     bench_engine --roofline build/bench-models    greedy step against plain Eigen GEMVs and memory
#include "timing.h"

#include <attnviz/analysis/attribution.h>
#include <attnviz/io/model_import.h>
#include <attnviz/models/model.h>
#include <attnviz/io/text.h>
#include <attnviz/decoding/translate.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
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
    if (model.config().sourceEos)
        ids.push_back(model.sourceEosId());
    return ids;
}

json runCase(const json &c, const std::string &dir)
{
    // "path": a model folder or checkpoint outside the bench models (the sample Marian folder).
    const std::string kind = c["kind"], path = c.contains("path") ? c["path"].get<std::string>()
                                                                  : dir + "/" + c["model"].get<std::string>() + ".safetensors";
    const auto sentences = c["sentences"].get<std::vector<std::string>>();
    json extra;
    bench::Timing timing;
    if (kind == "load") {
        timing = measure([&] { Model::fromFile(path); });
    } else {
        const auto model = c.contains("path") ? std::make_shared<const Model>(openModel(path).model) : Model::fromFile(path);
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
        } else if (kind.rfind("attribute-", 0) == 0) {
            // The model's own translation, attributed (the translation is not timed).
            const TranslationResult r = translate(*model, sentences.front(), options);
            AttributionOptions attribution;
            attribution.method = kind == "attribute-ig50" ? AttributionMethod::IntegratedGradients : AttributionMethod::Gradient;
            attribution.steps = 50;
            timing = measure([&] { attribute(*model, r.sourceIds, r.best().targetIds, attribution); });
            extra["tokens"] = r.best().steps();
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
// GEMVs of the same matrices, timed alone. Every time in the roofline is a CPU time (see
// timing.h), so that a machine shared with other work still gives comparable parts.
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
           }).cpuMedianMs
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
                      }).cpuMedianMs;
    return static_cast<double>(big.size()) * sizeof(float) / (ms * 1e6);
}

// The matrices a greedy step of the decoder reads, with short names: every tensor of the step
// (each RNN layer's W_ih and W_hh, the combine layer, the attention's per-step weights, the
// attentional layer, the output layer), not what is read once per sentence (the embedding, the
// bridges, the keys' W_k and the bilinear score's W, applied to the annotations by prepare()).
struct StepMatrix
{
    std::string name;
    int rows = 0, cols = 0;
    int count = 1; // how many of this shape a step reads
};

// A transformer's greedy step reads every decoder layer's self-attention projections, the
// cross-attention's query and output projections (its keys and values are computed once a
// sentence) and the feed-forward layers, then the output layer: one entry per kind of matrix,
// `count` of them (one a layer).
std::vector<StepMatrix> transformerStepMatrices(const Model &model)
{
    std::map<std::string, StepMatrix> kinds;
    for (const auto &[name, tensor] : model.file().tensors) {
        const std::string layers = "decoder.layers.", weight = ".weight";
        if (tensor.shape.size() != 2 || name.rfind(layers, 0) != 0 || name.find("cross_attention.key") != std::string::npos
            || name.find("cross_attention.value") != std::string::npos)
            continue;
        const size_t dot = name.find('.', layers.size());
        std::string kind = name.substr(dot + 1, name.size() - dot - 1 - weight.size()); // self_attention.query
        for (const auto &[from, to] : std::map<std::string, std::string>{
                 {"self_attention.", "self "}, {"cross_attention.", "cross "}, {"feed_forward.", "ff "}}) {
            if (kind.rfind(from, 0) == 0)
                kind = to + kind.substr(from.size());
        }
        const auto [it, first] = kinds.insert({kind, {kind, static_cast<int>(tensor.shape[0]),
                                                      static_cast<int>(tensor.shape[1]), 1}});
        if (!first)
            ++it->second.count;
    }
    std::vector<StepMatrix> out;
    for (auto &entry : kinds)
        out.push_back(entry.second);
    const ModelConfig &config = model.config();
    const std::string output = config.transformer.tiedOutput ? (config.transformer.sharedEmbeddings
                                                                      ? "encoder.embedding.weight"
                                                                      : "decoder.embedding.weight")
                                                             : "decoder.output.weight";
    const auto &shape = model.file().tensors.at(output).shape;
    out.push_back({"out", static_cast<int>(shape[0]), static_cast<int>(shape[1]), 1});
    std::sort(out.begin(), out.end(), [](const StepMatrix &a, const StepMatrix &b) {
        return static_cast<double>(a.rows) * a.cols * a.count > static_cast<double>(b.rows) * b.cols * b.count;
    });
    return out;
}

std::vector<StepMatrix> stepMatrices(const Model &model)
{
    const ModelConfig &config = model.config();
    if (config.isTransformer())
        return transformerStepMatrices(model);
    std::vector<StepMatrix> out;
    for (const auto &[name, tensor] : model.file().tensors) {
        const std::string decoder = "decoder.", weight = ".weight", rnn = "decoder.rnn.weight_";
        const bool isRnn = name.rfind(rnn, 0) == 0; // decoder.rnn.weight_ih_l0, weight_hh_l0, ...
        const bool isWeight = name.size() > weight.size()
                              && name.compare(name.size() - weight.size(), weight.size(), weight) == 0;
        if (tensor.shape.size() != 2 || name.rfind(decoder, 0) != 0 || !(isRnn || isWeight))
            continue;
        std::string layer = name.substr(decoder.size(), name.size() - decoder.size() - (isRnn ? 0 : weight.size()));
        if (layer == "embedding" || layer.rfind("bridge", 0) == 0 || layer == "attention.key_layer"
            || (layer == "attention.linear" && config.attention.score == Score::Bilinear))
            continue;
        int rows = static_cast<int>(tensor.shape[0]), cols = static_cast<int>(tensor.shape[1]);
        if (layer == "attention.concat")
            cols = config.decoder.hiddenSize; // only the query's half is a per-step product
        const std::map<std::string, std::string> shortNames = {
            {"attention.query_layer", "W_q"}, {"attention.energy_layer", "v"}, {"attention.linear", "W_a"},
            {"attention.concat", "W_q"},      {"attention.location", "W_loc"}, {"attentional", "W_att"},
            {"combine", "W_comb"}};
        if (layer.rfind("rnn.weight_", 0) == 0) // rnn.weight_ih_l0 -> W_ih0
            layer = "W_" + layer.substr(11, 2) + layer.substr(layer.find("_l") + 2);
        else if (shortNames.count(layer))
            layer = shortNames.at(layer);
        out.push_back({layer, rows, cols, 1});
    }
    std::sort(out.begin(), out.end(), [](const StepMatrix &a, const StepMatrix &b) {
        return static_cast<double>(a.rows) * a.cols > static_cast<double>(b.rows) * b.cols;
    });
    return out;
}

int roofline(const std::string &dir)
{
    const double stream = streamGbPerS();
    json cases = json::parse(std::ifstream(dir + "/cases.json"))["cases"];
    for (const json &c : cases) {
        const std::string name = c["name"];
        const bool covered = name.rfind("greedy/bahdanau", 0) == 0 || name.rfind("greedy/onmt", 0) == 0
                             || name.rfind("greedy/joey", 0) == 0 || name.rfind("greedy/marian", 0) == 0;
        if (c["kind"] != "greedy" || !covered || name.find("/len20") == std::string::npos)
            continue;
        const auto model = Model::fromFile(dir + "/" + c["model"].get<std::string>() + ".safetensors");
        const std::string sentence = c["sentences"][0];
        const ModelConfig &config = model->config();
        const int T = static_cast<int>(sourceIds(*model, sentence).size()), A = model->annotationSize();
        int tokens = 0, passes = 0;
        const double total = measure([&] {
                                 const TranslationResult r = translate(*model, sentence, {});
                                 tokens = r.best().steps();
                                 passes = r.outputPasses;
                             }).cpuMedianMs;
        double stepMs = 0;
        if (config.isTransformer()) { // no encode() of its own: the translation of one step instead
            DecodeOptions one;
            one.maxLength = 1;
            const double first = measure([&] { translate(*model, sentence, one); }).cpuMedianMs;
            stepMs = (total - first) / (tokens - 1);
        } else {
            const double encode = measure([&] { model->encode(sourceIds(*model, sentence)); }).cpuMedianMs;
            stepMs = (total - encode) / tokens;
        }
        // Multiply-adds per output token: every matrix of the step, then the attention over the
        // T annotations: the scores (T x A for dot and general, T x Hd against the bilinear
        // score's keys, T x Da for v over the additive and concat scores' hidden rows) and
        // the context sum_j a_j h_j (T x A).
        double weights = 0, outputWeights = 0;
        json parts = json::array();
        double gemv = 0;
        for (const StepMatrix &m : stepMatrices(*model)) {
            weights += static_cast<double>(m.rows) * m.cols * m.count;
            if (m.name == "out")
                outputWeights = static_cast<double>(m.rows) * m.cols;
            const double us = gemvMs(m.rows, m.cols) * 1e3 * m.count;
            gemv += us / 1e3;
            parts.push_back({m.count > 1 ? std::to_string(m.count) + " " + m.name : m.name, us});
        }
        double scoreWidth = A;
        if (config.attention.score == Score::Bilinear)
            scoreWidth = config.decoder.hiddenSize;
        else if (config.attention.score == Score::Additive || config.attention.score == Score::Concat)
            scoreWidth = config.attention.hiddenSize;
        else if (config.attention.score == Score::Location)
            scoreWidth = 0; // W_loc is one of the matrices
        double macs = weights + static_cast<double>(T) * (scoreWidth + A);
        if (config.isTransformer()) // every layer's cross-attention over T and self-attention over about tokens / 2
            macs = weights
                   + 2.0 * config.transformer.decoderLayers * config.transformer.modelSize * (T + tokens / 2.0);
        const double weightBytes = weights * sizeof(float);
        // What a token really reads when greedy decoding guesses ahead (docs/decoding.md): the
        // weights a check shares (the RNN's output layer; a transformer's whole decoder when its
        // rows are exact in a sequence) once a check in float32, and every token the guess's
        // copies (the output layer in int4, a transformer draft's other matrices in int8), the
        // rest every token in float32.
        const TransformerConfig &tc = config.transformer;
        const double shared = passes == tokens ? 0.0
                              : config.isTransformer() && tc.modelSize % 16 == 0 && tc.feedForwardSize % 16 == 0
                                  ? weights
                                  : outputWeights;
        const double guessBytes = shared == 0 ? 0.0 : outputWeights * 0.5 + (shared - outputWeights) * 1.0;
        const double readBytes = (weights - shared) * sizeof(float) + guessBytes
                                 + shared * sizeof(float) * passes / std::max(1, tokens);
        std::cout << json{{"case", "roofline/" + c["model"].get<std::string>()},
                          {"step_us", stepMs * 1e3},
                          {"mflop_per_token", 2 * macs / 1e6},
                          {"step_gflops", 2 * macs / (stepMs * 1e6)},
                          {"gemv_us", gemv * 1e3},
                          {"gemv_us_by_matrix", parts}, // [name, us], largest matrix first
                          {"gemv_gflops", 2 * macs / (gemv * 1e6)},
                          {"percent_of_gemv", 100 * gemv / stepMs},
                          // The weights a step reads (everything but the T x A annotations and
                          // keys) against the memory bandwidth of one thread.
                          {"weight_mb_per_token", weightBytes / 1e6},
                          {"step_gb_per_s", weightBytes / (stepMs * 1e6)},
                          {"stream_gb_per_s", stream},
                          {"percent_of_stream", 100 * weightBytes / (stepMs * 1e6) / stream},
                          {"output_passes_per_token", static_cast<double>(passes) / std::max(1, tokens)},
                          {"read_mb_per_token", readBytes / 1e6},
                          {"read_gb_per_s", readBytes / (stepMs * 1e6)},
                          {"read_percent_of_stream", 100 * readBytes / (stepMs * 1e6) / stream}}
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
