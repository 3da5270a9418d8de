// Comparing two models on one sentence, and one model across its training run (#19).
#include <attnviz/analysis/compare.h>
#include <attnviz/analysis/compare_json.h>
#include <attnviz/analysis/training_run.h>
#include <attnviz/io/model_import.h>

#include "testmodels.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using attnviz::MatrixRM;
using attnviz::Vector;

namespace {

Vector row(std::initializer_list<float> values)
{
    Vector v(static_cast<Eigen::Index>(values.size()));
    Eigen::Index j = 0;
    for (float x : values)
        v[j++] = x;
    return v;
}

std::shared_ptr<const attnviz::Model> sample(const char *name)
{
    return attnviz::Model::fromFile(std::string(ATTNVIZ_SOURCE_DIR "/sample_models/") + name + ".safetensors");
}

std::shared_ptr<const attnviz::Model> randomModel(unsigned seed, const std::vector<std::string> &sourceVocab = {},
                                                  const std::vector<std::string> &targetVocab = {})
{
    attnviz::ModelFile file = attnviz::test::makeRandomModel(attnviz::bahdanauConfig(4), "random", seed);
    if (!sourceVocab.empty())
        file.sourceVocab = sourceVocab;
    if (!targetVocab.empty())
        file.targetVocab = targetVocab;
    return std::make_shared<const attnviz::Model>(std::move(file));
}

// A model folder or checkpoint, as File → Open and attnviz-cli read it.
std::shared_ptr<const attnviz::Model> opened(const std::string &path)
{
    return std::make_shared<const attnviz::Model>(attnviz::openModel(path).model, path);
}

const std::string transformers = ATTNVIZ_SOURCE_DIR "/tests/data/transformer/";
const std::string marianSample = ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian";

} // namespace

class TestCompare : public QObject
{
    Q_OBJECT

private slots:
    void jensenShannonByHand();
    void entropyAndArgmaxByHand();
    void compareRowsByHand();
    void sourceAttentionDropsSlots();
    void identicalModelsAgree();
    void forcedRowsLineUp();
    void useModelB();
    void cancelledMidDecoding();
    void referenceTarget();
    void sourceVocabulariesDiffer();
    void targetVocabulariesDiffer();
    void corpusMeansAndAer();
    void stepFromName_data();
    void stepFromName();
    void checkpointsOrderedByStep();
    void directoryRun();
    void directoryWithoutCheckpoints();
    void timelineOnRandomRun();
    void toolkitRuns();
    void subwordPiecesAreForcedAsIds();
    void transformersWhoseTokensAgree();
    void wordsWhenPiecesDiffer();
    void timelineOfTransformers();
    void trainerCheckpointFolders();
};

void TestCompare::jensenShannonByHand()
{
    // Disjoint rows: ln 2, the largest value.
    QCOMPARE(attnviz::jensenShannon(row({1, 0}), row({0, 1})), std::log(2.0));
    // p = (½, ½), q = (1, 0): m = (¾, ¼); KL(p‖m) = ½ ln(4/3), KL(q‖m) = ln(4/3), JSD = ¾ ln(4/3).
    QVERIFY(std::abs(attnviz::jensenShannon(row({0.5f, 0.5f}), row({1, 0})) - 0.75 * std::log(4.0 / 3.0)) < 1e-7);
    // Symmetric, and 0 on identical rows.
    const Vector p = row({0.1f, 0.2f, 0.7f}), q = row({0.7f, 0.2f, 0.1f});
    QCOMPARE(attnviz::jensenShannon(p, q), attnviz::jensenShannon(q, p));
    QCOMPARE(attnviz::jensenShannon(p, p), 0.0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, attnviz::jensenShannon(p, row({1, 0})));
    // The double rows (attribution's rowAgreement calls this one): the same value, to double precision.
    Eigen::VectorXd pd(2), qd(2);
    pd << 0.5, 0.5;
    qd << 1, 0;
    QVERIFY(std::abs(attnviz::jensenShannon(pd, qd) - 0.75 * std::log(4.0 / 3.0)) < 1e-15);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, attnviz::jensenShannon(pd, Eigen::VectorXd(Eigen::VectorXd::Ones(3))));
}

void TestCompare::entropyAndArgmaxByHand()
{
    QVERIFY(std::abs(attnviz::rowEntropy(row({0.5f, 0.5f})) - std::log(2.0)) < 1e-7);
    QVERIFY(std::abs(attnviz::rowEntropy(row({0.25f, 0.25f, 0.5f})) - 1.5 * std::log(2.0)) < 1e-7);
    QCOMPARE(attnviz::rowEntropy(row({0, 1, 0})), 0.0);
    QCOMPARE(attnviz::rowArgmax(row({0.1f, 0.7f, 0.2f})), 1);
    QCOMPARE(attnviz::rowArgmax(row({0.4f, 0.2f, 0.4f})), 0); // a tie goes to the first
}

