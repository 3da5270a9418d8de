// BpeSegmenter against subword-nmt's apply_bpe.py (#16): its own reference segmentation, the
// outputs of its code on our fixtures (tools/make_subword_fixtures.py), and refusals.
#include <attnviz/io/bpe.h>
#include <attnviz/io/model_file.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace attnviz;

namespace {

const QString dataDir = QStringLiteral(ATTNVIZ_TEST_DATA_DIR);

QByteArray readData(const QString &relative)
{
    QFile file(dataDir + QLatin1Char('/') + relative);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(file.fileName()));
    return file.readAll();
}

std::string dataPath(const QString &relative)
{
    return QString(dataDir + QLatin1Char('/') + relative).toStdString();
}

// Lines with their line breaks, as Python iterates a file.
std::vector<std::string> linesOf(const QByteArray &text)
{
    std::vector<std::string> lines;
    qsizetype start = 0;
    while (start < text.size()) {
        qsizetype end = text.indexOf('\n', start);
        end = end < 0 ? text.size() : end + 1;
        lines.push_back(text.mid(start, end - start).toStdString());
        start = end;
    }
    return lines;
}

QString errorOf(const std::function<void()> &action)
{
    try {
        action();
    } catch (const ModelError &error) {
        return QString::fromUtf8(error.what());
    }
    return {};
}

} // namespace

class TestBpe : public QObject
{
    Q_OBJECT

private slots:
    void subwordNmtReference();
    void subwordNmtCases_data();
    void subwordNmtCases();
    void whitespace_data();
    void whitespace();
    void segmentTokens();
    void refusals_data();
    void refusals();
};

// The check subword-nmt's own tests make: corpus.en with bpe.ref gives corpus.bpe.ref.en.
void TestBpe::subwordNmtReference()
{
    const BpeSegmenter bpe = BpeSegmenter::fromFile(dataPath(QStringLiteral("subword-nmt/bpe.ref")));
    QCOMPARE(bpe.version(), std::make_pair(0, 2));
    QCOMPARE(bpe.mergeCount(), size_t(1000)); // learn_bpe was asked for 1000
    const std::vector<std::string> input = linesOf(readData(QStringLiteral("subword-nmt/corpus.en")));
    const std::vector<std::string> expected = linesOf(readData(QStringLiteral("subword-nmt/corpus.bpe.ref.en")));
    QCOMPARE(input.size(), expected.size());
    QVERIFY(input.size() > 500);
    for (size_t i = 0; i < input.size(); ++i)
        QVERIFY2(bpe.processLine(input[i]) == expected[i],
                 qPrintable(QStringLiteral("line %1: %2 instead of %3")
                                .arg(i + 1)
                                .arg(QString::fromStdString(bpe.processLine(input[i])),
                                     QString::fromStdString(expected[i]))));
}

void TestBpe::subwordNmtCases_data()
{
    QTest::addColumn<QJsonObject>("spec");
    const QJsonArray cases = QJsonDocument::fromJson(readData(QStringLiteral("subword/cases.json"))).array();
    QVERIFY(cases.size() >= 6);
    for (const QJsonValue &value : cases)
        QTest::newRow(qPrintable(value[QLatin1String("name")].toString())) << value.toObject();
}

void TestBpe::subwordNmtCases()
{
    QFETCH(QJsonObject, spec);
    BpeOptions options;
    options.merges = spec.value(QLatin1String("merges")).toInt(-1);
    options.separator = spec.value(QLatin1String("separator")).toString(QStringLiteral("@@")).toStdString();
    for (const QJsonValue &glossary : spec.value(QLatin1String("glossaries")).toArray())
        options.glossaries.push_back(glossary.toString().toStdString());
    BpeSegmenter bpe =
        BpeSegmenter::fromFile(dataPath(QStringLiteral("subword/") + spec[QLatin1String("codes")].toString()), options);
    if (spec.contains(QLatin1String("vocabulary")))
        bpe.setVocabulary(readBpeVocabulary(dataPath(QStringLiteral("subword/") + spec[QLatin1String("vocabulary")].toString()),
                                            spec[QLatin1String("threshold")].toInt()));
    const std::vector<std::string> input = linesOf(readData(QStringLiteral("subword/input.txt")));
    const std::vector<std::string> expected =
        linesOf(readData(QStringLiteral("subword/") + spec[QLatin1String("expected")].toString()));
    QCOMPARE(input.size(), expected.size());
    for (size_t i = 0; i < input.size(); ++i)
        QCOMPARE(QString::fromStdString(bpe.processLine(input[i])), QString::fromStdString(expected[i]));
}

