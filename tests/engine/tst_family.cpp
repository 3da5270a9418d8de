// The pieces of the RNN attention family on weights chosen so that every number can be worked
// out by hand: the LSTM cell's gate order, the bidirectional and multi-layer encoder, each
// initial-state rule, input feeding, the source without EOS. (tst_golden checks the same
// pieces together against PyTorch on random weights.)
#include "models/decoder.h"
#include "models/factory.h"
#include "testmodels.h"

#include <attnviz/decoding/translate.h>
#include <attnviz/layers/rnn.h>

#include <QTest>

#include <cmath>

using namespace attnviz;

namespace {

void zeroAll(ModelFile &file)
{
    for (auto &[name, tensor] : file.tensors)
        std::fill(tensor.values.begin(), tensor.values.end(), 0.0f);
}

// Sets the bias of the GRU's n gate (the last third of bias_ih) to atanh(x): with zero weights
// r = z = 1/2 and n = x whatever the input, so h_t = (x + h_{t-1}) / 2.
void setGruCandidate(ModelFile &file, const std::string &name, int hidden, float x)
{
    Tensor &bias = file.tensors.at(name);
    for (int i = 0; i < hidden; ++i)
        bias.values[size_t(2 * hidden + i)] = std::atanh(x);
}

// h_t = (x + h_{t-1}) / 2 from h_0 = 0, t = 1..n.
float halving(float x, int n)
{
    return x * (1.0f - std::ldexp(1.0f, -n));
}

void expectNear(double actual, double expected, const char *what)
{
    QVERIFY2(std::abs(actual - expected) < 1e-6,
             qPrintable(QStringLiteral("%1: %2 != %3").arg(QLatin1String(what)).arg(actual, 0, 'g', 9).arg(expected, 0, 'g', 9)));
}

// A GRU encoder of He = 2 per direction over 3 positions, all weights zero.
ModelConfig encoderConfig(bool bidirectional, DirectionMerge merge, int layers)
{
    ModelConfig config = bahdanauConfig(2);
    config.encoder.layers = config.decoder.layers = layers;
    config.encoder.bidirectional = bidirectional;
    config.encoder.merge = merge;
    config.decoder.hiddenSize = bidirectional ? 4 : 2;
    return config;
}

} // namespace

class TestFamily : public QObject
{
    Q_OBJECT

private slots:
    void lstmGateOrder();
    void lstmReadsTheHiddenState();
    void bidirectionalEncoder_data();
    void bidirectionalEncoder();
    void multiLayerEncoderFeedsTheLayerAbove();
    void initialState_data();
    void initialState();
    void inputFeedingFeedsTheAttentionalVectorBack();
    void sourceWithoutEos();
    void embeddingScale();
};

// gi = [i, f, g, o] pre-activations: sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4,
// tanh(atanh 0.5) = 0.5, sigmoid(0) = 1/2: c' = f c + i g = 0.1 + 0.375, h' = o tanh(c').
void TestFamily::lstmGateOrder()
{
    const std::vector<float> zero(4, 0.0f);
    RnnCellView lstm;
    lstm.cell = Cell::Lstm;
    lstm.inputToHidden = {zero.data(), zero.data(), 4, 1};
    lstm.hiddenToHidden = {zero.data(), zero.data(), 4, 1};
    MatrixRM gi(1, 4), h(1, 1), c(1, 1), hOut(1, 1), cOut(1, 1), gh(1, 4);
    gi << std::log(3.0f), -std::log(3.0f), std::atanh(0.5f), 0.0f;
    h << 0.9f; // W_hh = 0: not read
    c << 0.4f;
    rnnStepRows(lstm, gi, h, c, hOut, cOut, gh);
    expectNear(cOut(0, 0), 0.25 * 0.4 + 0.75 * 0.5, "c'");
    expectNear(hOut(0, 0), 0.5 * std::tanh(0.475), "h'");
}

// W_hh = [2, 0, 0, 0]^T (the input gate reads h) and b_hh on the forget gate: i = sigmoid(2 h).
void TestFamily::lstmReadsTheHiddenState()
{
    const std::vector<float> zero(4, 0.0f), whh = {2, 0, 0, 0}, bhh = {0, std::log(3.0f), 0, 0};
    RnnCellView lstm;
    lstm.cell = Cell::Lstm;
    lstm.inputToHidden = {zero.data(), zero.data(), 4, 1};
    lstm.hiddenToHidden = {whh.data(), bhh.data(), 4, 1};
    MatrixRM gi = MatrixRM::Zero(1, 4), h(1, 1), c(1, 1), hOut(1, 1), cOut(1, 1), gh(1, 4);
    gi(0, 2) = std::atanh(0.8f); // g = 0.8
    h << 0.5f * std::log(3.0f);  // i = 3/4
    c << 1.0f;                   // f = 3/4
    rnnStepRows(lstm, gi, h, c, hOut, cOut, gh);
    expectNear(cOut(0, 0), 0.75 * 1.0 + 0.75 * 0.8, "c'");
    expectNear(hOut(0, 0), 0.5 * std::tanh(1.35), "h'");
}

