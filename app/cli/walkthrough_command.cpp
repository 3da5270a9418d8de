#include "walkthrough_command.h"

#include "model_options.h"

#include <iostream>

namespace attnviz::cli {
namespace {

bool isNumber(const std::string &text)
{
    return !text.empty() && text.size() < 9 && text.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

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
        const std::string out = command.value("out");
        DecodeOptions options;
        options.beamWidth = command.intValue("beam", 1, 1, maxBeamWidth);
        if (command.has("target")) {
            if (command.has("beam"))
                throw UsageError("--target (forced decoding) and --beam do not go together", command.command);
            options.target = command.value("target");
        }
        const int hypothesis = command.intValue("hypothesis", 1, 1, options.beamWidth) - 1;
        const int topK = command.intValue("top-k", 5, 1, 50);
        if (!writer)
            throw std::runtime_error(unavailable.empty() ? "this build of attnviz-cli cannot draw the walkthrough"
                                                         : unavailable);
        const std::shared_ptr<const Model> model = loadModel(command); // and OpenNMT-py subword files
        const std::string &sentence = command.positionals.front();
        const TranslationResult result = translate(*model, sentence, options);
        if (hypothesis >= static_cast<int>(result.hypotheses.size()))
            throw std::runtime_error("--hypothesis " + std::to_string(hypothesis + 1) + ": the beam found only "
                                     + std::to_string(result.hypotheses.size()));
        const int steps = result.hypotheses[size_t(hypothesis)].steps();
        const auto [first, last] = command.has("steps") ? parseStepRange(command.value("steps"), steps, command.command)
                                                        : std::pair<int, int>(0, steps - 1);
        WalkthroughRequest request{*model, sentence, result, hypothesis, topK, first, last, out};
        const int pages = writer(request);
        std::cout << out << ": " << pages << (pages == 1 ? " page" : " pages") << " (steps " << first + 1 << " to "
                  << last + 1 << " of " << steps << ", 4 stages each)\n";
        return 0;
    };
    return {"walkthrough",
            "Draw the decoder's four stages (encoder, scores and weights, context, output) of every output step of "
            "one sentence: a PDF page, a GIF frame or a PNG file per stage and step, for slides.",
            withSubwordOptions({{"model", "FILE", "Model file (.safetensors, .json) or a checkpoint attnviz opens", true},
             {"out", "PATH", "FILE.pdf (one 16:9 page each, text kept as text), FILE.gif (animated), or a folder "
                             "of PNG files (created if missing)",
              true},
             {"target", "TEXT", "Forced decoding of this reference translation: its words' ranks and probabilities"},
             {"beam", "K", "Beam search with K hypotheses"},
             {"hypothesis", "N", "With --beam: walk through hypothesis N (default 1, the best)"},
             {"top-k", "N", "The N most likely next words in the output stage (default 5, at most 50)"},
             {"steps", "RANGE", "Only these output steps, from 1: 3, 2-4, 2- or -3 (default: all, EOS included)"}}),
            run,
            "SENTENCE"};
}

} // namespace attnviz::cli
