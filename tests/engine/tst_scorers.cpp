// Each attention scorer on weights chosen so that the energies, weights and context can be
// worked out by hand (H = 4, three source positions).
#include "models/decoder.h"
#include "models/factory.h"
#include "testmodels.h"

#include <QTest>

#include <cmath>

using namespace attnviz;

namespace {

void zeroDecoder(ModelFile &file)
{
    for (auto &[name, tensor] : file.tensors)
        if (name.rfind("decoder.", 0) == 0)
            std::fill(tensor.values.begin(), tensor.values.end(), 0.0f);
}

void setIdentity(Tensor &t, float scale)
{
    std::fill(t.values.begin(), t.values.end(), 0.0f);
    for (int64_t i = 0; i < t.shape[0]; ++i)
        t.values[size_t(i * t.shape[1] + i)] = scale;
}

// One decoder step from SOS with encoder outputs whose first coordinates are `first`.
struct StepResult
{
    Vector energies, attention, context;
    MatrixRM encoder;
};

StepResult runStep(const ModelFile &file, const std::vector<float> &first, const Vector &previousState, int columns)
{
    StepResult r;
    r.encoder = MatrixRM::Zero(Eigen::Index(first.size()), 4);
    for (size_t j = 0; j < first.size(); ++j) {
        r.encoder(Eigen::Index(j), 0) = first[j];
        r.encoder(Eigen::Index(j), 1) = 0.25f * float(j); // rides along into the context
    }
    const auto decoder = makeDecoder(file);
    DecoderWorkspace ws;
    new (&ws.annotations) Eigen::Map<const MatrixRM>(r.encoder.data(), r.encoder.rows(), r.encoder.cols());
    decoder->prepare(ws, 1); // one hypothesis: row 0 of every output
    MatrixRM energies(1, columns), attention(1, columns), context(1, 4), state(1, decoder->stateSize()),
        logProbs(1, Eigen::Index(file.targetVocab.size()));
    StepOutput out{energies, attention, context, state, logProbs};
    const int sos = 0;
    const MatrixRM previous = previousState.transpose();
    decoder->step(&sos, previous, StepControl{}, ws, out);
    r.energies = energies.row(0).transpose();
    r.attention = attention.row(0).transpose();
    r.context = context.row(0).transpose();
    return r;
}

void expectNear(const Vector &actual, const std::vector<double> &expected, const char *what)
{
    QCOMPARE(int(actual.size()), int(expected.size()));
    for (size_t j = 0; j < expected.size(); ++j)
        QVERIFY2(std::abs(actual[Eigen::Index(j)] - expected[j]) < 1e-6, what);
}

// The context is sum_j a_j h_j: first coordinates `first`, second 0, 0.25, 0.5.
void expectContext(const StepResult &r, const std::vector<float> &first)
{
    double c0 = 0, c1 = 0;
    for (size_t j = 0; j < first.size(); ++j) {
        c0 += r.attention[Eigen::Index(j)] * first[j];
        c1 += r.attention[Eigen::Index(j)] * 0.25 * double(j);
    }
    expectNear(r.context, {c0, c1, 0, 0}, "context");
}

std::vector<double> normalized(const std::vector<double> &weights)
{
    double sum = 0;
    for (double w : weights)
        sum += w;
    std::vector<double> out;
    for (double w : weights)
        out.push_back(w / sum);
    return out;
}

} // namespace

class TestScorers : public QObject
{
    Q_OBJECT

private slots:
    void bahdanau();
    void luongDot();
    void luongGeneral();
    void legacyLocation();
    void generalWithBias();
    void bilinearWithBias();
    void additiveWithoutBiases();
    void concat();
};

