// The window's layout at the sizes people use it (issue #22): 800x600 and 1600x1000. Nothing may
// change the window's width by itself, and every control stays readable.
#include "testsettings.h"
#include "mainwindow.h"
#include "showtranslation.h"

#include "alignmentview.h"
#include "decodingpanel.h"
#include "helpdialogs.h"
#include "helptext.h"
#include "sentenceedit.h"
#include "zoomfit.h"

#include <QAbstractItemView>
#include <QAbstractSpinBox>
#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QScrollArea>
#include <QScrollBar>
#include <QTextBrowser>
#include <QTimer>
#include <QWheelEvent>
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QStyle>
#include <QStyleOptionComboBox>
#include <QTest>

using attnviz::AlignmentView;
using attnviz::DecodingPanel;
using attnviz::MainWindow;

namespace {

const QString datesModelPath = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors");
const QString legacyModelPath =
    QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-legacy.safetensors");
const QString bahdanauModelPath =
    QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-bahdanau.safetensors");

QString plainLabelText(const QLabel *label)
{
    QString text = label->text();
    text.remove(QRegularExpression(QStringLiteral("&(?!&)")));
    return text;
}

// The width the widget gives its text, and the text.
std::optional<std::pair<QString, int>> shownText(QWidget *widget)
{
    if (auto *label = qobject_cast<QLabel *>(widget))
        return std::pair(plainLabelText(label), label->contentsRect().width());
    if (auto *spin = qobject_cast<QAbstractSpinBox *>(widget)) {
        const QLineEdit *edit = spin->findChild<QLineEdit *>();
        return std::pair(edit->text(), edit->contentsRect().width());
    }
    if (auto *combo = qobject_cast<QComboBox *>(widget)) {
        // The hypothesis list elides on purpose: its entries can be any length.
        if (combo->objectName() == QLatin1String("hypotheses"))
            return std::nullopt;
        QStyleOptionComboBox option;
        option.initFrom(combo);
        const QRect field = combo->style()->subControlRect(QStyle::CC_ComboBox, &option,
                                                           QStyle::SC_ComboBoxEditField, combo);
        int widest = 0;
        QString longest;
        for (int i = 0; i < combo->count(); ++i) {
            if (combo->fontMetrics().horizontalAdvance(combo->itemText(i)) > widest) {
                widest = combo->fontMetrics().horizontalAdvance(combo->itemText(i));
                longest = combo->itemText(i);
            }
        }
        return std::pair(longest, field.width());
    }
    return std::nullopt;
}

// Shows the window and translates `sentence` with `model`.
using attnviz::test::showTranslation;

} // namespace

class TestWindowLayout : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void beamKeepsTheWindowWidth();
    void statusKeepsTheWindowWidth();
    void controlsAreReadable_data();
    void controlsAreReadable();
    void heatmapFillsTheView_data();
    void heatmapFillsTheView();
    void wheelScrollsAndCtrlWheelZooms();
    void docksShowTypesetMath();
    void docksHaveRoom();
    void contextViewKeepsItsMargin();
    void shortcutsListEveryAction();
    void helpShowsDocsAndAbout();
    void tabReachesTheHeatmap();
    void editMenuForcesAndResets();

private:
    attnviz::test::IsolatedSettings m_settings;
};

void TestWindowLayout::initTestCase()
{
    QVERIFY(m_settings.isValid());
}

void TestWindowLayout::init()
{
    QSettings().clear();
}

void TestWindowLayout::beamKeepsTheWindowWidth()
{
    MainWindow window;
    window.resize(1280, 820);
    QVERIFY(showTranslation(window, datesModelPath,
                            QStringLiteral("the twenty third of september in the year two thousand")));
    auto *panel = window.findChild<DecodingPanel *>();
    QApplication::processEvents();
    const QSize panelHint = panel->sizeHint(), panelMinimum = panel->minimumSizeHint();

    auto *decoding = window.findChild<QComboBox *>(QStringLiteral("decoding"));
    decoding->setCurrentIndex(1);
    QVERIFY(window.waitForTranslation());
    auto *hypotheses = window.findChild<QComboBox *>(QStringLiteral("hypotheses"));
    QTRY_VERIFY(hypotheses->isVisible());
    QVERIFY(hypotheses->count() > 1);
    QApplication::processEvents();
    QCOMPARE(window.width(), 1280);
    QVERIFY2(panel->sizeHint().width() <= panelHint.width(),
             qPrintable(QStringLiteral("%1 > %2").arg(panel->sizeHint().width()).arg(panelHint.width())));
    QVERIFY(panel->minimumSizeHint().width() <= panelMinimum.width());

    decoding->setCurrentIndex(0);
    QVERIFY(window.waitForTranslation());
    QTRY_VERIFY(!hypotheses->isVisible());
    QApplication::processEvents();
    QCOMPARE(window.width(), 1280);
    QCOMPARE(panel->minimumSizeHint().width(), panelMinimum.width());
}