void TestCompare::compareRowsByHand()
{
    MatrixRM a(2, 3), b(2, 3);
    a << 0.5f, 0.5f, 0, 0.1f, 0.2f, 0.7f;
    b << 1, 0, 0, 0.7f, 0.2f, 0.1f;
    const attnviz::RowComparison c = attnviz::compareRows(a, b);
    // Row 1: m = (0.4, 0.2, 0.4); each KL is 0.1 ln(0.25) + 0.7 ln(1.75), and so is their mean.
    const double jsd0 = 0.75 * std::log(4.0 / 3.0), jsd1 = 0.1 * std::log(0.25) + 0.7 * std::log(1.75);
    QCOMPARE(c.jsd.size(), size_t(2));
    QVERIFY(std::abs(c.jsd[0] - jsd0) < 1e-6);
    QVERIFY(std::abs(c.jsd[1] - jsd1) < 1e-6);
    QCOMPARE(c.agreement, (std::vector<int>{1, 0})); // argmax 0 and 0, then 2 and 0
    QVERIFY(std::abs(c.meanJsd - (jsd0 + jsd1) / 2) < 1e-6);
    QCOMPARE(c.meanAgreement, 0.5);
    QVERIFY(std::abs(c.entropyA[0] - std::log(2.0)) < 1e-7);
    QCOMPARE(c.entropyB[0], 0.0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, attnviz::compareRows(a, MatrixRM(2, 2)));
}

void TestCompare::sourceAttentionDropsSlots()
{
    attnviz::TranslationResult r;
    r.sourceIds = {3, 1}; // two positions, five slots
    attnviz::Hypothesis h;
    h.attention.resize(1, 5);
    h.attention << 0.2f, 0.6f, 0.1f, 0.1f, 0.0f;
    r.hypotheses.push_back(h);
    const MatrixRM s = attnviz::sourceAttention(r);
    QCOMPARE(s.cols(), Eigen::Index(2));
    QVERIFY(std::abs(s(0, 0) - 0.25f) < 1e-6f && std::abs(s(0, 1) - 0.75f) < 1e-6f);
}

void TestCompare::identicalModelsAgree()
{
    const auto model = sample("tiny");
    const auto c = attnviz::compareModels(*model, *model, "the 3rd of may 1999", {});
    QVERIFY(!c.rows.jsd.empty());
    for (double d : c.rows.jsd)
        QCOMPARE(d, 0.0);
    QCOMPARE(c.rows.meanJsd, 0.0);
    QCOMPARE(c.rows.meanAgreement, 1.0);
    QCOMPARE(c.logProbA, c.logProbB);
    QVERIFY(c.attentionA == c.attentionB);
    QCOMPARE(c.rows.entropyA, c.rows.entropyB);
}

void TestCompare::forcedRowsLineUp()
{
    const auto a = sample("dates"), b = sample("tiny");
    const std::string sentence = "the 3rd of may 1999";
    const auto c = attnviz::compareModels(*a, *b, sentence, {});
    const attnviz::TranslationResult greedy = attnviz::translate(*a, sentence, {});
    // The shared output is A's translation; both forced results read exactly its tokens.
    QCOMPARE(c.sharedOutput, std::string("a"));
    QCOMPARE(c.targetTokens, greedy.best().targetTokens);
    QCOMPARE(c.a.best().targetTokens, c.targetTokens);
    QCOMPARE(c.b.best().targetTokens, c.targetTokens);
    QCOMPARE(c.targetTokens.back(), std::string("EOS"));
    QCOMPARE(c.attentionA.rows(), Eigen::Index(c.targetTokens.size()));
    QCOMPARE(c.attentionB.rows(), c.attentionA.rows());
    QCOMPARE(c.attentionB.cols(), Eigen::Index(c.sourceTokens.size()));
    // Forcing A on its own greedy output gives its greedy rows back.
    QVERIFY((c.attentionA - greedy.best().attention).cwiseAbs().maxCoeff() < 1e-6f);
    QVERIFY(std::abs(c.logProbA - greedy.best().score) < 1e-5);
    // The per-step numbers are those of the rows.
    for (int i = 0; i < c.attentionA.rows(); ++i) {
        const Vector p = c.attentionA.row(i).transpose(), q = c.attentionB.row(i).transpose();
        QCOMPARE(c.rows.jsd[size_t(i)], attnviz::jensenShannon(p, q));
        QCOMPARE(c.rows.agreement[size_t(i)], attnviz::rowArgmax(p) == attnviz::rowArgmax(q) ? 1 : 0);
    }
    QVERIFY(c.rows.meanJsd > 0); // two different models
    QVERIFY(std::abs(c.logProbB - c.b.best().score) < 1e-12);
}