void TestFamily::bidirectionalEncoder_data()
{
    QTest::addColumn<int>("merge");
    QTest::newRow("concat") << int(DirectionMerge::Concat);
    QTest::newRow("sum") << int(DirectionMerge::Sum);
}

// Forward n = 0.4, backward n = -0.8: the forward direction halves towards 0.4 from the first
// word, the backward one towards -0.8 from the last.
void TestFamily::bidirectionalEncoder()
{
    QFETCH(int, merge);
    ModelConfig config = encoderConfig(true, DirectionMerge(merge), 1);
    if (DirectionMerge(merge) == DirectionMerge::Sum) {
        config.decoder.init = InitRule::Zero; // [fwd; bwd] is 4 wide, the decoder 2
        config.decoder.hiddenSize = 2;
    }
    ModelFile file = test::makeRandomModel(config, "bidirectional");
    zeroAll(file);
    setGruCandidate(file, "encoder.rnn.bias_ih_l0", 2, 0.4f);
    setGruCandidate(file, "encoder.rnn.bias_ih_l0_reverse", 2, -0.8f);
    const Model model(std::move(file));
    const Encoding e = model.encode({3, 4, 5});
    const float fwd[3] = {halving(0.4f, 1), halving(0.4f, 2), halving(0.4f, 3)};
    const float bwd[3] = {halving(-0.8f, 3), halving(-0.8f, 2), halving(-0.8f, 1)};
    QCOMPARE(e.annotations.rows(), 3);
    for (int t = 0; t < 3; ++t) {
        if (DirectionMerge(merge) == DirectionMerge::Concat) {
            QCOMPARE(e.annotations.cols(), 4);
            expectNear(e.annotations(t, 0), fwd[t], "forward half");
            expectNear(e.annotations(t, 3), bwd[t], "backward half");
        } else {
            QCOMPARE(e.annotations.cols(), 2);
            expectNear(e.annotations(t, 1), fwd[t] + bwd[t], "sum");
        }
    }
    // h_n: the forward state after the last word, the backward one after the first.
    QCOMPARE(e.finalHidden.rows(), 2);
    expectNear(e.finalHidden(0, 0), fwd[2], "final forward");
    expectNear(e.finalHidden(1, 1), bwd[0], "final backward");
}

// Layer 2's n gate reads layer 1's output (W_in = [[w, 0], [0, 0]]): n_t = tanh(w h1_t).
void TestFamily::multiLayerEncoderFeedsTheLayerAbove()
{
    ModelFile file = test::makeRandomModel(encoderConfig(false, DirectionMerge::Concat, 2), "two layers");
    zeroAll(file);
    setGruCandidate(file, "encoder.rnn.bias_ih_l0", 2, 0.6f);
    const float w = 1.5f;
    file.tensors.at("encoder.rnn.weight_ih_l1").values[size_t(4 * 2 + 0)] = w; // row 2H + 0, column 0
    const Model model(std::move(file));
    const Encoding e = model.encode({3, 4, 5, 3});
    float below = 0, above = 0;
    for (int t = 0; t < 4; ++t) {
        below = 0.5f * (0.6f + below);
        above = 0.5f * (std::tanh(w * below) + above);
        expectNear(e.annotations(t, 0), above, "layer 2, unit 0");
        expectNear(e.annotations(t, 1), 0.0, "layer 2, unit 1 (its n gate reads nothing)");
    }
    expectNear(e.finalHidden(0, 0), halving(0.6f, 4), "layer 1 final state");
    expectNear(e.finalHidden(1, 0), above, "layer 2 final state");
}

void TestFamily::initialState_data()
{
    QTest::addColumn<int>("rule");
    QTest::addColumn<int>("cellRule");
    QTest::newRow("zero") << int(InitRule::Zero) << int(InitRule::Zero);
    QTest::newRow("final") << int(InitRule::Final) << int(InitRule::Final);
    QTest::newRow("last") << int(InitRule::Last) << int(InitRule::Hidden);
    QTest::newRow("bridge") << int(InitRule::Bridge) << int(InitRule::Bridge);
    QTest::newRow("onmt_bridge") << int(InitRule::OnmtBridge) << int(InitRule::OnmtBridge);
    QTest::newRow("first_layers") << int(InitRule::FirstLayers) << int(InitRule::Zero);
}