// At 800x600 a forced reference put every token's log p in the status bar, which widened the
// window to 1417 px (#22); the status texts now take the room there is (their whole text is in
// the tooltip).
void TestWindowLayout::statusKeepsTheWindowWidth()
{
    MainWindow window;
    window.resize(800, 600);
    QVERIFY(showTranslation(window, datesModelPath, QStringLiteral("the twenty third of september 1999")));
    QApplication::processEvents();
    QCOMPARE(window.width(), 800);
    window.setReference(QStringLiteral("1999 09 23 1999 09 23 1999 09 23 1999 09 23"));
    QVERIFY(window.waitForTranslation());
    auto *reference = window.findChild<QLabel *>(QStringLiteral("referenceLogProbs"));
    QVERIFY(reference);
    QTRY_VERIFY(!reference->text().isEmpty());
    QVERIFY(reference->fontMetrics().horizontalAdvance(reference->text()) > 800); // long enough to matter
    QApplication::processEvents();
    QCOMPARE(window.width(), 800);
    QVERIFY(window.minimumSizeHint().width() <= 800);
    QCOMPARE(reference->toolTip().contains(reference->text()), true);
}

void TestWindowLayout::controlsAreReadable_data()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("beam");
    QTest::newRow("800x600") << QSize(800, 600) << false;
    QTest::newRow("800x600, beam") << QSize(800, 600) << true;
    QTest::newRow("1600x1000") << QSize(1600, 1000) << false;
    QTest::newRow("1600x1000, beam") << QSize(1600, 1000) << true;
}

void TestWindowLayout::controlsAreReadable()
{
    QFETCH(QSize, size);
    QFETCH(bool, beam);
    MainWindow window;
    window.resize(size);
    window.setBeamWidth(beam ? 4 : 1);
    QVERIFY(showTranslation(window, datesModelPath, QStringLiteral("the 3rd of may 1999")));
    QApplication::processEvents();
    QCOMPARE(window.size(), size); // the window can be this small
    QVERIFY(window.minimumSizeHint().width() <= size.width());

    auto *panel = window.findChild<DecodingPanel *>();
    QList<QWidget *> controls;
    for (QWidget *widget : panel->findChildren<QWidget *>()) {
        if (!widget->isVisible() || !shownText(widget))
            continue;
        controls << widget;
        auto *label = qobject_cast<QLabel *>(widget);
        if (label && label->wordWrap())
            continue; // the output line wraps
        const auto [text, room] = *shownText(widget);
        const int needed = widget->fontMetrics().horizontalAdvance(text);
        QVERIFY2(needed <= room, qPrintable(QStringLiteral("%1 “%2” needs %3 px, has %4")
                                                .arg(QLatin1String(widget->metaObject()->className()), text)
                                                .arg(needed)
                                                .arg(room)));
    }
    QVERIFY(controls.size() >= 10);
    for (QWidget *a : controls) {
        const QRect ra(a->mapTo(panel, QPoint(0, 0)), a->size());
        QVERIFY2(panel->rect().contains(ra), qPrintable(a->objectName()));
        for (QWidget *b : controls) {
            if (a == b || a->isAncestorOf(b) || b->isAncestorOf(a))
                continue;
            const QRect rb(b->mapTo(panel, QPoint(0, 0)), b->size());
            QVERIFY2(!ra.intersects(rb), qPrintable(a->objectName() + QStringLiteral(" overlaps ")
                                                    + b->objectName()));
        }
    }
}

void TestWindowLayout::heatmapFillsTheView_data()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("sentence");
    for (const QSize size : {QSize(800, 600), QSize(1600, 1000)}) {
        const QString name = QStringLiteral("%1x%2").arg(size.width()).arg(size.height());
        QTest::newRow(qPrintable(name + QStringLiteral(" dates"))) << size << datesModelPath
                                                                 << QStringLiteral("the 3rd of may 1999");
        QTest::newRow(qPrintable(name + QStringLiteral(" legacy"))) << size << legacyModelPath
                                                                  << QStringLiteral("i am cold");
    }
}

