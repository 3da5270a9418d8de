// The AER of every transformer head (analysis/head_alignment.h), on attention written by hand so
// that each head's links, and so its score, follow by reading the matrices.
#include <attnviz/analysis/head_alignment.h>

#include <QTest>

using namespace attnviz;

namespace {

MatrixRM rows(std::initializer_list<std::initializer_list<float>> values)
{
    MatrixRM m(static_cast<Eigen::Index>(values.size()), static_cast<Eigen::Index>(values.begin()->size()));
    Eigen::Index i = 0;
    for (const auto &row : values) {
        Eigen::Index j = 0;
        for (float v : row)
            m(i, j++) = v;
        ++i;
    }
    return m;
}

// Source "a b c" + EOS, output "x y" + EOS, 2 layers x 2 heads. Gold: a-x, b-y.
TranslationResult handResult()
{
    TranslationResult r;
    r.sourceWords = {"a", "b", "c"};
    r.sourceTokens = {"a", "b", "c", "</s>"};
    r.sourceIds = {3, 4, 5, 2};
    r.sourceWordIndex = {0, 1, 2};
    r.eosToken = "</s>";
    Hypothesis h;
    h.targetTokens = {"x", "y", "</s>"};
    h.targetIds = {6, 7, 2};
    h.crossAttention.layers = 2;
    h.crossAttention.heads = 2;
    h.crossAttention.maps = {
        rows({{.7f, .1f, .1f, .1f}, {.1f, .3f, .5f, .1f}, {.1f, .1f, .1f, .7f}}),    // (0,0): a-x, c-y
        rows({{.1f, .1f, .6f, .2f}, {.1f, .6f, .2f, .1f}, {.25f, .25f, .25f, .25f}}), // (0,1): c-x, b-y
        rows({{.1f, .1f, .05f, .75f}, {.6f, .2f, .1f, .1f}, {.1f, .1f, .1f, .7f}}),  // (1,0): EOS, a-y
        rows({{.1f, .1f, .7f, .1f}, {.7f, .1f, .1f, .1f}, {.05f, .75f, .1f, .1f}}),  // (1,1): shifted a-x, b-y
    };
    h.attention = h.crossAttention.maps[0];
    r.hypotheses.push_back(h);
    return r;
}

GoldAlignment gold(std::set<Link> sure, std::set<Link> possible = {})
{
    GoldAlignment g;
    g.sure = std::move(sure);
    g.possible = std::move(possible);
    return g;
}

} // namespace

class TestHeadAlignment : public QObject
{
    Q_OBJECT

private slots:
    void naiveRows();
    void shiftedRows();
    void wordsFromAnyPiece();
    void sumsOverSentences();
    void refusesAnRnnResult();
};

void TestHeadAlignment::naiveRows()
{
    const HeadScores s = scoreHeads(handResult(), 0, gold({{0, 0}, {1, 1}}));
    QCOMPARE(s.layers, 2);
    QCOMPARE(s.heads, 2);
    QCOMPARE(s.perHead.size(), size_t(4));
    QCOMPARE(s.perLayer.size(), size_t(2));
    // (0,0) links a-x and c-y: one of two right, 1 - (1 + 1) / (2 + 2).
    QCOMPARE(s.head(0, 0).a, 2LL);
    QCOMPARE(s.head(0, 0).aAndS, 1LL);
    QCOMPARE(s.head(0, 0).alignmentErrorRate(), 0.5);
    QCOMPARE(s.head(0, 1).alignmentErrorRate(), 0.5);
    // (1,0)'s first row is on EOS: no link; its second is wrong.
    QCOMPARE(s.head(1, 0).a, 1LL);
    QCOMPARE(s.head(1, 0).alignmentErrorRate(), 1.0);
    QCOMPARE(s.head(1, 1).alignmentErrorRate(), 1.0);
    // Layer 0's mean puts a-x (.40 > .35) and b-y (.45 > .35): right where both heads were half wrong.
    QCOMPARE(s.perLayer[0].alignmentErrorRate(), 0.0);
    QCOMPARE(s.perLayer[1].alignmentErrorRate(), 1.0);
    QCOMPARE(s.allLayers.alignmentErrorRate(), 1.0); // c-x (1.45), a-y (1.5)
    const HeadScores::Best best = s.best();
    QCOMPARE(best.layer, 0);
    QCOMPARE(best.head, -1);
    QCOMPARE(best.aer, 0.0);
    // A threshold adds every weight above it: (0,0) at 0.4 adds nothing, at 0.2 also b-y.
    QCOMPARE(scoreHeads(handResult(), 0, gold({{0, 0}, {1, 1}}), nullptr, 0.2).head(0, 0).a, 3LL);
}

