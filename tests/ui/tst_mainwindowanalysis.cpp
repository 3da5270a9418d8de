// The analysis tools of the main window: raw scores and temperature, how c_i is made, the
// attention override (what-if), gold links with precision / recall / AER, annotating, and
// alignment sets. On the dates model, whose true alignment is known.
#include "testsettings.h"
#include "mainwindow.h"

#include "alignmentrenderer.h"
#include "alignmentview.h"
#include "alignmentmodel.h"
#include "resultselection.h"
#include "showtranslation.h"
#include "translationcontroller.h"

#include <attnviz/analysis/alignment.h>
#include <attnviz/models/model.h>
#include <attnviz/analysis/statistics.h>

#include <QAction>
#include <QApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace attnviz;

namespace {

const QString datesModel = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors");
const QString datesTest = QStringLiteral(ATTNVIZ_SOURCE_DIR "/data/dates/dates-test");

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QStringList rowTokens(const AlignmentModel &model)
{
    QStringList tokens;
    for (int row = 0; row < model.rows(); ++row)
        tokens << model.rowLabel(row);
    return tokens;
}

} // namespace

class TestMainWindowAnalysis : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void energiesToggle();
    void temperatureControl();
    void contributionsTable();
    void overrideAndReset_data();
    void overrideAndReset();
    void overrideForcesTheHeadsShown();
    void goldLinksAndScore();
    void annotateAndSave();
    void annotationsFollowTheSentence();
    void closingAsksAboutUnsavedLinks();
    void alignmentSet();
    void setLinksLeaveWithTheirSentenceAndModel();
    void noLinkCellSaysWhy();
    void referenceLogProbs();
    void mouseClicks();
    void keyboardCells();
    void cellCursorIsDrawnWithFocusOnly();
    void goldOutlineIsDrawn();

private:
    bool open(MainWindow &window, const QString &sentence);
    attnviz::test::IsolatedSettings m_settings;
};

void TestMainWindowAnalysis::initTestCase()
{
    QVERIFY(m_settings.isValid());
}

void TestMainWindowAnalysis::init()
{
    QSettings().clear();
}

bool TestMainWindowAnalysis::open(MainWindow &window, const QString &sentence)
{
    if (!window.loadModel(datesModel))
        return false;
    window.setSentence(sentence);
    return window.waitForTranslation() && window.alignmentModel()->rows() > 0;
}

void TestMainWindowAnalysis::energiesToggle()
{
    MainWindow window;
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    const AlignmentModel *heatmap = window.alignmentModel();
    const Hypothesis &h = heatmap->result()->best();
    QAction *toggle = nullptr;
    for (QAction *action : window.findChildren<QAction *>()) {
        if (action->shortcut() == QKeySequence(QStringLiteral("Ctrl+Shift+E")))
            toggle = action;
    }
    QVERIFY(toggle);
    toggle->trigger();
    QVERIFY(window.energiesShown());
    QCOMPARE(heatmap->mode(), HeatmapMode::Energies);
    QCOMPARE(heatmap->value(1, 3), double(h.energies(1, 3)));
    toggle->trigger();
    QVERIFY(!window.energiesShown());
    QCOMPARE(heatmap->value(1, 3), double(h.attention(1, 3)));
}

void TestMainWindowAnalysis::temperatureControl()
{
    MainWindow window;
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    const AlignmentModel *heatmap = window.alignmentModel();
    const Hypothesis &h = heatmap->result()->best();
    QCOMPARE(window.temperature(), 1.0);
    window.setTemperature(4.0);
    QCOMPARE(heatmap->temperature(), 4.0);
    // "05" comes from "may" (column 3): still the largest weight, but far from one-hot.
    const double peak = heatmap->value(1, 3);
    QVERIFY(peak < double(h.attention(1, 3)));
    for (int column = 0; column < heatmap->columns(); ++column)
        QVERIFY(heatmap->value(1, column) <= peak);
}

