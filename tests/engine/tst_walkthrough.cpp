// explainHypothesis() (decoding/walkthrough.h) against the translation result it explains, for
// every golden and sample model (every architecture the engine has): the replay gives the
// result's own scores, weights and contexts; the top k are a distribution's best, the chosen word
// is the argmax (greedy) or the reference (forced); the summed-context choice of step 0 is the
// ablation's first word (the two decoders are in the same state there). Issue #18.
#include <attnviz/decoding/translate.h>
#include <attnviz/decoding/walkthrough.h>
#include <attnviz/io/model_import.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QTest>

#include <cmath>
#include <fstream>

using nlohmann::json;

namespace {

constexpr double tolerance = 1e-5;
constexpr int topK = 5;

double maxDifference(const attnviz::MatrixRM &a, const attnviz::MatrixRM &b)
{
    if (a.rows() != b.rows() || a.cols() != b.cols())
        return INFINITY;
    return a.rows() == 0 ? 0.0 : (a - b).cwiseAbs().maxCoeff();
}

// What holds for every hypothesis: the replay reproduces it, the top k are sorted and sum to <= 1.
void checkReplay(const attnviz::Model &model, const attnviz::TranslationResult &r, int hypothesis,
                 const attnviz::StepDetails &d)
{
    const attnviz::Hypothesis &h = r.hypotheses[hypothesis];
    QCOMPARE(int(d.steps.size()), h.steps());
    QVERIFY2(maxDifference(d.attention, h.attention) <= tolerance, "alpha differs from the result's");
    QVERIFY2(maxDifference(d.energies, h.energies) <= tolerance, "e_ij differ from the result's");
    QVERIFY2(maxDifference(d.contexts, h.contexts) <= tolerance, "c_i differ from the result's");
    QCOMPARE(d.scoresReadAnnotations, model.config().attention.score != attnviz::Score::Location);
    QCOMPARE(d.queryIsPrevious, model.config().decoder.query == attnviz::Query::Previous);
    for (int i = 0; i < h.steps(); ++i) {
        const attnviz::StepDetail &s = d.steps[i];
        QCOMPARE(int(s.top.size()), std::min(topK, model.targetVocabSize()));
        double sum = 0;
        for (size_t k = 0; k < s.top.size(); ++k) {
            sum += s.top[k].probability;
            QCOMPARE(s.top[k].token, model.targetWord(s.top[k].id));
            if (k > 0)
                QVERIFY(s.top[k].probability <= s.top[k - 1].probability);
        }
        QVERIFY2(sum <= 1.0 + 1e-6, qPrintable(QStringLiteral("top-k sum %1 at step %2").arg(sum).arg(i)));
        QCOMPARE(s.chosen.id, h.targetIds[i]);
        QCOMPARE(s.chosen.token, h.targetTokens[i]);
        QVERIFY(std::abs(std::log(s.chosen.probability) - h.logProbs[i]) <= tolerance);
        QVERIFY(s.chosenRank >= 1);
        if (s.chosenRank <= topK)
            QCOMPARE(s.top[s.chosenRank - 1].id, s.chosen.id);
        QCOMPARE(int(s.query.size()), model.config().decoder.hiddenSize);
        QCOMPARE(s.withSummedContext.token, model.targetWord(s.withSummedContext.id));
    }
    // The dot score is e_ij = h_j . q: the query drawn is the one that was scored.
    if (model.config().attention.score == attnviz::Score::Dot) {
        for (int i = 0; i < h.steps(); ++i) {
            const attnviz::Vector e = r.encoderOutputs * d.steps[i].query;
            QVERIFY2((e.transpose() - h.energies.row(i)).cwiseAbs().maxCoeff() <= 1e-4, "e_ij != h_j . query");
        }
    }
    // Before the first step the query s_0 is the decoder's initial state (its top layer).
    if (d.queryIsPrevious && h.steps() > 0) {
        const int Hd = model.config().decoder.hiddenSize, top = (model.config().decoder.layers - 1) * Hd;
        QVERIFY((d.steps[0].query - r.initialState.segment(top, Hd)).cwiseAbs().maxCoeff() <= 1e-6);
    }
}

// The test's own arithmetic from the model file's tensors, not the engine's layers.
attnviz::Vector linear(const attnviz::Model &model, const std::string &prefix, const attnviz::Vector &x)
{
    const auto &tensors = model.file().tensors;
    const attnviz::Tensor &w = tensors.at(prefix + ".weight");
    const Eigen::Map<const attnviz::MatrixRM> W(w.values.data(), w.shape[0], w.shape[1]);
    attnviz::Vector y = W * x;
    if (const auto b = tensors.find(prefix + ".bias"); b != tensors.end())
        y += Eigen::Map<const attnviz::Vector>(b->second.values.data(), y.size());
    return y;
}

attnviz::Vector layerNorm(const attnviz::Model &model, const std::string &prefix, const attnviz::Vector &x)
{
    const auto &tensors = model.file().tensors;
    const double mean = x.cast<double>().mean();
    const double variance = (x.cast<double>().array() - mean).square().mean();
    const Eigen::Map<const attnviz::Vector> w(tensors.at(prefix + ".weight").values.data(), x.size());
    const Eigen::Map<const attnviz::Vector> b(tensors.at(prefix + ".bias").values.data(), x.size());
    const attnviz::Vector normed =
        ((x.cast<double>().array() - mean) / std::sqrt(variance + model.config().transformer.normEpsilon)).cast<float>();
    return normed.cwiseProduct(w) + b;
}

double maxDifference(const attnviz::Vector &a, const attnviz::Vector &b)
{
    return a.size() != b.size() ? INFINITY : a.size() == 0 ? 0.0 : (a - b).cwiseAbs().maxCoeff();
}

// What the transformer's walkthrough shows of head `head` of layer `layer`, against the result and
// against the layer's arithmetic redone from the weights: q = W_q x, e_j = q . k_j / sqrt(d_k),
// o = sum_j a_j v_j, W_o [o_1 ; ... ; o_H] + b_o, the residual (and post-norm).
void checkHead(const attnviz::Model &model, const attnviz::TranslationResult &r, const attnviz::StepDetails &d,
               int layer, int head)
{
    const attnviz::Hypothesis &h = r.best();
    const int H = model.heads(), dk = model.config().transformer.headSize(), T = r.sourceLength();
    QVERIFY(d.transformer);
    QCOMPARE(d.layer, layer);
    QCOMPARE(d.head, head);
    QCOMPARE(int(d.steps.size()), h.steps());
    QCOMPARE(d.preNorm, model.config().transformer.decoderNorm == attnviz::NormPosition::Pre);
    // The weights and raw scores are the result's for this head.
    QVERIFY2(maxDifference(d.attention, h.crossAttention.at(layer, head)) <= 1e-7, "alpha != crossAttention[l][h]");
    QVERIFY2(maxDifference(d.energies, h.crossEnergies.at(layer, head)) <= 1e-7, "e != crossEnergies[l][h]");
    const std::string prefix = "decoder.layers." + std::to_string(layer) + ".cross_attention";
    attnviz::MatrixRM keys(T, dk), values(T, dk);
    for (int j = 0; j < T; ++j) {
        const attnviz::Vector m = r.encoderOutputs.row(j).transpose();
        keys.row(j) = linear(model, prefix + ".key", m).segment(head * dk, dk).transpose();
        values.row(j) = linear(model, prefix + ".value", m).segment(head * dk, dk).transpose();
    }
    QVERIFY2(maxDifference(d.keys, keys) <= 1e-4, "k_j != W_k h_j + b_k");
    QVERIFY2(maxDifference(d.values, values) <= 1e-4, "v_j != W_v h_j + b_v");
    for (int i = 0; i < h.steps(); ++i) {
        const attnviz::StepDetail &s = d.steps[i];
        const QByteArray where = " at step " + QByteArray::number(i);
        const attnviz::Vector normed = d.preNorm ? layerNorm(model, prefix + "_norm", s.head.input) : s.head.input;
        QVERIFY2(maxDifference(s.head.normed, normed) <= 1e-4, QByteArray("x != LN(input) (pre) or input (post)" + where).constData());
        const attnviz::Vector q = linear(model, prefix + ".query", s.head.normed).segment(head * dk, dk);
        QVERIFY2(maxDifference(s.query, q) <= 1e-4, QByteArray("q != W_q x + b_q" + where).constData());
        // q . k_j / sqrt(d_k) reproduces the engine's raw scores.
        const attnviz::Vector e = d.keys * s.query / std::sqrt(float(dk));
        QVERIFY2(maxDifference(e, h.crossEnergies.at(layer, head).row(i).transpose()) <= 1e-4,
                 QByteArray("q . k_j / sqrt(d_k) != crossEnergies" + where).constData());
        const attnviz::Vector context = d.values.transpose() * d.attention.row(i).transpose();
        QVERIFY2(maxDifference(context, d.contexts.row(i).transpose()) <= 1e-5, QByteArray("o != sum_j a_ij v_j" + where).constData());
        QVERIFY2(maxDifference(attnviz::Vector(s.head.concat.segment(head * dk, dk)), context) <= 1e-5,
                 QByteArray("the head's part of the concatenation" + where).constData());
        QCOMPARE(int(s.head.concat.size()), H * dk);
        const attnviz::Vector projected = linear(model, prefix + ".output", s.head.concat);
        QVERIFY2(maxDifference(s.head.projected, projected) <= 1e-4, QByteArray("W_o concat + b_o" + where).constData());
        const attnviz::Vector sum = s.head.input + s.head.projected;
        const attnviz::Vector output = d.preNorm ? sum : layerNorm(model, prefix + "_norm", sum);
        QVERIFY2(maxDifference(s.head.output, output) <= 1e-4, QByteArray("the residual path" + where).constData());
        // The chosen word's probability is the hypothesis's.
        QCOMPARE(s.chosen.id, h.targetIds[i]);
        QVERIFY2(std::abs(std::log(s.chosen.probability) - h.logProbs[i]) <= tolerance, QByteArray("p(chosen)" + where).constData());
        if (!r.forced)
            QCOMPARE(s.chosenRank, 1);
        QCOMPARE(s.withUniformHead.token, model.targetWord(s.withUniformHead.id));
    }
}

json readJson(const QString &path)
{
    std::ifstream in(path.toStdString());
    return json::parse(in);
}

} // namespace

