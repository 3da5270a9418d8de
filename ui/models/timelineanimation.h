// A training run as an animation (the run view's export and attnviz-cli timeline --out FILE.gif):
// one frame per checkpoint, in training order, each the heatmap of its rows on the fixed output
// with the step and file above it; every frame has the same size and the same colour scale.
#pragma once

#include <attnviz/analysis/training_run.h>

#include <QByteArray>
#include <QImage>
#include <QList>
#include <QRectF>
#include <QString>

#include <optional>
#include <vector>

namespace attnviz {

enum class AnimationFormat { Gif, Apng };

// "gif" and "apng", any case; nothing for another suffix (".png" is the strip of small multiples).
std::optional<AnimationFormat> animationFormatFromSuffix(const QString &suffix);

struct TimelineFrames
{
    QList<QImage> images; // one per checkpoint
    // Where heatmap cell (row, column) is in every image, in image pixels.
    QRectF cell(int row, int column) const;

    std::vector<QRectF> cells; // row-major
    int columns = 0;
};

// At dpi (the heatmap's 20-point cells are 40 pixels at 144 dpi).
TimelineFrames timelineFrames(const Timeline &timeline, const QString &runLabel, int dpi = 144);

// The encoded animation, delayMilliseconds per frame, looping; empty bytes when the timeline has
// no checkpoint.
QByteArray timelineAnimation(const Timeline &timeline, const QString &runLabel, AnimationFormat format,
                             int delayMilliseconds = 700);

} // namespace attnviz
