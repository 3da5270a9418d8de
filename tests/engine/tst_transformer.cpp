// Transformers against the toolkits that trained them: tests/golden/transformer.json, written by
// tools/make_transformer_fixtures.py with Joey NMT's, OpenNMT-py's and Hugging Face's own
// classes on random weights (checkpoints in tests/data/transformer). Every layer's and head's
// attention and the log-probabilities within 1e-5; greedy and beam output equal to theirs.
// Also the views of heads (decoding/heads.h) and the model file's transformer round trip.
#include <attnviz/analysis/attribution.h>
#include <attnviz/analysis/head_alignment.h>
#include <attnviz/decoding/heads.h>
#include <attnviz/decoding/walkthrough.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <set>

using nlohmann::json;
using namespace attnviz;

namespace {

constexpr double tolerance = 1e-5;

const json &golden()
{
    static const json j = [] {
        std::ifstream in(ATTNVIZ_GOLDEN_DIR "/transformer.json");
        return json::parse(in);
    }();
    return j;
}

std::string sourcePath(const std::string &relative)
{
    return std::string(ATTNVIZ_SOURCE_DIR) + "/" + relative;
}

std::shared_ptr<const Model> openGoldenModel(const json &m)
{
    return std::make_shared<const Model>(openModel(sourcePath(m["path"].get<std::string>())).model,
                                         m["name"].get<std::string>());
}

// The largest |actual - expected| over a matrix given as nested lists, or infinity on a shape mismatch.
double maxDifference(const MatrixRM &actual, const json &expected)
{
    if (static_cast<size_t>(actual.rows()) != expected.size())
        return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
        if (static_cast<size_t>(actual.cols()) < expected[i].size())
            return INFINITY;
        for (size_t j = 0; j < expected[i].size(); ++j)
            worst = std::max(worst, std::abs(actual(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j))
                                             - expected[i][j].get<double>()));
    }
    return worst;
}

void compareHeads(const HeadAttention &actual, const json &expected, const QByteArray &what)
{
    QCOMPARE(static_cast<size_t>(actual.layers), expected.size());
    for (int l = 0; l < actual.layers; ++l) {
        QCOMPARE(static_cast<size_t>(actual.heads), expected[l].size());
        for (int h = 0; h < actual.heads; ++h) {
            const double d = maxDifference(actual.at(l, h), expected[l][h]);
            const QByteArray message = what + " layer " + QByteArray::number(l) + " head " + QByteArray::number(h)
                + ": differs by " + QByteArray::number(d);
            QVERIFY2(d <= tolerance, message.constData());
        }
    }
}

// Greedy decoding with every token a random model likes; a tiny transformer built in code.
ModelFile tinyTransformer(Positions positions, NormPosition norm, bool tied)
{
    ModelFile file;
    ModelConfig &c = file.config;
    c.family = Family::Transformer;
    TransformerConfig &t = c.transformer;
    t.encoderLayers = 2;
    t.decoderLayers = 3;
    t.modelSize = 8;
    t.heads = 2;
    t.feedForwardSize = 12;
    t.encoderNorm = t.decoderNorm = norm;
    t.encoderFinalNorm = t.decoderFinalNorm = norm == NormPosition::Pre;
    t.positions = positions;
    t.maxPositions = positions == Positions::Learned ? 40 : 0;
    t.activation = FeedForwardActivation::Gelu;
    t.tiedOutput = tied;
    t.outputBias = true;
    c.sosToken = "<s>";
    c.eosToken = "</s>";
    c.unkToken = "<unk>";
    c.normalization = Normalization::None;
    for (const char *w : {"<unk>", "<s>", "</s>", "a", "b", "c", "d", "e"}) {
        file.sourceVocab.push_back(w);
        file.targetVocab.push_back(w);
    }
    uint32_t state = 12345;
    const auto next = [&state] {
        state = state * 1664525u + 1013904223u;
        return (static_cast<float>(state >> 8) / 16777216.0f - 0.5f);
    };
    for (const auto &[name, shape] : expectedTensorShapes(c, 8, 8)) {
        Tensor tensor;
        tensor.shape = shape;
        std::vector<float> values(static_cast<size_t>(tensor.elementCount()));
        for (float &v : values)
            v = next() * 1.5f + (name.find("norm.weight") != std::string::npos ? 1.0f : 0.0f);
        tensor.values = FloatBuffer(std::move(values));
        file.tensors[name] = std::move(tensor);
    }
    return file;
}

} // namespace