void TestMainWindowAnalysis::contributionsTable()
{
    MainWindow window;
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    window.selectStep(1); // "05"
    auto *view = window.findChild<QTableView *>(QStringLiteral("contributions"));
    QVERIFY(view);
    const QAbstractItemModel *table = view->model();
    const auto cell = [table](int row, int column, int role = Qt::DisplayRole) {
        return table->index(row, column).data(role);
    };
    const TranslationResult &result = *window.alignmentModel()->result();
    QCOMPARE(table->rowCount(), result.sourceLength());
    const std::vector<Contribution> parts = contextContributions(result, result.best(), 1);
    for (int j = 0; j < table->rowCount(); ++j) {
        QCOMPARE(cell(j, 0).toString(), QString::fromStdString(result.sourceTokens[size_t(j)]));
        QCOMPARE(cell(j, 1, Qt::UserRole).toDouble(), parts[size_t(j)].norm);
        QCOMPARE(cell(j, 2, Qt::UserRole).toDouble(), parts[size_t(j)].cosine);
    }
    // "may" carries c_2 almost alone: the largest part, pointing the same way.
    QCOMPARE(cell(3, 0).toString(), QStringLiteral("may"));
    QVERIFY(parts[3].cosine > 0.9);
}

void TestMainWindowAnalysis::overrideAndReset_data()
{
    QTest::addColumn<int>("beam");
    QTest::addColumn<QString>("reference");
    QTest::newRow("greedy") << 1 << QString();
    QTest::newRow("beam") << 3 << QString();
    QTest::newRow("forced") << 1 << QStringLiteral("1999 05 03");
}

void TestMainWindowAnalysis::overrideAndReset()
{
    QFETCH(int, beam);
    QFETCH(QString, reference);
    MainWindow window;
    window.setBeamWidth(beam);
    window.setReference(reference);
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    const AlignmentModel *heatmap = window.alignmentModel();
    const QStringList before = rowTokens(*heatmap);
    const MatrixRM attentionBefore = heatmap->result()->best().attention;
    QCOMPARE(before.join(QLatin1Char(' ')), QStringLiteral("1999 05 03 EOS"));

    // Step 0 ("1999") looks at "the" instead of "1999".
    QCOMPARE(window.attentionShare(), 100);
    window.forceAttention(0, 0);
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.controller()->attentionOverrides().size(), size_t(1));
    QVERIFY(heatmap->isOverridden(0, 0));
    QCOMPARE(heatmap->value(0, 0), 1.0);
    for (int column = 1; column < heatmap->columns(); ++column)
        QCOMPARE(heatmap->value(0, column), 0.0);

    // A share: half of the model's own weights stay.
    window.setAttentionShare(50);
    window.forceAttention(0, 0);
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.controller()->attentionOverrides().size(), size_t(1)); // replaced, not added
    QVERIFY(std::abs(heatmap->value(0, 0) - (0.5 + 0.5 * double(attentionBefore(0, 0)))) < 1e-5);
    QVERIFY(std::abs(heatmap->value(0, 4) - 0.5 * double(attentionBefore(0, 4))) < 1e-5);

    window.resetAttention();
    QVERIFY(window.waitForTranslation());
    QVERIFY(window.controller()->attentionOverrides().empty());
    QVERIFY(!heatmap->isOverridden(0, 0));
    QCOMPARE(rowTokens(*heatmap), before);
    QCOMPARE(heatmap->result()->best().attention, attentionBefore);
}