class TestWalkthrough : public QObject
{
    Q_OBJECT
private slots:
    void matchesTheResult_data();
    void matchesTheResult();
    void rejectsAMissingHypothesis();
    void explainsTransformerHeads_data();
    void explainsTransformerHeads();
};

void TestWalkthrough::matchesTheResult_data()
{
    QTest::addColumn<QString>("modelPath");
    QTest::addColumn<QString>("sentence");
    QTest::addColumn<QString>("reference");
    const QDir golden(QStringLiteral(ATTNVIZ_GOLDEN_DIR));
    int models = 0;
    for (const QString &name : golden.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        const json g = readJson(golden.filePath(name));
        // PyTorch's goldens of attnviz files; the transformers' (transformer.json, eng-fra-marian.json:
        // a Marian folder) have tst_transformer and tst_mariansample.
        if (!g.contains("model") || !g["model"].is_string()
            || !QString::fromStdString(g["model"].get<std::string>()).endsWith(QLatin1String(".safetensors")))
            continue;
        ++models;
        const json &c = g["cases"][0];
        QTest::addRow("%s", qPrintable(name))
            << QString::fromStdString(std::string(ATTNVIZ_SOURCE_DIR) + "/" + g["model"].get<std::string>())
            << QString::fromStdString(c["sentence"].get<std::string>())
            << QString::fromStdString(c["forced"]["target"].get<std::string>());
    }
    QVERIFY2(models >= 5 + 21 + 5, "expected the golden files of the tiny, family and sample models");
}

