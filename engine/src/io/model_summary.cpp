#include <attnviz/io/model_file.h>
#include <attnviz/io/model_summary.h>

namespace attnviz {

std::vector<ModelSummaryField> modelSummary(const ModelFile &model)
{
    const ModelConfig &config = model.config;
    std::vector<ModelSummaryField> fields;
    fields.push_back({"Name", config.name.empty() ? "(unnamed)" : config.name});
    fields.push_back({"Architecture", architectureName(config.architecture)});
    if (config.architecture == Architecture::Luong)
        fields.push_back({"Luong score", luongScoreName(config.luongScore)});
    if (config.architecture == Architecture::TutorialLegacy) {
        fields.push_back({"Max length", std::to_string(config.maxLength)});
        fields.push_back({"Combine activation", combineActivationName(config.combineActivation)});
    }
    fields.push_back({"Hidden size", std::to_string(config.hiddenSize)});
    fields.push_back({"Normalization", normalizationName(config.normalization)});
    fields.push_back({"Source vocabulary", std::to_string(model.sourceVocab.size()) + " words"});
    fields.push_back({"Target vocabulary", std::to_string(model.targetVocab.size()) + " words"});
    fields.push_back({"Parameters", std::to_string(model.parameterCount())});
    if (!config.sourceLanguage.empty() || !config.targetLanguage.empty()) {
        const auto orUnknown = [](const std::string &text) { return text.empty() ? "?" : text; };
        fields.push_back(
            {"Languages",
             orUnknown(config.sourceLanguage) + " -> " + orUnknown(config.targetLanguage)});
    }
    if (!config.description.empty())
        fields.push_back({"Description", config.description});
    return fields;
}

} // namespace attnviz
