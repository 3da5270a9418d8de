// Attention overrides, raw energies, temperature and the contributions to c_i, checked against
// identities that follow from the definitions.
#include <attnviz/decoding/translate.h>
#include <attnviz/analysis/statistics.h>

#include <QTest>

using attnviz::AttentionOverride;

namespace {

std::shared_ptr<const attnviz::Model> golden(const QString &name)
{
    return attnviz::Model::fromFile(ATTNVIZ_GOLDEN_DIR "/" + name.toStdString() + ".safetensors");
}

double entropy(const attnviz::Vector &p)
{
    double h = 0;
    for (int j = 0; j < p.size(); ++j)
        if (p[j] > 0)
            h -= p[j] * std::log(p[j]);
    return h;
}

} // namespace

class TestWhatIf : public QObject
{
    Q_OBJECT

private slots:
    void models_data();
    void fullOverrideMakesContextTheEncoderState_data() { models_data(); }
    void fullOverrideMakesContextTheEncoderState();
    void halfOverrideMixesLinearly_data() { models_data(); }
    void halfOverrideMixesLinearly();
    void energiesAndTemperature_data() { models_data(); }
    void energiesAndTemperature();
    void contributionsAddUpToTheContext_data() { models_data(); }
    void contributionsAddUpToTheContext();
    void badOverrideIsAnInputError();
    void forcedAblationScoresTheReference_data() { models_data(); }
    void forcedAblationScoresTheReference();
};