void TestWalkthrough::matchesTheResult()
{
    QFETCH(QString, modelPath);
    QFETCH(QString, sentence);
    QFETCH(QString, reference);
    const auto model = attnviz::Model::fromFile(modelPath.toStdString());

    attnviz::DecodeOptions options;
    options.ablation = attnviz::Ablation::Summed;
    const attnviz::TranslationResult greedy = attnviz::translate(*model, sentence.toStdString(), options);
    const attnviz::StepDetails g = attnviz::explainHypothesis(*model, greedy, 0, topK);
    checkReplay(*model, greedy, 0, g);
    if (QTest::currentTestFailed())
        return;
    for (const attnviz::StepDetail &s : g.steps) {
        QCOMPARE(s.chosenRank, 1);
        QCOMPARE(s.top.front().id, s.chosen.id);
    }
    QCOMPARE(g.steps.front().withSummedContext.id, greedy.ablation->targetIds.front());
    QVERIFY(std::abs(std::log(g.steps.front().withSummedContext.probability) - greedy.ablation->logProbs.front())
            <= tolerance);

    options.ablation = attnviz::Ablation::None;
    options.target = reference.toStdString();
    const attnviz::TranslationResult forced = attnviz::translate(*model, sentence.toStdString(), options);
    const attnviz::StepDetails f = attnviz::explainHypothesis(*model, forced, 0, topK);
    checkReplay(*model, forced, 0, f);

    attnviz::DecodeOptions beamOptions;
    beamOptions.beamWidth = 3;
    const attnviz::TranslationResult beam = attnviz::translate(*model, sentence.toStdString(), beamOptions);
    for (int k = 0; k < int(beam.hypotheses.size()); ++k) {
        checkReplay(*model, beam, k, attnviz::explainHypothesis(*model, beam, k, topK));
        if (QTest::currentTestFailed())
            return;
    }
}

