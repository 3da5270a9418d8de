#include "walkthrough_command.h"

#include "model_options.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace attnviz::cli {
namespace {

bool isNumber(const std::string &text)
{
    return !text.empty() && text.size() < 9 && text.find_first_not_of("0123456789") == std::string::npos;
}

// --layer L / --head H: one head, counted from 1 (as translate's, but neither 'all' nor 'mean').
int headNumber(const ParsedCommand &command, const char *option, int count, int fallback)
{
    if (!command.has(option))
        return fallback;
    const std::string text = command.value(option);
    if (!isNumber(text) || std::stoi(text) < 1)
        throw UsageError(std::string("--") + option + " is one " + option + " from 1 (the walkthrough explains one head"
                             + " of one layer), not '" + text + "'",
                         command.command);
    const int value = std::stoi(text);
    if (value > count)
        throw UsageError(std::string("--") + option + " " + text + ": this model's decoder has " + std::to_string(count)
                             + " " + option + "s",
                         command.command);
    return value - 1;
}

nlohmann::json vectorJson(const Vector &v)
{
    return std::vector<float>(v.data(), v.data() + v.size());
}

nlohmann::json wordJson(const WordProbability &w)
{
    return {{"id", w.id}, {"token", w.token}, {"probability", w.probability}};
}

} // namespace

std::string walkthroughJson(const TranslationResult &result, const StepDetails &d, int hypothesis, int first, int last)
{
    const Hypothesis &h = result.hypotheses[size_t(hypothesis)];
    nlohmann::json j;
    j["source_tokens"] = result.sourceTokens;
    j["target_tokens"] = h.targetTokens;
    j["forced"] = result.forced;
    j["hypothesis"] = hypothesis + 1;
    if (d.transformer) {
        j["layer"] = d.layer + 1;
        j["head"] = d.head + 1;
        j["layers"] = d.layers;
        j["heads"] = d.heads;
        j["head_size"] = d.headSize;
        j["pre_norm"] = d.preNorm;
        nlohmann::json keys = nlohmann::json::array(), values = nlohmann::json::array();
        for (Eigen::Index r = 0; r < d.keys.rows(); ++r) {
            keys.push_back(vectorJson(d.keys.row(r).transpose()));
            values.push_back(vectorJson(d.values.row(r).transpose()));
        }
        j["keys"] = keys;
        j["values"] = values;
    }
    nlohmann::json steps = nlohmann::json::array();
    for (int i = first; i <= last; ++i) {
        const StepDetail &s = d.steps[size_t(i)];
        nlohmann::json step = {{"step", i + 1}, {"query", vectorJson(s.query)},
                               {"energies", vectorJson(d.energies.row(i).transpose())},
                               {"weights", vectorJson(d.attention.row(i).transpose())},
                               {"context", vectorJson(d.contexts.row(i).transpose())},
                               {"chosen", wordJson(s.chosen)}, {"chosen_rank", s.chosenRank}};
        nlohmann::json top = nlohmann::json::array();
        for (const WordProbability &w : s.top)
            top.push_back(wordJson(w));
        step["top"] = top;
        if (d.transformer) {
            step["input"] = vectorJson(s.head.input);
            step["normed"] = vectorJson(s.head.normed);
            step["concat"] = vectorJson(s.head.concat);
            step["projected"] = vectorJson(s.head.projected);
            step["output"] = vectorJson(s.head.output);
            step["with_uniform_head"] = wordJson(s.withUniformHead);
        } else {
            step["with_summed_context"] = wordJson(s.withSummedContext);
        }
        steps.push_back(step);
    }
    j["steps"] = steps;
    return j.dump();
}

std::pair<int, int> parseStepRange(const std::string &range, int steps, const CommandSpec *command)
{
    const auto bad = [&]() {
        return UsageError("--steps is a step or a range of steps from 1, such as 3, 2-4, 2- or -3; not '" + range + "'",
                          command);
    };
    const size_t dash = range.find('-');
    std::string from = range, to = range;
    if (dash != std::string::npos) {
        from = range.substr(0, dash);
        to = range.substr(dash + 1);
        if (from.empty() && to.empty())
            throw bad();
    }
    if ((!from.empty() && !isNumber(from)) || (!to.empty() && !isNumber(to)))
        throw bad();
    const int first = from.empty() ? 1 : std::stoi(from);
    const int last = to.empty() ? steps : std::stoi(to);
    if (first < 1 || last < first)
        throw bad();
    if (last > steps)
        throw UsageError("--steps " + range + ": the translation has " + std::to_string(steps) + " step"
                             + (steps == 1 ? "" : "s") + " (EOS included)",
                         command);
    return {first - 1, last - 1};
}