void TestCompare::useModelB()
{
    const auto a = sample("dates"), b = sample("tiny");
    attnviz::CompareOptions options;
    options.use = attnviz::SharedOutput::B;
    const auto c = attnviz::compareModels(*a, *b, "march 3 2011", options);
    QCOMPARE(c.sharedOutput, std::string("b"));
    QCOMPARE(c.targetTokens, attnviz::translate(*b, "march 3 2011", {}).best().targetTokens);
    QCOMPARE(c.a.best().targetTokens, c.targetTokens);
}

void TestCompare::cancelledMidDecoding()
{
    const auto a = sample("dates"), b = sample("tiny");
    const std::string sentence = "the 3rd of may 1999";
    const int steps = int(attnviz::translate(*a, sentence, {}).best().targetTokens.size());
    QVERIFY(steps > 3);
    // Asked at every decoder step: the comparison stops on the third ask, inside A's decoding.
    int asked = 0;
    attnviz::CompareOptions options;
    options.cancelled = [&] { return ++asked >= 3; };
    QVERIFY_THROWS_EXCEPTION(attnviz::Cancelled, attnviz::compareModels(*a, *b, sentence, options));
    QCOMPARE(asked, 3);
    // In words too, and with a reference.
    asked = 0;
    options.units = attnviz::TokenUnits::Words;
    options.target = "1999-05-03";
    QVERIFY_THROWS_EXCEPTION(attnviz::Cancelled, attnviz::compareModels(*a, *b, sentence, options));
    QCOMPARE(asked, 3);
    // Never true: the same comparison as without the hook, every step asked.
    asked = 0;
    options = {};
    options.cancelled = [&] { return ++asked < 0; };
    const auto c = attnviz::compareModels(*a, *b, sentence, options);
    QVERIFY(c.attentionA == attnviz::compareModels(*a, *b, sentence, {}).attentionA);
    QVERIFY(asked >= 2 * steps); // A's greedy and both forced decodings
}

void TestCompare::referenceTarget()
{
    const auto a = sample("dates"), b = sample("tiny");
    attnviz::CompareOptions options;
    options.target = "1999 05 03";
    options.use = attnviz::SharedOutput::B; // ignored: the reference wins
    const auto c = attnviz::compareModels(*a, *b, "the 3rd of may 1999", options);
    QCOMPARE(c.sharedOutput, std::string("target"));
    QCOMPARE(c.targetTokens, (std::vector<std::string>{"1999", "05", "03", "EOS"}));
}

void TestCompare::sourceVocabulariesDiffer()
{
    const auto a = randomModel(1);
    const auto b = randomModel(2, {"SOS", "EOS", "UNK", "i", "am", "hot"});
    try {
        attnviz::compareModels(*a, *b, "i am cold", {});
        QFAIL("expected a ComparisonError");
    } catch (const attnviz::ComparisonError &e) {
        const QByteArray message(e.what());
        QVERIFY2(message.contains("model A [i am cold EOS], model B [i am UNK EOS]"), e.what());
        QVERIFY2(message.contains("the vocabularies differ"), e.what());
    }
}

void TestCompare::targetVocabulariesDiffer()
{
    const auto a = randomModel(1);
    const auto b = randomModel(2, {}, {"SOS", "EOS", "UNK", "je", "suis", "chaud", "ai"});
    attnviz::CompareOptions options;
    options.target = "je suis froid";
    try {
        attnviz::compareModels(*a, *b, "i am cold", options);
        QFAIL("expected a ComparisonError");
    } catch (const attnviz::ComparisonError &e) {
        QCOMPARE(QByteArray(e.what()), QByteArray("model B's target vocabulary has no 'froid' (the shared output is "
                                                  "[je suis froid EOS]): the vocabularies differ"));
    }
}

