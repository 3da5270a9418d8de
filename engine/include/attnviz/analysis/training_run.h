// One model across its training run: the checkpoints of a folder (or files chosen by hand) in
// the order of their step, each forced on one fixed output so that the rows stay comparable.
//
//     attnviz::TrainingRun run = attnviz::TrainingRun::fromDirectory("runs/dates-tiny");
//     attnviz::Timeline t = attnviz::timeline(run, "march 3 2011", {});
//     t.targetTokens;               // the last checkpoint's translation, EOS included
//     t.points[0].agreementWithLast; // how many rows of the first checkpoint point where the last's do
//
// Models are loaded when first asked for and a few are kept (TrainingRun::model), so that a
// slider moving back and forth does not read a file twice in a row.
#pragma once

#include <attnviz/analysis/compare.h>
#include <attnviz/models/model.h>

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attnviz {

struct RunCheckpoint
{
    std::string path;
    std::string file;    // the name shown: "model_step_300.safetensors", "12.ckpt"
    long long step = -1; // the number in the name; -1 when it has none
};

// The step a checkpoint's name carries: the last run of digits in the name without its
// extension ("model_step_300.safetensors" 300, "epoch-3.safetensors" 3, "12.ckpt" 12,
// "deen_step_5000.pt" 5000); nothing when the name has no digits ("best.ckpt").
std::optional<long long> stepFromName(const std::string &fileName);

// The checkpoints in training order: by step, numerically ("2" before "10"), then by name.
std::vector<RunCheckpoint> orderCheckpoints(const std::vector<std::string> &paths);

class TrainingRun
{
public:
    // The folder's numbered model files (.safetensors, .json, .pt, .ckpt, .tar, .pth), in step
    // order. A Joey NMT model directory (config.yaml and N.ckpt) gives its N.ckpt; best.ckpt and
    // latest.ckpt, which repeat one of them, are left out. Throws ModelError when the folder
    // cannot be read or holds no numbered checkpoint.
    static TrainingRun fromDirectory(const std::string &directory, int cacheSize = 4);
    // Files chosen by hand, put in step order (a file without a number keeps its place after the numbered ones).
    static TrainingRun fromFiles(const std::vector<std::string> &paths, int cacheSize = 4);

    const std::vector<RunCheckpoint> &checkpoints() const { return m_checkpoints; }
    int size() const { return static_cast<int>(m_checkpoints.size()); }
    // Loads checkpoint `index` through openModel, or returns it from the cache (the most recently
    // used `cacheSize` models). Thread-safe. Throws ModelError naming the file.
    std::shared_ptr<const Model> model(int index) const;

private:
    struct Cache
    {
        std::mutex mutex;
        std::list<std::pair<int, std::shared_ptr<const Model>>> models; // most recent first
    };
    std::vector<RunCheckpoint> m_checkpoints;
    int m_cacheSize = 4;
    std::shared_ptr<Cache> m_cache = std::make_shared<Cache>(); // shared by copies of the run
};

struct TimelinePoint
{
    RunCheckpoint checkpoint;
    TranslationResult result;          // forced on the timeline's targetTokens
    MatrixRM attention;                // [steps x T]: sourceAttention(result)
    std::vector<double> logProbs;      // per output token
    double logProb = 0;                // their sum: log p of the fixed output
    std::vector<double> entropy;       // per step (nats)
    double meanEntropy = 0;
    double agreementWithLast = 0;      // share of steps whose argmax is the last checkpoint's
    std::optional<AlignmentCounts> counts; // against the gold links, when given
};

struct TimelineOptions
{
    std::optional<std::string> target; // the reference; else the last checkpoint's greedy translation
    int maxLength = 0;
    std::optional<GoldAlignment> gold;
    // Asked before each checkpoint: true stops the work, and timeline() returns with
    // Timeline::cancelled set. progress gets the checkpoints done and their number.
    std::function<bool()> cancelled;
    std::function<void(int done, int total)> progress;
    // Words: every checkpoint's result merged to words (mergeToWords with its model's markings),
    // so the attention, the statistics, the gold links and the tokens are of words; each
    // checkpoint is still forced on the same pieces. A model without pieces reads the same.
    TokenUnits units = TokenUnits::Pieces;
    // A transformer's attention followed over the run (default: the last layer's mean over its
    // heads); an RNN's has none to choose.
    HeadSelection view;
};

struct Timeline
{
    std::vector<std::string> sourceTokens;
    std::vector<std::string> targetTokens; // the fixed output, EOS included
    std::string fixedOutput;               // "last" or "target"
    std::vector<TimelinePoint> points;     // in training order
    bool cancelled = false;                // options.cancelled stopped it; points is then partial
    TokenUnits units = TokenUnits::Pieces; // what the tokens, rows and columns are
    bool subwords = false;                 // the last checkpoint marks pieces that merge to words
    std::string view;                      // a transformer's heads followed ("layer 6, mean of 8 heads"); empty for an RNN
};

// One forced decoding per checkpoint; throws ComparisonError when a checkpoint reads the
// sentence with other tokens than the last one, ModelError when one cannot be loaded.
Timeline timeline(const TrainingRun &run, const std::string &sentence, const TimelineOptions &options);

// One checkpoint's point on a timeline whose fixed output and last-checkpoint rows are known:
// what the window computes when the slider reaches a checkpoint not yet seen.
// targetTokens are the pieces forced; with Words, lastAttention is in words and so is the point.
TimelinePoint timelinePoint(const TrainingRun &run, int index, const std::string &sentence,
                            const std::vector<std::string> &targetTokens, const MatrixRM &lastAttention,
                            const std::optional<GoldAlignment> &gold, TokenUnits units = TokenUnits::Pieces,
                            const HeadSelection &view = {});

// The counts of each checkpoint's links against `gold` (or none): what --gold and the window's
// gold links give the AER curve, without decoding again.
void setTimelineGold(Timeline &timeline, const std::optional<GoldAlignment> &gold);

} // namespace attnviz
