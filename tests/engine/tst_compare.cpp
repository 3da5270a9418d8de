// Comparing two models on one sentence, and one model across its training run (#19).
#include <attnviz/analysis/compare.h>
#include <attnviz/analysis/training_run.h>

#include "testmodels.h"

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
    QCOMPARE(t.targetTokens, attnviz::translate(*run.model(2), "i am cold", {{}, 5}).best().targetTokens);
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

QTEST_GUILESS_MAIN(TestCompare)
#include "tst_compare.moc"
