// The Heads panel's views in the window (#23), on the Marian sample (3 + 3 layers, 4 heads):
// self-attention in the grid and the heatmap (decoded only while shown), naive / shifted rows,
// the AER table against gold links, the titles that name the view, thumbnails that follow the
// dock's size, and the choices kept for the next sentence. Values are the engine's own.
#include "alignmentmodel.h"
#include "figureexport.h"
#include "headalignmentmodel.h"
#include "headgrid.h"
#include "headgridmodel.h"
#include "mainwindow.h"
#include "showtranslation.h"
#include "testsettings.h"

#include <attnviz/analysis/head_alignment.h>
#include <attnviz/decoding/heads.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/models/model.h>

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QGuiApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QStyle>
#include <QTabBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace attnviz;

namespace {

const QString marian = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian");
const QString data = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/heads/");

HeadGrid *headGrid(MainWindow &window)
{
    return window.findChild<HeadGrid *>(QStringLiteral("heads"));
}

QAction *action(MainWindow &window, const char *name)
{
    return window.findChild<QAction *>(QString::fromLatin1(name));
}

// The heatmap's values as a matrix.
MatrixRM heatmapValues(const AlignmentModel &heatmap)
{
    MatrixRM m(heatmap.rows(), heatmap.columns());
    for (int i = 0; i < heatmap.rows(); ++i)
        for (int j = 0; j < heatmap.columns(); ++j)
            m(i, j) = float(heatmap.value(i, j));
    return m;
}

float maxDifference(const MatrixRM &a, const MatrixRM &b)
{
    if (a.rows() != b.rows() || a.cols() != b.cols())
        return 1e9f;
    return (a - b).cwiseAbs().maxCoeff();
}

// The mean of layer `layer`'s heads, summed here (not through selectHeads).
MatrixRM layerMean(const HeadAttention &heads, int layer)
{
    MatrixRM sum = MatrixRM::Zero(heads.at(layer, 0).rows(), heads.at(layer, 0).cols());
    for (int h = 0; h < heads.heads; ++h)
        sum += heads.at(layer, h);
    return sum / float(heads.heads);
}

// Whether the AER table shows `expected`: a row per layer (its heads, then the mean) and the
// all-layer mean in the last row's mean column (the Marian sample: 3 layers x 4 heads).
bool tableShows(const HeadAlignmentModel &scores, const HeadScores &expected)
{
    const auto aer = [&](int row, int column) { return scores.index(row, column).data(HeadAlignmentModel::AerRole).toDouble(); };
    if (scores.rowCount() != 4 || scores.columnCount() != 5)
        return false;
    for (int l = 0; l < 3; ++l) {
        for (int h = 0; h < 4; ++h)
            if (aer(l, h) != expected.head(l, h).alignmentErrorRate())
                return false;
        if (aer(l, 4) != expected.perLayer[size_t(l)].alignmentErrorRate())
            return false;
    }
    return aer(3, 4) == expected.allLayers.alignmentErrorRate();
}

// Words on (the gold files index words), then the alignment set NAME.src, NAME.ref, NAME.gold;
// false (the error printed) when it cannot be opened or the translation does not come.
bool openSetInWords(MainWindow &window, const QString &name)
{
    window.wordsAction()->setChecked(true);
    QString error;
    if (!window.openAlignmentSet(name + QStringLiteral(".src"), name + QStringLiteral(".ref"),
                                 name + QStringLiteral(".gold"), &error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    return window.waitForTranslation();
}

} // namespace

class TestHeadViews : public QObject
{
    Q_OBJECT

private slots:
    void selfAttentionInTheGridAndTheHeatmap();
    void shiftedRowsKeptAcrossSentences();
    void aerTableAgainstGoldLinks();
    void aerTableOverTheWholeSet();
    void aerSetRefusesALinkOutside();
    void titlesNameTheView();
    void thumbnailsFollowTheDockSize();
};

void TestHeadViews::selfAttentionInTheGridAndTheHeatmap()
{
    test::IsolatedSettings settings;
    MainWindow window;
    window.resize(1400, 900);
    QVERIFY(test::showTranslation(window, marian, QStringLiteral("I am cold.")));
    QVERIFY(!window.selection()->hasSelfAttention()); // not asked for while the cross-attention is shown
    QVERIFY(!window.controller()->options().selfAttention);
    HeadGrid *grid = headGrid(window);
    QVERIFY(grid);
    QSignalSpy started(window.controller(), &TranslationController::translationStarted);

    // Encoder self-attention (Ctrl+Alt+3): decoded once more, with the self-attention.
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keySequence(&window, QKeySequence(QStringLiteral("Ctrl+Alt+3")));
    QCOMPARE(window.selection()->attentionKind(), AttentionKind::EncoderSelf);
    QCOMPARE(grid->kinds()->currentIndex(), 2);
    QVERIFY(window.waitForTranslation());
    QCOMPARE(started.count(), 1);
    QVERIFY(window.selection()->hasSelfAttention());

    const auto model = window.selection()->pieceOutput().model;
    DecodeOptions options;
    options.selfAttention = true;
    const TranslationResult expected = translate(*model, "I am cold.", options);
    const int T = expected.sourceLength();
    auto *headModel = window.findChild<HeadGridModel *>();
    QVERIFY(headModel);
    for (int l = 0; l < 3; ++l)
        for (int h = 0; h < 4; ++h) {
            const MatrixRM *shown = headModel->attentionMap(l, h);
            QVERIFY(shown);
            QCOMPARE(shown->rows(), T);
            QVERIFY(maxDifference(*shown, expected.encoderSelfAttention.at(l, h)) < 1e-6f);
        }
    // The heatmap: source x source, the last layer's mean (the default view).
    const AlignmentModel &heatmap = *window.alignmentModel();
    QVERIFY(heatmap.showsSelfAttention());
    QCOMPARE(heatmap.rows(), T);
    QCOMPARE(heatmap.columns(), T);
    QCOMPARE(heatmap.rowLabel(0), QString::fromStdString(expected.sourceTokens[0]));
    QCOMPARE(heatmap.columnLabel(T - 1), QString::fromStdString(expected.sourceTokens[size_t(T - 1)]));
    QVERIFY(maxDifference(heatmapValues(heatmap), layerMean(expected.encoderSelfAttention, 2)) < 1e-6f);
    QVERIFY(!heatmap.linkAt(0, 0)); // no gold links between source and source
    window.forceAttention(0, 1); // forcing is of the cross-attention: refused here
    QVERIFY(window.controller()->attentionOverrides().empty());
    // One head clicked in the grid: the heatmap is that head's.
    headModel->clickHead(0, 1, Qt::NoModifier);
    QVERIFY(maxDifference(heatmapValues(heatmap), expected.encoderSelfAttention.at(0, 1)) < 1e-6f);

    // Decoder self-attention: no decoding again; output x output, a causal triangle.
    grid->kinds()->setCurrentIndex(1);
    QCOMPARE(window.selection()->attentionKind(), AttentionKind::DecoderSelf);
    const Hypothesis &best = expected.best();
    const int steps = best.steps();
    QCOMPARE(heatmap.rows(), steps);
    QCOMPARE(heatmap.columns(), steps);
    QCOMPARE(heatmap.rowLabel(steps - 1), QString::fromStdString(best.targetTokens.back()));
    QCOMPARE(heatmap.columnLabel(1), QString::fromStdString(best.targetTokens[0])); // step 2 reads y_1
    const MatrixRM decoder = heatmapValues(heatmap);
    QVERIFY(maxDifference(decoder, best.selfAttention.at(0, 1)) < 1e-6f);
    for (int i = 0; i < steps; ++i) {
        QVERIFY(std::abs(decoder.row(i).head(i + 1).sum() - 1.0f) < 1e-5f);
        for (int j = i + 1; j < steps; ++j)
            QCOMPARE(decoder(i, j), 0.0f);
    }
    QVERIFY(maxDifference(*headModel->attentionMap(2, 3), best.selfAttention.at(2, 3)) < 1e-6f);

    // Back to the cross-attention: no decoding; the next sentence is decoded without self-attention.
    action(window, "attentionKind0")->trigger();
    QCOMPARE(grid->kinds()->currentIndex(), 0);
    QVERIFY(!heatmap.showsSelfAttention());
    QCOMPARE(heatmap.columns(), T);
    QCOMPARE(heatmap.rows(), steps);
    QCOMPARE(started.count(), 1);
    QVERIFY(!window.controller()->options().selfAttention);
    window.setSentence(QStringLiteral("Tom is tired."));
    QVERIFY(window.waitForTranslation());
    QVERIFY(!window.selection()->hasSelfAttention());
    // And a self-attention chosen stays chosen for the next sentence (decoded with it).
    action(window, "attentionKind1")->trigger();
    QVERIFY(window.waitForTranslation());
    window.setSentence(QStringLiteral("I am cold."));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.selection()->attentionKind(), AttentionKind::DecoderSelf);
    QVERIFY(window.selection()->hasSelfAttention());
    QVERIFY(maxDifference(heatmapValues(heatmap), best.selfAttention.at(0, 1)) < 1e-6f); // and the head
}

void TestHeadViews::shiftedRowsKeptAcrossSentences()
{
    test::IsolatedSettings settings;
    MainWindow window;
    window.resize(1400, 900);
    QVERIFY(test::showTranslation(window, marian, QStringLiteral("I am cold.")));
    HeadSelection head;
    head.layer = 1;
    head.heads = {3};
    QVERIFY(window.selection()->setView(head));
    const AlignmentModel &heatmap = *window.alignmentModel();
    const TranslationResult decoded = *window.selection()->decodedResult();
    const MatrixRM naive = decoded.best().crossAttention.at(1, 3);
    QVERIFY(maxDifference(heatmapValues(heatmap), naive) < 1e-6f);

    QSignalSpy started(window.controller(), &TranslationController::translationStarted);
    QAction *shifted = action(window, "shiftedRows");
    QVERIFY(shifted && shifted->isEnabled());
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keySequence(&window, QKeySequence(QStringLiteral("Ctrl+Shift+A")));
    QCOMPARE(window.selection()->alignmentRows(), AlignmentRows::Shifted);
    QVERIFY(headGrid(window)->shiftedRows()->isChecked());
    const MatrixRM expected = shiftedAlignment(naive);
    QVERIFY(maxDifference(heatmapValues(heatmap), expected) == 0.0f);
    QVERIFY(heatmapValues(heatmap).row(heatmap.rows() - 1).isZero()); // EOS is no step's input
    QVERIFY(headGrid(window)->viewText().endsWith(QStringLiteral("shifted rows (Shift-Att)")));
    QCOMPARE(started.count(), 0); // a reading of what is decoded
    window.forceAttention(0, 1); // the rows are not the decoder's steps: refused
    QVERIFY(window.controller()->attentionOverrides().empty());

    // The next sentence: the same head, still shifted.
    window.setSentence(QStringLiteral("Tom is tired."));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.selection()->alignmentRows(), AlignmentRows::Shifted);
    const TranslationResult &next = *window.selection()->decodedResult();
    QCOMPARE(next.view.layer, 1);
    QVERIFY(maxDifference(heatmapValues(heatmap), shiftedAlignment(next.best().crossAttention.at(1, 3))) == 0.0f);
    // The contexts follow the shifted rows: c_i = sum_j a_ij h_j.
    const Hypothesis &shown = window.selection()->pieceOutput().result->best();
    QVERIFY(maxDifference(shown.contexts, shown.attention * next.encoderOutputs) < 1e-5f);
    // Off again (the check box): the naive rows.
    headGrid(window)->shiftedRows()->setChecked(false);
    QVERIFY(!shifted->isChecked());
    QVERIFY(maxDifference(heatmapValues(heatmap), next.best().crossAttention.at(1, 3)) == 0.0f);
    // Shifted rows are of the cross-attention alone.
    action(window, "attentionKind2")->trigger();
    QVERIFY(!shifted->isEnabled());
    QVERIFY(!headGrid(window)->shiftedRows()->isEnabled());
}

