#include "attribute_command.h"

#include "head_options.h"
#include "model_options.h"
#include "text_files.h"

#include <attnviz/decoding/heads.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace attnviz::cli {
namespace {

struct Means
{
    double spearman = 0, kendall = 0, top1 = 0, jsd = 0;
    int rows = 0;

    void add(const RowAgreement &r)
    {
        spearman += r.spearman;
        kendall += r.kendall;
        top1 += r.top1 ? 1 : 0;
        jsd += r.jsd;
        ++rows;
    }
    nlohmann::json json() const
    {
        const double n = rows > 0 ? rows : 1;
        return {{"spearman", spearman / n}, {"kendall", kendall / n}, {"top1", top1 / n}, {"jsd", jsd / n}, {"rows", rows}};
    }
};

nlohmann::json finite(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// Called with each sentence's translation and attribution (--image draws the figure).
using SentenceHook = std::function<void(const TranslationResult &, const Attribution &)>;

// One sentence: its JSON, and its rows added to the corpus means.
// `view`: for a transformer, which cross-attention α is (the layer and heads of --layer and
// --head; translate's default, the last layer's mean over the heads).
nlohmann::json attributeOne(const Model &model, const std::string &sentence, const std::optional<std::string> &target,
                            const AttributionOptions &options, const HeadSelection &view, Means &corpus,
                            const SentenceHook &hook = {})
{
    DecodeOptions decode;
    decode.target = target;
    decode.view = view;
    const TranslationResult result = translate(model, sentence, decode);
    const Hypothesis &h = result.best();
    const Attribution a = attribute(model, result.sourceIds, h.targetIds, options);
    if (hook)
        hook(result, a);
    const int T = result.sourceLength();
    nlohmann::json j;
    j["sentence"] = sentence;
    j["source_tokens"] = result.sourceTokens;
    j["target_tokens"] = h.targetTokens;
    j["forced"] = result.forced;
    j["method"] = attributionMethodName(options.method);
    if (!h.crossAttention.empty())
        j["view"] = describeSelection(result.view, h.crossAttention.layers, h.crossAttention.heads);
    if (options.method == AttributionMethod::IntegratedGradients)
        j["steps"] = options.steps;
    j["log_probs"] = a.logProbs;
    j["attribution"] = nlohmann::json::array();
    j["attention"] = nlohmann::json::array();
    nlohmann::json perStep = nlohmann::json::array();
    Means sentenceMeans;
    for (int i = 0; i < h.steps(); ++i) {
        nlohmann::json row = nlohmann::json::array(), attention = nlohmann::json::array();
        Eigen::VectorXd alpha(T), values(T);
        for (int k = 0; k < T; ++k) {
            row.push_back(finite(a.values(i, k)));
            attention.push_back(h.attention(i, k));
            alpha[k] = h.attention(i, k);
            values[k] = std::isfinite(a.values(i, k)) ? a.values(i, k) : 0.0;
        }
        j["attribution"].push_back(std::move(row));
        j["attention"].push_back(std::move(attention));
        const RowAgreement r = rowAgreement(alpha, values);
        perStep.push_back({{"spearman", r.spearman}, {"kendall", r.kendall}, {"top1", r.top1}, {"jsd", r.jsd}});
        sentenceMeans.add(r);
        corpus.add(r);
    }
    j["agreement"] = sentenceMeans.json();
    j["agreement"]["per_step"] = std::move(perStep);
    if (!a.completenessSum.empty())
        j["completeness"] = {{"sum", a.completenessSum}, {"target", a.completenessTarget}};
    return j;
}

void printText(const nlohmann::json &j)
{
    std::cout << "source:      ";
    for (const auto &t : j["source_tokens"])
        std::cout << t.get<std::string>() << ' ';
    std::cout << '\n' << (j["forced"].get<bool>() ? "forced:      " : "translation: ");
    for (const auto &t : j["target_tokens"])
        std::cout << t.get<std::string>() << ' ';
    std::cout << "\nmethod:      " << j["method"].get<std::string>() << '\n';
    if (j.contains("view"))
        std::cout << "attention:   " << j["view"].get<std::string>() << '\n';
    std::cout << '\n';
    const auto width = [](const std::string &s) {
        size_t n = 0;
        for (unsigned char c : s)
            n += (c & 0xC0) != 0x80;
        return n;
    };
    size_t label = 6;
    for (const auto &t : j["target_tokens"])
        label = std::max(label, width(t.get<std::string>()));
    std::cout << std::string(label, ' ');
    std::vector<size_t> widths;
    for (const auto &t : j["source_tokens"]) {
        const std::string s = t.get<std::string>();
        widths.push_back(std::max<size_t>(8, width(s)));
        std::cout << "  " << std::string(widths.back() - width(s), ' ') << s;
    }
    std::cout << "  spearman  top-1\n";
    char buffer[64];
    for (size_t i = 0; i < j["target_tokens"].size(); ++i) {
        const std::string t = j["target_tokens"][i].get<std::string>();
        std::cout << t << std::string(label - width(t), ' ');
        for (size_t k = 0; k < widths.size(); ++k) {
            const auto &v = j["attribution"][i][k];
            if (v.is_null())
                std::snprintf(buffer, sizeof buffer, "%*s", int(widths[k]), "n/a");
            else
                std::snprintf(buffer, sizeof buffer, "%*.4f", int(widths[k]), v.get<double>());
            std::cout << "  " << buffer;
        }
        const auto &r = j["agreement"]["per_step"][i];
        std::snprintf(buffer, sizeof buffer, "  %8.3f  %5s\n", r["spearman"].get<double>(), r["top1"].get<bool>() ? "yes" : "no");
        std::cout << buffer;
    }
    const auto &m = j["agreement"];
    std::snprintf(buffer, sizeof buffer, "%.3f", m["spearman"].get<double>());
    std::cout << "\nagreement with attention: Spearman " << buffer;
    std::snprintf(buffer, sizeof buffer, "%.3f", m["kendall"].get<double>());
    std::cout << ", Kendall " << buffer;
    std::snprintf(buffer, sizeof buffer, "%.0f%%", 100 * m["top1"].get<double>());
    std::cout << ", top-1 " << buffer;
    std::snprintf(buffer, sizeof buffer, "%.3f", m["jsd"].get<double>());
    std::cout << ", JSD " << buffer << '\n';
    if (j.contains("completeness")) {
        std::cout << "completeness (sum of IG vs log p(x) - log p(0)):";
        for (size_t i = 0; i < j["completeness"]["sum"].size(); ++i) {
            std::snprintf(buffer, sizeof buffer, " %.3f/%.3f", j["completeness"]["sum"][i].get<double>(),
                          j["completeness"]["target"][i].get<double>());
            std::cout << buffer;
        }
        std::cout << '\n';
    }
}

int run(const ParsedCommand &command, const AttributionFigureWriter &writer, const std::string &unavailable)
{
    const bool fromFile = command.has("input");
    if (fromFile == (command.positionals.size() == 1) || command.positionals.size() > 1)
        throw UsageError(fromFile ? "give either --input FILE or one SENTENCE, not both"
                                  : "give the SENTENCE (quote it), or --input FILE",
                         command.command);
    if (fromFile && command.has("image"))
        throw UsageError("--image draws one SENTENCE's figure; it does not go with --input", command.command);
    if (!command.has("image") && (command.has("dpi") || command.has("title")))
        throw UsageError("--dpi and --title go with --image FILE", command.command);
    if (fromFile && command.has("target"))
        throw UsageError("--target goes with a single SENTENCE; with --input, use --targets FILE", command.command);
    AttributionOptions options;
    const std::string method = command.has("method") ? command.value("method") : "integrated-gradients";
    if (!parseAttributionMethod(method, &options.method))
        throw UsageError("--method is occlusion, leave-one-out, gradient, input-x-gradient or integrated-gradients, "
                         "not '" + method + "'",
                         command.command);
    options.steps = command.intValue("steps", 50, 1, 10000);
    const bool asJson = command.has("json");
    std::string image;
    int dpi = 300;
    if (command.has("image")) {
        image = command.value("image");
        const size_t dot = image.rfind('.');
        std::string suffix = dot == std::string::npos ? std::string() : image.substr(dot + 1);
        for (char &c : suffix)
            c = char(std::tolower(static_cast<unsigned char>(c)));
        if (suffix != "png" && suffix != "svg" && suffix != "pdf")
            throw UsageError("--image FILE ends in .png, .svg or .pdf, not '" + image + "'", command.command);
        dpi = command.intValue("dpi", 300, 72, 1200);
        if (!writer)
            throw std::runtime_error(unavailable.empty() ? "this build of attnviz-cli cannot draw figures" : unavailable);
    }
    DecodeOptions heads;
    applyHeadOptions(command, heads);
    const std::shared_ptr<const Model> model = loadModel(command); // and OpenNMT-py subword files
    checkHeadOptions(command, model->isTransformer());
    Means corpus;
    if (!fromFile) {
        const std::optional<std::string> target =
            command.has("target") ? std::optional<std::string>(command.value("target")) : std::nullopt;
        const std::string &sentence = command.positionals.front();
        SentenceHook hook;
        if (!image.empty())
            hook = [&](const TranslationResult &result, const Attribution &a) {
                const int steps = options.method == AttributionMethod::IntegratedGradients ? options.steps : 0;
                writer({*model, sentence, result, a, steps, image, dpi, command.has("title")});
            };
        const nlohmann::json j = attributeOne(*model, sentence, target, options, heads.view, corpus, hook);
        if (!image.empty())
            std::cerr << image << ": the attribution figure\n";
        if (asJson)
            std::cout << j.dump() << '\n';
        else
            printText(j);
        return 0;
    }
    const std::string path = command.value("input");
    const std::vector<std::string> lines = readLines(path);
    std::vector<std::string> targets;
    if (command.has("targets")) {
        targets = readLines(command.value("targets"));
        checkLineCount(command.value("targets"), targets.size(), path, lines.size());
    }
    int failures = 0, sentences = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        try {
            const std::optional<std::string> target =
                targets.empty() ? std::nullopt : std::optional<std::string>(targets[i]);
            const nlohmann::json j = attributeOne(*model, lines[i], target, options, heads.view, corpus);
            ++sentences;
            if (asJson) {
                std::cout << j.dump() << '\n';
            } else {
                if (i > 0)
                    std::cout << '\n';
                printText(j);
            }
        } catch (const InputError &error) {
            std::cerr << path << ':' << i + 1 << ": " << error.what() << '\n';
            ++failures;
        }
    }
    nlohmann::json means = corpus.json();
    means["sentences"] = sentences;
    if (asJson) {
        std::cout << nlohmann::json{{"corpus", means}}.dump() << '\n';
    } else {
        char buffer[200];
        std::snprintf(buffer, sizeof buffer,
                      "\ncorpus (%d sentences, %d output tokens): Spearman %.3f, Kendall %.3f, top-1 %.0f%%, JSD %.3f\n",
                      sentences, corpus.rows, means["spearman"].get<double>(), means["kendall"].get<double>(),
                      100 * means["top1"].get<double>(), means["jsd"].get<double>());
        std::cout << buffer;
    }
    return failures == 0 ? 0 : 1;
}

} // namespace