void TestWindowLayout::heatmapFillsTheView()
{
    QFETCH(QSize, size);
    QFETCH(QString, model);
    QFETCH(QString, sentence);
    MainWindow window;
    window.resize(size);
    QVERIFY(showTranslation(window, model, sentence));
    QApplication::processEvents();
    AlignmentView *view = window.heatmapView();
    auto *area = qobject_cast<QScrollArea *>(view->parentWidget()->parentWidget());
    QVERIFY(area);
    // A short sentence needs no scroll bar, and the drawing fills one dimension of the view.
    QVERIFY(!area->verticalScrollBar()->isVisible());
    QVERIFY(!area->horizontalScrollBar()->isVisible());
    const QSize drawing = view->sizeHint(), viewport = area->viewport()->size();
    const double filled = std::max(double(drawing.width()) / viewport.width(),
                                   double(drawing.height()) / viewport.height());
    const double cell = view->cellRect(0, 0).width();
    const double maxCell = attnviz::maxFitCellPoints * view->logicalDpiY() / 72.0;
    QVERIFY2(filled > 0.95 || cell >= maxCell - 1, // the cap for short sentences
             qPrintable(QStringLiteral("%1 of the view, cells %2 px").arg(filled).arg(cell)));
    if (size.width() >= 1600)
        QVERIFY2(cell > 46, qPrintable(QString::number(cell)));
}

void TestWindowLayout::wheelScrollsAndCtrlWheelZooms()
{
    MainWindow window;
    window.resize(1280, 820);
    QVERIFY(showTranslation(window, datesModelPath, QStringLiteral("the 3rd of may 1999")));
    AlignmentView *view = window.heatmapView();
    auto *area = qobject_cast<QScrollArea *>(view->parentWidget()->parentWidget());
    window.selectStep(1);
    const auto wheel = [view](int delta, Qt::KeyboardModifiers modifiers) {
        const QPointF at = view->cellRect(1, 1).center();
        QWheelEvent event(at, view->mapToGlobal(at), QPoint(), QPoint(0, delta), Qt::NoButton,
                          modifiers, Qt::NoScrollPhase, false);
        QApplication::sendEvent(view, &event);
        QApplication::processEvents();
    };

    // Ctrl+wheel zooms, around the fit.
    const double before = view->drawingZoom();
    wheel(120, Qt::ControlModifier);
    QCOMPARE(view->zoom(), 1.25);
    QVERIFY(view->drawingZoom() > before);
    wheel(120, Qt::ControlModifier);
    wheel(120, Qt::ControlModifier);
    QApplication::processEvents();
    QVERIFY(area->verticalScrollBar()->maximum() > 0);
    // The wheel scrolls the view; the step stays.
    QCOMPARE(window.selectedStep(), 1);
    const int top = area->verticalScrollBar()->value();
    wheel(-120, Qt::NoModifier);
    QVERIFY(area->verticalScrollBar()->value() > top);
    QCOMPARE(window.selectedStep(), 1);
    wheel(120, Qt::NoModifier);
    QCOMPARE(area->verticalScrollBar()->value(), top);
    QCOMPARE(window.selectedStep(), 1);
    if (area->horizontalScrollBar()->maximum() > 0) { // Shift+wheel: sideways
        const int left = area->horizontalScrollBar()->value();
        wheel(-120, Qt::ShiftModifier);
        QVERIFY(area->horizontalScrollBar()->value() > left);
        QCOMPARE(area->verticalScrollBar()->value(), top);
    }
    // Ctrl+0 goes back to fit.
    QAction *fitAction = nullptr;
    for (QAction *action : window.findChildren<QAction *>()) {
        if (action->shortcut() == QKeySequence(QStringLiteral("Ctrl+0")))
            fitAction = action;
    }
    QVERIFY(fitAction);
    fitAction->trigger();
    QCOMPARE(view->zoom(), 1.0);
    QCOMPARE(view->drawingZoom(), before);
}