CommandSpec walkthroughCommand(WalkthroughWriter writer, std::string unavailable)
{
    auto run = [writer, unavailable](const ParsedCommand &command) -> int {
        if (command.positionals.size() != 1)
            throw UsageError("give the SENTENCE to walk through (quote it)", command.command);
        const bool asJson = command.has("json");
        if (!command.has("out") && !asJson)
            throw UsageError("give --out FILE.pdf|FILE.gif|DIR for the pages, or --json for their numbers",
                             command.command);
        const std::string out = command.has("out") ? command.value("out") : std::string();
        DecodeOptions options;
        options.beamWidth = command.intValue("beam", 1, 1, maxBeamWidth);
        if (command.has("target")) {
            if (command.has("beam"))
                throw UsageError("--target (forced decoding) and --beam do not go together", command.command);
            options.target = command.value("target");
        }
        const int hypothesis = command.intValue("hypothesis", 1, 1, options.beamWidth) - 1;
        const int topK = command.intValue("top-k", 5, 1, 50);
        if (!writer && !out.empty())
            throw std::runtime_error(unavailable.empty() ? "this build of attnviz-cli cannot draw the walkthrough"
                                                         : unavailable);
        const std::shared_ptr<const Model> model = loadModel(command); // and OpenNMT-py subword files
        if (!model->isTransformer() && (command.has("layer") || command.has("head")))
            throw UsageError("--layer and --head are for transformers; this model is an RNN with one attention per step",
                             command.command);
        const int layer = headNumber(command, "layer", model->layers(), -1);
        const int head = headNumber(command, "head", model->heads(), 0);
        const std::string &sentence = command.positionals.front();
        const TranslationResult result = translate(*model, sentence, options);
        if (hypothesis >= static_cast<int>(result.hypotheses.size()))
            throw std::runtime_error("--hypothesis " + std::to_string(hypothesis + 1) + ": the beam found only "
                                     + std::to_string(result.hypotheses.size()));
        const int steps = result.hypotheses[size_t(hypothesis)].steps();
        const auto [first, last] = command.has("steps") ? parseStepRange(command.value("steps"), steps, command.command)
                                                        : std::pair<int, int>(0, steps - 1);
        if (asJson) {
            const StepDetails details = explainHypothesis(*model, result, hypothesis, topK, {}, layer, head);
            std::cout << walkthroughJson(result, details, hypothesis, first, last) << '\n';
        }
        if (out.empty())
            return 0;
        WalkthroughRequest request{*model, sentence, result, hypothesis, topK, first, last, out, layer, head};
        const int pages = writer(request);
        // With --json, stdout is the JSON alone.
        (asJson ? std::cerr : std::cout) << out << ": " << pages << (pages == 1 ? " page" : " pages") << " (steps "
                                         << first + 1 << " to " << last + 1 << " of " << steps
                                         << ", 4 stages each)\n";
        return 0;
    };
    return {"walkthrough",
            "Draw the decoder's four stages (encoder, scores and weights, context, output; for a transformer, one "
            "head's query, scores and weights, context, output) of every output step of one sentence: a PDF page, a "
            "GIF frame or a PNG file per stage and step, for slides.",
            withSubwordOptions({{"model", "FILE", "Model file (.safetensors, .json), checkpoint or model folder", true},
             {"out", "PATH", "FILE.pdf (one 16:9 page each, text kept as text), FILE.gif (animated), or a folder "
                             "of PNG files (created if missing); needed unless --json"},
             {"json", "", "Print the pages' numbers as one JSON object (queries, scores, weights, contexts, top k)"},
             {"layer", "L", "Transformers: the decoder layer whose cross-attention head is explained, from 1 "
                            "(default: the last)"},
             {"head", "H", "Transformers: the head of that layer, from 1 (default 1)"},
             {"target", "TEXT", "Forced decoding of this reference translation: its words' ranks and probabilities"},
             {"beam", "K", "Beam search with K hypotheses"},
             {"hypothesis", "N", "With --beam: walk through hypothesis N (default 1, the best)"},
             {"top-k", "N", "The N most likely next words in the output stage (default 5, at most 50)"},
             {"steps", "RANGE", "Only these output steps, from 1: 3, 2-4, 2- or -3 (default: all, EOS included)"}}),
            run,
            "SENTENCE"};
}

} // namespace attnviz::cli
