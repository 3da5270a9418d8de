// Pharaoh alignments, the model's hard links and precision / recall / AER.
#include <attnviz/analysis/alignment.h>
#include <attnviz/analysis/result_json.h>

#include <QTest>

using attnviz::GoldAlignment;
using attnviz::Link;

class TestAlignment : public QObject
{
    Q_OBJECT

private slots:
    void textTableLinesUpPieces();
    void parse();
    void parseErrors_data();
    void parseErrors();
    void roundTrip();
    void toggle();
    void aerOnHandMadeCase();
    void hardLinksMapWordsAndSkipEos();
    void hardLinksOnDatesModel();
};

void TestAlignment::parse()
{
    const auto s = attnviz::parsePharaoh("0-0 1?2  3-1\n\n2-2 2?2\r\n5?1 5-1", "g.txt");
    QCOMPARE(s.size(), size_t(4));
    QCOMPARE(s[0].sure, (std::set<Link>{{0, 0}, {3, 1}}));
    QCOMPARE(s[0].possible, (std::set<Link>{{1, 2}}));
    QVERIFY(s[0].isPossible({0, 0})); // S is a subset of P
    QVERIFY(!s[0].isSure({1, 2}));
    QVERIFY(s[1].sure.empty() && s[1].possible.empty());
    QCOMPARE(s[2].sure, (std::set<Link>{{2, 2}})); // sure wins over possible, in either order
    QVERIFY(s[2].possible.empty());
    QCOMPARE(s[3].sure, (std::set<Link>{{5, 1}}));
    QVERIFY(s[3].possible.empty());
}

void TestAlignment::parseErrors_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("letter") << QByteArray("0-x") << QByteArray("g.txt:1:3: expected a word index (digits), found 'x'");
    QTest::newRow("colon") << QByteArray("0:1") << QByteArray("g.txt:1:2: expected '-' (sure) or '?' (possible), found ':'");
    QTest::newRow("comma") << QByteArray("0-1,2-2") << QByteArray("g.txt:1:4: expected a space between links, found ','");
    QTest::newRow("negative") << QByteArray("-1-2") << QByteArray("g.txt:1:1: expected a word index (digits), found '-'");
    QTest::newRow("second line") << QByteArray("0-0\n1-") << QByteArray("g.txt:2:3: expected a word index (digits), found the end of the line");
    QTest::newRow("too large") << QByteArray("99999999999-1") << QByteArray("g.txt:1:1: index too large");
    QTest::newRow("lone number") << QByteArray("0-0 4") << QByteArray("g.txt:1:6: expected '-' (sure) or '?' (possible), found the end of the line");
}

void TestAlignment::parseErrors()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, message);
    try {
        attnviz::parsePharaoh(text.toStdString(), "g.txt");
        QFAIL("expected an AlignmentFormatError");
    } catch (const attnviz::AlignmentFormatError &e) {
        QCOMPARE(QByteArray(e.what()), message);
    }
}

void TestAlignment::roundTrip()
{
    const std::string text = "0-0 1?2 3-1\n\n2-2\n";
    const auto parsed = attnviz::parsePharaoh(text, "g");
    QCOMPARE(attnviz::writePharaoh(parsed), text);
    const auto again = attnviz::parsePharaoh(attnviz::writePharaoh(parsed), "g");
    QCOMPARE(again.size(), parsed.size());
    for (size_t i = 0; i < parsed.size(); ++i) {
        QCOMPARE(again[i].sure, parsed[i].sure);
        QCOMPARE(again[i].possible, parsed[i].possible);
    }
}

void TestAlignment::toggle()
{
    GoldAlignment g;
    g.toggle({1, 2});
    QVERIFY(g.isSure({1, 2}));
    g.toggle({1, 2});
    QVERIFY(!g.isPossible({1, 2}));
    g.possible.insert({0, 0});
    g.toggle({0, 0});
    QVERIFY(!g.isPossible({0, 0}));
}

