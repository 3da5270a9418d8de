// explainHypothesis() (decoding/walkthrough.h) against the translation result it explains, for
// every golden and sample model (every architecture the engine has): the replay gives the
// result's own scores, weights and contexts; the top k are a distribution's best, the chosen word
// is the argmax (greedy) or the reference (forced); the summed-context choice of step 0 is the
// ablation's first word (the two decoders are in the same state there). Issue #18.
#include <attnviz/decoding/translate.h>
#include <attnviz/decoding/walkthrough.h>

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

QTEST_GUILESS_MAIN(TestWalkthrough)
#include "tst_walkthrough.moc"