void TestHeadViews::aerTableAgainstGoldLinks()
{
    test::IsolatedSettings settings;
    MainWindow window;
    window.resize(1400, 900);
    QVERIFY(test::showTranslation(window, marian, QStringLiteral("I am cold.")));
    HeadGrid *grid = headGrid(window);
    action(window, "showHeads")->trigger();
    QVERIFY(!grid->aerTable()->isVisibleTo(grid));
    QVERIFY2(grid->aerText().contains(QStringLiteral("gold links")), qPrintable(grid->aerText()));
    QVERIFY(openSetInWords(window, data + QStringLiteral("marian")));
    auto *scores = qobject_cast<HeadAlignmentModel *>(grid->aerTable()->model());
    QVERIFY(scores && scores->available());
    QVERIFY(grid->aerTable()->isVisibleTo(grid));

    // The engine's numbers, computed here as attnviz-cli align --per-layer does.
    const auto model = window.selection()->pieceOutput().model;
    DecodeOptions options;
    options.target = "J'ai froid.";
    const TranslationResult pieces = translate(*model, "I am cold.", options);
    const WordMerge words = mergeToWords(pieces, pieceMarkings(*model), specialTokens(*model));
    const std::vector<GoldAlignment> gold = parsePharaoh("0-0 1-0 2-1\n", "gold");
    for (AlignmentRows rows : {AlignmentRows::Naive, AlignmentRows::Shifted}) {
        window.selection()->setAlignmentRows(rows);
        const HeadScores expected = scoreHeads(pieces, 0, gold[0], &words, 0.0, rows);
        QVERIFY(tableShows(*scores, expected));
        QVERIFY(!scores->index(3, 0).data(HeadAlignmentModel::AerRole).isValid());
        QCOMPARE(scores->index(0, 0).data().toString(),
                 QString::number(expected.head(0, 0).alignmentErrorRate(), 'f', 3));
        // The best is highlighted, and only it.
        const HeadScores::Best best = expected.best();
        const QModelIndex at = scores->index(best.layer < 0 ? 3 : best.layer, best.head < 0 ? 4 : best.head);
        QVERIFY(at.data(HeadAlignmentModel::BestRole).toBool());
        QVERIFY(at.data(Qt::BackgroundRole).isValid());
        int highlighted = 0;
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 5; ++c)
                highlighted += scores->index(r, c).data(HeadAlignmentModel::BestRole).toBool();
        QCOMPARE(highlighted, 1);
        QVERIFY2(grid->aerText().contains(rows == AlignmentRows::Shifted ? QStringLiteral("(shifted rows")
                                                                          : QStringLiteral("(naive rows")),
                 qPrintable(grid->aerText()));
        QVERIFY(grid->aerText().contains(bestHeadName(best)));
    }

    // A click on a cell: the heatmap shows that head (and the cross-attention).
    window.selection()->setAttentionKind(AttentionKind::EncoderSelf);
    QVERIFY(window.waitForTranslation());
    QTableView *table = grid->aerTable();
    const QRect cell = table->visualRect(scores->index(1, 2));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, Qt::NoModifier, cell.center());
    QCOMPARE(window.selection()->attentionKind(), AttentionKind::Cross);
    QCOMPARE(window.selection()->view().layer, 1);
    QCOMPARE(window.selection()->view().heads, std::vector<int> {2});
    // Enter on the table's cursor: the layer's mean.
    table->setFocus();
    table->setCurrentIndex(scores->index(0, 4));
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(window.selection()->view().layer, 0);
    QVERIFY(window.selection()->view().heads.empty()); // all of them
    QVERIFY(!window.selection()->view().allLayers);
}

