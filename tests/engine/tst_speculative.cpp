// Speculative greedy decoding (docs/decoding.md) against one step at a time: on every RNN of
// the family's goldens, every transformer fixture and the sample models, greedy decoding with
// guesses (Speculation::Always), with every guess made wrong (AlwaysWrong: each check keeps one
// step and undoes the rest) and without (Off) must give the same tokens, log-probabilities,
// scores and attention, bit for bit, and the same with an attention override, an ablation and a
// cut at the maximum length, and forced decoding (whose steps are taken 8 at a time: no guess
// needed) with and without attention. Also: the checks read the output layer fewer times than
// there are steps when the guesses are right.
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>
#include <attnviz/layers/linear.h>
#include <attnviz/layers/quantized.h>

#include "decoding/speculative.h" // engine/src: the search itself, over a stepper of the test's

#include <nlohmann/json.hpp>

#include <QDir>
#include <QTest>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>

using namespace attnviz;
using json = nlohmann::json;

namespace {

struct Fixture
{
    std::string name;
    std::shared_ptr<const Model> model;
};

std::vector<Fixture> fixtures()
{
    std::vector<Fixture> out;
    const auto add = [&](const std::string &relative) {
        out.push_back({relative, std::make_shared<const Model>(
                                     openModel(std::string(ATTNVIZ_SOURCE_DIR) + "/" + relative).model, relative)});
    };
    const QDir golden(QStringLiteral(ATTNVIZ_GOLDEN_DIR));
    for (const QString &name : golden.entryList({QStringLiteral("*.safetensors")}, QDir::Files, QDir::Name))
        add("tests/golden/" + name.toStdString());
    std::ifstream in(ATTNVIZ_GOLDEN_DIR "/transformer.json");
    const json transformers = json::parse(in); // kept: a range-for over parse(in)["models"] reads a destroyed temporary
    for (const json &m : transformers["models"])
        add(m["path"].get<std::string>());
    const QDir samples(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models"));
    for (const QString &name : samples.entryList({QStringLiteral("*.safetensors")}, QDir::Files, QDir::Name))
        add("sample_models/" + name.toStdString());
    add("sample_models/eng-fra-marian");
    return out;
}

bool same(const MatrixRM &a, const MatrixRM &b)
{
    return a.rows() == b.rows() && a.cols() == b.cols() && (a.size() == 0 || (a.array() == b.array()).all());
}

bool same(const HeadAttention &a, const HeadAttention &b)
{
    if (a.maps.size() != b.maps.size())
        return false;
    for (size_t m = 0; m < a.maps.size(); ++m)
        if (!same(a.maps[m], b.maps[m]))
            return false;
    return true;
}

// Empty when the two results agree bit for bit, else what differs.
QString difference(const TranslationResult &a, const TranslationResult &b)
{
    if (a.hypotheses.size() != b.hypotheses.size())
        return QStringLiteral("hypotheses");
    for (size_t i = 0; i < a.hypotheses.size(); ++i) {
        const Hypothesis &x = a.hypotheses[i], &y = b.hypotheses[i];
        if (x.targetIds != y.targetIds)
            return QStringLiteral("target ids");
        for (size_t t = 0; t < x.logProbs.size(); ++t)
            if (x.logProbs[t] != y.logProbs[t])
                return QStringLiteral("the log-probability of step %1 (%2, %3)").arg(t).arg(x.logProbs[t], 0, 'g', 17).arg(y.logProbs[t], 0, 'g', 17);
        if (x.score != y.score || x.normalizedScore != y.normalizedScore)
            return QStringLiteral("scores");
        if (!same(x.attention, y.attention) || !same(x.energies, y.energies) || !same(x.contexts, y.contexts))
            return QStringLiteral("attention, energies or contexts");
        if (!same(x.crossAttention, y.crossAttention) || !same(x.crossEnergies, y.crossEnergies)
            || !same(x.selfAttention, y.selfAttention))
            return QStringLiteral("a head's attention");
    }
    if (a.ablation.has_value() != b.ablation.has_value())
        return QStringLiteral("ablation");
    if (a.ablation && (a.ablation->targetIds != b.ablation->targetIds || a.ablation->logProbs != b.ablation->logProbs
                       || a.ablation->score != b.ablation->score))
        return QStringLiteral("ablation's tokens or log-probabilities");
    return {};
}

} // namespace

class TestSpeculative : public QObject
{
    Q_OBJECT

private slots:
    void exactRowsAreOneRowEach_data();
    void exactRowsAreOneRowEach();
    void quantizedIsClose();
    void guessIsInt4ThenFloat_data();
    void guessIsInt4ThenFloat();
    void sameAsOneStepAtATime();
    void learnedPositionsEndWhereOneStepEnds();
    void searchStopsAtTheStepLimit();
};

void TestSpeculative::exactRowsAreOneRowEach_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("inputs");
    for (int rows : {1, 2, 3, 8})
        for (int inputs : {5, 8, 45, 96, 259})
            QTest::addRow("%d rows, %d inputs", rows, inputs) << rows << inputs;
}