class TestTransformer : public QObject
{
    Q_OBJECT

private slots:
    void goldenCoversTheIssue();
    void reproducesToolkits_data();
    void reproducesToolkits();
    void headSelections();
    void roundTripsAndSearches_data();
    void roundTripsAndSearches();
    void overridesAndAblation();
    void refusesRnnOnlyRequests();
    void scoresEveryHead();
    void changesTheViewWithoutDecoding();
};

void TestTransformer::goldenCoversTheIssue()
{
    std::set<std::string> covered, toolkits;
    for (const json &m : golden()["models"]) {
        toolkits.insert(m["toolkit"].get<std::string>());
        for (const json &c : m["covers"])
            covered.insert(c.get<std::string>());
    }
    QCOMPARE(toolkits, (std::set<std::string>{"joey", "marian", "onmt"}));
    QVERIFY2(golden()["models"].size() >= 6, "expected the configurations of issue #23");
}

void TestTransformer::reproducesToolkits_data()
{
    QTest::addColumn<int>("model");
    QTest::addColumn<int>("caseIndex");
    const json &models = golden()["models"];
    for (size_t m = 0; m < models.size(); ++m)
        for (size_t c = 0; c < models[m]["cases"].size(); ++c)
            QTest::addRow("%s #%d", models[m]["name"].get<std::string>().c_str(), int(c)) << int(m) << int(c);
}