// The score itself, for more links and thresholds: tst_alignmentsession.
// A transformer (#23): forcing a cell replaces A[l,h] of the heads the heatmap shows, before it
// multiplies V; the other heads keep their own weights.
void TestMainWindowAnalysis::overrideForcesTheHeadsShown()
{
    MainWindow window;
    QVERIFY(test::showTranslation(window, QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian"),
                                  QStringLiteral("I am cold.")));
    const TranslationResult before = *window.selection()->pieceOutput().result;
    HeadSelection head;
    head.layer = 1;
    head.heads = {2};
    QVERIFY(window.selection()->setView(head));
    window.forceAttention(0, 0);
    QVERIFY(window.waitForTranslation());
    const std::vector<AttentionOverride> &overrides = window.controller()->attentionOverrides();
    QCOMPARE(overrides.size(), size_t(1));
    QCOMPARE(overrides[0].layer, 1);
    QCOMPARE(overrides[0].head, 2);
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("layer 2, head 3")));
    const Hypothesis &forced = window.selection()->pieceOutput().result->best();
    QCOMPARE(forced.crossAttention.at(1, 2)(0, 0), 1.0f);
    QCOMPARE(forced.attention(0, 0), 1.0f); // the heatmap shows the forced head
    // Step 0's other heads of layers 0 and 1 do not depend on it; the last layer's do.
    for (int h = 0; h < 4; ++h) {
        if (h != 2)
            QCOMPARE(forced.crossAttention.at(1, h).row(0), before.best().crossAttention.at(1, h).row(0));
        QCOMPARE(forced.crossAttention.at(0, h).row(0), before.best().crossAttention.at(0, h).row(0));
    }
    QVERIFY((forced.crossAttention.at(2, 0).row(0) - before.best().crossAttention.at(2, 0).row(0)).cwiseAbs().maxCoeff()
            > 1e-6f);

    // The mean of a layer: every head of it forced, replacing the single head's override.
    HeadSelection layer;
    layer.layer = 2;
    QVERIFY(window.selection()->setView(layer));
    window.forceAttention(0, 1);
    QVERIFY(window.waitForTranslation());
    const std::vector<AttentionOverride> &both = window.controller()->attentionOverrides();
    QVERIFY(std::any_of(both.begin(), both.end(), [](const AttentionOverride &o) {
        return o.layer == 1 && o.head == 2 && o.position == 0; // kept: another layer
    }));
    QVERIFY(std::none_of(both.begin(), both.end(), [](const AttentionOverride &o) { return o.layer < 0; }));
    const Hypothesis &mean = window.selection()->pieceOutput().result->best();
    for (int h = 0; h < 4; ++h)
        QCOMPARE(mean.crossAttention.at(2, h)(0, 1), 1.0f);
    QCOMPARE(mean.crossAttention.at(1, 2)(0, 0), 1.0f);
    QCOMPARE(mean.attention(0, 1), 1.0f);
}

void TestMainWindowAnalysis::goldLinksAndScore()
{
    const QString gold = QStringLiteral("4-0 3-1 1?2");
    const double threshold = 0.0;
    const QString expected = QStringLiteral("P 1.00  R 1.00  AER 0.00 (3 model links, 2 sure)");
    MainWindow window;
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    QCOMPARE(window.alignmentScoreText(), QString());
    window.setLinkThreshold(threshold);
    window.setGoldAlignment(parsePharaoh(gold.toStdString() + "\n", "test").front());
    QCOMPARE(window.alignmentScoreText(), expected);
    const AlignmentModel *heatmap = window.alignmentModel();
    // Rows are target words, columns source words: 4-0 is the cell (0, 4).
    QCOMPARE(heatmap->goldMark(0, 4), GoldMark::Sure);
    QCOMPARE(heatmap->goldMark(0, 3), GoldMark::None);
    QCOMPARE(heatmap->goldMark(2, 1),
             gold.contains(QStringLiteral("1?2")) ? GoldMark::Possible
                 : gold.contains(QStringLiteral("1-2")) ? GoldMark::Sure : GoldMark::None);
}

void TestMainWindowAnalysis::annotateAndSave()
{
    MainWindow window;
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    window.setAnnotating(true);
    QVERIFY(window.isAnnotating());
    QVERIFY(window.toggleGoldLink(0, 4)); // 1999 <- 1999
    QVERIFY(window.toggleGoldLink(1, 3)); // 05 <- may
    QVERIFY(window.toggleGoldLink(1, 2)); // 05 <- of, then off again
    QVERIFY(window.toggleGoldLink(1, 2));
    QVERIFY(!window.toggleGoldLink(3, 0)); // EOS is no word
    QVERIFY(!window.toggleGoldLink(0, 5));
    QCOMPARE(window.goldAlignment()->sure, (std::set<Link> {{4, 0}, {3, 1}}));
    QCOMPARE(window.alignmentScoreText(), QStringLiteral("P 0.67  R 1.00  AER 0.20 (3 model links, 2 sure)"));

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("gold.txt"));
    QString error;
    QVERIFY2(window.saveAlignments(path, &error), qPrintable(error));
    QCOMPARE(readFile(path), QByteArray("3-1 4-0\n"));
    // Annotations made in the window are saved as a set: the sentences and references beside.
    QCOMPARE(window.alignmentFiles(path),
             (QStringList {dir.filePath(QStringLiteral("gold.src")), dir.filePath(QStringLiteral("gold.ref")), path}));
    QCOMPARE(readFile(dir.filePath(QStringLiteral("gold.src"))), QByteArray("the 3rd of may 1999\n"));
    QCOMPARE(readFile(dir.filePath(QStringLiteral("gold.ref"))), QByteArray("\n"));
    QVERIFY(!window.annotationsModified());
    // A folder that does not exist: refused, nothing written.
    QVERIFY(!window.saveAlignments(dir.filePath(QStringLiteral("no/such/gold.txt")), &error));
    QVERIFY2(error.contains(QStringLiteral("no/such/gold")), qPrintable(error));
}