// linearRowsExact: each row the bits of linearRows on that row alone (the greedy step's kernel).
void TestSpeculative::exactRowsAreOneRowEach()
{
    QFETCH(int, rows);
    QFETCH(int, inputs);
    std::srand(rows * 1000 + inputs);
    const int outputs = 37;
    const MatrixRM w = MatrixRM::Random(outputs, inputs);
    const Vector b = Vector::Random(outputs);
    const MatrixRM x = MatrixRM::Random(rows, inputs);
    const LinearView linear{w.data(), b.data(), outputs, inputs};
    MatrixRM together(rows, outputs), alone(1, outputs);
    linearRowsExact(x, linear, together);
    for (int k = 0; k < rows; ++k) {
        linearRows(x.row(k), linear, alone);
        for (int v = 0; v < outputs; ++v)
            QVERIFY2(together(k, v) == alone(0, v),
                     qPrintable(QStringLiteral("row %1, output %2: %3 together, %4 alone")
                                    .arg(k).arg(v).arg(together(k, v), 0, 'g', 9).arg(alone(0, v), 0, 'g', 9)));
    }
}

// The int8 copy's logits are W x + b to within what int8 weights allow (about 1 % of the row's
// scale), including a row of zeros and an input with a tail past 16.
void TestSpeculative::quantizedIsClose()
{
    std::srand(3);
    const int outputs = 50, inputs = 70;
    MatrixRM w = MatrixRM::Random(outputs, inputs);
    w.row(7).setZero();
    const Vector b = Vector::Random(outputs), x = Vector::Random(inputs);
    const LinearView linear{w.data(), b.data(), outputs, inputs};
    const QuantizedLinear quantized(linear);
    std::vector<float> y(outputs);
    std::vector<int16_t> scratch;
    quantized.apply(x.data(), y.data(), scratch);
    const Vector exact = w * x + b;
    for (int v = 0; v < outputs; ++v) {
        const double bound = 0.01 * w.row(v).cwiseAbs().maxCoeff() * x.cwiseAbs().sum() + 1e-6;
        QVERIFY2(std::abs(y[v] - exact[v]) <= bound,
                 qPrintable(QStringLiteral("output %1: %2, exact %3").arg(v).arg(y[v]).arg(exact[v])));
    }
    QCOMPARE(y[7], b[7]);
    const Vector zero = Vector::Zero(inputs);
    quantized.apply(zero.data(), y.data(), scratch);
    QCOMPARE(y[3], b[3]);
}

void TestSpeculative::guessIsInt4ThenFloat_data()
{
    QTest::addColumn<int>("inputs");
    for (int inputs : {70, 128, 300})
        QTest::addRow("%d inputs", inputs) << inputs;
}

