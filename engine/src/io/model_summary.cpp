#include <attnviz/io/model_file.h>
#include <attnviz/io/model_summary.h>

namespace attnviz {

namespace {

// "bpe (Joey NMT, lowercase, separator @@, vocabulary-restricted)".
std::string describeTokenizer(const TokenizerSide &side)
{
    std::vector<std::string> notes;
    if (side.toolkit == TokenizerToolkit::JoeyNmt)
        notes.push_back("Joey NMT");
    else if (side.toolkit == TokenizerToolkit::OpenNmtPy)
        notes.push_back("OpenNMT-py");
    if (side.normalize)
        notes.push_back("normalize");
    if (side.lowercase)
        notes.push_back("lowercase");
    if (side.kind == TokenizerKind::Bpe) {
        notes.push_back("separator " + side.bpe.separator);
        if (side.bpe.merges >= 0)
            notes.push_back(std::to_string(side.bpe.merges) + " merges");
    }
    if (side.restrictToModelVocabulary || !side.bpeVocabulary.empty())
        notes.push_back("vocabulary-restricted");
    std::string text = tokenizerKindName(side.kind);
    for (size_t i = 0; i < notes.size(); ++i)
        text += (i ? ", " : " (") + notes[i];
    return notes.empty() ? text : text + ")";
}

} // namespace

std::vector<ModelSummaryField> modelSummary(const ModelFile &model)
{
    const ModelConfig &config = model.config;
    std::vector<ModelSummaryField> fields;
    fields.push_back({"Name", config.name.empty() ? "(unnamed)" : config.name});
    const std::optional<Architecture> preset = architectureOf(config);
    fields.push_back({"Architecture", preset ? architectureName(*preset) : describeArchitecture(config)});
    const EncoderConfig &e = config.encoder;
    const DecoderConfig &d = config.decoder;
    const AttentionConfig &a = config.attention;
    const auto rnn = [](Cell cell, int layers, int embedding, int hidden) {
        return cellName(cell) + ", " + std::to_string(layers) + (layers == 1 ? " layer" : " layers") + ", embedding "
            + std::to_string(embedding) + ", hidden " + std::to_string(hidden);
    };
    std::string encoder = rnn(e.cell, e.layers, e.embeddingSize, e.hiddenSize);
    if (e.bidirectional)
        encoder += " per direction, bidirectional (" + mergeName(e.merge) + ")";
    if (e.embeddingScale)
        encoder += ", embeddings x sqrt(d)";
    const int directionsTimesHidden = e.directions() * e.hiddenSize;
    fields.push_back({"Hidden size", directionsTimesHidden == d.hiddenSize && !e.bidirectional
                                         ? std::to_string(d.hiddenSize)
                                         : "encoder " + std::to_string(e.hiddenSize) + (e.bidirectional ? " x 2" : "")
                                             + ", decoder " + std::to_string(d.hiddenSize)});
    fields.push_back({"Encoder", encoder});
    std::string decoder = rnn(d.cell, d.layers, d.embeddingSize, d.hiddenSize) + ", input " + decoderInputName(d.input);
    if (d.input == DecoderInput::Combine)
        decoder += " (" + std::string(d.combineActivation == Activation::Relu ? "relu" : "none") + ")";
    decoder += ", query " + queryName(d.query) + ", init " + initRuleName(d.init);
    if (d.cell == Cell::Lstm)
        decoder += ", cell init " + initRuleName(d.cellInit);
    if (d.attentional != Attentional::None)
        decoder += ", attentional " + attentionalName(d.attentional) + " (" + activationName(d.attentionalActivation)
            + ")";
    if (d.embeddingScale)
        decoder += ", embeddings x sqrt(d)";
    fields.push_back({"Decoder", decoder});
    std::string attention = scoreName(a.score);
    if (a.score == Score::Additive || a.score == Score::Concat)
        attention += ", hidden " + std::to_string(a.hiddenSize);
    if (a.score == Score::Location)
        attention += ", " + std::to_string(a.locationSlots) + " slots";
    fields.push_back({"Attention", attention});
    if (!config.sourceEos)
        fields.push_back({"Source EOS", "no"});
    fields.push_back({"Normalization", normalizationName(config.normalization)});
    if (model.tokenizer)
        fields.push_back({"Tokenizer", "source " + describeTokenizer(model.tokenizer->source) + "; target "
                                           + describeTokenizer(model.tokenizer->target)});
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