void TestTransformer::reproducesToolkits()
{
    QFETCH(int, model);
    QFETCH(int, caseIndex);
    const json &m = golden()["models"][model];
    const json &c = m["cases"][caseIndex];
    std::shared_ptr<const Model> loaded;
    try {
        loaded = openGoldenModel(m);
    } catch (const std::exception &error) {
        QFAIL(error.what());
    }
    QVERIFY(loaded->isTransformer());
    const std::vector<int> sourceIds = c["source_ids"].get<std::vector<int>>();
    QCOMPARE(loaded->sosId(), c["start_id"].get<int>());

    // The text as typed reaches the same ids, through the model's tokenizer.
    if (c.contains("source")) {
        const TranslationResult typed = translate(*loaded, c["source"].get<std::string>(), {});
        QCOMPARE(typed.sourceIds, sourceIds);
    }

    // Forced: every layer's and head's attention, and the log-probabilities.
    DecodeOptions options;
    options.selfAttention = true;
    const std::vector<int> target = c["target_ids"].get<std::vector<int>>();
    const TranslationResult forced = translateIds(*loaded, sourceIds, options, &target);
    const Hypothesis &h = forced.best();
    QCOMPARE(h.targetIds, target);
    for (size_t i = 0; i < target.size(); ++i) {
        const double expected = c["log_probs"][i][target[i]].get<double>();
        QVERIFY2(std::abs(h.logProbs[i] - expected) <= tolerance,
                 QByteArray("log p step " + QByteArray::number(int(i)) + ": " + QByteArray::number(h.logProbs[i], 'g', 9)
                            + " != " + QByteArray::number(expected, 'g', 9)).constData());
    }
    compareHeads(h.crossAttention, c["cross_attention"], "cross");
    if (c.contains("decoder_self_attention"))
        compareHeads(h.selfAttention, c["decoder_self_attention"], "decoder self");
    if (c.contains("encoder_self_attention"))
        compareHeads(forced.encoderSelfAttention, c["encoder_self_attention"], "encoder self");

    // The toolkit's own greedy and beam search.
    // Hugging Face's max_length counts the start token; the others' count the output tokens.
    const int startCounted = m["toolkit"] == "marian" ? 1 : 0;
    DecodeOptions greedy;
    greedy.maxLength = c["greedy"]["max_length"].get<int>() - startCounted;
    const TranslationResult g = translateIds(*loaded, sourceIds, greedy);
    QCOMPARE(g.best().targetIds, c["greedy"]["ids"].get<std::vector<int>>());
    for (size_t i = 0; i < c["greedy"]["log_probs"].size(); ++i)
        QVERIFY(std::abs(g.best().logProbs[i] - c["greedy"]["log_probs"][i].get<double>()) <= tolerance);
    // The search keeps each step's attention as it decodes; forcing its output must give the
    // same maps, to the last bit for greedy (one row: the forced pass's arithmetic) and to
    // rounding for a beam (K rows of x at once sum in another order) below.
    DecodeOptions greedySelf = greedy;
    greedySelf.selfAttention = true;
    const TranslationResult gs = translateIds(*loaded, sourceIds, greedySelf);
    const TranslationResult gf = translateIds(*loaded, sourceIds, options, &gs.best().targetIds);
    QCOMPARE(gs.best().crossAttention.maps, gf.best().crossAttention.maps);
    QCOMPARE(gs.best().crossEnergies.maps, gf.best().crossEnergies.maps);
    QCOMPARE(gs.best().selfAttention.maps, gf.best().selfAttention.maps);
    QCOMPARE(gs.best().attention, gf.best().attention);
    if (c.contains("beam")) {
        DecodeOptions beam;
        beam.beamWidth = c["beam"]["width"].get<int>();
        beam.maxLength = c["beam"]["settings"].contains("max_length")
                             ? c["beam"]["settings"]["max_length"].get<int>() - startCounted
                             : greedy.maxLength;
        if (c["beam"]["settings"].contains("max_output_length"))
            beam.maxLength = c["beam"]["settings"]["max_output_length"].get<int>();
        const TranslationResult b = translateIds(*loaded, sourceIds, beam);
        QCOMPARE(b.best().targetIds, c["beam"]["ids"][0].get<std::vector<int>>());
        // Each hypothesis's attention, kept during the search, is what forcing it gives.
        DecodeOptions beamSelf = beam;
        beamSelf.selfAttention = true;
        const auto near = [](const HeadAttention &a, const HeadAttention &b) {
            if (a.maps.size() != b.maps.size())
                return false;
            for (size_t m = 0; m < a.maps.size(); ++m) {
                if (a.maps[m].rows() != b.maps[m].rows() || a.maps[m].cols() != b.maps[m].cols()
                    || ((a.maps[m] - b.maps[m]).array().abs() > 1e-5f * (1.0f + b.maps[m].array().abs())).any())
                    return false;
            }
            return true;
        };
        for (const Hypothesis &kept : translateIds(*loaded, sourceIds, beamSelf).hypotheses) {
            const Hypothesis f = translateIds(*loaded, sourceIds, options, &kept.targetIds).best();
            QVERIFY(near(kept.crossAttention, f.crossAttention));
            QVERIFY(near(kept.crossEnergies, f.crossEnergies));
            QVERIFY(near(kept.selfAttention, f.selfAttention));
        }
        // The n-best in the toolkit's order, with its scores (Joey NMT pads a short list with
        // [<unk>] scored -1, which attnviz does not invent).
        for (size_t k = 0; k < std::min(b.hypotheses.size(), c["beam"]["ids"].size()); ++k) {
            QCOMPARE(b.hypotheses[k].targetIds, c["beam"]["ids"][k].get<std::vector<int>>());
            QVERIFY2(std::abs(b.hypotheses[k].normalizedScore - c["beam"]["scores"][k].get<double>()) <= 1e-4,
                     QByteArray("beam score " + QByteArray::number(int(k)) + ": "
                                + QByteArray::number(b.hypotheses[k].normalizedScore, 'g', 9) + " != "
                                + QByteArray::number(c["beam"]["scores"][k].get<double>(), 'g', 9))
                         .constData());
        }
    }
}