// Wa = 0, Ua = I, Va = [1, 0, 0, 0], b_Va = 0.5: e_j = tanh(h_j0) + 0.5. With h_j0 = 0,
// atanh(0.5), atanh(-0.5): e = [0.5, 1, 0] and a = [e^0.5, e, 1] / (e^0.5 + e + 1).
void TestScorers::bahdanau()
{
    ModelFile file = test::makeRandomModel(Architecture::Bahdanau);
    zeroDecoder(file);
    setIdentity(file.tensors.at("decoder.attention.key_layer.weight"), 1.0f);
    file.tensors.at("decoder.attention.energy_layer.weight").values = {1, 0, 0, 0};
    file.tensors.at("decoder.attention.energy_layer.bias").values = {0.5f};
    const std::vector<float> first = {0.0f, std::atanh(0.5f), std::atanh(-0.5f)};
    const StepResult r = runStep(file, first, Vector::Constant(4, 0.3f), 3);
    expectNear(r.energies, {0.5, 1.0, 0.0}, "energies");
    expectNear(r.attention, normalized({std::exp(0.5), std::exp(1.0), 1.0}), "attention");
    expectContext(r, first);
}

// A zero GRU gives r = z = 1/2 and n = 0, so s_1 = s_0 / 2 = [1, 0, 0, 0]; e_j = s_1 . h_j = h_j0.
void TestScorers::luongDot()
{
    ModelFile file = test::makeRandomModel(Architecture::Luong, LuongScore::Dot);
    zeroDecoder(file);
    const std::vector<float> first = {0.0f, std::log(3.0f), 1.0f};
    Vector s0 = Vector::Zero(4);
    s0[0] = 2.0f;
    const StepResult r = runStep(file, first, s0, 3);
    expectNear(r.energies, {0.0, std::log(3.0), 1.0}, "energies");
    expectNear(r.attention, normalized({1.0, 3.0, std::exp(1.0)}), "attention");
    expectContext(r, first);
}

// W = 2 I: e_j = (W s_1) . h_j = 2 h_j0.
void TestScorers::luongGeneral()
{
    ModelFile file = test::makeRandomModel(Architecture::Luong, LuongScore::General);
    zeroDecoder(file);
    setIdentity(file.tensors.at("decoder.attention.linear.weight"), 2.0f);
    const std::vector<float> first = {0.0f, 0.5f * std::log(3.0f), -1.0f};
    Vector s0 = Vector::Zero(4);
    s0[0] = 2.0f;
    const StepResult r = runStep(file, first, s0, 3);
    expectNear(r.energies, {0.0, std::log(3.0), -2.0}, "energies");
    expectNear(r.attention, normalized({1.0, 3.0, std::exp(-2.0)}), "attention");
    expectContext(r, first);
}

// attn = 0 with bias [0, ln 3, 0, 0, 0] over L = 5 slots: a = [1, 3, 1, 1, 1] / 7 whatever the
// input; 3 real positions, so 2/7 falls on the padding slots and adds nothing to the context.
void TestScorers::legacyLocation()
{
    ModelFile file = test::makeRandomModel(Architecture::TutorialLegacy);
    zeroDecoder(file);
    file.tensors.at("decoder.attention.location.bias").values = {0, std::log(3.0f), 0, 0, 0};
    const std::vector<float> first = {1.0f, 2.0f, 3.0f};
    const StepResult r = runStep(file, first, Vector::Constant(4, -0.7f), 5);
    expectNear(r.energies, {0.0, std::log(3.0), 0, 0, 0}, "energies");
    expectNear(r.attention, {1 / 7.0, 3 / 7.0, 1 / 7.0, 1 / 7.0, 1 / 7.0}, "attention");
    QVERIFY(std::abs(r.attention.tail(2).sum() - 2 / 7.0) < 1e-6);
    expectContext(r, first);
}

// W = I, b = [-1, 0, 0, 0]: e_j = (s_1 + b) . h_j = 0 . h_j = 0 for s_1 = [1, 0, 0, 0]; with
// b = [1, 0, 0, 0] e_j = 2 h_j0.
void TestScorers::generalWithBias()
{
    ModelConfig config = luongConfig(4, LuongScore::General);
    config.attention.bias = true;
    ModelFile file = test::makeRandomModel(config, "general with bias");
    zeroDecoder(file);
    setIdentity(file.tensors.at("decoder.attention.linear.weight"), 1.0f);
    file.tensors.at("decoder.attention.linear.bias").values = {1, 0, 0, 0};
    const std::vector<float> first = {0.0f, 0.5f * std::log(3.0f), -1.0f};
    Vector s0 = Vector::Zero(4);
    s0[0] = 2.0f;
    const StepResult r = runStep(file, first, s0, 3);
    expectNear(r.energies, {0.0, std::log(3.0), -2.0}, "energies");
    expectContext(r, first);
}