void TestCompare::corpusMeansAndAer()
{
    const auto a = sample("dates"), b = sample("tiny");
    attnviz::CorpusComparison corpus;
    const std::vector<std::pair<std::string, std::string>> pairs = {{"the 3rd of may 1999", "1999 05 03"},
                                                                    {"march 3 2011", "2011 03 03"}};
    attnviz::GoldAlignment gold0, gold1;
    gold0.sure = {{4, 0}, {3, 1}, {1, 2}};
    gold1.sure = {{2, 0}, {0, 1}, {1, 2}};
    double jsd = 0, agreement = 0;
    attnviz::AlignmentCounts countsA;
    for (size_t n = 0; n < pairs.size(); ++n) {
        attnviz::CompareOptions options;
        options.target = pairs[n].second;
        const auto c = attnviz::compareModels(*a, *b, pairs[n].first, options);
        corpus.add(c, n == 0 ? &gold0 : &gold1);
        jsd += c.rows.meanJsd / 2;
        agreement += c.rows.meanAgreement / 2;
        countsA += attnviz::countAgreement(attnviz::hardLinks(c.a, c.a.best()), n == 0 ? gold0 : gold1);
    }
    QCOMPARE(corpus.sentences, 2);
    QVERIFY(std::abs(corpus.meanJsd - jsd) < 1e-12);
    QVERIFY(std::abs(corpus.agreement - agreement) < 1e-12);
    QVERIFY(corpus.countsA && corpus.countsB);
    QCOMPARE(corpus.countsA->aAndS, countsA.aAndS);
    QCOMPARE(corpus.countsA->s, 6LL);
    // The dates model aligns these as the gold does (tst_alignment's hardLinksOnDatesModel).
    QCOMPARE(corpus.countsA->alignmentErrorRate(), 0.0);
}

void TestCompare::stepFromName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<qlonglong>("step");
    QTest::newRow("attnviz") << "model_step_300.safetensors" << 300LL;
    QTest::newRow("epoch") << "epoch-3.safetensors" << 3LL;
    QTest::newRow("joey") << "12000.ckpt" << 12000LL;
    QTest::newRow("onmt") << "deen_step_5000.pt" << 5000LL;
    QTest::newRow("tutorial") << "4000_checkpoint.tar" << 4000LL;
    QTest::newRow("last number") << "run2_step_40.safetensors" << 40LL;
    QTest::newRow("none") << "best.ckpt" << -1LL;
}

void TestCompare::stepFromName()
{
    QFETCH(QString, name);
    QFETCH(qlonglong, step);
    QCOMPARE(attnviz::stepFromName(name.toStdString()).value_or(-1), step);
}

void TestCompare::checkpointsOrderedByStep()
{
    // By the number, not by the name: "1000" sorts before "300" as text.
    const auto ordered = attnviz::orderCheckpoints(
        {"/r/model_step_1000.safetensors", "/r/best.safetensors", "/r/model_step_300.safetensors",
         "/r/model_step_20.safetensors"});
    std::vector<long long> steps;
    std::vector<std::string> files;
    for (const auto &c : ordered) {
        steps.push_back(c.step);
        files.push_back(c.file);
    }
    QCOMPARE(steps, (std::vector<long long>{20, 300, 1000, -1}));
    QCOMPARE(files.back(), std::string("best.safetensors"));
    QCOMPARE(ordered.front().path, std::string("/r/model_step_20.safetensors"));
}

void TestCompare::directoryRun()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string root = dir.path().toStdString();
    for (int step : {1000, 20, 300})
        attnviz::saveModelFile(attnviz::test::makeRandomModel(attnviz::bahdanauConfig(4), "r", unsigned(step)),
                               root + "/model_step_" + std::to_string(step) + ".safetensors");
    attnviz::saveModelFile(attnviz::test::makeRandomModel(attnviz::bahdanauConfig(4), "r", 9), root + "/best.safetensors");
    QFile(dir.filePath(QStringLiteral("notes_2.txt"))).open(QIODevice::WriteOnly);
    const attnviz::TrainingRun run = attnviz::TrainingRun::fromDirectory(root, 2);
    QCOMPARE(run.size(), 3); // best.safetensors has no step, notes_2.txt is no model
    QCOMPARE(run.checkpoints()[0].file, std::string("model_step_20.safetensors"));
    QCOMPARE(run.checkpoints()[2].step, 1000LL);
    // Lazy and cached: the same model comes back until it falls out of the cache of 2.
    const auto first = run.model(0);
    QCOMPARE(run.model(0).get(), first.get());
    run.model(1);
    run.model(2);
    QVERIFY(run.model(0).get() != first.get());
    QCOMPARE(run.model(0)->displayName(), std::string("model_step_20.safetensors"));
}

