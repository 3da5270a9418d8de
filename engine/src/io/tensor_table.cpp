// Which configurations are valid, and the one table of tensors each one needs.
#include "io/load_helpers.h"

#include <attnviz/io/model_config.h>

namespace attnviz {

namespace {

int gates(Cell cell)
{
    return cell == Cell::Gru ? 3 : 4;
}

bool takesContext(DecoderInput input)
{
    return input == DecoderInput::EmbeddingContext || input == DecoderInput::ContextEmbedding
        || input == DecoderInput::Combine;
}

class ConfigCheck
{
public:
    ConfigCheck(const ModelConfig &config, const std::string &displayName)
        : c(config)
        , m_displayName(displayName)
    {
    }

    void require(bool condition, const std::string &message) const
    {
        if (!condition)
            detail::throwModelError(m_displayName, "config: " + message);
    }

    // "decoder.init 'final'"
    static std::string rule(const char *key, InitRule r) { return std::string(key) + " '" + initRuleName(r) + "'"; }

    void initRule(const char *key, InitRule r, bool cellState) const
    {
        const EncoderConfig &e = c.encoder;
        const DecoderConfig &d = c.decoder;
        const int stacked = e.layers * e.directions();
        if (cellState && r != InitRule::Zero && r != InitRule::Hidden)
            require(e.cell == Cell::Lstm, rule(key, r) + " needs an LSTM encoder (a GRU has no cell state)");
        switch (r) {
        case InitRule::Final:
        case InitRule::OnmtBridge:
            require(d.layers == e.layers,
                    rule(key, r) + " needs decoder.layers (" + std::to_string(d.layers) + ") = encoder.layers ("
                        + std::to_string(e.layers) + ")");
            require(d.hiddenSize == e.directions() * e.hiddenSize,
                    rule(key, r) + " needs decoder.hidden_size (" + std::to_string(d.hiddenSize)
                        + ") = directions x encoder.hidden_size (" + std::to_string(e.directions() * e.hiddenSize)
                        + ")");
            break;
        case InitRule::Last:
            require(e.directions() * e.hiddenSize >= d.hiddenSize,
                    rule(key, r) + " needs directions x encoder.hidden_size ("
                        + std::to_string(e.directions() * e.hiddenSize) + ") >= decoder.hidden_size ("
                        + std::to_string(d.hiddenSize) + ")");
            break;
        case InitRule::FirstLayers:
            require(d.layers <= stacked,
                    rule(key, r) + " needs decoder.layers (" + std::to_string(d.layers)
                        + ") <= encoder layers x directions (" + std::to_string(stacked) + ")");
            require(d.hiddenSize == e.hiddenSize, rule(key, r) + " needs decoder.hidden_size ("
                                                      + std::to_string(d.hiddenSize) + ") = encoder.hidden_size ("
                                                      + std::to_string(e.hiddenSize) + ")");
            break;
        case InitRule::Hidden:
            require(cellState, rule(key, r) + " is a rule for decoder.cell_init only");
            break;
        case InitRule::Zero:
        case InitRule::Bridge:
            break;
        }
    }