void TestWhatIf::models_data()
{
    QTest::addColumn<QString>("model");
    for (const char *name : {"tiny-bahdanau", "tiny-luong-general", "tiny-legacy-relu"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

// With all the weight on source position 2 at step 1: the row is one-hot and c_1 = h_2 exactly;
// step 0 is untouched.
void TestWhatIf::fullOverrideMakesContextTheEncoderState()
{
    QFETCH(QString, model);
    const auto m = golden(model);
    attnviz::DecodeOptions options;
    options.target = "je suis froid";
    const auto plain = attnviz::translate(*m, "i am cold", options);
    options.attentionOverrides = {AttentionOverride{1, 2, 1.0}};
    const auto forced = attnviz::translate(*m, "i am cold", options);
    const auto &h = forced.best();
    QVERIFY(h.attention.row(0).isApprox(plain.best().attention.row(0)));
    for (int j = 0; j < h.attention.cols(); ++j)
        QCOMPARE(h.attention(1, j), j == 2 ? 1.f : 0.f);
    QVERIFY((h.contexts.row(1) - forced.encoderOutputs.row(2)).cwiseAbs().maxCoeff() < 1e-6f);
    // The overridden step's own output changes. Bahdanau and the legacy decoder feed c_1 into the
    // GRU, so step 2 changes too; Luong (no input feeding) uses c_i only for its output, so the
    // later steps are exactly as before.
    QVERIFY(std::abs(h.logProbs[1] - plain.best().logProbs[1]) > 1e-6);
    if (attnviz::architectureOf(m->config()) == attnviz::Architecture::Luong)
        QCOMPARE(h.logProbs[2], plain.best().logProbs[2]);
    else
        QVERIFY(std::abs(h.logProbs[2] - plain.best().logProbs[2]) > 1e-6);
}

// A share of 1/2 on position 0: a' = a/2 + e_0/2, so c' = c/2 + h_0/2 (the context is linear in a).
void TestWhatIf::halfOverrideMixesLinearly()
{
    QFETCH(QString, model);
    const auto m = golden(model);
    const auto plain = attnviz::translate(*m, "you are tired", {});
    attnviz::DecodeOptions options;
    options.attentionOverrides = {AttentionOverride{0, 0, 0.5}};
    const auto r = attnviz::translate(*m, "you are tired", options);
    attnviz::Vector expected = 0.5f * plain.best().attention.row(0).transpose();
    expected[0] += 0.5f;
    QVERIFY((r.best().attention.row(0).transpose() - expected).cwiseAbs().maxCoeff() < 1e-6f);
    const attnviz::Vector c = 0.5f * plain.best().contexts.row(0).transpose() + 0.5f * r.encoderOutputs.row(0).transpose();
    QVERIFY((r.best().contexts.row(0).transpose() - c).cwiseAbs().maxCoeff() < 1e-6f);
}

// softmax(e / 1) is the model's attention; a higher temperature flattens it, a lower one sharpens it.
void TestWhatIf::energiesAndTemperature()
{
    QFETCH(QString, model);
    const auto r = attnviz::translate(*golden(model), "he is very cold", {});
    const auto &h = r.best();
    QCOMPARE(h.energies.rows(), h.attention.rows());
    QCOMPARE(h.energies.cols(), h.attention.cols());
    for (int i = 0; i < h.steps(); ++i) {
        const attnviz::Vector e = h.energies.row(i).transpose();
        const attnviz::Vector atOne = attnviz::softmaxAtTemperature(e, 1.0);
        QVERIFY((atOne - h.attention.row(i).transpose()).cwiseAbs().maxCoeff() < 1e-6f);
        QVERIFY(entropy(attnviz::softmaxAtTemperature(e, 0.5)) < entropy(atOne));
        QVERIFY(entropy(attnviz::softmaxAtTemperature(e, 2.0)) > entropy(atOne));
    }
}

// The parts a_ij h_j add up to c_i, so their projections on c_i add up to |c_i|.
void TestWhatIf::contributionsAddUpToTheContext()
{
    QFETCH(QString, model);
    const auto r = attnviz::translate(*golden(model), "i am very tired", {});
    for (int i = 0; i < r.best().steps(); ++i) {
        const auto parts = attnviz::contextContributions(r, r.best(), i);
        QCOMPARE(int(parts.size()), r.sourceLength());
        double projected = 0;
        for (const auto &p : parts) {
            QVERIFY(p.norm >= 0);
            QVERIFY(p.cosine >= -1 - 1e-9 && p.cosine <= 1 + 1e-9);
            projected += p.norm * p.cosine;
        }
        QVERIFY(std::abs(projected - r.best().contexts.row(i).norm()) < 1e-5);
    }
}

void TestWhatIf::badOverrideIsAnInputError()
{
    attnviz::DecodeOptions options;
    options.attentionOverrides = {AttentionOverride{0, 9, 1.0}};
    QVERIFY_THROWS_EXCEPTION(attnviz::InputError, attnviz::translate(*golden(QStringLiteral("tiny-bahdanau")), "i am", options));
    options.attentionOverrides = {AttentionOverride{0, 0, 1.5}};
    QVERIFY_THROWS_EXCEPTION(attnviz::InputError, attnviz::translate(*golden(QStringLiteral("tiny-bahdanau")), "i am", options));
}

// With a reference, the ablation scores that reference without attention. Forcing the words
// the greedy ablation chose must give back its tokens and log-probabilities exactly; any other
// reference keeps its own words.
void TestWhatIf::forcedAblationScoresTheReference()
{
    QFETCH(QString, model);
    const auto m = golden(model);
    for (const attnviz::Ablation kind : {attnviz::Ablation::Summed, attnviz::Ablation::Mean}) {
        attnviz::DecodeOptions options;
        options.ablation = kind;
        const auto greedy = attnviz::translate(*m, "i am cold", options);
        QVERIFY(greedy.ablation && !greedy.ablation->targetIds.empty());
        // Its words, without the EOS (when it stopped before the length limit).
        std::vector<std::string> words = greedy.ablation->targetTokens;
        const bool stopped = words.back() == "EOS";
        if (stopped)
            words.pop_back();
        std::string reference;
        for (const std::string &w : words)
            reference += (reference.empty() ? "" : " ") + w;
        options.target = reference;
        const auto forced = attnviz::translate(*m, "i am cold", options);
        QVERIFY(forced.forced && forced.ablation);
        // The same steps (plus the EOS a forced target always ends with), with the same numbers.
        const size_t steps = greedy.ablation->targetIds.size();
        QCOMPARE(forced.ablation->targetIds.size(), stopped ? steps : steps + 1);
        for (size_t i = 0; i < steps; ++i) {
            QCOMPARE(forced.ablation->targetIds[i], greedy.ablation->targetIds[i]);
            QCOMPARE(forced.ablation->logProbs[i], greedy.ablation->logProbs[i]);
        }
        // decodeAblation() on the forced result agrees with translate()'s.
        const auto again = attnviz::decodeAblation(*m, forced, kind);
        QCOMPARE(again.targetIds, forced.ablation->targetIds);
        QCOMPARE(again.score, forced.ablation->score);

        options.target = "je suis froid";
        const auto other = attnviz::translate(*m, "i am cold", options);
        QCOMPARE(other.ablation->targetIds, other.best().targetIds);
        QVERIFY(other.ablation->score <= 0);
    }
}

QTEST_GUILESS_MAIN(TestWhatIf)
#include "tst_whatif.moc"