void TestWalkthrough::rejectsAMissingHypothesis()
{
    const auto model = attnviz::Model::fromFile(std::string(ATTNVIZ_SOURCE_DIR) + "/sample_models/tiny.safetensors");
    const attnviz::TranslationResult r = attnviz::translate(*model, "i am cold .", {});
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, attnviz::explainHypothesis(*model, r, 1, 5));
    // What-if weights are replayed too: all of step 0 on the first word.
    attnviz::DecodeOptions options;
    options.attentionOverrides = {{0, 0, 1.0}};
    const attnviz::TranslationResult what = attnviz::translate(*model, "i am cold .", options);
    const attnviz::StepDetails d = attnviz::explainHypothesis(*model, what, 0, 3, options.attentionOverrides);
    QVERIFY(maxDifference(d.attention, what.best().attention) <= tolerance);
    QCOMPARE(d.attention(0, 0), 1.0f);
}

void TestWalkthrough::explainsTransformerHeads_data()
{
    QTest::addColumn<QString>("modelPath");
    QTest::addColumn<QString>("sentence");
    QTest::addColumn<QString>("reference");
    // The toolkits' transformers (Joey NMT, OpenNMT-py, Marian; pre- and post-norm) and the Marian sample.
    const json g = readJson(QStringLiteral(ATTNVIZ_GOLDEN_DIR "/transformer.json"));
    for (const json &m : g["models"]) {
        const json &c = m["cases"][0];
        QTest::addRow("%s", m["name"].get<std::string>().c_str())
            << QString::fromStdString(std::string(ATTNVIZ_SOURCE_DIR) + "/" + m["path"].get<std::string>())
            << QString::fromStdString(c["source"].get<std::string>())
            << QString::fromStdString(c["target"].get<std::string>());
    }
    QTest::addRow("eng-fra-marian") << QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian")
                                    << QStringLiteral("I am cold.")
                                    << QStringLiteral("J'ai froid.");
}

void TestWalkthrough::explainsTransformerHeads()
{
    QFETCH(QString, modelPath);
    QFETCH(QString, sentence);
    QFETCH(QString, reference);
    const auto model =
        std::make_shared<const attnviz::Model>(attnviz::openModel(modelPath.toStdString()).model, "transformer");
    const int L = model->layers(), H = model->heads();
    const attnviz::TranslationResult greedy = attnviz::translate(*model, sentence.toStdString(), {});
    attnviz::DecodeOptions forcedOptions;
    forcedOptions.target = reference.toStdString();
    const attnviz::TranslationResult forced = attnviz::translate(*model, sentence.toStdString(), forcedOptions);
    for (const auto &[layer, head] : {std::pair(L - 1, 0), std::pair(0, H - 1)}) {
        for (const attnviz::TranslationResult *r : {&greedy, &forced}) {
            const attnviz::StepDetails d = attnviz::explainHypothesis(*model, *r, 0, topK, {}, layer, head);
            checkHead(*model, *r, d, layer, head);
            if (QTest::currentTestFailed())
                return;
        }
    }
    // The default is the last layer; another head shows other numbers.
    const attnviz::StepDetails last = attnviz::explainHypothesis(*model, greedy, 0, topK);
    QCOMPARE(last.layer, L - 1);
    QCOMPARE(last.head, 0);
    if (H > 1)
        QVERIFY(maxDifference(last.attention, attnviz::explainHypothesis(*model, greedy, 0, topK, {}, L - 1, 1).attention)
                > 1e-6);
    // The what-if of a step is greedy decoding with that head's weights 1/T at that step (the
    // steps before it are the same): its word at the step, and the weights are uniform.
    const int T = greedy.sourceLength();
    for (int i = 0; i < std::min(3, greedy.best().steps()); ++i) {
        attnviz::DecodeOptions uniform;
        for (int j = 0; j < T; ++j)
            uniform.attentionOverrides.push_back({i, j, 1.0 / (j + 1), L - 1, 0});
        const attnviz::TranslationResult u = attnviz::translate(*model, sentence.toStdString(), uniform);
        QVERIFY(u.best().steps() > i);
        QCOMPARE(u.best().crossAttention.at(L - 1, 0).row(i).maxCoeff() - 1.0f / T < 1e-6f, true);
        QCOMPARE(u.best().crossAttention.at(L - 1, 0).row(i).minCoeff() - 1.0f / T > -1e-6f, true);
        QCOMPARE(last.steps[i].withUniformHead.id, u.best().targetIds[i]);
    }
    QVERIFY_THROWS_EXCEPTION(attnviz::InputError, attnviz::explainHypothesis(*model, greedy, 0, topK, {}, L, 0));
    QVERIFY_THROWS_EXCEPTION(attnviz::InputError, attnviz::explainHypothesis(*model, greedy, 0, topK, {}, 0, H));
}

QTEST_GUILESS_MAIN(TestWalkthrough)
#include "tst_walkthrough.moc"