// The output layer's guess (GuessLinear): every weight is a nearest integer to W / s in -7 .. 7
// with s = max |W[v]| / 7 (so the packing is checked weight by weight), the scores are the int4
// product computed here from those, and the 16 best scores are replaced by float32 W x + b,
// which makes the guess the float32 argmax. 1,003 rows (not a multiple of the kernels' four),
// inputs on either side of the 128 a block holds, a row of zeros, a zero x; run once with the
// AVX-512 kernel and once with the AVX2 one (the two CTest entries).
void TestSpeculative::guessIsInt4ThenFloat()
{
    QFETCH(int, inputs);
    std::srand(5);
    const int outputs = 1003;
    const MatrixRM w = [&] {
        MatrixRM m = MatrixRM::Random(outputs, inputs);
        m.row(7).setZero();
        return m;
    }();
    const Vector b = Vector::Random(outputs), x = Vector::Random(inputs);
    const LinearView linear{w.data(), b.data(), outputs, inputs};
    const GuessLinear guess(linear);
    GuessLinear::Scratch scratch;

    const float xScale = x.cwiseAbs().maxCoeff() / 127.0f;
    Eigen::VectorXi xq(inputs);
    for (int i = 0; i < inputs; ++i)
        xq[i] = int(std::lround(x[i] / xScale));
    std::vector<float> scores(outputs);
    guess.score(x.data(), scores.data(), scratch);
    for (int v = 0; v < outputs; ++v) {
        const float s = w.row(v).cwiseAbs().maxCoeff() / 7.0f;
        QCOMPARE(guess.scale(v), s);
        long sum = 0;
        for (int i = 0; i < inputs; ++i) {
            const int q = guess.weight(v, i);
            const float exact = v == 7 ? 0.0f : w(v, i) / s;
            if (q < -7 || q > 7 || std::abs(q - exact) > 0.5f + 1e-5f)
                QFAIL(qPrintable(QStringLiteral("weight %1, %2: %3 for %4").arg(v).arg(i).arg(q).arg(exact)));
            sum += long(q) * xq[i];
        }
        const float expected = float(sum) * (s * xScale) + b[v];
        QVERIFY2(std::abs(scores[v] - expected) <= 1e-5f * (1 + std::abs(expected)),
                 qPrintable(QStringLiteral("row %1: %2, expected %3").arg(v).arg(scores[v]).arg(expected)));
    }
    QCOMPARE(scores[7], b[7]);

    std::vector<float> y(outputs);
    guess.apply(x.data(), y.data(), scratch);
    std::vector<int> order(outputs);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int c) { return scores[a] > scores[c]; });
    const Vector exact = w * x + b;
    for (int r = 0; r < outputs; ++r) {
        const int v = order[r];
        if (r < GuessLinear::refinedRows)
            QVERIFY2(std::abs(y[v] - exact[v]) <= 1e-5f * (1 + std::abs(exact[v])),
                     qPrintable(QStringLiteral("refined row %1: %2, float32 %3").arg(v).arg(y[v]).arg(exact[v])));
        else if (scores[v] < scores[order[GuessLinear::refinedRows - 1]])
            QCOMPARE(y[v], scores[v]);
    }
    Eigen::Index best = 0;
    exact.maxCoeff(&best);
    QCOMPARE(int(std::max_element(y.begin(), y.end()) - y.begin()), int(best));

    const Vector zero = Vector::Zero(inputs);
    guess.apply(zero.data(), y.data(), scratch);
    QCOMPARE(y[3], b[3]);
}

void TestSpeculative::sameAsOneStepAtATime()
{
    if (!rowExactKernels())
        QSKIP("this CPU has no AVX2 and FMA: greedy decoding never guesses ahead here");
    std::mt19937 random(11);
    int steps = 0, passes = 0, cases = 0;
    for (const Fixture &f : fixtures()) {
        const Model &model = *f.model;
        for (int length : {3, 5}) {
            std::vector<int> source(length);
            for (int &id : source)
                id = std::uniform_int_distribution<int>(0, model.sourceVocabSize() - 1)(random);
            // A forced target of 11 tokens: a pass of 8 steps and one of 3.
            std::vector<int> target(11);
            for (int &id : target)
                id = std::uniform_int_distribution<int>(0, model.targetVocabSize() - 1)(random);
            for (int variant = 0; variant < 6; ++variant) {
                DecodeOptions options;
                const std::vector<int> *forced = variant >= 4 ? &target : nullptr;
                if (variant == 5)
                    options.ablation = Ablation::Mean; // forced without attention too
                if (variant == 1)
                    options.maxLength = 3; // cut before EOS
                if (variant == 2)
                    options.attentionOverrides.push_back({1, 0, 0.7, -1, -1});
                if (variant == 3)
                    options.ablation = Ablation::Summed;
                options.selfAttention = model.isTransformer();
                options.speculation = Speculation::Off;
                const TranslationResult plain = translateIds(model, source, options, forced);
                QCOMPARE(plain.outputPasses, plain.best().steps());
                for (Speculation s : {Speculation::Always, Speculation::AlwaysWrong}) {
                    options.speculation = s;
                    const TranslationResult guessed = translateIds(model, source, options, forced);
                    const QString diff = difference(plain, guessed);
                    QVERIFY2(diff.isEmpty(), qPrintable(QStringLiteral("%1, %2 source ids, variant %3, %4: %5 differ")
                                                            .arg(QString::fromStdString(f.name)).arg(length)
                                                            .arg(variant)
                                                            .arg(s == Speculation::Always ? QStringLiteral("right guesses") : QStringLiteral("wrong guesses"))
                                                            .arg(diff)));
                    QVERIFY(guessed.outputPasses >= 1 && guessed.outputPasses <= plain.outputPasses);
                    if (s == Speculation::Always && !forced) {
                        steps += plain.best().steps();
                        passes += guessed.outputPasses;
                    }
                }
                ++cases;
            }
        }
    }
    qInfo("%d cases, %d steps, %d passes", cases, steps, passes);
    QVERIFY(cases >= 6 * 2 * 30); // 21 family models and the tiny ones, 10 transformers, the samples
    // The int8 guesses are mostly right: far fewer passes over the output layer than steps.
    QVERIFY2(passes * 2 < steps, qPrintable(QStringLiteral("%1 passes for %2 steps").arg(passes).arg(steps)));
}