void TestTransformer::headSelections()
{
    HeadAttention a;
    a.layers = 2;
    a.heads = 3;
    for (int i = 0; i < 6; ++i)
        a.maps.push_back(MatrixRM::Constant(2, 2, static_cast<float>(i)));
    HeadSelection last;
    QCOMPARE(double(selectHeads(a, last)(0, 0)), 4.0); // heads 3, 4, 5
    HeadSelection two;
    two.layer = 0;
    two.heads = {2, 0, 2};
    QCOMPARE(double(selectHeads(a, two)(1, 1)), 1.0);
    QCOMPARE(describeSelection(two, 2, 3), std::string("layer 1, heads 1, 3"));
    QCOMPARE(describeSelection(last, 2, 3), std::string("layer 2, mean of 3 heads"));
    HeadSelection all;
    all.allLayers = true;
    QCOMPARE(double(selectHeads(a, all)(0, 1)), 2.5);
    QCOMPARE(describeSelection(all, 2, 3), std::string("all 2 layers, mean of 6 heads"));
    HeadSelection bad;
    bad.heads = {3};
    QVERIFY_THROWS_EXCEPTION(InputError, selectHeads(a, bad));

    MatrixRM rows(3, 2);
    rows << 1, 2, 3, 4, 5, 6;
    const MatrixRM shifted = shiftedAlignment(rows);
    QCOMPARE(double(shifted(0, 1)), 4.0);
    QCOMPARE(double(shifted(1, 0)), 5.0);
    QCOMPARE(double(shifted.row(2).sum()), 0.0);

    ModelConfig joey;
    joey.transformer.toolkit = "joey";
    QVERIFY(toolDefaultView(joey, 6) == HeadSelection{});
    ModelConfig onmt;
    onmt.transformer.toolkit = "onmt";
    const std::vector<HeadPreset> presets = headPresets(onmt, 6);
    QCOMPARE(presets[0].selection.heads, std::vector<int>{0});
    QCOMPARE(presets[1].selection.layer, 3); // -alignment_layer -3 of 6
}

void TestTransformer::roundTripsAndSearches_data()
{
    QTest::addColumn<int>("positions");
    QTest::addColumn<int>("norm");
    QTest::addColumn<bool>("tied");
    QTest::addRow("interleaved pre") << int(Positions::Interleaved) << int(NormPosition::Pre) << false;
    QTest::addRow("halves post tied") << int(Positions::Halves) << int(NormPosition::Post) << true;
    QTest::addRow("learned pre tied") << int(Positions::Learned) << int(NormPosition::Pre) << true;
}