void TestHeadViews::aerTableOverTheWholeSet()
{
    test::IsolatedSettings settings;
    MainWindow window;
    window.resize(1400, 900);
    QVERIFY(test::showTranslation(window, marian, QStringLiteral("I am cold.")));
    HeadGrid *grid = headGrid(window);
    action(window, "showHeads")->trigger();
    auto *scores = qobject_cast<HeadAlignmentModel *>(grid->aerTable()->model());
    QVERIFY(scores);
    QAbstractItemModelTester tester(scores, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(!grid->aerScope()->isEnabled()); // no set, no annotations
    QVERIFY(openSetInWords(window, data + QStringLiteral("marian")));
    QVERIFY(grid->aerScope()->isEnabled());
    QVERIFY2(grid->aerScope()->itemText(1).contains(QStringLiteral("2 sentences")),
             qPrintable(grid->aerScope()->itemText(1)));

    // The keyboard chooses the whole set: scored in the background, then the table shows it.
    grid->aerScope()->setFocus();
    QTest::keyClick(grid->aerScope(), Qt::Key_Down);
    QCOMPARE(scores->scope(), HeadAlignmentModel::Scope::Set);
    QVERIFY(scores->waitForSet());
    QVERIFY(scores->available());
    QVERIFY(!grid->aerCancel()->isVisibleTo(grid));

    // The sums of the two sentences scored one by one, forced on their references, in words.
    const auto model = window.selection()->pieceOutput().model;
    const std::vector<GoldAlignment> gold = parsePharaoh("0-0 1-0 2-1\n0-0 1-1 2-2\n", "gold");
    const std::pair<const char *, const char *> set[] = {{"I am cold.", "J'ai froid."},
                                                         {"Tom is tired.", "Tom est fatigué."}};
    for (AlignmentRows rows : {AlignmentRows::Naive, AlignmentRows::Shifted}) {
        window.selection()->setAlignmentRows(rows);
        HeadScores expected;
        for (size_t n = 0; n < 2; ++n) {
            DecodeOptions options;
            options.target = set[n].second;
            const TranslationResult pieces = translate(*model, set[n].first, options);
            const WordMerge words = mergeToWords(pieces, pieceMarkings(*model), specialTokens(*model));
            expected += scoreHeads(pieces, 0, gold[n], &words, 0.0, rows);
        }
        QCOMPARE(expected.head(0, 0).s, 6LL);
        QVERIFY(tableShows(*scores, expected));
        QVERIFY2(grid->aerText().contains(QStringLiteral("Whole set, 2 sentences")), qPrintable(grid->aerText()));
        QVERIFY2(grid->aerText().contains(bestHeadName(expected.best())), qPrintable(grid->aerText()));
    }
    window.selection()->setAlignmentRows(AlignmentRows::Naive);
    const double before = scores->index(0, 0).data(HeadAlignmentModel::AerRole).toDouble();

    // Ctrl+C on the table: the whole of it as tab-separated text, with what it scores.
    QGuiApplication::clipboard()->clear();
    grid->aerTable()->setFocus();
    QTest::keyClick(grid->aerTable(), Qt::Key_C, Qt::ControlModifier);
    const QStringList lines = QGuiApplication::clipboard()->text().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 6); // the header, 3 layers, all layers, what and the best
    QCOMPARE(lines[0], QStringLiteral("AER\thead 1\thead 2\thead 3\thead 4\tmean"));
    const QStringList first = lines[1].split(QLatin1Char('\t'));
    QCOMPARE(first.size(), 6);
    QCOMPARE(first[0], QStringLiteral("layer 1"));
    QCOMPARE(first[1], QString::number(before, 'f', 4));
    QCOMPARE(lines[4].split(QLatin1Char('\t')).last(),
             QString::number(scores->scores(AlignmentRows::Naive).allLayers.alignmentErrorRate(), 'f', 4));
    QVERIFY2(lines[5].startsWith(QStringLiteral("whole set, 2 sentences, naive rows; best: ")), qPrintable(lines[5]));

    // Stepping to the next sentence keeps the set's scores (nothing is scored again) ...
    window.alignments()->showSentence(1);
    QVERIFY(window.waitForTranslation());
    QVERIFY(!scores->isScoringSet());
    QCOMPARE(scores->index(0, 0).data(HeadAlignmentModel::AerRole).toDouble(), before);
    // ... a link changed in the set scores it again.
    QVERIFY(window.alignments()->toggle({0, 0})); // sentence 2 loses Tom-Tom
    QVERIFY(scores->isScoringSet());
    QVERIFY(grid->aerCancel()->isVisibleTo(grid));
    QVERIFY2(grid->aerText().contains(QStringLiteral("AER over the set")), qPrintable(grid->aerText()));
    QVERIFY(scores->waitForSet());
    QCOMPARE(scores->scores(AlignmentRows::Naive).head(0, 0).s, 5LL);

    // Cancel: back to the sentence shown.
    window.setLinkThreshold(0.3); // another threshold: scored again
    QVERIFY(scores->isScoringSet());
    QVERIFY(grid->aerCancel()->isVisibleTo(grid));
    grid->aerCancel()->click(); // no event loop in between: the scoring is still running
    QVERIFY(!scores->isScoringSet());
    QCOMPARE(scores->scope(), HeadAlignmentModel::Scope::Sentence);
    QCOMPARE(grid->aerScope()->currentIndex(), 0);
    QVERIFY(scores->available());
    QCOMPARE(scores->scores(AlignmentRows::Naive).head(0, 0).s, 2LL); // this sentence's 2 sure links

    // Closing the set drops its scores.
    scores->setScope(HeadAlignmentModel::Scope::Set);
    QVERIFY(scores->waitForSet());
    window.alignments()->close();
    QVERIFY(!scores->available());
    QVERIFY(!scores->isScoringSet());
    QVERIFY2(scores->note().contains(QStringLiteral("open an alignment set")), qPrintable(scores->note()));
    QCOMPARE(grid->aerScope()->currentIndex(), 1);
    QVERIFY(grid->aerScope()->isEnabled()); // to go back to the sentence
}