void TestMainWindowAnalysis::annotationsFollowTheSentence()
{
    // Links made without a set belong to their sentence: typing another one hides them, coming
    // back shows them again, and saving writes every annotated sentence as a set that opens.
    MainWindow window;
    const QString first = QStringLiteral("the 3rd of may 1999"), second = QStringLiteral("the 21st of december 2031");
    QVERIFY(open(window, first));
    QVERIFY(window.toggleGoldLink(1, 3)); // 05 <- may
    QVERIFY(window.annotationsModified());
    window.setSentence(second);
    QVERIFY(window.waitForTranslation());
    QVERIFY(!window.goldAlignment());
    QVERIFY(window.toggleGoldLink(0, 4)); // 2031 <- 2031
    window.setSentence(first);
    QVERIFY(window.waitForTranslation());
    QVERIFY(window.goldAlignment());
    QCOMPARE(window.goldAlignment()->sure, (std::set<Link> {{3, 1}}));
    // The same sentence with another reference is another annotation (target indices differ).
    window.setReference(QStringLiteral("1999 05 03"));
    QVERIFY(!window.goldAlignment());
    window.setReference(QString());
    QVERIFY(window.goldAlignment());
    QCOMPARE(window.alignmentSetSize(), 2);
    QCOMPARE(window.annotatedSentences(), 2);

    QTemporaryDir dir;
    const QString gold = dir.filePath(QStringLiteral("notes.gold"));
    QString error;
    QVERIFY2(window.saveAlignments(gold, &error), qPrintable(error));
    QCOMPARE(readFile(dir.filePath(QStringLiteral("notes.src"))), (first + QLatin1Char('\n') + second + QLatin1Char('\n')).toUtf8());
    QCOMPARE(readFile(gold), QByteArray("3-1\n4-0\n"));

    MainWindow reopened;
    QVERIFY(reopened.loadModel(datesModel));
    QVERIFY2(reopened.openAlignmentSet(dir.filePath(QStringLiteral("notes.src")), dir.filePath(QStringLiteral("notes.ref")),
                                       gold, &error),
             qPrintable(error));
    QCOMPARE(reopened.alignmentSetSize(), 2);
    QCOMPARE(reopened.sentence(), first);
    QCOMPARE(reopened.goldAlignment()->sure, (std::set<Link> {{3, 1}}));
}

void TestMainWindowAnalysis::closingAsksAboutUnsavedLinks()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    QVERIFY(window.toggleGoldLink(1, 3));
    // Cancel in the question keeps the window open; Discard lets it close.
    for (const auto button : {QMessageBox::Cancel, QMessageBox::Discard}) {
        QString question;
        QTimer::singleShot(0, &window, [&question, button]() {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box)
                return;
            question = box->text();
            box->button(button)->click();
        });
        const bool closed = window.close();
        QVERIFY2(question.contains(QStringLiteral("not saved")), qPrintable(question));
        QCOMPARE(closed, button == QMessageBox::Discard);
        QCOMPARE(window.isVisible(), button == QMessageBox::Cancel);
    }
}

