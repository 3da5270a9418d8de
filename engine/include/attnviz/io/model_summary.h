// What attnviz-cli info and the main window show about a model, computed once for both.
#pragma once

#include <string>
#include <vector>

namespace attnviz {

struct ModelFile;

struct ModelSummaryField
{
    std::string label; // "Hidden size"
    std::string value; // "128"
};

// Fields that do not apply to the architecture (e.g. luong score for bahdanau) are left out.
std::vector<ModelSummaryField> modelSummary(const ModelFile &model);

} // namespace attnviz