void TestTransformer::roundTripsAndSearches()
{
    QFETCH(int, positions);
    QFETCH(int, norm);
    QFETCH(bool, tied);
    const ModelFile file = tinyTransformer(Positions(positions), NormPosition(norm), tied);
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("t.safetensors")).toStdString();
    saveModelFile(file, path);
    const ModelFile back = loadModelFile(path);
    QVERIFY(configToJson(back.config) == configToJson(file.config));
    const Model original(file), reloaded(back);

    DecodeOptions options;
    options.maxLength = 12;
    const TranslationResult a = translate(original, "a b c d", options);
    const TranslationResult b = translate(reloaded, "a b c d", options);
    QCOMPARE(a.best().targetIds, b.best().targetIds);
    const Hypothesis &h = a.best();
    QCOMPARE(h.crossAttention.layers, 3);
    QCOMPARE(h.crossAttention.heads, 2);
    // Every head's weights are a distribution over the 5 source positions.
    for (const MatrixRM &m : h.crossAttention.maps) {
        QCOMPARE(m.cols(), 5);
        for (int i = 0; i < m.rows(); ++i)
            QVERIFY(std::abs(m.row(i).sum() - 1.0f) < 1e-5f);
    }
    // The default view is the last layer's mean; c_i = sum_j a_ij h_j over the encoder's output.
    const MatrixRM mean = (h.crossAttention.at(2, 0) + h.crossAttention.at(2, 1)) / 2.0f;
    QVERIFY((h.attention - mean).cwiseAbs().maxCoeff() < 1e-6f);
    QVERIFY((h.contexts - h.attention * a.encoderOutputs).cwiseAbs().maxCoeff() < 1e-5f);

    // Forced decoding of the greedy output gives its log-probabilities and attention back.
    DecodeOptions forced = options;
    const TranslationResult f = translateIds(original, a.sourceIds, forced, &h.targetIds);
    for (int i = 0; i < h.steps(); ++i)
        QVERIFY(std::abs(f.best().logProbs[i] - h.logProbs[i]) < 1e-5);
    QVERIFY((f.best().attention - h.attention).cwiseAbs().maxCoeff() < 1e-6f);

    // Beam search: each beam's log-probabilities are the forced pass's over its tokens (the
    // caches of the live hypotheses reordered right), and the beams differ.
    DecodeOptions beam = options;
    beam.beamWidth = 4;
    const TranslationResult r = translate(original, "a b c d", beam);
    QCOMPARE(r.hypotheses.size(), size_t(4));
    QVERIFY(r.hypotheses[0].targetIds != r.hypotheses[1].targetIds);
    for (const Hypothesis &bh : r.hypotheses) {
        const TranslationResult check = translateIds(original, a.sourceIds, options, &bh.targetIds);
        for (int i = 0; i < bh.steps(); ++i)
            QVERIFY2(std::abs(check.best().logProbs[i] - bh.logProbs[i]) < 1e-5, "beam log-prob != forced");
    }
}

void TestTransformer::overridesAndAblation()
{
    const Model model(tinyTransformer(Positions::Interleaved, NormPosition::Pre, false));
    DecodeOptions options;
    options.maxLength = 8;
    options.target = "b c";
    AttentionOverride o;
    o.step = 1;
    o.position = 0;
    o.share = 1.0;
    o.layer = 1;
    o.head = 0;
    options.attentionOverrides = {o};
    const TranslationResult r = translate(model, "a b c", options);
    const Hypothesis &h = r.best();
    QCOMPARE(double(h.crossAttention.at(1, 0)(1, 0)), 1.0);  // the override, where asked
    QVERIFY(h.crossAttention.at(1, 1)(1, 0) < 1.0f);   // not in the other head
    QVERIFY(h.crossAttention.at(0, 0)(1, 0) < 1.0f);   // nor in the other layers
    DecodeOptions plain = options;
    plain.attentionOverrides.clear();
    const TranslationResult p = translate(model, "a b c", plain);
    QVERIFY(std::abs(p.best().logProbs[1] - h.logProbs[1]) > 1e-6); // it changed the prediction
    QCOMPARE(p.best().logProbs[0], h.logProbs[0]);                 // and nothing before it

    plain.ablation = Ablation::Mean;
    const TranslationResult ablated = translate(model, "a b c", plain);
    QVERIFY(ablated.ablation);
    QCOMPARE(ablated.ablation->targetIds, p.best().targetIds); // forced: the same target, scored without attention
    QVERIFY(std::abs(ablated.ablation->score - p.best().score) > 1e-6);

    AttentionOverride bad = o;
    bad.layer = 3;
    DecodeOptions wrong = plain;
    wrong.attentionOverrides = {bad};
    QVERIFY_THROWS_EXCEPTION(InputError, translate(model, "a b c", wrong));
}