void TestMainWindowAnalysis::alignmentSet()
{
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    QString error;
    QVERIFY2(window.openAlignmentSet(datesTest + QStringLiteral(".src"), datesTest + QStringLiteral(".ref"),
                                     datesTest + QStringLiteral(".gold"), &error),
             qPrintable(error));
    QVERIFY(window.alignmentSetSize() >= 5);
    QCOMPARE(window.alignmentSetIndex(), 0);
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.sentence(), QStringLiteral("october 14th 2012"));
    QCOMPARE(window.goldAlignment()->sure, (std::set<Link> {{0, 1}, {1, 2}, {2, 0}}));
    QVERIFY(window.alignmentScoreText().startsWith(QStringLiteral("P ")));
    // Forced decoding of the reference: rows are the reference words.
    QCOMPARE(rowTokens(*window.alignmentModel()).join(QLatin1Char(' ')), QStringLiteral("2012 10 14 EOS"));

    QAction *next = nullptr;
    for (QAction *action : window.findChildren<QAction *>()) {
        if (action->shortcut() == QKeySequence(QStringLiteral("Alt+Right")))
            next = action;
    }
    QVERIFY(next && next->isEnabled());
    next->trigger();
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.alignmentSetIndex(), 1);
    QCOMPARE(window.sentence(), QStringLiteral("1974 november 27"));
    QCOMPARE(window.goldAlignment()->sure, (std::set<Link> {{0, 0}, {1, 1}, {2, 2}}));
    QCOMPARE(window.alignmentScoreText().left(7), QStringLiteral("P 1.00 "));
    window.showSetSentence(window.alignmentSetSize()); // past the end: stays
    QCOMPARE(window.alignmentSetIndex(), 1);
}

// Issue #22: sentence 23's gold boxes stayed on every heatmap after switching model and typing
// another sentence, and were scored ("P 0.00 R 0.00 AER 1.00").
void TestMainWindowAnalysis::setLinksLeaveWithTheirSentenceAndModel()
{
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    QString error;
    QVERIFY2(window.openAlignmentSet(datesTest + QStringLiteral(".src"),
                                     datesTest + QStringLiteral(".ref"),
                                     datesTest + QStringLiteral(".gold"), &error),
             qPrintable(error));
    window.showSetSentence(2);
    QVERIFY(window.waitForTranslation());
    QVERIFY(window.alignmentModel()->goldAlignment());
    QVERIFY(!window.alignmentScoreText().isEmpty());

    QVERIFY(window.loadModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/tiny.safetensors")));
    window.setReference(QString());
    window.setSentence(QStringLiteral("i am cold"));
    QVERIFY(window.waitForTranslation());
    QVERIFY(!window.goldAlignment());
    QVERIFY(!window.alignmentModel()->goldAlignment()); // no boxes
    QCOMPARE(window.alignmentScoreText(), QString());   // no score
    QCOMPARE(window.alignmentSetIndex(), 2);             // the set stays open

    // The set's model and sentence again: its links come back.
    QVERIFY(window.loadModel(datesModel));
    window.setReference(QStringLiteral("2023 12 14"));
    window.setSentence(QStringLiteral("the 14 of december , 2023"));
    QVERIFY(window.waitForTranslation());
    QVERIFY(window.alignmentModel()->goldAlignment());
    QVERIFY(!window.alignmentScoreText().isEmpty());

    // File → Close alignment set drops it.
    auto *close = window.findChild<QAction *>(QStringLiteral("closeAlignmentSet"));
    QVERIFY(close && close->isEnabled());
    close->trigger();
    QCOMPARE(window.alignmentSetSize(), 0);
    QVERIFY(!window.alignmentModel()->goldAlignment());
    QVERIFY(!close->isEnabled());
}

// Issue #22: Space on the EOS column did nothing, silently; and toggling a link on and off made
// Quit ask about 500 unsaved sentences.
void TestMainWindowAnalysis::noLinkCellSaysWhy()
{
    MainWindow window;
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    const int eos = window.alignmentModel()->columns() - 1;
    QVERIFY(!window.toggleGoldLink(1, eos));
    QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("EOS column")),
             qPrintable(window.statusBar()->currentMessage()));
    QString error;
    QVERIFY(window.openAlignmentSet(datesTest + QStringLiteral(".src"),
                                    datesTest + QStringLiteral(".ref"),
                                    datesTest + QStringLiteral(".gold"), &error));
    QVERIFY(window.waitForTranslation());
    QVERIFY(window.toggleGoldLink(0, 0));
    QVERIFY(window.annotationsModified());
    QVERIFY(window.toggleGoldLink(0, 0));
    QVERIFY(!window.annotationsModified()); // Quit asks nothing
    window.setSentence(QStringLiteral("another sentence"));
    QVERIFY(!window.toggleGoldLink(0, 0)); // the set's links are hidden: it says so
    QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("hidden")),
             qPrintable(window.statusBar()->currentMessage()));
}

