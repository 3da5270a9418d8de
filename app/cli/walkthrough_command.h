// attnviz-cli walkthrough: the decoder's four stages of every output step of one sentence, as a
// PDF, an animated GIF or a folder of PNG files (docs/walkthrough.md). The pages are drawn by the
// window's renderer in the figure module (figure_renderer.h), as export's figures are.
#pragma once

#include "command_line.h"

#include <attnviz/decoding/translate.h>
#include <attnviz/decoding/walkthrough.h>

#include <functional>
#include <string>

namespace attnviz::cli {

struct WalkthroughRequest
{
    const Model &model;
    const std::string &sentence;
    const TranslationResult &result;
    int hypothesis = 0;  // from 0
    int topK = 5;
    int firstStep = 0, lastStep = 0; // from 0, both included
    std::string out;     // FILE.pdf, FILE.gif or a folder
    int layer = -1, head = 0; // a transformer's head, from 0 (layer -1: the last)
};

// Writes the pages; returns how many. Throws std::runtime_error naming the file when it cannot.
using WalkthroughWriter = std::function<int(const WalkthroughRequest &)>;

// Steps from 1 as typed ("3", "2-4", "2-", "-3") over a hypothesis of `steps` steps, as
// [first, last] from 0. Throws UsageError for a malformed range or one past the steps.
std::pair<int, int> parseStepRange(const std::string &range, int steps, const CommandSpec *command);

// --json: the numbers of the pages (explainHypothesis) of steps [first, last], one object.
std::string walkthroughJson(const TranslationResult &result, const StepDetails &details, int hypothesis, int first,
                            int last);

// writer may be empty: the command then fails with `unavailable` (why the pages cannot be drawn).
CommandSpec walkthroughCommand(WalkthroughWriter writer, std::string unavailable = {});

} // namespace attnviz::cli
