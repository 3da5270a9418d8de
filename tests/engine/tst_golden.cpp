// The engine against PyTorch: every file in tests/golden/ (written by tools/make_golden.py from
// the same weights) must be reproduced within 1e-5 for greedy, forced, beam and ablation.
#include <attnviz/decoding/translate.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QTest>

#include <fstream>

using nlohmann::json;

namespace {

constexpr double tolerance = 1e-5;

json readJson(const QString &path)
{
    std::ifstream in(path.toStdString());
    return json::parse(in);
}

template<typename Row>
void compareRow(const Row &actual, const json &expected, const QByteArray &what)
{
    const QByteArray sizes = what + ": size " + QByteArray::number(int(actual.size())) + " != "
        + QByteArray::number(int(expected.size()));
    QVERIFY2(static_cast<size_t>(actual.size()) == expected.size(), sizes.constData());
    for (size_t j = 0; j < expected.size(); ++j) {
        const double a = actual[static_cast<Eigen::Index>(j)];
        const double e = expected[j].get<double>();
        const QByteArray message = what + "[" + QByteArray::number(int(j)) + "]: " + QByteArray::number(a, 'g', 9)
            + " != " + QByteArray::number(e, 'g', 9);
        QVERIFY2(std::abs(a - e) <= tolerance, message.constData());
    }
}

void compareMatrix(const attnviz::MatrixRM &actual, const json &expected, const QByteArray &what)
{
    QCOMPARE(static_cast<size_t>(actual.rows()), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        compareRow(actual.row(static_cast<Eigen::Index>(i)), expected[i],
                   QByteArray(what + " row " + QByteArray::number(int(i))));
        if (QTest::currentTestFailed())
            return;
    }
}

void compareVector(const std::vector<double> &actual, const json &expected, const QByteArray &what)
{
    compareRow(Eigen::Map<const Eigen::VectorXd>(actual.data(), actual.size()), expected, what);
}

std::vector<int> ids(const json &j)
{
    return j.get<std::vector<int>>();
}

void compareHypothesis(const attnviz::Hypothesis &h, const json &e, const QByteArray &what)
{
    QCOMPARE(h.targetIds, ids(e["target_ids"]));
    QCOMPARE(h.targetTokens, e["target_tokens"].get<std::vector<std::string>>());
    compareMatrix(h.attention, e["attention"], what + " attention");
    compareMatrix(h.contexts, e["contexts"], what + " contexts");
    if (e.contains("energies")) // the family's references keep the raw scores too
        compareMatrix(h.energies, e["energies"], what + " energies");
    compareVector(h.logProbs, e["log_probs"], what + " log_probs");
    QVERIFY(std::abs(h.score - e["score"].get<double>()) <= tolerance);
    compareVector(h.cosine, e["cosine"], what + " cosine");
    compareVector(h.distance, e["l2"], what + " l2");
    compareVector(h.entropy, e["entropy"], what + " entropy");
    compareVector(h.paddingMass, e["padding_mass"], what + " padding_mass");
    compareVector(h.coverage, e["coverage"], what + " coverage");
}

} // namespace

class TestGolden : public QObject
{
    Q_OBJECT

private slots:
    void reproducesPyTorch_data();
    void reproducesPyTorch();
};

void TestGolden::reproducesPyTorch_data()
{
    QTest::addColumn<QString>("goldenFile");
    QTest::addColumn<int>("caseIndex");
    const QDir dir(QStringLiteral(ATTNVIZ_GOLDEN_DIR));
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    int models = 0;
    for (const QString &name : files) {
        const json golden = readJson(dir.filePath(name));
        // PyTorch's goldens of attnviz files; the transformers' (transformer.json, eng-fra-marian.json:
        // a Marian folder) have tst_transformer and tst_mariansample.
        if (!golden.contains("model") || !golden["model"].is_string()
            || !QString::fromStdString(golden["model"].get<std::string>()).endsWith(QLatin1String(".safetensors")))
            continue; // normalization.json
        ++models;
        for (size_t i = 0; i < golden["cases"].size(); ++i)
            QTest::addRow("%s#%d", qPrintable(name), int(i)) << dir.filePath(name) << int(i);
    }
    // Every architecture variant has its own tiny model, and the family its 21 configurations
    // (tools/make_golden_family.py); losing one would weaken the test silently.
    QVERIFY2(models >= 5 + 21 + 5, "expected golden files for the tiny, family and sample models");
}

void TestGolden::reproducesPyTorch()
{
    QFETCH(QString, goldenFile);
    QFETCH(int, caseIndex);
    const json golden = readJson(goldenFile);
    const json &c = golden["cases"][caseIndex];
    const std::string modelPath = std::string(ATTNVIZ_SOURCE_DIR) + "/" + golden["model"].get<std::string>();
    const auto model = attnviz::Model::fromFile(modelPath);
    const std::string sentence = c["sentence"];

    attnviz::DecodeOptions options;
    options.maxLength = c["max_length"];
    options.ablation = attnviz::Ablation::Summed;
    const attnviz::TranslationResult greedy = attnviz::translate(*model, sentence, options);
    QCOMPARE(greedy.sourceIds, ids(c["source_ids"]));
    QCOMPARE(greedy.sourceTokens, c["source_tokens"].get<std::vector<std::string>>());
    QCOMPARE(greedy.unknownWords, c["unknown_words"].get<std::vector<std::string>>());
    if (c.contains("encoder_outputs"))
        compareMatrix(greedy.encoderOutputs, c["encoder_outputs"], "encoder_outputs");
    compareRow(greedy.summedContext, c["summed_context"], "summed_context");
    QCOMPARE(greedy.hypotheses.size(), size_t(1));
    compareHypothesis(greedy.best(), c["greedy"], "greedy");
    QVERIFY(greedy.ablation);
    QCOMPARE(greedy.ablation->targetIds, ids(c["ablation"]["summed"]["target_ids"]));
    compareVector(greedy.ablation->logProbs, c["ablation"]["summed"]["log_probs"], "ablation summed log_probs");

    options.ablation = attnviz::Ablation::Mean;
    const attnviz::TranslationResult mean = attnviz::translate(*model, sentence, options);
    QCOMPARE(mean.ablation->targetIds, ids(c["ablation"]["mean"]["target_ids"]));
    compareVector(mean.ablation->logProbs, c["ablation"]["mean"]["log_probs"], "ablation mean log_probs");

    attnviz::DecodeOptions forcedOptions;
    forcedOptions.target = c["forced"]["target"].get<std::string>();
    const attnviz::TranslationResult forced = attnviz::translate(*model, sentence, forcedOptions);
    QVERIFY(forced.forced);
    QCOMPARE(forced.unknownTargetWords, c["forced"]["unknown_target_words"].get<std::vector<std::string>>());
    compareHypothesis(forced.best(), c["forced"], "forced");

    attnviz::DecodeOptions beamOptions;
    beamOptions.beamWidth = c["beam"]["width"];
    beamOptions.maxLength = c["max_length"];
    const attnviz::TranslationResult beam = attnviz::translate(*model, sentence, beamOptions);
    const json &hyps = c["beam"]["hypotheses"];
    QCOMPARE(beam.hypotheses.size(), hyps.size());
    for (size_t k = 0; k < hyps.size(); ++k) {
        compareHypothesis(beam.hypotheses[k], hyps[k], "beam " + QByteArray::number(int(k)));
        QVERIFY(std::abs(beam.hypotheses[k].normalizedScore - hyps[k]["normalized_score"].get<double>()) <= tolerance);
    }
}

QTEST_GUILESS_MAIN(TestGolden)
#include "tst_golden.moc"
