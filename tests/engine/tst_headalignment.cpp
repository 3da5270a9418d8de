// The AER of every transformer head (analysis/head_alignment.h), on attention written by hand so
// that each head's links, and so its score, follow by reading the matrices; and over a set of
// sentences decoded by the Marian sample (scoreHeadSet).
#include <attnviz/analysis/head_alignment.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>

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
    void scoresASet();
    void setRefusesALinkOutside();
    void setCancels();
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

namespace {

const Model &marian()
{
    static const Model model(openModel(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian/").model, "eng-fra-marian");
    return model;
}

const std::vector<std::string> setSentences {"I am cold.", "Tom is tired.", "He is here."};
const std::vector<std::string> setReferences {"J'ai froid.", "Tom est fatigué.", ""};

bool sameCounts(const AlignmentCounts &a, const AlignmentCounts &b)
{
    return a.a == b.a && a.s == b.s && a.aAndS == b.aAndS && a.aAndP == b.aAndP;
}

} // namespace

void TestHeadAlignment::scoresASet()
{
    const std::vector<GoldAlignment> links = parsePharaoh("0-0 1-0 2-1\n0-0 1-1 2-2\n0-0 1?1\n", "set.gold");
    HeadSetOptions options;
    options.words = true;
    std::vector<std::pair<int, int>> progress;
    options.progress = [&](int done, int total) { progress.emplace_back(done, total); };
    const HeadSetScores set = scoreHeadSet(marian(), setSentences, setReferences, links, options);
    QCOMPARE(set.sentences, 3);
    QCOMPARE(progress, (std::vector<std::pair<int, int>> {{1, 3}, {2, 3}, {3, 3}}));
    // Each sentence decoded on its own (forced on its reference, greedy without one), read as
    // words and scored: the set's counts are their sums, in both readings.
    for (AlignmentRows rows : {AlignmentRows::Naive, AlignmentRows::Shifted}) {
        HeadScores sum;
        for (size_t n = 0; n < setSentences.size(); ++n) {
            DecodeOptions decode;
            if (!setReferences[n].empty())
                decode.target = setReferences[n];
            const TranslationResult pieces = translate(marian(), setSentences[n], decode);
            const WordMerge merge = mergeToWords(pieces, pieceMarkings(marian()), specialTokens(marian()));
            sum += scoreHeads(pieces, 0, links[n], &merge, 0.0, rows);
        }
        const HeadScores &got = set.in(rows);
        QCOMPARE(got.layers, 3);
        QCOMPARE(got.heads, 4);
        for (size_t k = 0; k < sum.perHead.size(); ++k)
            QVERIFY2(sameCounts(got.perHead[k], sum.perHead[k]), qPrintable(QString::number(k)));
        for (size_t k = 0; k < sum.perLayer.size(); ++k)
            QVERIFY(sameCounts(got.perLayer[k], sum.perLayer[k]));
        QVERIFY(sameCounts(got.allLayers, sum.allLayers));
        // Every sure link is counted once per head: 3 + 3 + 1.
        QCOMPARE(got.head(0, 0).s, 7LL);
    }
    // The two readings differ somewhere on a trained model (Shift-Att reads other rows).
    bool differ = false;
    for (size_t k = 0; k < set.naive.perHead.size(); ++k)
        differ = differ || !sameCounts(set.naive.perHead[k], set.shifted.perHead[k]);
    QVERIFY(differ);
    // In pieces the links index tokens ("J'ai" is two pieces), so the model's links are others.
    const HeadSetScores inPieces = scoreHeadSet(marian(), setSentences, setReferences, links, HeadSetOptions {});
    QCOMPARE(inPieces.naive.head(0, 0).s, 7LL);
    bool otherLinks = false;
    for (size_t k = 0; k < set.naive.perHead.size(); ++k)
        otherLinks = otherLinks || inPieces.naive.perHead[k].a != set.naive.perHead[k].a;
    QVERIFY(otherLinks);
}

void TestHeadAlignment::setRefusesALinkOutside()
{
    // "Tom is tired." has 3 words and 3 reference words (fatigué. is one word with its stop).
    const std::vector<GoldAlignment> links = parsePharaoh("0-0\n0-0 5-1\n0-0\n", "set.gold");
    HeadSetOptions options;
    options.words = true;
    try {
        scoreHeadSet(marian(), setSentences, setReferences, links, options);
        QFAIL("a link outside sentence 2 was scored");
    } catch (const InputError &e) {
        const std::string message = e.what();
        QVERIFY2(message.find("sentence 2") != std::string::npos, e.what());
        QVERIFY2(message.find("5-1") != std::string::npos, e.what());
        QVERIFY2(message.find("3 source words") != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(InputError, scoreHeadSet(marian(), setSentences, {"x"}, links));
    // On the target side: "J'ai froid." is 2 words (3 with the EOS, which holds no link).
    try {
        scoreHeadSet(marian(), setSentences, setReferences, parsePharaoh("0-2\n0-0\n0-0\n", "set.gold"), options);
        QFAIL("a link past the reference's words was scored");
    } catch (const InputError &e) {
        QVERIFY2(std::string(e.what()).find("sentence 1: gold link 0-2 is outside the sentence (3 source words, 2 output words)")
                     != std::string::npos, e.what());
    }
    // Greedy (no reference): the output's words but its EOS.
    DecodeOptions greedy;
    const TranslationResult pieces = translate(marian(), setSentences[2], greedy);
    const WordMerge merge = mergeToWords(pieces, pieceMarkings(marian()), specialTokens(marian()));
    const int outputWords = int(merge.words.best().targetTokens.size()) - 1;
    const std::string last = "0-0\n0-0\n0-" + std::to_string(outputWords - 1) + "\n";
    scoreHeadSet(marian(), setSentences, setReferences, parsePharaoh(last, "set.gold"), options); // within
    const std::string past = "0-0\n0-0\n0-" + std::to_string(outputWords) + "\n";
    QVERIFY_THROWS_EXCEPTION(InputError, scoreHeadSet(marian(), setSentences, setReferences,
                                                      parsePharaoh(past, "set.gold"), options));
}

void TestHeadAlignment::setCancels()
{
    const std::vector<GoldAlignment> links = parsePharaoh("0-0\n0-0\n0-0\n", "set.gold");
    HeadSetOptions options;
    int done = 0;
    options.progress = [&](int n, int) { done = n; };
    options.cancelled = [&] { return done >= 1; }; // stop during the second sentence
    QVERIFY_THROWS_EXCEPTION(Cancelled, scoreHeadSet(marian(), setSentences, setReferences, links, options));
    QCOMPARE(done, 1);
}

QTEST_GUILESS_MAIN(TestHeadAlignment)
#include "tst_headalignment.moc"
