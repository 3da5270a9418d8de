// SentencePiece and BPE as Joey NMT's tokenizers apply them (#16): the pieces Joey's own
// SentencePieceTokenizer and SubwordNMTTokenizer gave, with and without the model vocabulary
// (tools/make_joey_tokenizer_fixtures.py), and refusals.
#include <attnviz/io/bpe.h>
#include <attnviz/io/model_file.h>
#include <attnviz/io/pretokenize.h>
#include <attnviz/io/sentencepiece.h>
#include <attnviz/io/text.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace attnviz;

namespace {

const QString joeyDir = QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/subword/joey/");

QByteArray readJoey(const QString &name)
{
    QFile file(joeyDir + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(file.fileName()));
    return file.readAll();
}

std::vector<std::string> lines(const QByteArray &text)
{
    std::vector<std::string> out;
    for (const QByteArray &line : text.split('\n'))
        out.push_back(line.toStdString());
    if (!out.empty() && out.back().empty())
        out.pop_back();
    return out;
}

std::vector<std::vector<std::string>> pieceLists(const QJsonArray &array)
{
    std::vector<std::vector<std::string>> out;
    for (const QJsonValue &line : array) {
        out.emplace_back();
        for (const QJsonValue &piece : line.toArray())
            out.back().push_back(piece.toString().toStdString());
    }
    return out;
}

std::string joeyPath(const QString &name)
{
    return QString(joeyDir + name).toStdString();
}

QString joined(const std::vector<std::string> &pieces)
{
    QStringList list;
    for (const std::string &piece : pieces)
        list << QString::fromStdString(piece);
    return list.join(QLatin1Char(' '));
}

} // namespace

class TestSubword : public QObject
{
    Q_OBJECT

private slots:
    void joeyTokenizers_data();
    void joeyTokenizers();
    void sentencePieceRoundTrip();
    void sentencePieceRefusals();
};

void TestSubword::joeyTokenizers_data()
{
    QTest::addColumn<QJsonObject>("spec");
    for (const QJsonValue &value : QJsonDocument::fromJson(readJoey(QStringLiteral("cases.json"))).array()) {
        const QJsonObject spec = value.toObject();
        QTest::newRow(qPrintable(spec[QLatin1String("name")].toString())) << spec;
    }
}

void TestSubword::joeyTokenizers()
{
    QFETCH(QJsonObject, spec);
    std::vector<std::string> input = lines(readJoey(QStringLiteral("input.txt")));
    const QJsonArray preprocessed = spec[QLatin1String("preprocessed")].toArray();
    QCOMPARE(size_t(preprocessed.size()), input.size());
    for (size_t i = 0; i < input.size(); ++i) {
        input[i] = joeyPreprocess(input[i], spec[QLatin1String("lowercase")].toBool(), spec[QLatin1String("normalize")].toBool());
        QCOMPARE(QString::fromStdString(input[i]), preprocessed[int(i)].toString());
    }
    const std::vector<std::string> vocabulary = lines(readJoey(spec[QLatin1String("vocabulary")].toString()));
    for (const bool restricted : {false, true}) {
        const auto expected = pieceLists(spec[QLatin1String(restricted ? "restricted" : "unrestricted")].toArray());
        QCOMPARE(expected.size(), input.size());
        std::vector<std::vector<std::string>> actual;
        if (spec[QLatin1String("kind")] == QLatin1String("sentencepiece")) {
            SentencePieceSegmenter spm =
                SentencePieceSegmenter::fromFile(joeyPath(spec[QLatin1String("model")].toString()));
            if (restricted)
                spm.setVocabulary(vocabulary);
            for (const std::string &line : input)
                actual.push_back(spm.encode(line));
        } else {
            BpeSegmenter bpe = BpeSegmenter::fromFile(joeyPath(spec[QLatin1String("codes")].toString()));
            if (restricted) // Joey: the vocabulary's pieces but its special symbols
                bpe.setVocabulary({vocabulary.begin() + 4, vocabulary.end()});
            for (const std::string &line : input)
                actual.push_back(bpe.segmentTokens(splitTokens(line)));
        }
        int differences = 0;
        for (size_t i = 0; i < input.size(); ++i) {
            QVERIFY2(actual[i] == expected[i], qPrintable(QStringLiteral("line %1%2: %3 instead of %4")
                                                              .arg(i + 1)
                                                              .arg(restricted ? QStringLiteral(" (restricted)") : QString())
                                                              .arg(joined(actual[i]), joined(expected[i]))));
            differences += i < expected.size() && expected[i] != pieceLists(spec[QLatin1String("unrestricted")].toArray())[i];
        }
        if (restricted)
            QVERIFY2(differences > 0, "the vocabulary changes nothing: the case tests nothing");
    }
}

void TestSubword::sentencePieceRoundTrip()
{
    const SentencePieceSegmenter spm =
        SentencePieceSegmenter::fromFile(joeyPath(QStringLiteral("spm-unigram-nfkc.model")));
    QCOMPARE(spm.pieceCount(), 120);
    const std::vector<std::string> pieces = spm.encode("Tom a vu l'été.");
    QVERIFY(pieces.size() > 3);
    QCOMPARE(QString::fromStdString(pieces.front()).front(), QChar(0x2581)); // a word starts with ▁
    QCOMPARE(spm.decode(pieces), std::string("Tom a vu l'été."));
    QCOMPARE(spm.serialized().size(), size_t(QFile(joeyDir + QStringLiteral("spm-unigram-nfkc.model")).size()));
}

void TestSubword::sentencePieceRefusals()
{
    auto errorOf = [](const std::function<void()> &action) {
        try {
            action();
        } catch (const ModelError &error) {
            return QString::fromUtf8(error.what());
        }
        return QString();
    };
    QVERIFY(errorOf([] { SentencePieceSegmenter::fromSerialized("not a model", "source.spm"); })
                .startsWith(QStringLiteral("source.spm: not a SentencePiece model")));
    QVERIFY(errorOf([] { SentencePieceSegmenter::fromSerialized(std::string(), "empty.spm"); })
                .startsWith(QStringLiteral("empty.spm: not a SentencePiece model")));
    QVERIFY(errorOf([] { SentencePieceSegmenter::fromFile("/nonexistent/source.spm"); })
                .contains(QStringLiteral("/nonexistent/source.spm")));
}

QTEST_GUILESS_MAIN(TestSubword)
#include "tst_subword.moc"
