// The layers with values worked out by hand, and the beam search's bookkeeping.
#include <attnviz/layers/rnn.h>
#include <attnviz/decoding/translate.h>


#include <QTest>

#include <cmath>

using attnviz::Vector;

class TestLayers : public QObject
{
    Q_OBJECT

private slots:
    void gruStepWithZeroWeightsHalvesTheState();
    void gruStepGates();
    void softmax();
    void logSoftmaxIsStableForLargeValues();
    void beamBookkeeping_data();
    void beamBookkeeping();
    void beamOfOneIsGreedy();
    void legacyRejectsTooLongInput();
    void unknownWordsAreReported();
};

namespace {

struct GruWeights
{
    std::vector<float> wih, whh, bih, bhh;
    attnviz::GruView view(int hidden, int input) const
    {
        attnviz::GruView g;
        g.inputToHidden = {wih.data(), bih.data(), 3 * hidden, input};
        g.hiddenToHidden = {whh.data(), bhh.data(), 3 * hidden, hidden};
        return g;
    }
};

} // namespace

void TestLayers::gruStepWithZeroWeightsHalvesTheState()
{
    // r = z = sigmoid(0) = 1/2, n = tanh(0) = 0, so h' = z h = h / 2.
    // H = 2, input 2: W_ih and W_hh are [6 x 2], the biases [6].
    const GruWeights w{std::vector<float>(12, 0.f), std::vector<float>(12, 0.f), std::vector<float>(6, 0.f),
                       std::vector<float>(6, 0.f)};
    Vector gi = Vector::Zero(6), h(2), out(2), gh(6);
    h << 2.f, -4.f;
    attnviz::gruStep(w.view(2, 2), gi, h, out, gh);
    QCOMPARE(out[0], 1.f);
    QCOMPARE(out[1], -2.f);
}

void TestLayers::gruStepGates()
{
    // H = 1. gi = [a_r, a_z, a_n]; W_hh = [0, 0, 1], b_hh = [0, 0, 0], h = 1:
    // r = s(a_r), z = s(a_z), n = tanh(a_n + r * 1). With a_r = ln 3: r = 3/4; a_z = 0: z = 1/2;
    // a_n = -3/4: n = tanh(0) = 0; h' = (1 - 1/2) * 0 + 1/2 * 1 = 1/2.
    const GruWeights w{{0, 0, 0}, {0, 0, 1}, {0, 0, 0}, {0, 0, 0}};
    Vector gi(3), h(1), out(1), gh(3);
    gi << std::log(3.f), 0.f, -0.75f;
    h << 1.f;
    attnviz::gruStep(w.view(1, 1), gi, h, out, gh);
    QVERIFY(std::abs(out[0] - 0.5f) < 1e-6f);
    // a_z = ln 3 -> z = 3/4; a_n = 0.25 -> n = tanh(1) (r = 3/4 from above, + W_hh h = 0.75).
    gi << std::log(3.f), std::log(3.f), 0.25f;
    attnviz::gruStep(w.view(1, 1), gi, h, out, gh);
    QVERIFY(std::abs(out[0] - (0.25f * std::tanh(1.f) + 0.75f)) < 1e-6f);
}

void TestLayers::softmax()
{
    Vector x(2);
    x << 0.f, std::log(3.f);
    attnviz::softmaxInPlace(x);
    QVERIFY(std::abs(x[0] - 0.25f) < 1e-7f);
    QVERIFY(std::abs(x[1] - 0.75f) < 1e-7f);
}

void TestLayers::logSoftmaxIsStableForLargeValues()
{
    Vector x(3);
    x << 1000.f, 1000.f + std::log(2.f), 1000.f + std::log(5.f); // weights 1 : 2 : 5
    attnviz::logSoftmaxInPlace(x);
    QVERIFY(std::abs(x[0] - std::log(1.f / 8)) < 1e-4f);
    QVERIFY(std::abs(x[1] - std::log(2.f / 8)) < 1e-4f);
    QVERIFY(std::abs(x[2] - std::log(5.f / 8)) < 1e-4f);
}

void TestLayers::beamBookkeeping_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("width");
    for (const QString &name : {QStringLiteral("tiny-bahdanau"), QStringLiteral("tiny-luong-dot"),
                                QStringLiteral("tiny-legacy-relu")})
        for (int width : {2, 4, 7})
            QTest::addRow("%s/%d", qPrintable(name), width) << name << width;
}

