// Text normalization: hand-checked cases, and agreement with Python's tutorial rule on
// 7,000+ strings (tests/golden/normalization.json, written by tools/make_golden.py).
#include <attnviz/io/text.h>

#include <nlohmann/json.hpp>

#include <QTest>

#include <fstream>

using attnviz::Normalization;

class TestText : public QObject
{
    Q_OBJECT

private slots:
    void tutorial_data();
    void tutorial();
    void matchesPython();
    void none();
    void split_data();
    void split();
};

void TestText::tutorial_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("accents") << QByteArray("Il a été là!") << QByteArray("il a ete la !");
    QTest::newRow("apostrophe and dots") << QByteArray("I'm cold...") << QByteArray("i m cold . . .");
    QTest::newRow("combining mark vanishes") << QByteArray("cafe\xcc\x81") << QByteArray("cafe");
    QTest::newRow("dotted capital I") << QByteArray("\xc4\xb0stanbul") << QByteArray("istanbul");
    QTest::newRow("digits become spaces") << QByteArray("room 101 now") << QByteArray("room now");
    QTest::newRow("empty") << QByteArray("") << QByteArray("");
    QTest::newRow("only spaces") << QByteArray(" \t\n ") << QByteArray("");
    QTest::newRow("only punctuation") << QByteArray("?!") << QByteArray("? !");
    QTest::newRow("invalid utf-8") << QByteArray("a\xff\xfe" "b") << QByteArray("a b");
    QTest::newRow("truncated sequence") << QByteArray("ok\xe2\x82") << QByteArray("ok");
    QTest::newRow("overlong slash") << QByteArray("a\xc0\xaf" "b") << QByteArray("a b");
    QTest::newRow("surrogate encoded") << QByteArray("a\xed\xa0\x80" "b") << QByteArray("a b");
    QTest::newRow("control characters") << QByteArray("a\x01\x1b" "b") << QByteArray("a b");
    QTest::newRow("emoji") << QByteArray("hi \xf0\x9f\x98\x80!") << QByteArray("hi !");
}

void TestText::tutorial()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    QCOMPARE(QByteArray::fromStdString(attnviz::normalizeText(input.toStdString(), Normalization::Tutorial)),
             expected);
}

void TestText::matchesPython()
{
    std::ifstream in(ATTNVIZ_GOLDEN_DIR "/normalization.json");
    const nlohmann::json golden = nlohmann::json::parse(in);
    const auto &cases = golden["cases"];
    QVERIFY(cases.size() > 7000);
    for (const auto &c : cases) {
        const std::string input = c[0], expected = c[1];
        const std::string actual = attnviz::normalizeText(input, Normalization::Tutorial);
        QVERIFY2(actual == expected, ("'" + input + "' -> '" + actual + "', Python: '" + expected + "'").c_str());
    }
}

void TestText::none()
{
    QCOMPARE(attnviz::normalizeText("  The 3rd of May, 1999 \n", Normalization::None),
             std::string("The 3rd of May, 1999"));
    QCOMPARE(attnviz::tokenize("the 3rd  of may", Normalization::None),
             (std::vector<std::string>{"the", "3rd", "of", "may"}));
}

void TestText::split_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("plain") << QStringLiteral("a b c") << QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    QTest::newRow("runs of space") << QStringLiteral("  a \t\n b ") << QStringList{QStringLiteral("a"), QStringLiteral("b")};
    QTest::newRow("empty") << QString() << QStringList{};
}

void TestText::split()
{
    QFETCH(QString, input);
    QFETCH(QStringList, expected);
    QStringList actual;
    for (const std::string &token : attnviz::splitTokens(input.toStdString()))
        actual << QString::fromStdString(token);
    QCOMPARE(actual, expected);
}

QTEST_GUILESS_MAIN(TestText)
#include "tst_text.moc"