void TestHeadViews::aerSetRefusesALinkOutside()
{
    test::IsolatedSettings settings;
    QTemporaryDir dir;
    const auto write = [&](const char *name, const QByteArray &text) {
        QFile file(dir.filePath(QLatin1String(name)));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(text);
    };
    write("s.src", "I am cold.\nTom is tired.\n");
    write("s.ref", "J'ai froid.\nTom est fatigué.\n");
    write("s.gold", "0-0\n0-0 7-1\n");
    MainWindow window;
    window.resize(1400, 900);
    QVERIFY(test::showTranslation(window, marian, QStringLiteral("I am cold.")));
    HeadGrid *grid = headGrid(window);
    action(window, "showHeads")->trigger();
    auto *scores = qobject_cast<HeadAlignmentModel *>(grid->aerTable()->model());
    QVERIFY(openSetInWords(window, dir.filePath(QStringLiteral("s"))));
    QVERIFY(scores->available()); // sentence 1's link is fine
    scores->setScope(HeadAlignmentModel::Scope::Set);
    QVERIFY(!scores->waitForSet());
    QVERIFY(!scores->available());
    QVERIFY(!grid->aerTable()->isVisibleTo(grid));
    QVERIFY2(grid->aerText().contains(QStringLiteral("sentence 2: gold link 7-1 is outside")), qPrintable(grid->aerText()));
    // Refused once: stepping through the set does not decode it all again.
    window.alignments()->showSentence(1);
    QVERIFY(window.waitForTranslation());
    QVERIFY(!scores->isScoringSet());
    QVERIFY(grid->aerText().contains(QStringLiteral("gold link 7-1")));
    // A change of the links tries again.
    window.alignments()->showSentence(1);
    QVERIFY(window.alignments()->toggle({0, 0}));
    QVERIFY(scores->isScoringSet());
    QVERIFY(!scores->waitForSet()); // 7-1 is still there
}

