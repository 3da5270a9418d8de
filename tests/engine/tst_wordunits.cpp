// Reading pieces as words (engine/include/attnviz/analysis/word_units.h, #16): the four
// markings and their edge cases, the merged matrices on hand-made alignments, and a real
// translation of the hand-made piece model tests/data/pieces.json.
#include <attnviz/analysis/word_units.h>
#include <attnviz/analysis/alignment.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/models/model.h>

#include <QTest>

using attnviz::PieceMarking;

Q_DECLARE_METATYPE(attnviz::PieceMarking)

namespace {

std::vector<std::string> split(const QString &text)
{
    std::vector<std::string> out;
    for (const QString &s : text.split(QLatin1Char(' '), Qt::SkipEmptyParts))
        out.push_back(s.toStdString());
    return out;
}

QString describe(const attnviz::WordGrouping &g)
{
    // "text:first-last" per word, e.g. "cats:1-3"
    QStringList words;
    for (const attnviz::WordUnit &w : g.words)
        words << QStringLiteral("%1:%2-%3")
                     .arg(QString::fromStdString(w.text))
                     .arg(w.pieces.front())
                     .arg(w.pieces.back());
    return words.join(QLatin1Char(' '));
}

// A result of 4 source positions (3 pieces and EOS) and 3 output pieces, with hand-made numbers.
attnviz::TranslationResult handMade()
{
    attnviz::TranslationResult r;
    r.sourceTokens = {"▁the", "▁c", "ats", "EOS"};
    r.sourceWords = {"▁the", "▁c", "ats"};
    r.sourceWordIndex = {0, 1, 2};
    r.sourceIds = {2, 3, 4, 1};
    r.eosToken = "EOS";
    r.encoderOutputs.resize(4, 2);
    r.encoderOutputs << 1, 0, 0, 1, 1, 1, 2, 0;
    r.summedContext = r.encoderOutputs.colwise().sum().transpose();
    attnviz::Hypothesis h;
    h.targetTokens = {"▁les", "▁ch", "ats"};
    h.targetIds = {2, 3, 4};
    h.attention.resize(3, 4);
    h.attention << 0.1f, 0.2f, 0.3f, 0.4f, //
        0.3f, 0.3f, 0.2f, 0.2f,            //
        0.5f, 0.1f, 0.1f, 0.3f;
    h.energies = h.attention;
    h.contexts = h.attention * r.encoderOutputs; // c_i = Σ_j α_ij h_j
    h.logProbs = {-0.5, -1.0, -0.25};
    h.score = -1.75;
    h.normalizedScore = -1.75 / 3;
    r.hypotheses.push_back(h);
    return r;
}

} // namespace

class TestWordUnits : public QObject
{
    Q_OBJECT

private slots:
    void grouping_data();
    void grouping();
    void inferMarking_data();
    void inferMarking();
    void mergeMatrixKeepsRowsStochastic();
    void mergeResult();
    void unknownPieceGroupsAsTyped();
    void contributionsOfWords();
    void ablation();
    void pieceModel();
    void subwordSampleUsesItsRecord();
};

void TestWordUnits::grouping_data()
{
    QTest::addColumn<PieceMarking>("marking");
    QTest::addColumn<QString>("tokens");
    QTest::addColumn<QString>("words");
    const auto S = PieceMarking::WordStart, B = PieceMarking::ContinuationSuffix, J = PieceMarking::Joiner;
    QTest::newRow("sentencepiece") << S << "▁the ▁c at s ▁sleep EOS" << "the:0-0 cats:1-3 sleep:4-4 EOS:5-5";
    QTest::newRow("lone ▁ starts a word") << S << "▁ ( a ) ▁x" << "(a):0-3 x:4-4";
    QTest::newRow("lone ▁ at the end") << S << "▁x ▁ EOS" << "x:0-0 ▁:1-1 EOS:2-2";
    QTest::newRow("first piece without ▁") << S << "at ▁x" << "at:0-0 x:1-1";
    QTest::newRow("piece after a special") << S << "▁a <unk> b EOS" << "a:0-0 <unk>:1-1 b:2-2 EOS:3-3";
    QTest::newRow("bpe") << B << "the c@@ at@@ s sleep </s>" << "the:0-0 cats:1-3 sleep:4-4 </s>:5-5";
    QTest::newRow("trailing @@ before EOS") << B << "lo@@ </s>" << "lo@@:0-0 </s>:1-1";
    QTest::newRow("trailing @@ at the end") << B << "x a@@" << "x:0-0 a@@:1-1";
    QTest::newRow("lone @@ is a word") << B << "a @@ b" << "a:0-0 @@:1-1 b:2-2";
    QTest::newRow("joiner") << J << "a￭ b c ￭d e" << "ab:0-1 cd:2-3 e:4-4";
    QTest::newRow("joiner on both sides") << J << "x ￭-￭ y z" << "x-y:0-2 z:3-3";
    QTest::newRow("lone joiner") << J << "x ￭ y" << "xy:0-2";
    QTest::newRow("joiner before a special") << J << "a￭ EOS" << "a:0-0 EOS:1-1";
    QTest::newRow("none") << PieceMarking::None << "▁a b@@ c" << "▁a:0-0 b@@:1-1 c:2-2";
}