void TestCompare::directoryWithoutCheckpoints()
{
    QTemporaryDir dir;
    try {
        attnviz::TrainingRun::fromDirectory(dir.path().toStdString());
        QFAIL("expected a ModelError");
    } catch (const attnviz::ModelError &e) {
        QVERIFY2(QByteArray(e.what()).contains("holds no numbered checkpoint"), e.what());
    }
}

void TestCompare::timelineOnRandomRun()
{
    QTemporaryDir dir;
    std::vector<std::string> paths;
    for (int step : {30, 10, 20}) {
        paths.push_back(dir.path().toStdString() + "/epoch-" + std::to_string(step) + ".safetensors");
        attnviz::saveModelFile(attnviz::test::makeRandomModel(attnviz::bahdanauConfig(4), "r", unsigned(step)),
                               paths.back());
    }
    const attnviz::TrainingRun run = attnviz::TrainingRun::fromFiles(paths);
    attnviz::TimelineOptions options;
    options.maxLength = 5;
    const attnviz::Timeline t = attnviz::timeline(run, "i am cold", options);
    QCOMPARE(t.fixedOutput, std::string("last"));
    attnviz::DecodeOptions five;
    five.maxLength = 5;
    QCOMPARE(t.targetTokens, attnviz::translate(*run.model(2), "i am cold", five).best().targetTokens);
    QCOMPARE(t.points.size(), size_t(3));
    QCOMPARE(t.points[0].checkpoint.step, 10LL);
    QCOMPARE(t.points[2].agreementWithLast, 1.0);
    for (const attnviz::TimelinePoint &p : t.points) {
        QCOMPARE(p.result.best().targetTokens, t.targetTokens);
        QCOMPARE(p.attention.rows(), Eigen::Index(t.targetTokens.size()));
        // Agreement with the last checkpoint, recomputed from the rows.
        const attnviz::RowComparison rows = attnviz::compareRows(p.attention, t.points[2].attention);
        QCOMPARE(p.agreementWithLast, rows.meanAgreement);
        QVERIFY(std::abs(p.logProb - p.result.best().score) < 1e-12);
        QCOMPARE(p.entropy.size(), t.targetTokens.size());
    }
}

void TestCompare::toolkitRuns()
{
    // A Joey NMT model directory: its N.ckpt, in step order; best.ckpt and latest.ckpt repeat one
    // of them and are left out. Each opens through openModel as a Joey checkpoint.
    const QString joey = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/joey/gru-bahdanau-bridge");
    QTemporaryDir dir;
    for (const QString &name : {QStringLiteral("config.yaml"), QStringLiteral("src_vocab.txt"), QStringLiteral("trg_vocab.txt"),
                                QStringLiteral("best.ckpt"), QStringLiteral("100.ckpt")})
        QVERIFY(QFile::copy(joey + QLatin1Char('/') + name, dir.filePath(name)));
    QVERIFY(QFile::copy(joey + QStringLiteral("/100.ckpt"), dir.filePath(QStringLiteral("20.ckpt"))));
    const attnviz::TrainingRun run = attnviz::TrainingRun::fromDirectory(dir.path().toStdString());
    QCOMPARE(run.size(), 2);
    QCOMPARE(run.checkpoints()[0].file, std::string("20.ckpt"));
    QCOMPARE(run.checkpoints()[1].step, 100LL);
    QCOMPARE(run.model(1)->targetVocabSize(), run.model(0)->targetVocabSize());
    QCOMPARE(run.model(0)->displayName(), std::string("20.ckpt"));
    // OpenNMT-py: model_step_N.pt.
    const attnviz::TrainingRun onmt =
        attnviz::TrainingRun::fromDirectory(ATTNVIZ_SOURCE_DIR "/tests/data/onmt/brnn-gru-dot-bridge");
    QCOMPARE(onmt.size(), 1);
    QCOMPARE(onmt.checkpoints()[0].step, 200LL);
    QVERIFY(onmt.model(0)->sourceVocabSize() > 0);
}

