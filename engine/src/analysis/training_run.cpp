#include <attnviz/analysis/training_run.h>

#include <attnviz/decoding/heads.h>
#include <attnviz/io/model_import.h>
#include <attnviz/io/toolkit_import.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <system_error>

namespace fs = std::filesystem;

namespace attnviz {
namespace {

// The extensions a checkpoint of a run may have (attnviz, torch.save, Joey, tutorial .tar).
bool isCheckpointExtension(const std::string &extension)
{
    static const std::set<std::string> known = {".safetensors", ".json", ".pt", ".pth", ".ckpt", ".tar", ".bin"};
    return known.count(extension) != 0;
}

std::string listed(const std::vector<std::string> &tokens)
{
    std::string text;
    for (const std::string &token : tokens)
        text += (text.empty() ? "" : " ") + token;
    return "[" + text + "]";
}

std::optional<AlignmentCounts> goldCounts(const TranslationResult &result, const std::optional<GoldAlignment> &gold)
{
    if (!gold)
        return std::nullopt;
    return countAgreement(hardLinks(result, result.best()), *gold);
}

TranslationResult inUnits(const Model &model, TranslationResult pieces, TokenUnits units)
{
    if (units != TokenUnits::Words)
        return pieces;
    return mergeToWords(pieces, pieceMarkings(model), specialTokens(model)).words;
}

std::vector<std::string> sourceWithoutEos(const TranslationResult &r)
{
    std::vector<std::string> tokens = r.sourceTokens;
    if (r.sourceEos && !tokens.empty())
        tokens.pop_back();
    return tokens;
}

} // namespace

std::optional<long long> stepFromName(const std::string &fileName)
{
    const std::string stem = fs::path(fileName).stem().string();
    size_t end = stem.size();
    while (end > 0 && !std::isdigit(static_cast<unsigned char>(stem[end - 1])))
        --end;
    if (end == 0)
        return std::nullopt;
    size_t begin = end;
    while (begin > 0 && std::isdigit(static_cast<unsigned char>(stem[begin - 1])))
        --begin;
    const std::string digits = stem.substr(begin, std::min<size_t>(end - begin, 18)); // fits a long long
    return std::stoll(digits);
}

std::vector<RunCheckpoint> orderCheckpoints(const std::vector<std::string> &paths)
{
    std::vector<RunCheckpoint> checkpoints;
    for (const std::string &path : paths) {
        RunCheckpoint c;
        c.path = path;
        c.file = fs::path(path).filename().string();
        c.step = stepFromName(c.file).value_or(-1);
        checkpoints.push_back(std::move(c));
    }
    std::stable_sort(checkpoints.begin(), checkpoints.end(), [](const RunCheckpoint &x, const RunCheckpoint &y) {
        const bool xNumbered = x.step >= 0, yNumbered = y.step >= 0;
        if (xNumbered != yNumbered)
            return xNumbered; // the numbered ones first
        if (xNumbered && x.step != y.step)
            return x.step < y.step;
        return xNumbered && x.file < y.file;
    });
    return checkpoints;
}

TrainingRun TrainingRun::fromDirectory(const std::string &directory, int cacheSize)
{
    std::error_code error;
    if (!fs::is_directory(directory, error))
        throw ModelError(directory + ": not a folder (a training run is a folder of numbered checkpoints)");
    const bool joey = fs::exists(fs::path(directory) / "config.yaml", error);
    std::vector<std::string> paths;
    std::set<std::string> torchStems; // OpenNMT-py's safetensors format writes a .pt beside each .safetensors
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error))
        entries.push_back(it->path());
    if (error)
        throw ModelError(directory + ": cannot be read: " + error.message());
    for (const fs::path &entry : entries)
        if (entry.extension() == ".pt")
            torchStems.insert(entry.stem().string());
    for (const fs::path &entry : entries) {
        const std::string extension = entry.extension().string();
        // A Hugging Face Trainer's output_dir: checkpoint-500/, checkpoint-1000/, each a Marian folder.
        if (!joey && fs::is_directory(entry, error) && stepFromName(entry.filename().string())
            && isMarianFolder(entry.string())) {
            paths.push_back(entry.string());
            continue;
        }
        if (!fs::is_regular_file(entry, error) || !stepFromName(entry.filename().string()))
            continue;
        if (joey ? extension != ".ckpt" : !isCheckpointExtension(extension))
            continue;
        if (extension == ".safetensors" && torchStems.count(entry.stem().string()))
            continue;
        if (extension == ".json" && sniffFile(entry.string()) != FileKind::AttnvizJson)
            continue;
        paths.push_back(entry.string());
    }
    if (paths.empty())
        throw ModelError(directory + ": holds no numbered checkpoint (such as model_step_300.safetensors, "
                                     "epoch-3.safetensors, Joey NMT's 300.ckpt, OpenNMT-py's run_step_300.pt or a "
                                     "Hugging Face Trainer's checkpoint-300 folder)");
    return fromFiles(paths, cacheSize);
}

TrainingRun TrainingRun::fromFiles(const std::vector<std::string> &paths, int cacheSize)
{
    if (paths.empty())
        throw ModelError("a training run needs at least one checkpoint");
    TrainingRun run;
    run.m_checkpoints = orderCheckpoints(paths);
    run.m_cacheSize = std::max(1, cacheSize);
    return run;
}