    void run() const
    {
        const EncoderConfig &e = c.encoder;
        const DecoderConfig &d = c.decoder;
        const AttentionConfig &a = c.attention;
        for (const auto &[key, value] : {std::pair{"encoder.layers", e.layers}, {"encoder.embedding_size", e.embeddingSize},
                                         {"encoder.hidden_size", e.hiddenSize}, {"decoder.layers", d.layers},
                                         {"decoder.embedding_size", d.embeddingSize},
                                         {"decoder.hidden_size", d.hiddenSize}})
            require(value > 0, std::string(key) + " must be positive, found " + std::to_string(value));
        const int annotation = c.annotationSize();
        const std::string query = "the query (decoder.hidden_size " + std::to_string(d.hiddenSize) + ")";
        const std::string keys = "the annotations (" + std::to_string(annotation) + ")";
        if (takesContext(d.input))
            require(d.query == Query::Previous,
                    "decoder.input '" + decoderInputName(d.input)
                        + "' feeds c_t to the RNN, so c_t cannot depend on the RNN's new state: it needs "
                          "decoder.query 'previous'");
        require(d.combineActivation == Activation::Relu || d.combineActivation == Activation::Identity,
                "decoder.combine_activation must be relu or none");
        require(d.attentionalActivation == Activation::Tanh || d.attentionalActivation == Activation::Identity,
                "decoder.attentional_activation must be tanh or identity");
        initRule("decoder.init", d.init, false);
        if (d.cell == Cell::Lstm)
            initRule("decoder.cell_init", d.cellInit, true);
        switch (a.score) {
        case Score::Dot:
            require(d.hiddenSize == annotation,
                    "attention.score 'dot' needs " + query + " to be the size of " + keys);
            break;
        case Score::Additive:
        case Score::Concat:
            require(a.hiddenSize > 0, "attention.hidden_size must be positive, found " + std::to_string(a.hiddenSize));
            break;
        case Score::Location:
            require(a.locationSlots > 0, "attention.locationSlots must be positive, found " + std::to_string(a.locationSlots));
            require(d.query == Query::Previous, "attention.score 'location' needs decoder.query 'previous'");
            break;
        case Score::General:
        case Score::Bilinear:
            break;
        }
    }

private:
    const ModelConfig &c;
    const std::string &m_displayName;
};

} // namespace

void checkTransformer(const ModelConfig &config, const std::string &displayName)
{
    const TransformerConfig &t = config.transformer;
    const auto require = [&](bool condition, const std::string &message) {
        if (!condition)
            detail::throwModelError(displayName, "config: " + message);
    };
    for (const auto &[key, value] : {std::pair{"transformer.encoder_layers", t.encoderLayers},
                                     {"transformer.decoder_layers", t.decoderLayers},
                                     {"transformer.model_size", t.modelSize},
                                     {"transformer.heads", t.heads},
                                     {"transformer.feed_forward_size", t.feedForwardSize}})
        require(value > 0, std::string(key) + " must be positive, found " + std::to_string(value));
    require(t.modelSize % t.heads == 0, "transformer.model_size (" + std::to_string(t.modelSize)
                                            + ") must be a multiple of transformer.heads (" + std::to_string(t.heads)
                                            + ")");
    require(t.positions != Positions::Interleaved || t.modelSize % 2 == 0,
            "transformer.positions 'interleaved' needs an even transformer.model_size, found "
                + std::to_string(t.modelSize));
    require((t.positions != Positions::Halves && t.positions != Positions::Concat) || t.modelSize % 2 == 0,
            "transformer.positions '" + positionsName(t.positions) + "' needs an even transformer.model_size, found "
                + std::to_string(t.modelSize));
    require(t.positions != Positions::Concat || t.modelSize >= 4,
            "transformer.positions 'concat' needs a transformer.model_size of at least 4");
    require(t.positions != Positions::Learned || t.maxPositions > 0,
            "transformer.positions 'learned' needs transformer.max_positions > 0");
    require(t.normEpsilon > 0 && t.normEpsilon < 1, "transformer.norm_epsilon must be above 0 and below 1");
}

void checkConfig(const ModelConfig &config, const std::string &displayName)
{
    if (config.isTransformer())
        checkTransformer(config, displayName);
    else
        ConfigCheck(config, displayName).run();
}

namespace {

std::map<std::string, std::vector<int64_t>>
transformerTensorShapes(const TransformerConfig &t, int64_t sourceVocabSize, int64_t targetVocabSize)
{
    const int64_t d = t.modelSize, ff = t.feedForwardSize;
    std::map<std::string, std::vector<int64_t>> shapes;
    const auto linear = [&](const std::string &prefix, int64_t out, int64_t in, bool bias) {
        shapes[prefix + ".weight"] = {out, in};
        if (bias)
            shapes[prefix + ".bias"] = {out};
    };
    const auto norm = [&](const std::string &prefix) {
        shapes[prefix + ".weight"] = {d};
        shapes[prefix + ".bias"] = {d};
    };
    const auto attention = [&](const std::string &prefix) {
        for (const char *name : {"query", "key", "value", "output"})
            linear(prefix + "." + name, d, d, t.attentionBias);
        norm(prefix + "_norm");
    };
    const auto feedForward = [&](const std::string &prefix) {
        linear(prefix + ".feed_forward.input", ff, d, t.feedForwardBias);
        if (t.gatedFeedForward)
            linear(prefix + ".feed_forward.gate", ff, d, t.feedForwardBias);
        linear(prefix + ".feed_forward.output", d, ff, t.feedForwardBias);
        norm(prefix + ".feed_forward_norm");
    };
    shapes["encoder.embedding.weight"] = {sourceVocabSize, d};
    if (!t.sharedEmbeddings)
        shapes["decoder.embedding.weight"] = {targetVocabSize, d};
    if (t.positions == Positions::Learned) {
        shapes["encoder.positions.weight"] = {t.maxPositions, d};
        shapes["decoder.positions.weight"] = {t.maxPositions, d};
    }
    for (int l = 0; l < t.encoderLayers; ++l) {
        const std::string layer = "encoder.layers." + std::to_string(l);
        attention(layer + ".self_attention");
        feedForward(layer);
    }
    for (int l = 0; l < t.decoderLayers; ++l) {
        const std::string layer = "decoder.layers." + std::to_string(l);
        attention(layer + ".self_attention");
        attention(layer + ".cross_attention");
        feedForward(layer);
    }
    if (t.encoderFinalNorm)
        norm("encoder.final_norm");
    if (t.decoderFinalNorm)
        norm("decoder.final_norm");
    if (!t.tiedOutput)
        shapes["decoder.output.weight"] = {targetVocabSize, d};
    if (t.outputBias)
        shapes["decoder.output.bias"] = {targetVocabSize};
    return shapes;
}

} // namespace

std::map<std::string, std::vector<int64_t>>
expectedTensorShapes(const ModelConfig &config, int64_t sourceVocabSize, int64_t targetVocabSize)
{
    if (config.isTransformer())
        return transformerTensorShapes(config.transformer, sourceVocabSize, targetVocabSize);
    const EncoderConfig &e = config.encoder;
    const DecoderConfig &d = config.decoder;
    const AttentionConfig &a = config.attention;
    const int64_t he = e.hiddenSize, hd = d.hiddenSize, ed = d.embeddingSize, dirs = e.directions();
    const int64_t annotation = config.annotationSize();
    std::map<std::string, std::vector<int64_t>> shapes;
    const auto linear = [&](const std::string &prefix, int64_t out, int64_t in, bool bias) {
        shapes[prefix + ".weight"] = {out, in};
        if (bias)
            shapes[prefix + ".bias"] = {out};
    };
    // PyTorch's nn.GRU / nn.LSTM: gates stacked along the first dimension.
    const auto rnnLayer = [&](const std::string &prefix, Cell cell, int layer, const char *suffix, int64_t in,
                              int64_t hidden) {
        const int64_t g = gates(cell) * hidden;
        const std::string l = "_l" + std::to_string(layer) + suffix;
        shapes[prefix + ".weight_ih" + l] = {g, in};
        shapes[prefix + ".weight_hh" + l] = {g, hidden};
        shapes[prefix + ".bias_ih" + l] = {g};
        shapes[prefix + ".bias_hh" + l] = {g};
    };

    shapes["encoder.embedding.weight"] = {sourceVocabSize, e.embeddingSize};
    for (int l = 0; l < e.layers; ++l) {
        const int64_t in = l == 0 ? e.embeddingSize : dirs * he;
        rnnLayer("encoder.rnn", e.cell, l, "", in, he);
        if (e.bidirectional)
            rnnLayer("encoder.rnn", e.cell, l, "_reverse", in, he);
    }

    shapes["decoder.embedding.weight"] = {targetVocabSize, ed};
    int64_t input = ed;
    switch (d.input) {
    case DecoderInput::Embedding:
        break;
    case DecoderInput::EmbeddingContext:
    case DecoderInput::ContextEmbedding:
        input = ed + annotation;
        break;
    case DecoderInput::InputFeeding:
        input = ed + hd;
        break;
    case DecoderInput::Combine:
        linear("decoder.combine", hd, ed + annotation, true);
        input = hd;
        break;
    }
    for (int l = 0; l < d.layers; ++l)
        rnnLayer("decoder.rnn", d.cell, l, "", l == 0 ? input : hd, hd);

    const auto bridge = [&](const std::string &prefix, InitRule rule) {
        if (rule == InitRule::Bridge)
            linear(prefix, hd, dirs * he, d.bridgeBias);
        if (rule == InitRule::OnmtBridge) {
            const int64_t all = e.layers * dirs * he;
            linear(prefix, all, all, true);
        }
    };
    bridge("decoder.bridge", d.init);
    if (d.cell == Cell::Lstm)
        bridge("decoder.bridge_cell", d.cellInit);

    switch (a.score) {
    case Score::Dot:
        break;
    case Score::General:
        linear("decoder.attention.linear", annotation, hd, a.bias);
        break;
    case Score::Bilinear:
        linear("decoder.attention.linear", hd, annotation, a.bias);
        break;
    case Score::Additive:
        linear("decoder.attention.query_layer", a.hiddenSize, hd, a.queryBias);
        linear("decoder.attention.key_layer", a.hiddenSize, annotation, a.keyBias);
        linear("decoder.attention.energy_layer", 1, a.hiddenSize, a.energyBias);
        break;
    case Score::Concat:
        linear("decoder.attention.concat", a.hiddenSize, hd + annotation, a.bias);
        linear("decoder.attention.energy_layer", 1, a.hiddenSize, a.energyBias);
        break;
    case Score::Location:
        linear("decoder.attention.location", a.locationSlots, ed + hd, true);
        break;
    }
    if (d.attentional != Attentional::None)
        linear("decoder.attentional", hd, hd + annotation, d.attentionalBias);
    linear("decoder.out", targetVocabSize, hd, d.outputBias);
    return shapes;
}

std::string describeArchitecture(const ModelConfig &config)
{
    if (config.isTransformer()) {
        const TransformerConfig &t = config.transformer;
        std::string text = "transformer, " + std::to_string(t.encoderLayers) + "+" + std::to_string(t.decoderLayers)
            + " layers, d " + std::to_string(t.modelSize) + ", " + std::to_string(t.heads) + " heads, feed-forward "
            + std::to_string(t.feedForwardSize) + " (" + feedForwardActivationName(t.activation) + "), "
            + (t.encoderNorm == t.decoderNorm ? normPositionName(t.encoderNorm) + "-norm"
                                              : normPositionName(t.encoderNorm) + "-norm encoder, "
                                                    + normPositionName(t.decoderNorm) + "-norm decoder")
            + ", "
            + (t.positions == Positions::Learned ? "learned" : positionsName(t.positions) + " sinusoidal")
            + " positions";
        if (t.sharedEmbeddings)
            text += ", shared embeddings";
        if (t.tiedOutput)
            text += ", tied output";
        return text;
    }
    const EncoderConfig &e = config.encoder;
    const DecoderConfig &d = config.decoder;
    const auto upper = [](Cell cell) { return cell == Cell::Gru ? std::string("GRU") : std::string("LSTM"); };
    const auto layers = [](int n) { return n > 1 ? std::to_string(n) + "-layer " : std::string(); };
    std::string text = layers(e.layers) + (e.bidirectional ? "bidirectional " : "") + upper(e.cell) + " encoder";
    if (e.bidirectional)
        text += e.merge == DirectionMerge::Sum ? " (directions summed)" : "";
    text += ", " + layers(d.layers) + upper(d.cell) + " decoder, ";
    switch (config.attention.score) {
    case Score::Dot:
        text += "dot";
        break;
    case Score::General:
        text += "general";
        break;
    case Score::Bilinear:
        text += "bilinear";
        break;
    case Score::Additive:
        text += "additive";
        break;
    case Score::Concat:
        text += "concat";
        break;
    case Score::Location:
        text += "location (" + std::to_string(config.attention.locationSlots) + " slots)";
        break;
    }
    text += std::string(" attention on ") + (d.query == Query::Previous ? "s_{i-1}" : "s_i");
    if (d.input == DecoderInput::InputFeeding)
        text += ", input feeding";
    return text;
}

} // namespace attnviz
