// translateBatch and decodeAblation give exactly what translate() gives, sentence by sentence.
#include <attnviz/decoding/translate.h>

#include <QTest>

namespace {

std::shared_ptr<const attnviz::Model> golden(const QString &name)
{
    return attnviz::Model::fromFile(ATTNVIZ_GOLDEN_DIR "/" + name.toStdString() + ".safetensors");
}

std::vector<std::string> sentences()
{
    std::vector<std::string> out;
    const char *words[] = {"i", "am", "you", "are", "he", "is", "cold", "tired", "very", "."};
    for (int n = 0; n < 25; ++n) {
        std::string s;
        for (int w = 0; w <= n % 7; ++w)
            s += std::string(words[(n * 3 + w) % 10]) + " ";
        out.push_back(s);
    }
    return out;
}

} // namespace

class TestBatch : public QObject
{
    Q_OBJECT

private slots:
    void models_data();
    void batchEqualsOneByOne_data() { models_data(); }
    void batchEqualsOneByOne();
    void batchRethrowsTheFirstError();
    void ablationOfAnEncodedSentence_data() { models_data(); }
    void ablationOfAnEncodedSentence();
};

void TestBatch::models_data()
{
    QTest::addColumn<QString>("model");
    for (const char *name : {"tiny-bahdanau", "tiny-luong-general", "tiny-legacy-relu"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void TestBatch::batchEqualsOneByOne()
{
    QFETCH(QString, model);
    const auto m = golden(model);
    attnviz::DecodeOptions options;
    options.beamWidth = 3;
    for (int threads : {1, 2, 4}) {
        const auto batch = attnviz::translateBatch(*m, sentences(), options, threads);
        QCOMPARE(batch.size(), sentences().size());
        for (size_t i = 0; i < batch.size(); ++i) {
            const attnviz::TranslationResult one = attnviz::translate(*m, sentences()[i], options);
            QCOMPARE(batch[i].best().targetIds, one.best().targetIds);
            QCOMPARE(batch[i].best().logProbs, one.best().logProbs); // the same arithmetic, to the bit
        }
    }
}

void TestBatch::batchRethrowsTheFirstError()
{
    // tiny-legacy-relu attends over 9 slots: 9 words and EOS do not fit.
    std::vector<std::string> input = sentences();
    input[7] = "i am very very very very very very cold";
    QVERIFY_THROWS_EXCEPTION(attnviz::InputError, attnviz::translateBatch(*golden(QStringLiteral("tiny-legacy-relu")), input, {}, 2));
}

void TestBatch::ablationOfAnEncodedSentence()
{
    QFETCH(QString, model);
    const auto m = golden(model);
    for (attnviz::Ablation kind : {attnviz::Ablation::Summed, attnviz::Ablation::Mean}) {
        attnviz::DecodeOptions options;
        options.ablation = kind;
        const attnviz::TranslationResult r = attnviz::translate(*m, "you are very tired .", options);
        const attnviz::AblationResult a = attnviz::decodeAblation(*m, r, kind);
        QCOMPARE(int(a.kind), int(kind));
        QCOMPARE(a.targetIds, r.ablation->targetIds);
        QCOMPARE(a.logProbs, r.ablation->logProbs);
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             attnviz::decodeAblation(*m, attnviz::translate(*m, "i am cold", {}), attnviz::Ablation::None));
}

QTEST_GUILESS_MAIN(TestBatch)
#include "tst_batch.moc"