// A model with 64 learned decoder positions: a search allowed more steps fails at step 64 one
// step at a time (InputError); guessing ahead must not fail any earlier, nor later.
void TestSpeculative::learnedPositionsEndWhereOneStepEnds()
{
    const auto model = std::make_shared<const Model>(
        openModel(ATTNVIZ_SOURCE_DIR "/tests/data/transformer/marian-stored-positions").model, "stored positions");
    std::mt19937 random(5);
    int failed = 0, succeeded = 0;
    for (int maxLength : {63, 64, 65, 70}) {
        for (int trial = 0; trial < 6; ++trial) {
            std::vector<int> source(4);
            for (int &id : source)
                id = std::uniform_int_distribution<int>(0, model->sourceVocabSize() - 1)(random);
            QString outcome[2];
            TranslationResult results[2];
            for (int i = 0; i < 2; ++i) {
                DecodeOptions options;
                options.maxLength = maxLength;
                options.speculation = i == 0 ? Speculation::Off : Speculation::AlwaysWrong;
                try {
                    results[i] = translateIds(*model, source, options);
                } catch (const InputError &e) {
                    outcome[i] = QString::fromUtf8(e.what());
                }
            }
            QCOMPARE(outcome[1], outcome[0]);
            if (outcome[0].isEmpty())
                QCOMPARE(difference(results[0], results[1]), QString());
            outcome[0].isEmpty() ? ++succeeded : ++failed;
        }
    }
    QVERIFY(failed > 0); // the limit was reached in some searches
}

namespace {

// A stepper whose step t puts most of the probability on sequence[t], and which fails past
// `limit` steps as a transformer past its learned positions does; usable by beamSearch and by
// speculativeGreedy alike.
struct ScriptedStepper
{
    std::vector<int> sequence;
    int limit, V;
    MatrixRM rows{detail::speculationDepth, V};
    std::vector<int> slotStep = std::vector<int>(detail::speculationDepth);

    void fill(int row, int t)
    {
        if (t >= limit)
            throw InputError("past the last position");
        rows.row(row).setConstant(-5.0f);
        rows(row, sequence[t]) = -0.1f;
    }
    Eigen::Ref<MatrixRM> step(const int *, int, int t)
    {
        fill(0, t);
        return rows.topRows(1);
    }
    void advance(const int *, int) {}
    void keep(int, int) {}
    void hidden(int, int slot, int t)
    {
        fill(slot, t); // fails where a step there would
        slotStep[slot] = t;
    }
    Eigen::Ref<MatrixRM> approximate(int slot) { return rows.middleRows(slot, 1); }
    Eigen::Ref<MatrixRM> exact(int count)
    {
        for (int s = 0; s < count; ++s)
            fill(s, slotStep[s]);
        return rows.topRows(count);
    }
    void commit(int, int) {}
    int stepLimit() const { return limit; }
};

} // namespace

// EOS at step 5 of a model that can take 6 steps, with 10 allowed: one step at a time succeeds,
// so guessing ahead (8 at a time) must not step past the sixth.
void TestSpeculative::searchStopsAtTheStepLimit()
{
    const auto model = Model::fromFile(ATTNVIZ_SOURCE_DIR "/sample_models/tiny.safetensors");
    const int V = model->targetVocabSize(), eos = model->targetEosId();
    std::vector<int> sequence;
    for (int t = 0; sequence.size() < 10; ++t)
        if (t % V != eos && std::find(model->neverGenerateIds().begin(), model->neverGenerateIds().end(), t % V)
                                == model->neverGenerateIds().end())
            sequence.push_back(t % V);
    sequence[5] = eos;
    ScriptedStepper plain{sequence, 6, V};
    const detail::BeamBook one = detail::beamSearch(*model, plain, 1, 10, nullptr);
    QCOMPARE(one.token.size(), size_t(6));
    for (bool wrong : {false, true}) { // right guesses stop at the guessed EOS; wrong ones would not
        ScriptedStepper guessing{sequence, 6, V};
        const detail::BeamBook ahead = detail::speculativeGreedy(*model, guessing, 10, nullptr, wrong);
        QCOMPARE(ahead.token, one.token);
        QCOMPARE(ahead.logProb, one.logProb);
        QCOMPARE(ahead.parent, one.parent);
        QCOMPARE(ahead.best, one.best);
        QCOMPARE(ahead.bestScore, one.bestScore);
        QCOMPARE(ahead.passes, wrong ? 6 : 1);
    }
}

QTEST_GUILESS_MAIN(TestSpeculative)
#include "tst_speculative.moc"