void TestCompare::subwordPiecesAreForcedAsIds()
{
    // Regression (#19, #23): the Marian sample against itself was refused with "model A reads the
    // shared output [▁Le ▁rhume ▁est ▁froid .] as [... ▁ .]: its normalization splits the tokens
    // differently". The pieces were forced as text and SentencePiece split them again; the
    // message blamed the model. Forced by ids, the model forced on its own greedy output gives
    // back its greedy rows.
    const auto marian = opened(marianSample);
    const attnviz::TranslationResult greedy = attnviz::translate(*marian, "i am cold .", {});
    const attnviz::TranslationResult forced =
        attnviz::forceTokens(*marian, "i am cold .", greedy.best().targetTokens, "model A");
    QCOMPARE(forced.best().targetTokens, greedy.best().targetTokens);
    QCOMPARE(forced.sourceTokens, greedy.sourceTokens);
    QCOMPARE(forced.sourceWords, greedy.sourceWords);
    QVERIFY(forced.best().attention.isApprox(greedy.best().attention, 1e-5f));
    QVERIFY(std::abs(forced.best().score - greedy.best().score) < 1e-4);

    const attnviz::ModelComparison c = attnviz::compareModels(*marian, *marian, "i am cold .", {});
    QCOMPARE(c.units, attnviz::TokenUnits::Pieces);
    QCOMPARE(c.targetTokens, greedy.best().targetTokens);
    QCOMPARE(c.rows.meanJsd, 0.0);
    QCOMPARE(c.rows.meanAgreement, 1.0);
    QCOMPARE(c.logProbA, c.logProbB);
    QVERIFY((c.attentionA - c.attentionB).cwiseAbs().maxCoeff() == 0.0f);
    // The α compared is the default view, and the JSON says so.
    QCOMPARE(c.viewA, std::string("layer 3, mean of 4 heads"));
    const nlohmann::json j = attnviz::comparisonToJson(c);
    QCOMPARE(j["view_a"].get<std::string>(), c.viewA);
    QCOMPARE(j["units"].get<std::string>(), std::string("pieces"));
    // Another view: the first layer's head 2, for both.
    attnviz::CompareOptions options;
    options.view.layer = 0;
    options.view.heads = {1};
    const attnviz::ModelComparison head = attnviz::compareModels(*marian, *marian, "i am cold .", options);
    QCOMPARE(head.viewA, std::string("layer 1, head 2"));
    QCOMPARE(head.rows.meanJsd, 0.0);
    QVERIFY(!head.attentionA.isApprox(c.attentionA, 1e-3f));
}

void TestCompare::transformersWhoseTokensAgree()
{
    // Two random Marian models on one vocabulary and SentencePiece pair: the same pieces, so
    // the comparison is of pieces; B is forced on A's greedy output.
    const auto a = opened(transformers + "marian-opus-swish");
    const auto b = opened(transformers + "marian-gelu-noscale-safetensors-1x3");
    attnviz::CompareOptions options;
    options.maxLength = 4;
    const attnviz::ModelComparison c = attnviz::compareModels(*a, *b, "i am cold .", options);
    QCOMPARE(c.units, attnviz::TokenUnits::Pieces);
    attnviz::DecodeOptions greedy;
    greedy.maxLength = 4;
    const attnviz::TranslationResult greedyA = attnviz::translate(*a, "i am cold .", greedy);
    QCOMPARE(c.targetTokens, greedyA.best().targetTokens);
    QVERIFY(c.attentionA.isApprox(greedyA.best().attention, 1e-5f));
    QCOMPARE(c.b.best().targetIds, greedyA.best().targetIds);
    QVERIFY(c.rows.meanJsd > 0.0);
    for (double jsd : c.rows.jsd)
        QVERIFY(jsd >= 0.0 && jsd <= std::log(2.0) + 1e-12);
    QCOMPARE(c.viewA, std::string("layer 2, mean of 4 heads"));
    QCOMPARE(c.viewB, std::string("layer 3, mean of 4 heads"));
}

void TestCompare::wordsWhenPiecesDiffer()
{
    // Separate target vocabularies: B's pieces for A's output differ, the words agree.
    const auto a = opened(transformers + "marian-opus-swish");
    const auto b = opened(transformers + "marian-separate-vocabs");
    attnviz::CompareOptions options;
    options.maxLength = 3;
    options.units = attnviz::TokenUnits::Pieces;
    try {
        attnviz::compareModels(*a, *b, "i am cold .", options);
        QFAIL("expected a ComparisonError in pieces");
    } catch (const attnviz::ComparisonError &e) {
        QVERIFY2(QByteArray(e.what()).contains("model B"), e.what());
    }
    options.units.reset(); // pieces when they agree, else words
    const attnviz::ModelComparison c = attnviz::compareModels(*a, *b, "i am cold .", options);
    QCOMPARE(c.units, attnviz::TokenUnits::Words);
    QCOMPARE(c.sourceTokens, (std::vector<std::string>{"i", "am", "cold", ".", "</s>"}));
    QCOMPARE(c.a.best().targetTokens, c.b.best().targetTokens);
    QCOMPARE(c.attentionA.cols(), Eigen::Index(5));
    // A's word rows are its greedy pieces' rows merged (mergeToWords), as translate --units words shows them.
    attnviz::DecodeOptions greedy;
    greedy.maxLength = 3;
    const attnviz::WordMerge merged = attnviz::mergeToWords(attnviz::translate(*a, "i am cold .", greedy),
                                                            attnviz::pieceMarkings(*a), attnviz::specialTokens(*a));
    QVERIFY(c.attentionA.isApprox(merged.words.best().attention, 1e-5f));
    for (Eigen::Index i = 0; i < c.attentionB.rows(); ++i)
        QVERIFY(std::abs(c.attentionB.row(i).sum() - 1.0f) < 1e-5f);
    options.units = attnviz::TokenUnits::Words; // asked for: the same
    QCOMPARE(attnviz::compareModels(*a, *b, "i am cold .", options).rows.jsd, c.rows.jsd);
    QCOMPARE(attnviz::comparisonToJson(c)["units"].get<std::string>(), std::string("words"));
}

