#include <attnviz/decoding/heads.h>

#include "decoding/statistics.h"

#include <algorithm>

namespace attnviz {

HeadSelection resolveSelection(const HeadSelection &selection, int layers, int heads)
{
    HeadSelection s = selection;
    if (layers <= 0 || heads <= 0)
        throw InputError("this model has no attention heads to choose from (it is not a transformer)");
    if (s.allLayers) {
        s.layer = -1;
        s.heads.clear();
        return s;
    }
    if (s.layer == -1)
        s.layer = layers - 1;
    if (s.layer < 0 || s.layer >= layers)
        throw InputError("layer " + std::to_string(s.layer + 1) + " does not exist: the decoder has "
                         + std::to_string(layers) + " layers (counted from 1)");
    if (s.heads.empty()) {
        for (int h = 0; h < heads; ++h)
            s.heads.push_back(h);
    }
    std::sort(s.heads.begin(), s.heads.end());
    s.heads.erase(std::unique(s.heads.begin(), s.heads.end()), s.heads.end());
    for (int h : s.heads) {
        if (h < 0 || h >= heads)
            throw InputError("head " + std::to_string(h + 1) + " does not exist: each layer has "
                             + std::to_string(heads) + " heads (counted from 1)");
    }
    return s;
}

MatrixRM selectHeads(const HeadAttention &attention, const HeadSelection &selection)
{
    const HeadSelection s = resolveSelection(selection, attention.layers, attention.heads);
    std::vector<const MatrixRM *> maps;
    if (s.allLayers) {
        for (const MatrixRM &m : attention.maps)
            maps.push_back(&m);
    } else {
        for (int h : s.heads)
            maps.push_back(&attention.at(s.layer, h));
    }
    MatrixRM mean = MatrixRM::Zero(maps.front()->rows(), maps.front()->cols());
    for (const MatrixRM *m : maps)
        mean += *m;
    return mean / static_cast<float>(maps.size());
}

std::string describeSelection(const HeadSelection &selection, int layers, int heads)
{
    const HeadSelection s = resolveSelection(selection, layers, heads);
    if (s.allLayers)
        return "all " + std::to_string(layers) + " layers, mean of " + std::to_string(layers * heads) + " heads";
    std::string text = "layer " + std::to_string(s.layer + 1) + ", ";
    if (static_cast<int>(s.heads.size()) == heads && heads > 1)
        return text + "mean of " + std::to_string(heads) + " heads";
    text += s.heads.size() == 1 ? "head " : "heads ";
    for (size_t i = 0; i < s.heads.size(); ++i)
        text += (i ? ", " : "") + std::to_string(s.heads[i] + 1);
    return text;
}

std::vector<HeadPreset> headPresets(const ModelConfig &config, int layers)
{
    std::vector<HeadPreset> presets;
    const std::string &toolkit = config.transformer.toolkit;
    HeadSelection firstHead;
    firstHead.heads = {0};
    if (toolkit == "joey") {
        presets.push_back({"Joey NMT's attention: last layer, mean of heads", HeadSelection{}});
    } else if (toolkit == "onmt") {
        presets.push_back({"OpenNMT-py's attention: last layer, head 1", firstHead});
        // -report_align: -alignment_layer -3 (default), mean of the heads (-alignment_heads 0).
        HeadSelection align;
        align.layer = std::max(0, layers - 3);
        presets.push_back({"OpenNMT-py -report_align: layer " + std::to_string(align.layer + 1) + ", mean of heads",
                           align});
    } else if (toolkit == "marian") {
        presets.push_back({"Marian's alignment: last layer, head 1", firstHead});
    }
    presets.push_back({"Last layer, mean of heads", HeadSelection{}});
    HeadSelection all;
    all.allLayers = true;
    presets.push_back({"All layers, mean of heads", all});
    return presets;
}

HeadSelection toolDefaultView(const ModelConfig &config, int layers)
{
    return headPresets(config, layers).front().selection;
}

MatrixRM shiftedAlignment(const MatrixRM &attention)
{
    MatrixRM shifted = MatrixRM::Zero(attention.rows(), attention.cols());
    if (attention.rows() > 1)
        shifted.topRows(attention.rows() - 1) = attention.bottomRows(attention.rows() - 1);
    return shifted;
}

void applyView(TranslationResult &result, const HeadSelection &selection)
{
    for (Hypothesis &h : result.hypotheses) {
        if (h.crossAttention.empty())
            throw InputError("this result has no heads to choose from (it is not a transformer's)");
        h.attention = selectHeads(h.crossAttention, selection);
        h.energies = h.crossEnergies.empty() ? MatrixRM() : selectHeads(h.crossEnergies, selection);
        h.contexts = h.attention * result.encoderOutputs;
        h.cosine.clear();
        h.distance.clear();
        h.entropy.clear();
        h.paddingMass.clear();
        computeStatistics(h, result.summedContext, result.sourceLength());
    }
    result.view = selection;
}

} // namespace attnviz