void TestMainWindowAnalysis::referenceLogProbs()
{
    MainWindow window;
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    QCOMPARE(window.referenceText(), QString()); // not forced
    window.setReference(QStringLiteral("1999 05 03"));
    QVERIFY(window.waitForTranslation());
    const Hypothesis &h = window.alignmentModel()->result()->best();
    QCOMPARE(h.logProbs.size(), size_t(4));
    const QString expected = QStringLiteral("log p: 1999 %1 · 05 %2 · 03 %3 · EOS %4")
                                 .arg(QString::number(h.logProbs[0], 'f', 2), QString::number(h.logProbs[1], 'f', 2),
                                      QString::number(h.logProbs[2], 'f', 2), QString::number(h.logProbs[3], 'f', 2))
                                 .replace(QLatin1Char('-'), QStringLiteral("−"));
    QCOMPARE(window.referenceText(), expected);

    window.setReference(QStringLiteral("1999 banana 03"));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(window.alignmentModel()->result()->unknownTargetWords, (std::vector<std::string> {"banana"}));
    QVERIFY2(window.referenceText().endsWith(QStringLiteral("outside the vocabulary: banana")),
             qPrintable(window.referenceText()));
}

void TestMainWindowAnalysis::mouseClicks()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    AlignmentView *view = window.heatmapView();
    // A plain click selects the step and changes nothing else.
    QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, view->cellRect(2, 0).center());
    QCOMPARE(window.selectedStep(), 2);
    QVERIFY(window.controller()->attentionOverrides().empty());
    // Alt+click forces the attention.
    QTest::mouseClick(view, Qt::LeftButton, Qt::AltModifier, view->cellRect(0, 0).center());
    QCOMPARE(window.controller()->attentionOverrides().size(), size_t(1));
    QCOMPARE(window.controller()->attentionOverrides().front().position, 0);
    QVERIFY(window.waitForTranslation());
    QVERIFY(window.alignmentModel()->isOverridden(0, 0));
    window.resetAttention();
    QVERIFY(window.waitForTranslation());
    // Annotating: a click toggles a gold link.
    window.setAnnotating(true);
    QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, view->cellRect(1, 3).center());
    QVERIFY(window.goldAlignment());
    QCOMPARE(window.goldAlignment()->sure, (std::set<Link> {{3, 1}}));
    QVERIFY(window.controller()->attentionOverrides().empty());
}

void TestMainWindowAnalysis::keyboardCells()
{
    // Everything the mouse does on a cell, from the keyboard: Ctrl+G to the heatmap, arrows,
    // F to force, Space to toggle a gold link while annotating.
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    AlignmentView *view = window.heatmapView();
    AlignmentModel *heatmap = window.alignmentModel();
    QTest::keyClick(&window, Qt::Key_G, Qt::ControlModifier);
    QTRY_VERIFY(view->hasFocus());
    QCOMPARE(view->currentColumn(), -1);

    // The first Right puts the cursor on the step's strongest source: "1999" for the first "1999".
    QCOMPARE(rowTokens(*heatmap).first(), QStringLiteral("1999"));
    QSignalSpy cells(view, &AlignmentView::currentCellChanged);
    QTest::keyClick(view, Qt::Key_Right);
    QCOMPARE(window.selectedStep(), 0);
    QCOMPARE(heatmap->columnLabel(view->currentColumn()), QStringLiteral("1999"));
    QCOMPARE(cells.size(), 1);
    QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("α(1999 ← 1999)")),
             qPrintable(window.statusBar()->currentMessage()));
    // Left/Right move along the row and stop at its ends; Up/Down keep the column.
    const int last = heatmap->columns() - 1;
    for (int i = 0; i < heatmap->columns() + 2; ++i)
        QTest::keyClick(view, Qt::Key_Right);
    QCOMPARE(view->currentColumn(), last);
    for (int i = 0; i < heatmap->columns() + 2; ++i)
        QTest::keyClick(view, Qt::Key_Left);
    QCOMPARE(view->currentColumn(), 0);
    QTest::keyClick(view, Qt::Key_Down);
    QCOMPARE(window.selectedStep(), 1);
    QCOMPARE(view->currentColumn(), 0);
    QCOMPARE(cells.last().at(0).toInt(), 1);

    // F forces the attention at the cursor, as Alt+click does.
    QTest::keyClick(view, Qt::Key_Right); // step 1, column 1 ("3rd")
    QTest::keyClick(view, Qt::Key_F);
    QCOMPARE(window.controller()->attentionOverrides().size(), size_t(1));
    QCOMPARE(window.controller()->attentionOverrides().front().step, 1);
    QCOMPARE(window.controller()->attentionOverrides().front().position, 1);
    QVERIFY(window.waitForTranslation());
    QVERIFY(heatmap->isOverridden(1, 1));
    // Space without annotating changes nothing.
    QTest::keyClick(view, Qt::Key_Space);
    QCOMPARE(window.controller()->attentionOverrides().size(), size_t(1));
    QVERIFY(!window.goldAlignment());
    window.resetAttention();
    QVERIFY(window.waitForTranslation());

    // Annotating: Space (or Enter) toggles the gold link under the cursor.
    window.setAnnotating(true);
    view->setFocus();
    view->setSelectedStep(1);
    view->setCurrentColumn(3); // 05 <- may
    QTest::keyClick(view, Qt::Key_Space);
    QVERIFY(window.goldAlignment());
    QCOMPARE(window.goldAlignment()->sure, (std::set<Link> {{3, 1}}));
    QTest::keyClick(view, Qt::Key_Return);
    QVERIFY(window.goldAlignment()->sure.empty());
    QVERIFY(window.controller()->attentionOverrides().empty());
}