// The behaviours subword-nmt's test_bpe.py states, with its bpe.ref.
void TestBpe::whitespace_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("expected");
    QTest::newRow("leading and trailing spaces") << QStringLiteral("  iron cement  \n")
                                                 << QStringLiteral("  ir@@ on c@@ ement  \n");
    QTest::newRow("no-break space is a character") << QStringLiteral("iron\u00a0cement\n")
                                                   << QStringLiteral("ir@@ on@@ \u00a0@@ c@@ ement\n");
    QTest::newRow("empty line") << QStringLiteral("\n") << QStringLiteral("\n");
    QTest::newRow("double space") << QStringLiteral("iron  cement") << QStringLiteral("ir@@ on c@@ ement");
}

void TestBpe::whitespace()
{
    QFETCH(QString, line);
    QFETCH(QString, expected);
    const BpeSegmenter bpe = BpeSegmenter::fromFile(dataPath(QStringLiteral("subword-nmt/bpe.ref")));
    QCOMPARE(QString::fromStdString(bpe.processLine(line.toStdString())), expected);
}

void TestBpe::segmentTokens()
{
    // Version 0.1: the end of word is a symbol of its own, merged like any other (the
    // expectations here are what apply_bpe.py printed for the same codes).
    const BpeSegmenter v01 = BpeSegmenter::fromText("l o\nlo w\nlow </w>\ne r\n", "codes");
    QCOMPARE(v01.version(), std::make_pair(0, 1));
    QCOMPARE(v01.segmentTokens({"low", "lower", "", "x"}),
             (std::vector<std::string> {"low", "low@@", "er", "x"}));
    // Version 0.2: the last character carries it, so "low</w>" must be merged as such.
    const BpeSegmenter v02 = BpeSegmenter::fromText("#version: 0.2\nl o\nlo w</w>\nlo w\n", "codes");
    QCOMPARE(v02.segmentTokens({"low", "lows"}), (std::vector<std::string> {"low", "low@@", "s"}));
    // Restricted to a vocabulary, "low" is split back along its merges.
    BpeSegmenter restricted = v02;
    restricted.setVocabulary({"lo@@", "w", "s", "low@@"});
    QCOMPARE(restricted.segmentTokens({"low", "lows"}), (std::vector<std::string> {"lo@@", "w", "low@@", "s"}));
    // A glossary match followed by what strips to nothing ("a\r"): subword-nmt raises an
    // IndexError on the empty rest; here the rest is dropped (a fuzzer found it reading past an
    // empty list of symbols).
    const BpeSegmenter glossary = BpeSegmenter::fromText("l o\n", "codes", {"@@", -1, {"a"}});
    QCOMPARE(glossary.segmentTokens({"a\r", "la\r", "lo"}), (std::vector<std::string> {"a", "l@@", "a", "lo"}));
    QCOMPARE(QString::fromStdString(glossary.processLine("la\r b")), QStringLiteral("l@@ a b"));
}

void TestBpe::refusals_data()
{
    QTest::addColumn<QByteArray>("codes");
    QTest::addColumn<QString>("message");
    QTest::newRow("three symbols") << QByteArray("#version: 0.2\na b\nc d e\n") << QStringLiteral("codes: line 3: 'c d e' is not two symbols");
    QTest::newRow("one symbol, no version") << QByteArray("a b\nab\n") << QStringLiteral("codes: line 2: 'ab' is not two symbols");
    QTest::newRow("empty line") << QByteArray("a b\n\nc d\n") << QStringLiteral("codes: line 2: '' is not two symbols");
    QTest::newRow("version 0.3") << QByteArray("#version: 0.3\na b\n") << QStringLiteral("BPE codes version '0.3' is not supported");
    QTest::newRow("bytes") << QByteArray("#version: 0.2 byte\na b\n") << QStringLiteral("byte-level BPE codes are not supported");
    QTest::newRow("no version") << QByteArray("#version: x\na b\n") << QStringLiteral("is not a version like");
}

void TestBpe::refusals()
{
    QFETCH(QByteArray, codes);
    QFETCH(QString, message);
    const QString error = errorOf([&] { BpeSegmenter::fromText(codes.toStdString(), "codes"); });
    QVERIFY2(error.contains(message), qPrintable(error));

    QVERIFY(errorOf([] { BpeSegmenter::fromText("a b\n", "codes", {"@@", -1, {"("}}); })
                .contains(QStringLiteral("glossary '(' is not a regular expression")));
    QCOMPARE(errorOf([] { parseBpeVocabulary("ab 3\ncd x\n", "vocab.txt"); }),
             QStringLiteral("vocab.txt: line 2: 'cd x' is not 'piece count' (a BPE vocabulary of get_vocab.py)"));
    QCOMPARE(parseBpeVocabulary("ab 3\ncd 1\n", "vocab.txt", 2), (std::unordered_set<std::string> {"ab"}));
    QVERIFY(errorOf([] { BpeSegmenter::fromFile("/nonexistent/codes.bpe"); }).contains(QStringLiteral("/nonexistent/codes.bpe")));
}

QTEST_GUILESS_MAIN(TestBpe)
#include "tst_bpe.moc"