// Each hypothesis's score is the sum of its log-probs, its normalized score that over its
// length; hypotheses come best first; only the last token may be EOS.
void TestLayers::beamBookkeeping()
{
    QFETCH(QString, model);
    QFETCH(int, width);
    const auto m = attnviz::Model::fromFile(ATTNVIZ_GOLDEN_DIR "/" + model.toStdString() + ".safetensors");
    attnviz::DecodeOptions options;
    options.beamWidth = width;
    const auto r = attnviz::translate(*m, "you are very tired", options);
    QVERIFY(!r.hypotheses.empty());
    QVERIFY(int(r.hypotheses.size()) <= width);
    for (size_t k = 0; k < r.hypotheses.size(); ++k) {
        const attnviz::Hypothesis &h = r.hypotheses[k];
        double sum = 0;
        for (double lp : h.logProbs) {
            QVERIFY(lp <= 0);
            sum += lp;
        }
        QVERIFY(std::abs(h.score - sum) < 1e-9);
        QVERIFY(std::abs(h.normalizedScore - sum / h.steps()) < 1e-9);
        QCOMPARE(h.attention.rows(), Eigen::Index(h.steps()));
        for (int i = 0; i + 1 < h.steps(); ++i)
            QVERIFY(h.targetIds[i] != m->targetEosId());
        for (int i = 0; i < h.steps(); ++i)
            QVERIFY(std::abs(h.attention.row(i).sum() - 1.f) < 1e-5f);
        if (k > 0)
            QVERIFY(r.hypotheses[k - 1].normalizedScore >= h.normalizedScore);
    }
}

void TestLayers::beamOfOneIsGreedy()
{
    const auto m = attnviz::Model::fromFile(ATTNVIZ_GOLDEN_DIR "/tiny-luong-general.safetensors");
    attnviz::DecodeOptions greedy, beam;
    beam.beamWidth = 1;
    greedy.beamWidth = 0; // anything below 1 means greedy
    const auto a = attnviz::translate(*m, "he is cold", greedy);
    const auto b = attnviz::translate(*m, "he is cold", beam);
    QCOMPARE(a.best().targetIds, b.best().targetIds);
    QCOMPARE(a.best().logProbs, b.best().logProbs);
}

void TestLayers::legacyRejectsTooLongInput()
{
    // tiny-legacy-notes has max_length 6: five words and EOS fit, six words do not.
    const auto m = attnviz::Model::fromFile(ATTNVIZ_GOLDEN_DIR "/tiny-legacy-notes.safetensors");
    const auto fits = attnviz::translate(*m, "i am very very cold", {});
    QCOMPARE(fits.sourceLength(), 6);
    QCOMPARE(fits.best().attention.cols(), Eigen::Index(6));
    try {
        attnviz::translate(*m, "i am very very very cold", {});
        QFAIL("expected an InputError");
    } catch (const attnviz::InputError &e) {
        QVERIFY2(QByteArray(e.what()).contains("6 fixed slots"), e.what());
        QVERIFY2(QByteArray(e.what()).contains("at most 5 words"), e.what());
    }
}

void TestLayers::unknownWordsAreReported()
{
    // tiny-luong-dot has no unk_token: unknown words are left out of the encoder input.
    const auto dot = attnviz::Model::fromFile(ATTNVIZ_GOLDEN_DIR "/tiny-luong-dot.safetensors");
    const auto r = attnviz::translate(*dot, "he zzz is qqq", {});
    QCOMPARE(r.unknownWords, (std::vector<std::string>{"zzz", "qqq"}));
    QCOMPARE(r.sourceTokens, (std::vector<std::string>{"he", "is", "EOS"}));
    // tiny-bahdanau has one: they become UNK.
    const auto bahdanau = attnviz::Model::fromFile(ATTNVIZ_GOLDEN_DIR "/tiny-bahdanau.safetensors");
    const auto u = attnviz::translate(*bahdanau, "he zzz", {});
    QCOMPARE(u.unknownWords, (std::vector<std::string>{"zzz"}));
    QCOMPARE(u.sourceTokens, (std::vector<std::string>{"he", "UNK", "EOS"}));
}

QTEST_GUILESS_MAIN(TestLayers)
#include "tst_layers.moc"