// S = {0-0, 1-1}, P = S + {2-1}, A = {0-0, 2-1, 1-2}: |A∩S| = 1, |A∩P| = 2,
// precision 2/3, recall 1/2, AER = 1 - (1 + 2) / (3 + 2) = 0.4.
void TestAlignment::aerOnHandMadeCase()
{
    GoldAlignment gold;
    gold.sure = {{0, 0}, {1, 1}};
    gold.possible = {{2, 1}};
    const auto c = attnviz::countAgreement({{0, 0}, {2, 1}, {1, 2}}, gold);
    QCOMPARE(c.a, 3LL);
    QCOMPARE(c.s, 2LL);
    QCOMPARE(c.aAndS, 1LL);
    QCOMPARE(c.aAndP, 2LL);
    QVERIFY(qFuzzyCompare(c.precision(), 2.0 / 3));
    QVERIFY(qFuzzyCompare(c.recall(), 0.5));
    QVERIFY(qFuzzyCompare(c.alignmentErrorRate(), 0.4));
    // A perfect alignment of the sure links has AER 0.
    QCOMPARE(attnviz::countAgreement({{0, 0}, {1, 1}}, gold).alignmentErrorRate(), 0.0);
}

// Source "a zz b" where "zz" was left out of the encoder input: positions 0, 1 are words 0, 2.
void TestAlignment::hardLinksMapWordsAndSkipEos()
{
    attnviz::TranslationResult r;
    r.sourceWords = {"a", "zz", "b"};
    r.sourceIds = {5, 6, 1};
    r.sourceTokens = {"a", "b", "EOS"};
    r.sourceWordIndex = {0, 2};
    r.eosToken = "EOS";
    attnviz::Hypothesis h;
    h.targetTokens = {"x", "y", "EOS"};
    h.targetIds = {7, 8, 1};
    h.attention.resize(3, 3);
    h.attention << 0.1f, 0.7f, 0.2f, // x -> b (word 2)
        0.2f, 0.1f, 0.7f,            // y -> EOS: no link
        0.9f, 0.05f, 0.05f;          // the EOS row is never linked
    QCOMPARE(attnviz::hardLinks(r, h), (std::set<Link>{{2, 0}}));
    QCOMPARE(attnviz::hardLinks(r, h, 0.15), (std::set<Link>{{2, 0}, {0, 1}}));
}

void TestAlignment::hardLinksOnDatesModel()
{
    const auto model = attnviz::Model::fromFile(ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors");
    attnviz::DecodeOptions options;
    options.target = "1999 05 03";
    const auto r = attnviz::translate(*model, "the 3rd of may 1999", options);
    // 1999 <- 1999 (word 4), 05 <- may (3), 03 <- 3rd (1)
    QCOMPARE(attnviz::hardLinks(r, r.best()), (std::set<Link>{{4, 0}, {3, 1}, {1, 2}}));
}

// The CLI's table pads by characters, not bytes: SentencePiece's "▁" is three bytes.
void TestAlignment::textTableLinesUpPieces()
{
    attnviz::TranslationResult result;
    result.sourceTokens = {"\xe2\x96\x81I", "\xe2\x96\x81" "froid", "</s>"};
    result.sourceIds = {4, 5, 2};
    attnviz::Hypothesis h;
    h.targetIds = {7, 2};
    h.targetTokens = {"\xe2\x96\x81J'ai", "</s>"};
    h.attention = Eigen::MatrixXf::Constant(2, 3, 1.0f / 3);
    h.logProbs = {-0.5, -0.25};
    result.hypotheses = {h};
    const std::string text = attnviz::resultToText(result, 0);
    std::vector<std::string> table;
    size_t start = text.find("\n\n") + 2;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos && end > start; start = end + 1)
        table.push_back(text.substr(start, end - start));
    QCOMPARE(table.size(), size_t(3)); // header and two rows
    const auto columns = [](const std::string &line) {
        size_t n = 0;
        for (unsigned char c : line)
            n += (c & 0xC0) != 0x80;
        return n;
    };
    QCOMPARE(columns(table[1]), columns(table[0]));
    QCOMPARE(columns(table[2]), columns(table[0]));
    // "▁froid" ends where its column of numbers ends.
    QCOMPARE(columns(table[0].substr(0, table[0].find("froid") + 5)),
             columns(table[1].substr(0, table[1].find("0.333", table[1].find("0.333") + 1) + 5)));
}

QTEST_GUILESS_MAIN(TestAlignment)
#include "tst_alignment.moc"
