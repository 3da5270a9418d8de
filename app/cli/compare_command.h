// attnviz-cli compare (two models on one sentence, or on each line of a file) and timeline (one
// model across the checkpoints of its training run). docs/compare.md.
#pragma once

#include "command_line.h"

#include <attnviz/analysis/training_run.h>

#include <functional>
#include <string>

namespace attnviz::cli {

// timeline --out FILE.gif / FILE.apng: the animation, drawn by the figure module (Qt), written atomically.
struct TimelineAnimationRequest
{
    const Timeline &timeline;
    std::string runLabel, out;
};
using TimelineAnimationWriter = std::function<void(const TimelineAnimationRequest &)>;

// True when the file name ends in .gif or .apng (any case): timeline --out draws an animation.
bool isAnimationName(const std::string &path);

CommandSpec compareCommand();
CommandSpec timelineCommand(TimelineAnimationWriter animation = {}, std::string unavailable = {});

} // namespace attnviz::cli