void TestHeadViews::titlesNameTheView()
{
    test::IsolatedSettings settings;
    MainWindow window;
    window.resize(1400, 900);
    QVERIFY(test::showTranslation(window, marian, QStringLiteral("I am cold.")));
    ResultSelection &selection = *window.selection();
    auto *caption = window.findChild<QLabel *>(QStringLiteral("viewCaption"));
    QVERIFY(caption && caption->isVisible());
    QCOMPARE(attentionViewTitle(selection), QStringLiteral("cross-attention · layer 3 · mean of 4 heads"));
    QCOMPARE(caption->text(), QStringLiteral("Heatmap: cross-attention · layer 3 · mean of 4 heads"));
    HeadSelection view;
    view.layer = 2;
    view.heads = {0};
    selection.setView(view);
    QCOMPARE(attentionViewTitle(selection), QStringLiteral("cross-attention · layer 3 · head 1 · Marian's alignment"));
    view.layer = 1;
    view.heads = {1, 3};
    selection.setView(view);
    QCOMPARE(attentionViewTitle(selection), QStringLiteral("cross-attention · layer 2 · heads 2, 4"));
    selection.setAlignmentRows(AlignmentRows::Shifted);
    QCOMPARE(attentionViewTitle(selection),
             QStringLiteral("cross-attention · layer 2 · heads 2, 4 · shifted rows (Shift-Att)"));
    QCOMPARE(headGrid(window)->viewText(), tr("Heatmap: %1").arg(attentionViewTitle(selection)));
    view = {};
    view.allLayers = true;
    selection.setView(view);
    selection.setAttentionKind(AttentionKind::EncoderSelf);
    QCOMPARE(attentionViewTitle(selection), QStringLiteral("encoder self-attention · all 3 layers, mean of 12 heads"));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(caption->text(), QStringLiteral("Heatmap: encoder self-attention · all 3 layers, mean of 12 heads"));

    // The exported figure says it under its title.
    selection.setAttentionKind(AttentionKind::Cross);
    QTemporaryDir dir;
    const QString svg = dir.filePath(QStringLiteral("f.svg"));
    QString error;
    QVERIFY2(window.exportAlignment(svg, 72, &error), qPrintable(error));
    QFile file(svg);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(file.readAll());
    QVERIFY2(text.contains(QStringLiteral("cross-attention · all 3 layers, mean of 12 heads · shifted rows")),
             qPrintable(text.left(2000)));
    FigureOptions options;
    options.title = QStringLiteral("I am cold.");
    options.caption = attentionViewTitle(selection);
    QImage device(10, 10, QImage::Format_RGB32);
    const QStringList lines = figureTitleLines(*window.alignmentModel(), options, &device);
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines.last().startsWith(QStringLiteral("cross-attention")));

    // An RNN's heatmap has no such title.
    QVERIFY(window.loadModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-bahdanau.safetensors")));
    QVERIFY(window.waitForTranslation());
    QVERIFY(attentionViewTitle(selection).isEmpty());
    QVERIFY(!caption->isVisible());
}