// Joey's luong, CS224n, the chatbot tutorial's general: e_j = s_1 . (W h_j + b) with W = 2 I,
// b = [0.5, 0, 0, 0] and s_1 = [1, 0, 0, 0]: e_j = 2 h_j0 + 0.5.
void TestScorers::bilinearWithBias()
{
    ModelConfig config = luongConfig(4, LuongScore::General);
    config.attention.score = Score::Bilinear;
    config.attention.bias = true;
    ModelFile file = test::makeRandomModel(config, "bilinear");
    zeroDecoder(file);
    setIdentity(file.tensors.at("decoder.attention.linear.weight"), 2.0f);
    file.tensors.at("decoder.attention.linear.bias").values = {0.5f, 0, 0, 0};
    const std::vector<float> first = {0.0f, 0.5f, -0.25f};
    Vector s0 = Vector::Zero(4);
    s0[0] = 2.0f;
    const StepResult r = runStep(file, first, s0, 3);
    expectNear(r.energies, {0.5, 1.5, 0.0}, "energies");
    expectNear(r.attention, normalized({std::exp(0.5), std::exp(1.5), 1.0}), "attention");
    expectContext(r, first);
}

// Joey's bahdanau and d2l: no bias anywhere, so e_j = v . tanh(W_q q + W_k h_j) = tanh(h_j0)
// with W_q = 0, W_k = I, v = [1, 0, 0, 0].
void TestScorers::additiveWithoutBiases()
{
    ModelConfig config = bahdanauConfig(4);
    config.attention.queryBias = config.attention.keyBias = config.attention.energyBias = false;
    ModelFile file = test::makeRandomModel(config, "additive without biases");
    QVERIFY(!file.tensors.count("decoder.attention.energy_layer.bias"));
    zeroDecoder(file);
    setIdentity(file.tensors.at("decoder.attention.key_layer.weight"), 1.0f);
    file.tensors.at("decoder.attention.energy_layer.weight").values = {1, 0, 0, 0};
    const std::vector<float> first = {0.0f, std::atanh(0.5f), std::atanh(-0.5f)};
    const StepResult r = runStep(file, first, Vector::Constant(4, 0.3f), 3);
    expectNear(r.energies, {0.0, 0.5, -0.5}, "energies");
    expectContext(r, first);
}

// The chatbot tutorial's concat: e_j = v . tanh(W [s_1; h_j] + b) + b_v with W = [I | I], b = 0,
// v = [1, 0, 0, 0], b_v = 0.5 and s_1 = [1, 0, 0, 0]: e_j = tanh(1 + h_j0) + 0.5.
void TestScorers::concat()
{
    ModelConfig config = luongConfig(4, LuongScore::General);
    config.attention = {};
    config.attention.score = Score::Concat;
    config.attention.hiddenSize = 4;
    ModelFile file = test::makeRandomModel(config, "concat");
    zeroDecoder(file);
    Tensor &w = file.tensors.at("decoder.attention.concat.weight"); // [4 x 8]
    for (int i = 0; i < 4; ++i)
        w.values[size_t(i * 8 + i)] = w.values[size_t(i * 8 + 4 + i)] = 1.0f;
    file.tensors.at("decoder.attention.energy_layer.weight").values = {1, 0, 0, 0};
    file.tensors.at("decoder.attention.energy_layer.bias").values = {0.5f};
    const std::vector<float> first = {-1.0f, std::atanh(0.5f) - 1.0f, std::atanh(-0.5f) - 1.0f};
    Vector s0 = Vector::Zero(4);
    s0[0] = 2.0f;
    const StepResult r = runStep(file, first, s0, 3);
    expectNear(r.energies, {0.5, 1.0, 0.0}, "energies");
    expectContext(r, first);
}

QTEST_GUILESS_MAIN(TestScorers)
#include "tst_scorers.moc"
