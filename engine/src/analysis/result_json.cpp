#include <attnviz/analysis/result_json.h>
#include <attnviz/decoding/heads.h>
#include <attnviz/analysis/statistics.h>

#include "io/file_io.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnviz {
namespace {

using nlohmann::json;

// The text with each byte that is not part of valid UTF-8 replaced by U+FFFD, by nlohmann's own
// rule, so that the document can always be dumped.
std::string validUtf8(const std::string &text)
{
    return json::parse(json(text).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

std::vector<std::string> validUtf8(const std::vector<std::string> &texts)
{
    std::vector<std::string> valid;
    valid.reserve(texts.size());
    for (const std::string &text : texts)
        valid.push_back(validUtf8(text));
    return valid;
}

// The first `columns` columns of each row: the real source positions (tutorial_legacy has more).
json matrixToJson(const MatrixRM &m, Eigen::Index columns)
{
    json rows = json::array();
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        json row = json::array();
        for (Eigen::Index j = 0; j < columns; ++j)
            row.push_back(m(i, j));
        rows.push_back(std::move(row));
    }
    return rows;
}

json vectorToJson(const Vector &v)
{
    return json(std::vector<float>(v.data(), v.data() + v.size()));
}

} // namespace

std::string csvQuote(const std::string &field)
{
    if (field.find_first_of(",\"\r\n") == std::string::npos)
        return field;
    std::string out = "\"";
    for (char c : field)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string alignmentToCsv(const TranslationResult &result, size_t hypothesis, CsvValues values)
{
    const Hypothesis &h = result.hypotheses.at(hypothesis);
    const bool tempered = !values.energies && values.temperature != 1.0;
    if ((values.energies || tempered) && h.energies.rows() < h.steps())
        throw std::invalid_argument("alignmentToCsv: this result has no energies");
    std::string csv;
    for (const std::string &token : result.sourceTokens)
        csv += "," + csvQuote(token);
    csv += "\n";
    char value[32];
    Vector row;
    for (int i = 0; i < h.steps(); ++i) {
        csv += csvQuote(h.targetTokens[i]);
        if (values.energies)
            row = h.energies.row(i).transpose();
        else if (tempered)
            row = softmaxAtTemperature(h.energies.row(i).transpose(), values.temperature);
        else
            row = h.attention.row(i).transpose();
        for (int j = 0; j < result.sourceLength(); ++j) {
            std::snprintf(value, sizeof value, ",%.6f", row[j]);
            csv += value;
        }
        csv += "\n";
    }
    return csv;
}

void writeFileAtomically(const std::string &path, std::string_view bytes)
{
    detail::writeFileAtomically(path, bytes);
}

double perplexity(const Hypothesis &hypothesis)
{
    return hypothesis.steps() > 0 ? std::exp(-hypothesis.score / hypothesis.steps()) : 1.0;
}

json resultToJson(const Model &model, const std::string &sentence, const TranslationResult &result,
                  const DecodeOptions &options, size_t hypothesis)
{
    const ModelConfig &config = model.config();
    const Hypothesis &h = result.hypotheses.at(hypothesis);
    const int T = result.sourceLength();
    json j;
    j["sentence"] = validUtf8(sentence);
    // The display name is a file name: any bytes.
    j["model"] = validUtf8(config.name.empty() ? model.displayName() : config.name);
    // The version 1 name when the model is one of those three, else its configuration.
    const std::optional<Architecture> preset = architectureOf(config);
    j["architecture"] = preset ? architectureName(*preset) : describeArchitecture(config);
    j["config"] = configToJson(config);
    j["source_words"] = validUtf8(result.sourceWords);
    j["source_tokens"] = validUtf8(result.sourceTokens);
    j["unknown_words"] = validUtf8(result.unknownWords);
    j["target_tokens"] = validUtf8(h.targetTokens);
    j["translation"] = validUtf8(h.translation);
    j["attention"] = matrixToJson(h.attention, T);
    j["energies"] = matrixToJson(h.energies, T);
    j["contexts"] = matrixToJson(h.contexts, h.contexts.cols());
    j["summed_context"] = vectorToJson(result.summedContext);
    j["log_probs"] = h.logProbs;
    j["score"] = h.score;
    j["normalized_score"] = h.normalizedScore;
    j["cosine"] = h.cosine;
    j["distance"] = h.distance;
    j["entropy"] = h.entropy;
    j["coverage"] = h.coverage;
    if (h.attention.cols() > T) {
        j["padding_mass"] = h.paddingMass;
        j["attention_slots"] = h.attention.cols();
    }
    j["forced"] = result.forced;
    if (result.forced) {
        j["target"] = validUtf8(options.target.value_or(""));
        j["unknown_target_words"] = validUtf8(result.unknownTargetWords);
        j["perplexity"] = perplexity(h);
    }
    if (result.hypotheses.size() > 1) {
        json beams = json::array();
        for (const Hypothesis &b : result.hypotheses)
            beams.push_back({{"target_tokens", validUtf8(b.targetTokens)},
                             {"translation", validUtf8(b.translation)},
                             {"attention", matrixToJson(b.attention, T)},
                             {"log_probs", b.logProbs},
                             {"score", b.score},
                             {"normalized_score", b.normalizedScore}});
        j["beams"] = std::move(beams);
    }
    if (!h.crossAttention.empty()) {
        // layers x heads x rows x columns
        const auto heads = [](const HeadAttention &a, int columns) {
            json layers = json::array();
            for (int l = 0; l < a.layers; ++l) {
                json perHead = json::array();
                for (int k = 0; k < a.heads; ++k)
                    perHead.push_back(matrixToJson(a.at(l, k), columns));
                layers.push_back(std::move(perHead));
            }
            return layers;
        };
        j["layers"] = h.crossAttention.layers;
        j["heads"] = h.crossAttention.heads;
        j["view"] = describeSelection(result.view, h.crossAttention.layers, h.crossAttention.heads);
        j["cross_attention"] = heads(h.crossAttention, T);
        if (!h.selfAttention.empty() || !result.encoderSelfAttention.empty())
            j["self_attention"] = {{"encoder", heads(result.encoderSelfAttention, T)},
                                   {"decoder", heads(h.selfAttention, h.steps())}};
    }
    if (result.ablation) {
        j["ablation"] = {{"kind", ablationName(result.ablation->kind)},
                         {"target_tokens", validUtf8(result.ablation->targetTokens)},
                         {"log_probs", result.ablation->logProbs},
                         {"score", result.ablation->score}};
    }
    return j;
}

void addUnitsToJson(json &j, const TranslationResult &pieces, const WordMerge *merge, size_t hypothesis)
{
    j["units"] = merge ? "words" : "pieces";
    if (!merge)
        return;
    j.erase("energies"); // a sum or mean of scores before the softmax is no word's score
    const auto piecesOf = [](const WordGrouping &g, const std::vector<std::string> &tokens) {
        json list = json::array();
        for (const WordUnit &w : g.words) {
            std::vector<std::string> word;
            for (int p : w.pieces)
                word.push_back(tokens[size_t(p)]);
            list.push_back(validUtf8(word));
        }
        return list;
    };
    j["source_pieces"] = piecesOf(merge->source, pieces.sourceTokens);
    if (hypothesis < merge->target.size() && hypothesis < pieces.hypotheses.size())
        j["target_pieces"] = piecesOf(merge->target[hypothesis], pieces.hypotheses[hypothesis].targetTokens);
}

namespace {

// Columns a token takes in a terminal: its code points (UTF-8 continuation bytes take none), so
// that "▁froid" (8 bytes) lines up as the 6 characters it shows.
size_t displayWidth(const std::string &text)
{
    size_t width = 0;
    for (unsigned char c : text)
        width += (c & 0xC0) != 0x80;
    return width;
}

std::string spacesBefore(size_t width, const std::string &text)
{
    const size_t shown = displayWidth(text);
    return std::string(width > shown ? width - shown : 0, ' ');
}

} // namespace

std::string resultToText(const TranslationResult &result, size_t hypothesis)
{
    const Hypothesis &h = result.hypotheses.at(hypothesis);
    const int T = result.sourceLength();
    std::ostringstream out;
    const auto join = [](const std::vector<std::string> &words) {
        std::string s;
        for (const std::string &w : words)
            s += (s.empty() ? "" : " ") + w;
        return s;
    };
    out << "source:      " << join(result.sourceTokens) << '\n';
    if (!result.unknownWords.empty())
        out << "unknown:     " << join(result.unknownWords) << '\n';
    out << (result.forced ? "forced:      " : "translation: ") << join(h.targetTokens) << '\n';
    // A subword model's pieces joined back into text (a word-level model's would repeat the line).
    std::vector<std::string> withoutEos = h.targetTokens;
    if (!withoutEos.empty() && withoutEos.back() == result.eosToken)
        withoutEos.pop_back();
    if (h.translation != join(withoutEos))
        out << "text:        " << h.translation << '\n';
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.4f (%.4f per token)", h.score, h.normalizedScore);
    out << "score:       " << buffer << '\n';
    if (!h.crossAttention.empty())
        out << "attention:   " << describeSelection(result.view, h.crossAttention.layers, h.crossAttention.heads)
            << " (of " << h.crossAttention.layers << " layers x " << h.crossAttention.heads << " heads)\n";
    if (result.forced) {
        std::snprintf(buffer, sizeof buffer, "%.4f", perplexity(h));
        out << "perplexity:  " << buffer << '\n';
        if (!result.unknownTargetWords.empty())
            out << "unknown target words: " << join(result.unknownTargetWords) << '\n';
    }
    const bool padding = h.attention.cols() > T;

    size_t rowLabel = 6;
    for (const std::string &t : h.targetTokens)
        rowLabel = std::max(rowLabel, displayWidth(t));
    std::vector<size_t> widths;
    out << '\n' << std::string(rowLabel, ' ');
    for (int j = 0; j < T; ++j) {
        widths.push_back(std::max<size_t>(5, displayWidth(result.sourceTokens[j])));
        out << "  " << spacesBefore(widths.back(), result.sourceTokens[j]) << result.sourceTokens[j];
    }
    if (padding)
        out << "  padding";
    out << "  log-prob\n";
    for (int i = 0; i < h.steps(); ++i) {
        out << h.targetTokens[i] << spacesBefore(rowLabel, h.targetTokens[i]);
        for (int j = 0; j < T; ++j) {
            std::snprintf(buffer, sizeof buffer, "%*.3f", static_cast<int>(widths[j]), h.attention(i, j));
            out << "  " << buffer;
        }
        if (padding) {
            std::snprintf(buffer, sizeof buffer, "%7.3f", h.paddingMass[i]);
            out << "  " << buffer;
        }
        std::snprintf(buffer, sizeof buffer, "%8.3f", h.logProbs[i]);
        out << "  " << buffer << '\n';
    }
    if (result.ablation) {
        out << '\n'
            << "without attention (" << ablationName(result.ablation->kind)
            << " context): " << join(result.ablation->targetTokens) << '\n';
        std::snprintf(buffer, sizeof buffer, "%.4f", result.ablation->score);
        out << "score:       " << buffer << '\n';
    }
    if (result.hypotheses.size() > 1) {
        out << "\nbeams:\n";
        for (size_t k = 0; k < result.hypotheses.size(); ++k) {
            std::snprintf(buffer, sizeof buffer, "%8.4f", result.hypotheses[k].normalizedScore);
            out << "  " << k + 1 << ". " << buffer << "  " << join(result.hypotheses[k].targetTokens) << '\n';
        }
    }
    return out.str();
}

} // namespace attnviz
