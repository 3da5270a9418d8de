// The Pieces / Words switch (#16): the window's heatmap, lines, contributions and comparison in
// words, the tooltip listing a word cell's pieces, what words disable, and the setting kept.
// tests/data/pieces.json is a hand-made model whose vocabularies are SentencePiece-style pieces;
// its input is typed as pieces until a model file records its tokenizer.
#include "testsettings.h"
#include "mainwindow.h"

#include "alignmentmodel.h"
#include "contributionsmodel.h"
#include "resultselection.h"
#include "settings.h"
#include "unitsswitch.h"

#include <attnviz/models/model.h>

#include <QAbstractItemModelTester>
#include <QAction>
#include <QTableView>
#include <QTest>
#include <QTextBrowser>
#include <QToolButton>

using attnviz::MainWindow;
using attnviz::TokenUnits;

namespace {

const QString piecesModel = QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/pieces.json");
const QString source = QStringLiteral("▁the ▁c at s ▁sleep");
const QString reference = QStringLiteral("▁les ▁ch at s ▁dorm ent");

QStringList columnLabels(const attnviz::AlignmentModel &m)
{
    QStringList labels;
    for (int j = 0; j < m.columns(); ++j)
        labels << m.columnLabel(j);
    return labels;
}

QStringList rowLabels(const attnviz::AlignmentModel &m)
{
    QStringList labels;
    for (int i = 0; i < m.rows(); ++i)
        labels << m.rowLabel(i);
    return labels;
}

QStringList list(const char *spaced)
{
    return QString::fromUtf8(spaced).split(QLatin1Char(' '));
}

QString w(double v)
{
    return attnviz::formatWeight(v);
}

} // namespace

class TestWordsMode : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void switchChangesHeatmap();
    void toolTipListsPieces();
    void wordsDisableRawScoresAndForcing();
    void contributionsAndComparisonInWords();
    void wordLevelModelDisablesSwitch();
    void choiceIsRemembered();

private:
    void translate(MainWindow &window);
    attnviz::test::IsolatedSettings m_settings;
};

void TestWordsMode::init()
{
    attnviz::Settings settings;
    settings.setShowWords(false);
    settings.sync();
}

void TestWordsMode::translate(MainWindow &window)
{
    QVERIFY(window.loadModel(piecesModel));
    window.setReference(reference);
    window.setSentence(source);
    QVERIFY(window.waitForTranslation());
    QVERIFY(window.selection()->hasResult());
}