void TestWindowLayout::docksShowTypesetMath()
{
    // Raw TeX (s_{i-1}) or an underscore subscript (α_ij) anywhere a dock shows text.
    static const QRegularExpression raw(QStringLiteral("_\\{|(?<![A-Za-z])[A-Za-z\\x{3b1}-\\x{3c9}]_[a-z]{1,2}\\b"));
    for (const QString &model : {datesModelPath, bahdanauModelPath, legacyModelPath}) {
        MainWindow window;
        QVERIFY(showTranslation(window, model, QStringLiteral("i am cold")));
        QStringList texts;
        for (QDockWidget *dock : window.findChildren<QDockWidget *>()) {
            texts << dock->windowTitle();
            for (QLabel *label : dock->findChildren<QLabel *>())
                texts << label->text();
            for (QTextBrowser *browser : dock->findChildren<QTextBrowser *>())
                texts << browser->toPlainText();
            for (QAbstractItemView *table : dock->findChildren<QAbstractItemView *>()) {
                if (!table->model())
                    continue;
                for (int column = 0; column < table->model()->columnCount(); ++column)
                    texts << table->model()->headerData(column, Qt::Horizontal).toString();
            }
            for (QWidget *widget : dock->findChildren<QWidget *>())
                texts << widget->toolTip();
        }
        QVERIFY(texts.join(QString()).contains(QStringLiteral("Attention")));
        for (const QString &text : texts)
            QVERIFY2(!raw.match(text).hasMatch(), qPrintable(model + QStringLiteral(": ") + text));
    }
}

void TestWindowLayout::docksHaveRoom()
{
    // The default size: the comparison shows a ten-step translation whole, the context chart
    // keeps its room.
    MainWindow window;
    QVERIFY(showTranslation(window, datesModelPath,
                            QStringLiteral("the twenty third of september in the year two thousand")));
    QApplication::processEvents();
    auto *comparison = window.findChild<QTextBrowser *>(QStringLiteral("comparison"));
    const int rows = comparison->toPlainText().count(QLatin1Char('\n'));
    QVERIFY(rows > 5);
    QVERIFY2(comparison->verticalScrollBar()->maximum() == 0
                 || comparison->viewport()->height() >= 8 * 2 * comparison->fontMetrics().height(),
             qPrintable(QString::number(comparison->viewport()->height())));
    auto *context = window.findChild<QWidget *>(QStringLiteral("contextView"));
    QVERIFY(context->width() >= 360);
    QVERIFY(context->height() >= 300);
    QVERIFY(window.centralWidget()->width() >= window.width() / 2);
}

void TestWindowLayout::contextViewKeepsItsMargin()
{
    // At 800x600 the dock is narrow: the scale's "±bound" label once ran past the right edge.
    // Whatever the width, nothing is painted in the view's right margin (8 px).
    MainWindow window;
    QVERIFY(showTranslation(window, bahdanauModelPath, QStringLiteral("i am cold .")));
    auto *context = window.findChild<QWidget *>(QStringLiteral("contextView"));
    QWidget *const parent = context->parentWidget();
    for (const int width : {300, 340, 420}) {
        context->setParent(nullptr);
        context->resize(width, 360);
        const QImage image = context->grab().toImage();
        const QColor background = image.pixelColor(image.width() - 1, 0);
        int painted = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = image.width() - 6; x < image.width(); ++x)
                painted += image.pixelColor(x, y) != background;
        QVERIFY2(painted == 0, qPrintable(QStringLiteral("%1 px painted in the margin at width %2").arg(painted).arg(width)));
    }
    context->setParent(parent); // the window deletes it again (ASan saw it leak)
}

void TestWindowLayout::shortcutsListEveryAction()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QAction *help = nullptr;
    for (QAction *action : window.findChildren<QAction *>()) {
        if (action->text() == QStringLiteral("&Keyboard shortcuts"))
            help = action;
    }
    QVERIFY(help);
    QStringList listed, filtered;
    QTimer::singleShot(0, &window, [&]() {
        auto *dialog = qobject_cast<attnviz::ShortcutsDialog *>(QApplication::activeModalWidget());
        if (!dialog)
            return;
        listed = dialog->visibleActions();
        dialog->filterEdit()->setText(QStringLiteral("zoom"));
        filtered = dialog->visibleActions();
        dialog->reject();
    });
    help->trigger();
    QVERIFY(!listed.isEmpty());
    int withShortcut = 0;
    for (QAction *action : window.findChildren<QAction *>()) {
        if (action->shortcut().isEmpty())
            continue;
        ++withShortcut;
        QString text = action->text();
        text.remove(QLatin1Char('&'));
        QVERIFY2(listed.contains(text), qPrintable(text));
    }
    QVERIFY(withShortcut >= 20);
    QVERIFY(listed.contains(QStringLiteral("Force attention here")));
    QVERIFY(listed.size() > withShortcut); // and the heatmap's own keys
    QVERIFY(filtered.contains(QStringLiteral("Zoom in")));
    QVERIFY(!filtered.contains(QStringLiteral("Quit")));
}