void TestTransformer::refusesRnnOnlyRequests()
{
    const Model model(tinyTransformer(Positions::Interleaved, NormPosition::Pre, false));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, model.decoder());
    QVERIFY_THROWS_EXCEPTION(std::logic_error, model.encode({0, 1}));
    // What is built for RNNs only says so, as an input error the window and the CLI show; the
    // walkthrough explains a head, and refuses one the model has not.
    const TranslationResult r = translate(model, "a b", {});
    QVERIFY_THROWS_EXCEPTION(InputError, explainHypothesis(model, r, 0, 3, {}, 3, 0)); // a layer it has not
    // attribution runs for transformers (tst_transformer_attribution): its log p_i are decoding's
    const Attribution a = attribute(model, r.sourceIds, r.best().targetIds, {});
    for (size_t i = 0; i < a.logProbs.size(); ++i)
        QVERIFY(std::abs(a.logProbs[i] - r.best().logProbs[i]) < 1e-5);
    QCOMPARE(model.layers(), 3);
    QCOMPARE(model.heads(), 2);
}

// analysis/head_alignment.h on a decoded transformer: the last layer's mean scores as the default
// view's hard links do, and a head scored against its own links has AER 0.
void TestTransformer::scoresEveryHead()
{
    const Model model(tinyTransformer(Positions::Interleaved, NormPosition::Pre, true));
    DecodeOptions options;
    options.target = "b c d";
    const TranslationResult r = translate(model, "a b c d", options);
    GoldAlignment gold;
    gold.sure = {{0, 0}, {1, 1}, {2, 2}};
    const HeadScores s = scoreHeads(r, 0, gold);
    QCOMPARE(s.layers, 3);
    QCOMPARE(s.heads, 2);
    const AlignmentCounts view = countAgreement(hardLinks(r, r.best()), gold);
    QCOMPARE(s.perLayer[2].a, view.a);
    QCOMPARE(s.perLayer[2].aAndS, view.aAndS);
    Hypothesis one = r.best();
    one.attention = one.crossAttention.at(1, 1);
    GoldAlignment own;
    own.sure = hardLinks(r, one);
    QVERIFY(!own.sure.empty());
    const HeadScores self = scoreHeads(r, 0, own);
    QCOMPARE(self.head(1, 1).alignmentErrorRate(), 0.0);
    QVERIFY(self.best().aer == 0.0);
}

// applyView gives what decoding with that view gives, for every beam (the window changes views so).
void TestTransformer::changesTheViewWithoutDecoding()
{
    const Model model(tinyTransformer(Positions::Interleaved, NormPosition::Pre, true));
    DecodeOptions options;
    options.beamWidth = 3;
    options.maxLength = 8;
    TranslationResult changed = translate(model, "a b c d", options);
    QVERIFY(changed.hypotheses.size() > 1);
    HeadSelection view;
    view.layer = 0;
    view.heads = {1};
    options.view = view;
    const TranslationResult decoded = translate(model, "a b c d", options);
    applyView(changed, view);
    QVERIFY(changed.view == view);
    QCOMPARE(changed.hypotheses.size(), decoded.hypotheses.size());
    for (size_t n = 0; n < decoded.hypotheses.size(); ++n) {
        const Hypothesis &a = changed.hypotheses[n], &b = decoded.hypotheses[n];
        QVERIFY((a.attention - a.crossAttention.at(0, 1)).cwiseAbs().maxCoeff() == 0.0f);
        QVERIFY((a.attention - b.attention).cwiseAbs().maxCoeff() < 1e-6f);
        QVERIFY((a.energies - b.energies).cwiseAbs().maxCoeff() < 1e-5f);
        QVERIFY((a.contexts - b.contexts).cwiseAbs().maxCoeff() < 1e-5f);
        QCOMPARE(a.entropy.size(), b.entropy.size());
        for (size_t i = 0; i < a.entropy.size(); ++i) {
            QVERIFY(std::abs(a.entropy[i] - b.entropy[i]) < 1e-5);
            QVERIFY(std::abs(a.cosine[i] - b.cosine[i]) < 1e-5);
        }
        QCOMPARE(a.coverage.size(), b.coverage.size());
    }
    HeadSelection wrong;
    wrong.layer = 7;
    QVERIFY_THROWS_EXCEPTION(InputError, applyView(changed, wrong));
}

QTEST_APPLESS_MAIN(TestTransformer)
#include "tst_transformer.moc"
