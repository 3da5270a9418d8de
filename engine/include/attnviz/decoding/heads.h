// A transformer's attention heads: which one a view shows, its name for people, the presets of
// the toolkits, and Shift-Att's shifted rows (docs/transformers.md).
//
//     attnviz::HeadSelection view = attnviz::toolDefaultView(model->config(), model->layers());
//     MatrixRM a = attnviz::selectHeads(result.best().crossAttention, view);
//     attnviz::describeSelection(view, model->layers(), model->heads()); // "layer 6, mean of 8 heads"
#pragma once

#include <attnviz/decoding/options.h>
#include <attnviz/decoding/result.h>
#include <attnviz/io/model_config.h>

#include <string>
#include <vector>

namespace attnviz {

// The selection with its layer made explicit (-1: the last) and its heads listed, sorted, unique.
// Throws InputError when a layer or head is out of range.
HeadSelection resolveSelection(const HeadSelection &selection, int layers, int heads);

// The mean of the selected maps.
MatrixRM selectHeads(const HeadAttention &attention, const HeadSelection &selection);

// For people, counting from 1: "layer 6, mean of 8 heads", "layer 2, head 3", "layer 2, heads 1, 3",
// "all 6 layers, mean of 48 heads".
std::string describeSelection(const HeadSelection &selection, int layers, int heads);

struct HeadPreset
{
    std::string name; // "Joey NMT default: last layer, mean of heads"
    HeadSelection selection;
};

// What the toolkit that trained the model calls its attention (Joey NMT: the last layer's mean
// over heads; OpenNMT-py: the last layer's first head, and its -report_align layer; Marian: the
// last layer's first head), then the last layer's mean and every layer's mean.
std::vector<HeadPreset> headPresets(const ModelConfig &config, int layers);
HeadSelection toolDefaultView(const ModelConfig &config, int layers);

// Another view of a decoded transformer result, without decoding again: every hypothesis's
// attention and energies become the selection's mean, its contexts c_i = sum_j a_ij h_j over the
// encoder's output, and its cosine, distance, entropy and coverage follow; result.view is set.
// Throws InputError for a result without cross-attention (an RNN's) or a selection out of range.
void applyView(TranslationResult &result, const HeadSelection &selection);

// Shift-Att (Chen et al. 2020): the alignment of output y_t is the attention of the step whose
// input is y_t, row t + 1. The last row (EOS, never an input) is all zeros.
MatrixRM shiftedAlignment(const MatrixRM &attention);

} // namespace attnviz