CommandSpec attributeCommand(AttributionFigureWriter writer, std::string unavailable)
{
    auto runIt = [writer, unavailable](const ParsedCommand &command) { return run(command, writer, unavailable); };
    std::vector<OptionSpec> options = withSubwordOptions({{"model", "FILE", "Model file (.safetensors, .json) or a checkpoint attnviz opens", true},
             {"method", "NAME", "occlusion, leave-one-out, gradient, input-x-gradient or integrated-gradients "
                                "(the default)"},
             {"steps", "M", "Integrated gradients: steps of the Riemann sum (default 50)"},
             {"target", "TEXT", "Attribute this forced translation instead of the model's own"},
             {"input", "FILE", "Each line of FILE (JSON Lines with --json), then the corpus means"},
             {"targets", "FILE", "With --input: the forced translation of line n is line n of FILE"},
             {"json", "", "One JSON object per sentence (and {\"corpus\": ...} last with --input)"},
             {"image", "FILE", "Also draw the attribution heatmap: FILE.png, FILE.svg or FILE.pdf (one SENTENCE)"},
             {"dpi", "N", "--image png: pixels per inch at the figure's size in points (default 300, 72 to 1200)"},
             {"title", "", "--image: the sentence and the model name above the figure"}});
    for (OptionSpec &option : headOptions(false)) // which attention α the agreement compares with
        options.push_back(std::move(option));
    return {"attribute", "Attribute each output token to the source tokens, and measure how attention agrees.",
            options, runIt, "SENTENCE"};
}

} // namespace attnviz::cli