void TestWordUnits::grouping()
{
    QFETCH(PieceMarking, marking);
    QFETCH(QString, tokens);
    QFETCH(QString, words);
    const attnviz::WordGrouping g = attnviz::groupPieces(split(tokens), marking, {"EOS"});
    QCOMPARE(describe(g), words);
    QCOMPARE(g.wordOf.size(), split(tokens).size());
    for (int w = 0; w < g.size(); ++w)
        for (int p : g.words[size_t(w)].pieces)
            QCOMPARE(g.wordOf[size_t(p)], w);
}

void TestWordUnits::inferMarking_data()
{
    QTest::addColumn<QString>("vocabulary");
    QTest::addColumn<PieceMarking>("marking");
    QTest::newRow("words") << "<unk> <s> </s> the cat sleeps ." << PieceMarking::None;
    QTest::newRow("sentencepiece") << "<unk> <s> </s> ▁the ▁c at s ▁ ." << PieceMarking::WordStart;
    QTest::newRow("bpe") << "<unk> <s> </s> the c@@ at@@ s ." << PieceMarking::ContinuationSuffix;
    QTest::newRow("joiner") << "<unk> the ￭s ￭.￭ cat" << PieceMarking::Joiner;
    // One "@@" piece among 60 words is under 2 %: still words.
    QString many = QStringLiteral("odd@@");
    for (int i = 0; i < 60; ++i)
        many += QStringLiteral(" w%1").arg(i);
    QTest::newRow("stray @@") << many << PieceMarking::None;
    QTest::newRow("most pieces win") << "▁a ▁b ▁c d@@ e" << PieceMarking::WordStart;
    QTest::newRow("specials only") << "<unk> <s> </s>" << PieceMarking::None;
}

void TestWordUnits::inferMarking()
{
    QFETCH(QString, vocabulary);
    QFETCH(PieceMarking, marking);
    QCOMPARE(attnviz::inferPieceMarking(split(vocabulary)), marking);
}

void TestWordUnits::mergeMatrixKeepsRowsStochastic()
{
    const attnviz::TranslationResult r = handMade();
    const auto columns = attnviz::groupPieces(r.sourceTokens, PieceMarking::WordStart, {"EOS"});
    const auto rows = attnviz::groupPieces(r.hypotheses[0].targetTokens, PieceMarking::WordStart, {"EOS"});
    const attnviz::MatrixRM m = attnviz::mergeMatrix(r.hypotheses[0].attention, rows, columns);
    // Output word "chats" = mean of rows 1 and 2: (0.4, 0.2, 0.15, 0.25); source "cats" sums
    // columns 1 and 2.
    QCOMPARE(m.rows(), 2);
    QCOMPARE(m.cols(), 3);
    const float expected[2][3] = {{0.1f, 0.5f, 0.4f}, {0.4f, 0.35f, 0.25f}};
    for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 3; ++j)
            QVERIFY2(std::abs(m(i, j) - expected[i][j]) < 1e-6, qPrintable(QStringLiteral("%1,%2").arg(i).arg(j)));
        QVERIFY(std::abs(m.row(i).sum() - 1.0f) < 1e-6);
    }
    // Slots past the grouped columns (tutorial_legacy) stay, after the words.
    attnviz::MatrixRM withSlots(1, 5);
    withSlots << 0.1f, 0.2f, 0.3f, 0.1f, 0.3f;
    const auto oneRow = attnviz::groupPieces({"▁x"}, PieceMarking::WordStart);
    const attnviz::MatrixRM merged = attnviz::mergeMatrix(withSlots, oneRow, columns);
    QCOMPARE(merged.cols(), 4);
    QVERIFY(std::abs(merged(0, 1) - 0.5f) < 1e-6 && std::abs(merged(0, 3) - 0.3f) < 1e-6);
}