void TestWindowLayout::helpShowsDocsAndAbout()
{
    const QString path = attnviz::documentationPath(QCoreApplication::applicationDirPath());
    QVERIFY(path.endsWith(QStringLiteral("gui.md")));
    attnviz::DocumentationWindow docs(path);
    auto *browser = docs.findChild<QTextBrowser *>(QStringLiteral("documentation"));
    QVERIFY(browser->toPlainText().contains(QStringLiteral("Keyboard")));
    QVERIFY(!browser->toPlainText().contains(QStringLiteral("## "))); // read as Markdown

    const QString about = attnviz::aboutHtml();
    QVERIFY(about.contains(QStringLiteral("Tatoeba")));
    QVERIFY(about.contains(QStringLiteral("CC BY 2.0 FR")));
    QVERIFY(about.contains(QStringLiteral("MIT licence"))); // the LICENSE file, installed beside the docs
    QVERIFY(about.contains(QString::fromLatin1(qVersion())));
    QVERIFY(!about.contains(QStringLiteral("version not set")));
    QVERIFY(QRegularExpression(QStringLiteral("attnviz \\d+\\.\\d+")).match(about).hasMatch());
}

void TestWindowLayout::tabReachesTheHeatmap()
{
    MainWindow window;
    QVERIFY(showTranslation(window, datesModelPath, QStringLiteral("the 3rd of may 1999")));
    QVERIFY(QTest::qWaitForWindowActive(&window));
    window.findChild<QWidget *>(QStringLiteral("sentence"))->setFocus();
    QStringList chain;
    for (int i = 0; i < 20 && QApplication::focusWidget() != window.heatmapView(); ++i) {
        QWidget *focus = QApplication::focusWidget();
        QVERIFY(focus);
        chain << focus->objectName() + QLatin1Char(':') + QLatin1String(focus->metaObject()->className());
        QTest::keyClick(focus, Qt::Key_Tab);
    }
    QVERIFY2(QApplication::focusWidget() == window.heatmapView(),
             qPrintable(chain.join(QStringLiteral(" → "))));
    // Straight from the tab bar, with no stop on the scroll area around it.
    QVERIFY2(chain.last().endsWith(QStringLiteral("QTabBar")), qPrintable(chain.join(QStringLiteral(" → "))));
    // Its cell cursor shows where the keyboard is.
    QVERIFY(window.heatmapView()->currentColumn() >= 0);
}

void TestWindowLayout::editMenuForcesAndResets()
{
    MainWindow window;
    QVERIFY(showTranslation(window, datesModelPath, QStringLiteral("the 3rd of may 1999")));
    QAction *force = nullptr, *reset = nullptr;
    QMenu *edit = nullptr;
    for (QMenu *menu : window.menuBar()->findChildren<QMenu *>()) {
        if (menu->title() == QStringLiteral("&Edit"))
            edit = menu;
    }
    QVERIFY(edit);
    for (QAction *action : edit->actions()) {
        if (action->text() == QStringLiteral("&Force attention here"))
            force = action;
        if (action->text() == QStringLiteral("Reset a&ttention"))
            reset = action;
    }
    QVERIFY(force && reset);
    QCOMPARE(force->shortcut(), QKeySequence(Qt::Key_F));
    QVERIFY(!reset->shortcut().isEmpty());
    window.selectStep(2);
    QVERIFY(force->isEnabled());
    force->trigger(); // from the menu: the step's strongest word
    QCOMPARE(window.controller()->attentionOverrides().size(), size_t(1));
    QCOMPARE(window.controller()->attentionOverrides().front().step, 2);
    QCOMPARE(window.heatmapView()->currentColumn(),
             window.controller()->attentionOverrides().front().position);
    QVERIFY(window.waitForTranslation());
    QVERIFY(reset->isEnabled());
    reset->trigger();
    QVERIFY(window.controller()->attentionOverrides().empty());
    // Typing F in the sentence box types an F.
    auto *sentence = window.findChild<attnviz::SentenceEdit *>(QStringLiteral("sentence"));
    sentence->setFocus();
    QTest::keyClick(sentence, Qt::Key_F);
    QVERIFY(window.controller()->attentionOverrides().empty());
}

QTEST_MAIN(TestWindowLayout)

#include "tst_windowlayout.moc"