// A 2-layer bidirectional LSTM encoder (He = 2) and a 2-layer LSTM decoder, given final states
// h_{l,d} = [10 l + 2 d + 1, 10 l + 2 d + 2] (c the same plus 100), in h_n order.
void TestFamily::initialState()
{
    QFETCH(int, rule);
    QFETCH(int, cellRule);
    const InitRule init = InitRule(rule), cellInit = InitRule(cellRule);
    ModelConfig config = luongConfig(4, LuongScore::General);
    config.encoder = {Cell::Lstm, 2, 3, 2, true, DirectionMerge::Concat, false};
    config.decoder.cell = Cell::Lstm;
    config.decoder.layers = 2;
    config.decoder.hiddenSize = init == InitRule::FirstLayers ? 2 : 4;
    config.decoder.init = init;
    config.decoder.cellInit = cellInit;
    config.decoder.bridgeActivation = Activation::Tanh;
    config.decoder.input = DecoderInput::InputFeeding;
    ModelFile file = test::makeRandomModel(config, "init");
    zeroAll(file);
    const int Hd = config.decoder.hiddenSize;
    // Bridges: W = I / 100 (bridge, tanh) or I (onmt_bridge, relu), bias -0.05 on the first row.
    for (const char *prefix : {"decoder.bridge", "decoder.bridge_cell"}) {
        if (!file.tensors.count(std::string(prefix) + ".weight"))
            continue;
        Tensor &w = file.tensors.at(std::string(prefix) + ".weight");
        for (int64_t i = 0; i < w.shape[0]; ++i)
            w.values[size_t(i * w.shape[1] + i)] = init == InitRule::Bridge ? 0.01f : 1.0f;
        file.tensors.at(std::string(prefix) + ".bias").values[0] = -0.05f;
    }
    const Model model(std::move(file));
    Encoding e;
    e.finalHidden.resize(4, 2);
    for (int l = 0; l < 2; ++l)
        for (int d = 0; d < 2; ++d)
            e.finalHidden.row(2 * l + d) << 10.0f * l + 2 * d + 1, 10.0f * l + 2 * d + 2;
    e.finalCell = e.finalHidden.array() + 100.0f;
    const Vector s = model.initialDecoderState(e);
    QCOMPARE(s.size(), 2 * 2 * Hd + Hd); // h and c of both layers, then the fed-back vector
    const auto hidden = [&](int layer, int i) { return double(s[layer * Hd + i]); };
    const auto cell = [&](int layer, int i) { return double(s[2 * Hd + layer * Hd + i]); };
    for (int l = 0; l < 2; ++l) {
        switch (init) {
        case InitRule::Zero:
            QCOMPARE(s.norm(), 0.0f);
            break;
        case InitRule::Final: // [h_{l,0}; h_{l,1}]
            expectNear(hidden(l, 0), 10 * l + 1, "final h");
            expectNear(hidden(l, 3), 10 * l + 4, "final h backward");
            expectNear(cell(l, 2), 10 * l + 103, "final c");
            break;
        case InitRule::Last: // the top layer's [fwd; bwd], every layer; the cell copies it
            expectNear(hidden(l, 0), 11, "last");
            expectNear(hidden(l, 3), 14, "last");
            expectNear(cell(l, 3), 14, "cell = hidden");
            break;
        case InitRule::Bridge: // tanh(x / 100 + b) of the top layer, every layer
            expectNear(hidden(l, 0), std::tanh(0.11 - 0.05), "bridge");
            expectNear(hidden(l, 2), std::tanh(0.13), "bridge");
            expectNear(cell(l, 1), std::tanh(1.12), "cell bridge");
            break;
        case InitRule::OnmtBridge: // relu(x + b) over all four states, directions of a layer joined
            expectNear(hidden(l, 0), 10 * l + 1 - (l == 0 ? 0.05 : 0), "onmt bridge");
            expectNear(hidden(l, 3), 10 * l + 4, "onmt bridge");
            expectNear(cell(l, 1), 10 * l + 102, "onmt cell bridge");
            break;
        case InitRule::FirstLayers: // h_n rows 0 and 1: layer 0's forward and backward states
            expectNear(hidden(l, 0), 2 * l + 1, "first_layers");
            expectNear(hidden(l, 1), 2 * l + 2, "first_layers");
            expectNear(cell(l, 0), 0, "cell zero");
            break;
        case InitRule::Hidden:
            break;
        }
    }
    for (int i = 0; i < Hd; ++i)
        QCOMPARE(s[4 * Hd + i], 0.0f); // the attentional vector before the first step
}