void TestCompare::timelineOfTransformers()
{
    // A run of Marian folders given one by one (the sample twice, as steps 100 and 200) and a
    // Joey NMT transformer directory: the timeline forces each on the last one's pieces.
    QTemporaryDir dir;
    const QString first = dir.filePath(QStringLiteral("marian_step_100")), last = dir.filePath(QStringLiteral("marian_step_200"));
    QVERIFY(QFile::link(QString::fromStdString(marianSample), first));
    QVERIFY(QFile::link(QString::fromStdString(marianSample), last));
    const attnviz::TrainingRun run = attnviz::TrainingRun::fromFiles({last.toStdString(), first.toStdString()});
    const attnviz::Timeline t = attnviz::timeline(run, "i am cold .", {});
    QCOMPARE(t.points.size(), size_t(2));
    QCOMPARE(t.points[0].checkpoint.step, 100LL);
    QCOMPARE(t.targetTokens, attnviz::translate(*opened(marianSample), "i am cold .", {}).best().targetTokens);
    for (const attnviz::TimelinePoint &p : t.points) {
        QCOMPARE(p.agreementWithLast, 1.0);
        QCOMPARE(p.result.best().targetTokens, t.targetTokens);
    }
    QCOMPARE(t.points[0].logProb, t.points[1].logProb);
    QVERIFY(t.subwords);
    QCOMPARE(t.units, attnviz::TokenUnits::Pieces);

    // In words: every checkpoint forced on the same pieces, then merged as the window's Words
    // view merges them.
    attnviz::TimelineOptions inWords;
    inWords.units = attnviz::TokenUnits::Words;
    const std::string sentence = "Tomorrow's weather is unbelievably beautiful.";
    const attnviz::Timeline w = attnviz::timeline(run, sentence, inWords);
    const auto marian = opened(marianSample);
    const attnviz::TranslationResult pieces = attnviz::translate(*marian, sentence, {});
    const attnviz::WordMerge merge =
        attnviz::mergeToWords(pieces, attnviz::pieceMarkings(*marian), attnviz::specialTokens(*marian));
    QCOMPARE(w.units, attnviz::TokenUnits::Words);
    QCOMPARE(w.targetTokens, merge.words.best().targetTokens);
    QVERIFY(w.targetTokens.size() < pieces.best().targetTokens.size());
    QCOMPARE(w.sourceTokens, merge.words.sourceTokens);
    QVERIFY(w.sourceTokens.size() < pieces.sourceTokens.size());
    for (const attnviz::TimelinePoint &p : w.points) {
        QVERIFY((p.attention - attnviz::sourceAttention(merge.words)).cwiseAbs().maxCoeff() < 1e-6f);
        QVERIFY(std::abs(p.logProb - pieces.best().score) < 1e-6); // a word's log p sums its pieces'
        QCOMPARE(p.entropy.size(), w.targetTokens.size());
    }
    // Gold links index words: "Tomorrow's" (four pieces) with "Tom".
    attnviz::GoldAlignment gold;
    gold.sure = {{0, 0}};
    inWords.gold = gold;
    const attnviz::Timeline g = attnviz::timeline(run, sentence, inWords);
    QVERIFY(g.points.back().counts);
    QCOMPARE(g.points.back().counts->s, 1LL);
    QCOMPARE(g.points.back().counts->a, (long long)(w.targetTokens.size() - 1)); // a link per word but EOS
    QVERIFY(attnviz::timelineToJson(w)["units"] == "words");
    QCOMPARE(w.view, std::string("layer 3, mean of 4 heads")); // the default: the last layer's mean

    // One head followed over the run: each checkpoint's rows are that head's.
    attnviz::TimelineOptions oneHead;
    oneHead.view.layer = 0;
    oneHead.view.heads = {1};
    const attnviz::Timeline h = attnviz::timeline(run, sentence, oneHead);
    QCOMPARE(h.view, std::string("layer 1, head 2"));
    QVERIFY(attnviz::timelineToJson(h)["view"] == "layer 1, head 2");
    const attnviz::TranslationResult headPieces = attnviz::forceTokens(*marian, sentence, h.targetTokens, "marian", oneHead.view);
    for (const attnviz::TimelinePoint &p : h.points)
        QVERIFY((p.attention - attnviz::sourceAttention(headPieces)).cwiseAbs().maxCoeff() < 1e-6f);
    const attnviz::Timeline mean = attnviz::timeline(run, sentence, {});
    QCOMPARE(h.points.back().attention.rows(), mean.points.back().attention.rows());
    QCOMPARE(h.points.back().attention.cols(), mean.points.back().attention.cols());
    QVERIFY((h.points.back().attention - mean.points.back().attention).cwiseAbs().maxCoeff() > 1e-3f);

    const std::string joey = transformers + "joey-pre-tied-relu-scale";
    QTemporaryDir joeyRun;
    for (const char *name : {"config.yaml", "src_vocab.txt", "trg_vocab.txt", "100.ckpt"})
        QVERIFY(QFile::copy(QString::fromStdString(joey + "/" + name), joeyRun.filePath(QLatin1String(name))));
    QVERIFY(QFile::copy(QString::fromStdString(joey + "/100.ckpt"), joeyRun.filePath(QStringLiteral("50.ckpt"))));
    attnviz::TimelineOptions options;
    options.maxLength = 4;
    const attnviz::Timeline j = attnviz::timeline(attnviz::TrainingRun::fromDirectory(joeyRun.path().toStdString()),
                                                  "i am cold .", options);
    QCOMPARE(j.points.size(), size_t(2));
    QCOMPARE(j.points[0].checkpoint.step, 50LL);
    QCOMPARE(j.points[0].agreementWithLast, 1.0);
}