void TestWordUnits::mergeResult()
{
    const attnviz::TranslationResult r = handMade();
    const attnviz::WordMerge merge =
        attnviz::mergeToWords(r, {PieceMarking::WordStart, PieceMarking::WordStart});
    const attnviz::TranslationResult &w = merge.words;
    QCOMPARE(w.sourceTokens, (std::vector<std::string> {"the", "cats", "EOS"}));
    QCOMPARE(w.sourceWords, (std::vector<std::string> {"the", "cats"}));
    QCOMPARE(w.sourceWordIndex, (std::vector<int> {0, 1}));
    QCOMPARE(w.sourceIds, (std::vector<int> {2, 3, 1}));
    QCOMPARE(w.sourceLength(), 3);
    const attnviz::Hypothesis &h = w.best();
    QCOMPARE(h.targetTokens, (std::vector<std::string> {"les", "chats"}));
    QCOMPARE(h.logProbs, (std::vector<double> {-0.5, -1.25})); // log p of a word: its pieces' sum
    QCOMPARE(h.score, -1.75);
    QCOMPARE(h.energies.size(), 0); // raw scores have no merged meaning
    // c of "chats" = mean of c_1 and c_2 = Σ_j (mean α) h_j = 0.4 (1,0) + 0.2 (0,1) + 0.15 (1,1) + 0.25 (2,0)
    QVERIFY(std::abs(h.contexts(1, 0) - 1.05f) < 1e-6);
    QVERIFY(std::abs(h.contexts(1, 1) - 0.35f) < 1e-6);
    // coverage of "cats" = 0.5 + 0.35
    QVERIFY(std::abs(h.coverage[1] - 0.85) < 1e-6);
    // entropy of row "les" = -(0.1 ln 0.1 + 0.5 ln 0.5 + 0.4 ln 0.4)
    QVERIFY(std::abs(h.entropy[0] - (-(0.1 * std::log(0.1) + 0.5 * std::log(0.5) + 0.4 * std::log(0.4)))) < 1e-6);
    // a word's h is the sum of its pieces': c = Σ h still holds
    QVERIFY((w.encoderOutputs.colwise().sum().transpose() - w.summedContext).norm() < 1e-6);
    // Gold links of words: hardLinks gives word positions.
    const std::set<attnviz::Link> links = attnviz::hardLinks(w, h);
    QCOMPARE(links, (std::set<attnviz::Link> {{1, 0}, {0, 1}}));
}

void TestWordUnits::unknownPieceGroupsAsTyped()
{
    // "▁zz" was unknown and read as UNK: it still starts a word, and "ats" does not join "the".
    attnviz::TranslationResult r = handMade();
    r.sourceTokens = {"▁the", "UNK", "ats", "EOS"};
    r.sourceWords = {"▁the", "▁zz", "ats"};
    r.unknownWords = {"▁zz"};
    const attnviz::WordMerge merge = attnviz::mergeToWords(r, {PieceMarking::WordStart, PieceMarking::WordStart}, {"UNK"});
    QCOMPARE(merge.words.sourceTokens, (std::vector<std::string> {"the", "zzats", "EOS"}));
    QCOMPARE(merge.words.unknownWords, (std::vector<std::string> {"▁zz"})); // as typed
    // Without the typed pieces, UNK is a special token on its own.
    r.sourceWords = {"x"};
    r.sourceWordIndex = {0, 0, 0};
    const attnviz::WordMerge tokens = attnviz::mergeToWords(r, {PieceMarking::WordStart, PieceMarking::WordStart}, {"UNK"});
    QCOMPARE(tokens.words.sourceTokens, (std::vector<std::string> {"the", "UNK", "ats", "EOS"}));
}

void TestWordUnits::contributionsOfWords()
{
    const attnviz::TranslationResult r = handMade();
    const attnviz::WordMerge merge = attnviz::mergeToWords(r, {PieceMarking::WordStart, PieceMarking::WordStart});
    const auto parts = attnviz::wordContextContributions(r, 0, merge, 1);
    QCOMPARE(parts.size(), size_t(3));
    // "cats" at "chats": mean over rows 1, 2 of α_i1 h_1 + α_i2 h_2 = 0.2 (0,1) + 0.15 (1,1) = (0.15, 0.35)
    QVERIFY(std::abs(parts[1].norm - std::hypot(0.15, 0.35)) < 1e-6);
    // its cosine with c = (1.05, 0.35)
    const double cosine = (0.15 * 1.05 + 0.35 * 0.35) / (std::hypot(0.15, 0.35) * std::hypot(1.05, 0.35));
    QVERIFY(std::abs(parts[1].cosine - cosine) < 1e-6);
    QVERIFY(attnviz::wordContextContributions(r, 0, merge, 2).empty());
}