void TestWordsMode::switchChangesHeatmap()
{
    MainWindow window;
    translate(window);
    attnviz::AlignmentModel &m = *window.alignmentModel();
    QAbstractItemModelTester tester(&m);
    QCOMPARE(m.columns(), 6);
    QCOMPARE(m.rows(), 7);
    QCOMPARE(columnLabels(m), (list("▁the ▁c at s ▁sleep EOS")));
    auto *switcher = window.findChild<attnviz::UnitsSwitch *>(QStringLiteral("unitsSwitch"));
    QVERIFY(switcher && switcher->isEnabled());
    window.selection()->selectStep(4); // ▁dorm
    const auto perplexityText = [](const attnviz::Hypothesis &h, const char *unit) {
        return QStringLiteral("(forced; perplexity %1 %2)").arg(std::exp(-h.score / h.steps()), 0, 'f', 2).arg(QLatin1String(unit));
    };
    const attnviz::Hypothesis &pieces = window.selection()->pieceOutput().result->best();
    QVERIFY2(window.outputText().endsWith(perplexityText(pieces, "per piece")), qPrintable(window.outputText()));
    // The visible toggle and the View menu action are one switch.
    switcher->findChild<QToolButton *>(QStringLiteral("wordsButton"))->click();
    QCOMPARE(window.selection()->units(), TokenUnits::Words);
    QVERIFY(window.wordsAction()->isChecked());
    QCOMPARE(m.columns(), 4);
    QCOMPARE(m.rows(), 4);
    QCOMPARE(columnLabels(m), (list("the cats sleep EOS")));
    QCOMPARE(rowLabels(m), (list("les chats dorment EOS")));
    // The same log p over 4 words instead of 7 pieces.
    const attnviz::Hypothesis &words = *window.selection()->hypothesis();
    QCOMPARE(words.steps(), 4);
    QVERIFY(std::abs(words.score - pieces.score) < 1e-9);
    QVERIFY2(window.outputText().endsWith(perplexityText(words, "per word")), qPrintable(window.outputText()));
    QCOMPARE(window.selectedStep(), 2); // ▁dorm is in "dorment"
    // Rows still sum to 1; "cats" is the sum of its pieces' columns, "chats" the mean of its rows.
    const attnviz::Hypothesis &p = window.selection()->pieceOutput().result->best();
    double cats = 0;
    for (int i = 1; i <= 3; ++i)
        for (int j = 1; j <= 3; ++j)
            cats += p.attention(i, j) / 3.0;
    QVERIFY(std::abs(m.value(1, 1) - cats) < 1e-6);
    for (int i = 0; i < m.rows(); ++i) {
        double sum = 0;
        for (int j = 0; j < m.columns(); ++j)
            sum += m.value(i, j);
        QVERIFY(std::abs(sum - 1) < 1e-5);
    }
    window.wordsAction()->trigger(); // back to pieces, with the key's action
    QCOMPARE(m.columns(), 6);
    QCOMPARE(window.selectedStep(), 4); // the first piece of "dorment"
    QVERIFY(switcher->findChild<QToolButton *>(QStringLiteral("piecesButton"))->isChecked());
    QCOMPARE(window.wordsAction()->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+U")));
}

void TestWordsMode::toolTipListsPieces()
{
    MainWindow window;
    translate(window);
    const attnviz::Hypothesis p = window.selection()->pieceOutput().result->best();
    window.wordsAction()->trigger();
    const attnviz::AlignmentModel &m = *window.alignmentModel();
    // "chats" (pieces 1-3) ← "cats" (pieces 1-3): one line per output piece, the mean said.
    QString expected = QStringLiteral("α(chats ← cats) = %1").arg(w(m.value(1, 1)));
    const QStringList rowsOf = list("▁ch at s"), columnsOf = list("▁c at s");
    for (int i = 1; i <= 3; ++i) {
        QStringList parts;
        double sum = 0;
        for (int j = 1; j <= 3; ++j) {
            parts << columnsOf[j - 1] + QLatin1Char(' ') + w(p.attention(i, j));
            sum += p.attention(i, j);
        }
        expected += QStringLiteral("\n%1 ← %2 = %3").arg(rowsOf[i - 1], parts.join(QStringLiteral(" + ")), w(sum));
    }
    expected += QStringLiteral("\n(the mean of the word's 3 rows)");
    QCOMPARE(m.toolTip(1, 1), expected);
    QCOMPARE(m.columnToolTip(1), QString::fromUtf8("cats (pieces: ▁c at s)"));
    QCOMPARE(m.columnToolTip(0), QStringLiteral("the"));
    // One piece on the row, one on the column: the weight alone.
    QCOMPARE(m.toolTip(0, 0), QStringLiteral("α(les ← the) = %1").arg(w(p.attention(0, 0))));
    // A row of one piece and a column of three: one line, summed.
    QCOMPARE(m.toolTip(0, 1), QStringLiteral("α(les ← cats) = %1\n▁les ← ▁c %2 + at %3 + s %4 = %1")
                                  .arg(w(m.value(0, 1)), w(p.attention(0, 1)), w(p.attention(0, 2)), w(p.attention(0, 3))));
}

void TestWordsMode::wordsDisableRawScoresAndForcing()
{
    MainWindow window;
    translate(window);
    window.setEnergiesShown(true);
    QVERIFY(window.alignmentModel()->showsEnergies());
    window.wordsAction()->trigger();
    // The mode is kept for when pieces come back, but words show α.
    QVERIFY(!window.alignmentModel()->showsEnergies());
    QCOMPARE(window.alignmentModel()->colorBarTitle(), QStringLiteral("α"));
    for (QAction *action : window.findChildren<QAction *>())
        if (action->text().startsWith(QStringLiteral("&Raw scores")))
            QVERIFY(!action->isEnabled());
    window.forceAttention(0, 1);
    QVERIFY(window.controller()->attentionOverrides().empty());
    window.wordsAction()->trigger();
    QVERIFY(window.alignmentModel()->showsEnergies());
}

void TestWordsMode::contributionsAndComparisonInWords()
{
    MainWindow window;
    translate(window);
    window.wordsAction()->trigger();
    window.selection()->selectStep(1);
    auto *table = window.findChild<QTableView *>(QStringLiteral("contributions"));
    QAbstractItemModel *contributions = table->model();
    QCOMPARE(contributions->rowCount(), 4); // the, cats, sleep, EOS
    QCOMPARE(contributions->index(1, 0).data().toString(), QStringLiteral("cats"));
    const attnviz::WordMerge *merge = window.selection()->wordMerge();
    QVERIFY(merge);
    const auto parts = attnviz::wordContextContributions(*window.selection()->pieceOutput().result, 0, *merge, 1);
    QCOMPARE(contributions->index(1, 1).data(Qt::UserRole).toDouble(), parts[1].norm);
    // The comparison dock lists the words of the translations without attention.
    const QString comparison = window.findChild<QTextBrowser *>(QStringLiteral("comparison"))->toPlainText();
    QVERIFY2(!comparison.contains(QStringLiteral("▁")), qPrintable(comparison));
}

void TestWordsMode::wordLevelModelDisablesSwitch()
{
    MainWindow window;
    QVERIFY(window.loadModel(QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/tiny.json")));
    window.setSentence(QStringLiteral("i am cold"));
    QVERIFY(window.waitForTranslation());
    auto *switcher = window.findChild<attnviz::UnitsSwitch *>(QStringLiteral("unitsSwitch"));
    QVERIFY(!switcher->isEnabled());
    QVERIFY(!window.wordsAction()->isEnabled());
    QVERIFY2(switcher->toolTip().contains(QStringLiteral("reads whole words")), qPrintable(switcher->toolTip()));
}

void TestWordsMode::choiceIsRemembered()
{
    {
        MainWindow window;
        translate(window);
        window.wordsAction()->trigger();
        QVERIFY(window.settings()->showWords());
        QVERIFY(window.settings()->sync());
    }
    MainWindow again;
    QCOMPARE(again.selection()->units(), TokenUnits::Words);
    translate(again);
    QCOMPARE(again.alignmentModel()->columns(), 4);
}

QTEST_MAIN(TestWordsMode)
#include "tst_wordsmode.moc"