void TestHeadAlignment::shiftedRows()
{
    const HeadScores s = scoreHeads(handResult(), 0, gold({{0, 0}, {1, 1}}), nullptr, 0.0, AlignmentRows::Shifted);
    // (1,1) read one row down: x from row 1 (a), y from row 2 (b); EOS's row is empty.
    QCOMPARE(s.head(1, 1).a, 2LL);
    QCOMPARE(s.head(1, 1).alignmentErrorRate(), 0.0);
    // (0,0): x from row 1 (c), y from row 2 (EOS: no link).
    QCOMPARE(s.head(0, 0).a, 1LL);
    QCOMPARE(s.head(0, 0).alignmentErrorRate(), 1.0);
    const HeadScores::Best best = s.best();
    QCOMPARE(best.layer, 1);
    QCOMPARE(best.head, 1);
    QCOMPARE(QString::fromLatin1(alignmentRowsName(AlignmentRows::Shifted)), QStringLiteral("shifted"));
}

void TestHeadAlignment::wordsFromAnyPiece()
{
    // Pieces "▁a b ▁c" read as the words "ab c", the output "x y" as one word.
    TranslationResult pieces = handResult();
    WordMerge merge;
    merge.source.wordOf = {0, 0, 1, 2};
    merge.target.push_back({});
    merge.target[0].wordOf = {0, 0, 1};
    merge.words.sourceWordIndex = {0, 1};
    const HeadScores s = scoreHeads(pieces, 0, gold({{0, 0}}), &merge);
    // (0,0) links the pieces a-x and c-y: the words ab-xy and c-xy. One right of two, gold one.
    QCOMPARE(s.head(0, 0).a, 2LL);
    QCOMPARE(s.head(0, 0).aAndS, 1LL);
    QCOMPARE(s.head(0, 0).alignmentErrorRate(), 1.0 - 2.0 / 3.0);
    // (0,1) links c-x and b-y: any piece aligned, so ab-xy counts through b-y.
    QCOMPARE(s.head(0, 1).aAndS, 1LL);
    // Layer 0's mean links a-x and b-y: both the one word pair.
    QCOMPARE(s.perLayer[0].a, 1LL);
    QCOMPARE(s.perLayer[0].alignmentErrorRate(), 0.0);
}

void TestHeadAlignment::sumsOverSentences()
{
    HeadScores total;
    total += scoreHeads(handResult(), 0, gold({{0, 0}, {1, 1}}));
    total += scoreHeads(handResult(), 0, gold({{2, 0}}, {{0, 1}}));
    // (1,0) over both: its one link a-y is wrong, then possible.
    QCOMPARE(total.head(1, 0).a, 2LL);
    QCOMPARE(total.head(1, 0).s, 3LL);
    QCOMPARE(total.head(1, 0).aAndP, 1LL);
    QCOMPARE(total.head(1, 0).alignmentErrorRate(), 1.0 - 1.0 / 5.0);
    HeadScores other;
    other.layers = 3;
    other.heads = 2;
    other.perHead.resize(6);
    other.perLayer.resize(3);
    QVERIFY_THROWS_EXCEPTION(InputError, total += other);
}

void TestHeadAlignment::refusesAnRnnResult()
{
    TranslationResult r = handResult();
    r.hypotheses[0].crossAttention = {};
    try {
        scoreHeads(r, 0, gold({}));
        QFAIL("an RNN result was scored per head");
    } catch (const InputError &e) {
        QVERIFY(std::string(e.what()).find("transformer") != std::string::npos);
    }
    QVERIFY_THROWS_EXCEPTION(InputError, scoreHeads(handResult(), 1, gold({})));
}

QTEST_GUILESS_MAIN(TestHeadAlignment)
#include "tst_headalignment.moc"