std::shared_ptr<const Model> TrainingRun::model(int index) const
{
    const RunCheckpoint &checkpoint = m_checkpoints.at(static_cast<size_t>(index));
    Cache &cache = *m_cache;
    {
        std::lock_guard<std::mutex> lock(cache.mutex);
        for (auto it = cache.models.begin(); it != cache.models.end(); ++it)
            if (it->first == index) {
                cache.models.splice(cache.models.begin(), cache.models, it);
                return cache.models.front().second;
            }
    }
    // Loaded outside the lock: another thread may read a cached checkpoint meanwhile.
    ImportedModel imported = openModel(checkpoint.path);
    auto model = std::make_shared<const Model>(std::move(imported.model), checkpoint.file);
    std::lock_guard<std::mutex> lock(cache.mutex);
    cache.models.emplace_front(index, model);
    while (static_cast<int>(cache.models.size()) > m_cacheSize)
        cache.models.pop_back();
    return model;
}

TimelinePoint timelinePoint(const TrainingRun &run, int index, const std::string &sentence,
                            const std::vector<std::string> &targetTokens, const MatrixRM &lastAttention,
                            const std::optional<GoldAlignment> &gold, TokenUnits units, const HeadSelection &view)
{
    TimelinePoint p;
    p.checkpoint = run.checkpoints().at(static_cast<size_t>(index));
    const std::shared_ptr<const Model> model = run.model(index);
    p.result = inUnits(*model, forceTokens(*model, sentence, targetTokens, p.checkpoint.file, view), units);
    p.attention = sourceAttention(p.result);
    if (p.attention.rows() != lastAttention.rows() || p.attention.cols() != lastAttention.cols())
        throw ComparisonError(p.checkpoint.file + " reads the sentence as " + listed(p.result.sourceTokens) + " ("
                              + std::to_string(p.attention.rows()) + " x " + std::to_string(p.attention.cols())
                              + " attention), the last checkpoint with " + std::to_string(lastAttention.rows()) + " x "
                              + std::to_string(lastAttention.cols()));
    const RowComparison rows = compareRows(p.attention, lastAttention);
    p.logProbs = p.result.best().logProbs;
    p.logProb = p.result.best().score;
    p.entropy = rows.entropyA;
    for (double e : p.entropy)
        p.meanEntropy += e;
    if (!p.entropy.empty())
        p.meanEntropy /= double(p.entropy.size());
    p.agreementWithLast = rows.meanAgreement;
    p.counts = goldCounts(p.result, gold);
    return p;
}

Timeline timeline(const TrainingRun &run, const std::string &sentence, const TimelineOptions &options)
{
    Timeline t;
    const int last = run.size() - 1;
    const std::shared_ptr<const Model> lastModel = run.model(last);
    DecodeOptions decode;
    decode.maxLength = options.maxLength;
    decode.target = options.target;
    // The last checkpoint forced on its own output gives the reference rows (a translation cut
    // at maxLength gains its EOS row here, as every checkpoint forced on it does).
    decode.view = options.view;
    const TranslationResult fixedPieces =
        forceTokens(*lastModel, sentence, translate(*lastModel, sentence, decode).best().targetTokens,
                    run.checkpoints().back().file, options.view);
    const std::vector<std::string> forced = fixedPieces.best().targetTokens; // every checkpoint reads these
    const TranslationResult fixed = inUnits(*lastModel, fixedPieces, options.units);
    t.units = options.units;
    t.subwords = pieceMarkings(*lastModel).any();
    if (lastModel->isTransformer())
        t.view = describeSelection(resolveSelection(options.view, lastModel->layers(), lastModel->heads()),
                                   lastModel->layers(), lastModel->heads());
    t.targetTokens = fixed.best().targetTokens;
    t.sourceTokens = fixed.sourceTokens;
    t.fixedOutput = options.target ? "target" : "last";
    const MatrixRM lastAttention = sourceAttention(fixed);
    const std::vector<std::string> lastSource = sourceWithoutEos(fixed);
    // The last checkpoint first (its rows are every other one's reference), then in order.
    for (int i = 0; i <= last; ++i) {
        if (options.cancelled && options.cancelled()) {
            t.cancelled = true;
            return t;
        }
        if (options.progress)
            options.progress(i, last + 1);
        TimelinePoint p = timelinePoint(run, i, sentence, forced, lastAttention, options.gold, options.units, options.view);
        if (sourceWithoutEos(p.result) != lastSource)
            throw ComparisonError(p.checkpoint.file + " reads the sentence as " + listed(p.result.sourceTokens)
                                  + ", the last checkpoint as " + listed(fixed.sourceTokens)
                                  + ": their vocabularies differ");
        t.points.push_back(std::move(p));
    }
    if (options.progress)
        options.progress(last + 1, last + 1);
    return t;
}

void setTimelineGold(Timeline &timeline, const std::optional<GoldAlignment> &gold)
{
    for (TimelinePoint &p : timeline.points)
        p.counts = goldCounts(p.result, gold);
}

} // namespace attnviz