void TestMainWindowAnalysis::cellCursorIsDrawnWithFocusOnly()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    AlignmentView *view = window.heatmapView();
    view->setSelectedStep(2);
    view->setCurrentColumn(2);
    const QRect cell = view->cellRect(2, 2);
    const auto edgePixels = [view, cell]() {
        const QImage image = view->grab().toImage();
        // A horizontal line through the cell, from its left edge to a third of the way in.
        QList<QRgb> pixels;
        for (int x = cell.left() + 1; x < cell.left() + cell.width() / 3; ++x)
            for (int y = cell.top() + 1; y < cell.bottom(); ++y)
                pixels << image.pixel(x, y);
        return pixels;
    };
    window.findChild<QWidget *>(QStringLiteral("sentence"))->setFocus();
    QTRY_VERIFY(!view->hasFocus());
    const QList<QRgb> without = edgePixels();
    view->setFocus();
    QTRY_VERIFY(view->hasFocus());
    const QList<QRgb> with = edgePixels();
    QCOMPARE(with.size(), without.size());
    QVERIFY(with != without);
}

void TestMainWindowAnalysis::goldOutlineIsDrawn()
{
    MainWindow window;
    QVERIFY(open(window, QStringLiteral("the 3rd of may 1999")));
    AlignmentModel *heatmap = window.alignmentModel();
    const auto render = [heatmap]() {
        QImage image(1, 1, QImage::Format_RGB32);
        const AlignmentRenderer sizing(*heatmap, AlignmentStyle {}, &image);
        image = QImage(sizing.size().toSize(), QImage::Format_RGB32);
        const AlignmentRenderer renderer(*heatmap, AlignmentStyle {}, &image);
        QPainter painter(&image);
        renderer.paint(&painter);
        painter.end();
        return std::make_pair(image, renderer.cellRect(1, 3)); // 05 <- may
    };
    const auto [plain, cell] = render();
    GoldAlignment gold;
    gold.sure = {{3, 1}};
    window.setGoldAlignment(gold);
    const auto [outlined, sameCell] = render();
    QCOMPARE(sameCell, cell);
    // The cell's centre keeps its colour; the outline, a quarter in from the left edge, changes it.
    const QPoint centre = cell.center().toPoint();
    QCOMPARE(outlined.pixel(centre), plain.pixel(centre));
    int changed = 0;
    for (int x = int(cell.left()) + 1; x < int(cell.center().x()); ++x)
        changed += outlined.pixel(x, centre.y()) != plain.pixel(x, centre.y());
    QVERIFY(changed > 0);
}

QTEST_MAIN(TestMainWindowAnalysis)

#include "tst_mainwindowanalysis.moc"