// A Hugging Face Trainer's output_dir: checkpoint-N folders (config.json and weights), the
// tokenizer's files in output_dir itself; ordered by N, each read with the tokenizer above it.
void TestCompare::trainerCheckpointFolders()
{
    QTemporaryDir out;
    const QString sample = QString::fromStdString(marianSample) + QLatin1Char('/');
    const auto link = [&](const QString &name, const QString &to) {
        QVERIFY2(QFile::link(sample + name, to), qPrintable(to));
    };
    for (const char *step : {"checkpoint-200", "checkpoint-1000"}) {
        QVERIFY(QDir(out.path()).mkdir(QLatin1String(step)));
        for (const char *name : {"config.json", "pytorch_model.bin"})
            link(QLatin1String(name), out.filePath(QLatin1String(step) + QLatin1Char('/') + QLatin1String(name)));
    }
    QVERIFY(QDir(out.path()).mkdir(QStringLiteral("runs"))); // TensorBoard logs: not a checkpoint
    // Without the tokenizer anywhere: refused, naming the file and both places.
    const attnviz::TrainingRun bare = attnviz::TrainingRun::fromDirectory(out.path().toStdString());
    QCOMPARE(bare.size(), 2);
    try {
        bare.model(0);
        QFAIL("a checkpoint without its tokenizer was read");
    } catch (const attnviz::ModelError &e) {
        QVERIFY2(QByteArray(e.what()).contains("vocab.json is in neither this folder nor the output folder"), e.what());
    }
    for (const char *name : {"vocab.json", "source.spm", "target.spm"})
        link(QLatin1String(name), out.filePath(QLatin1String(name)));
    const attnviz::TrainingRun run = attnviz::TrainingRun::fromDirectory(out.path().toStdString());
    QCOMPARE(run.size(), 2);
    QCOMPARE(run.checkpoints()[0].file, std::string("checkpoint-200")); // by step, not by name
    QCOMPARE(run.checkpoints()[1].step, 1000LL);
    const attnviz::Timeline t = attnviz::timeline(run, "i am cold .", {});
    QCOMPARE(t.points.size(), size_t(2));
    QCOMPARE(t.targetTokens, attnviz::translate(*opened(marianSample), "i am cold .", {}).best().targetTokens);
    QCOMPARE(t.points[0].agreementWithLast, 1.0);
}

QTEST_GUILESS_MAIN(TestCompare)
#include "tst_compare.moc"