void TestHeadViews::thumbnailsFollowTheDockSize()
{
    test::IsolatedSettings settings;
    MainWindow window;
    window.resize(1400, 900);
    QVERIFY(test::showTranslation(window, marian, QStringLiteral("I am cold.")));
    auto *dock = window.findChild<QDockWidget *>(QStringLiteral("headsDock"));
    dock->setFloating(true);
    dock->show();
    HeadGridCanvas *canvas = headGrid(window)->canvas();
    auto *scroll = canvas->parentWidget()->parentWidget();
    const auto cellAt = [&](int width, int height) {
        dock->resize(width, height);
        QTest::qWait(50);
        return canvas->cellSize();
    };
    // 4 heads, a 56 px header and 4 px gaps, in the scroll area's width less a scroll bar's.
    const auto expected = [&] {
        const int room = scroll->contentsRect().width() - scroll->style()->pixelMetric(QStyle::PM_ScrollBarExtent);
        return std::clamp((room - 60) / 4 - 4, HeadGridCanvas::minimumCellSize, HeadGridCanvas::maximumCellSize);
    };
    const int narrow = cellAt(400, 1000);
    QCOMPARE(narrow, expected());
    const int wide = cellAt(700, 1000);
    QCOMPARE(wide, expected());
    QVERIFY2(wide > narrow + 40, qPrintable(QStringLiteral("%1 %2").arg(narrow).arg(wide)));
    QCOMPARE(canvas->cellRect(0, 0).width(), wide);
    QVERIFY(canvas->width() <= scroll->width() && canvas->height() <= scroll->height()); // no scrolling
    // Short: the same cells, and the layers scroll.
    QCOMPARE(cellAt(700, 380), wide);
    QVERIFY(canvas->height() > scroll->height());
}

QTEST_MAIN(TestHeadViews)
#include "tst_headviews.moc"