// GRU decoder (Hd = 2) with input feeding, zero weights but two: the n gate reads the fed-back
// vector (W_ih column Ed + 0), and the attentional layer's bias is [0.5, -0.25] with W = 0, so
// o_t = tanh([0.5, -0.25]) at every step. Step 1 sees o_0 = 0, step 2 sees o_1.
void TestFamily::inputFeedingFeedsTheAttentionalVectorBack()
{
    ModelConfig config = luongConfig(2, LuongScore::Dot);
    config.decoder.input = DecoderInput::InputFeeding;
    config.decoder.attentional = Attentional::StateContext;
    config.decoder.init = InitRule::Zero;
    ModelFile file = test::makeRandomModel(config, "feeding");
    zeroAll(file);
    Tensor &wih = file.tensors.at("decoder.rnn.weight_ih_l0"); // [3 Hd x (Ed + Hd)] = [6 x 4]
    wih.values[size_t(4 * 4 + 2)] = 1.0f;                      // n gate, unit 0 <- o_{t-1}[0]
    file.tensors.at("decoder.attentional.bias").values = {0.5f, -0.25f};
    const auto decoder = makeDecoder(file);
    QCOMPARE(decoder->stateSize(), 2 + 2);
    MatrixRM annotations = MatrixRM::Zero(2, 2);
    DecoderWorkspace ws;
    new (&ws.annotations) Eigen::Map<const MatrixRM>(annotations.data(), 2, 2);
    decoder->prepare(ws, 1);
    MatrixRM energies(1, 2), attention(1, 2), context(1, 2), state(1, 4), next(1, 4), logProbs(1, 7);
    StepOutput out{energies, attention, context, next, logProbs};
    state.setZero();
    const int token = 0;
    decoder->step(&token, state, StepControl{}, ws, out);
    const double o0 = std::tanh(0.5), o1 = std::tanh(-0.25);
    expectNear(next(0, 0), 0.0, "s_1 from o_0 = 0");
    expectNear(next(0, 2), o0, "o_1[0] kept in the state");
    expectNear(next(0, 3), o1, "o_1[1] kept in the state");
    state = next;
    decoder->step(&token, state, StepControl{}, ws, out);
    expectNear(next(0, 0), 0.5 * std::tanh(o0), "s_2 reads o_1");
}

// OpenNMT frames no source with EOS: the words alone are encoded, attended and counted.
void TestFamily::sourceWithoutEos()
{
    ModelConfig config = luongConfig(4, LuongScore::General);
    config.sourceEos = false;
    const Model model(test::makeRandomModel(config, "no eos"));
    const TranslationResult r = translate(model, "i am cold", {});
    QCOMPARE(r.sourceTokens, (std::vector<std::string>{"i", "am", "cold"}));
    QCOMPARE(r.sourceLength(), 3);
    QCOMPARE(r.best().attention.cols(), 3);
    QVERIFY(!r.sourceEos);
    // Nothing to encode is an input error, not an empty matrix.
    QVERIFY_THROWS_EXCEPTION(InputError, translate(model, "", {}));
    // The default limit counts the words: 2 x 3 + 10 steps at most.
    QVERIFY(r.best().steps() <= 16);
}

// x sqrt(Ee): with n = tanh(W_in x) reading embedding unit 0 (= 0.3), the scale changes h_1.
void TestFamily::embeddingScale()
{
    for (const bool scale : {false, true}) {
        ModelConfig config = bahdanauConfig(2);
        config.encoder.embeddingSize = 4;
        config.encoder.embeddingScale = scale;
        ModelFile file = test::makeRandomModel(config, "scale");
        zeroAll(file);
        file.tensors.at("encoder.embedding.weight").values[size_t(3 * 4)] = 0.3f; // word 3, unit 0
        file.tensors.at("encoder.rnn.weight_ih_l0").values[size_t(4 * 4)] = 1.0f; // n gate, unit 0
        const Model model(std::move(file));
        const Encoding e = model.encode({3});
        expectNear(e.annotations(0, 0), 0.5 * std::tanh(0.3 * (scale ? 2.0 : 1.0)), "h_1");
    }
}

QTEST_GUILESS_MAIN(TestFamily)
#include "tst_family.moc"