void TestWordUnits::ablation()
{
    attnviz::AblationResult a;
    a.targetTokens = {"▁ch", "at", "s", "EOS"};
    a.targetIds = {3, 4, 5, 1};
    a.logProbs = {-1, -2, -3, -0.5};
    a.score = -6.5;
    const attnviz::AblationResult w = attnviz::mergeAblationToWords(a, PieceMarking::WordStart, {"EOS"});
    QCOMPARE(w.targetTokens, (std::vector<std::string> {"chats", "EOS"}));
    QCOMPARE(w.logProbs, (std::vector<double> {-6, -0.5}));
    QCOMPARE(w.targetIds, (std::vector<int> {3, 1}));
    QCOMPARE(w.score, -6.5);
}

void TestWordUnits::pieceModel()
{
    const auto model = attnviz::Model::fromFile(ATTNVIZ_TEST_DATA_DIR "/pieces.json");
    const attnviz::PieceMarkings markings = attnviz::pieceMarkings(*model);
    QCOMPARE(markings.source, PieceMarking::WordStart);
    QCOMPARE(markings.target, PieceMarking::WordStart);
    attnviz::DecodeOptions options;
    options.target = "▁les ▁ch at s ▁dorm ent";
    const attnviz::TranslationResult r = attnviz::translate(*model, "▁the ▁c at s ▁sleep", options);
    QCOMPARE(r.sourceTokens.size(), size_t(6));
    const attnviz::WordMerge merge = attnviz::mergeToWords(r, markings, attnviz::specialTokens(*model));
    const attnviz::Hypothesis &p = r.best(), &w = merge.words.best();
    QCOMPARE(merge.words.sourceTokens, (std::vector<std::string> {"the", "cats", "sleep", "EOS"}));
    QCOMPARE(w.targetTokens, (std::vector<std::string> {"les", "chats", "dorment", "EOS"}));
    QCOMPARE(merge.words.targetWords, (std::vector<std::string> {"les", "chats", "dorment"}));
    // The decoder's own numbers, merged: "chats" (pieces 1-3) on "cats" (pieces 1-3).
    double expected = 0;
    for (int i = 1; i <= 3; ++i)
        for (int j = 1; j <= 3; ++j)
            expected += p.attention(i, j) / 3.0;
    QVERIFY(std::abs(w.attention(1, 1) - expected) < 1e-6);
    QVERIFY(std::abs(w.logProbs[2] - (p.logProbs[4] + p.logProbs[5])) < 1e-9);
    for (int i = 0; i < w.attention.rows(); ++i)
        QVERIFY(std::abs(w.attention.row(i).sum() - 1.0f) < 1e-5);
}

// The SentencePiece sample: the marking comes from its tokenizer record, its words are the
// typed words, and the merged result keeps the detokenized line.
void TestWordUnits::subwordSampleUsesItsRecord()
{
    const auto model = attnviz::Model::fromFile(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-subword.safetensors");
    QVERIFY(model->sourceTokenizer());
    const attnviz::PieceMarkings markings = attnviz::pieceMarkings(*model);
    QCOMPARE(markings.source, PieceMarking::WordStart);
    QCOMPARE(markings.target, PieceMarking::WordStart);
    const attnviz::TranslationResult r = attnviz::translate(*model, "I am cold.", {});
    const attnviz::WordMerge merge = attnviz::mergeToWords(r, markings, attnviz::specialTokens(*model));
    QCOMPARE(merge.words.sourceTokens, (std::vector<std::string> {"I", "am", "cold.", "</s>"}));
    QCOMPARE(merge.words.best().translation, r.best().translation);
    QCOMPARE(r.best().translation, std::string("J'ai froid."));
    for (Eigen::Index i = 0; i < merge.words.best().attention.rows(); ++i)
        QVERIFY(std::abs(merge.words.best().attention.row(i).sum() - 1) < 1e-5);
}

QTEST_APPLESS_MAIN(TestWordUnits)
#include "tst_wordunits.moc"
