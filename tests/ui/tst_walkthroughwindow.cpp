// View → Walkthrough (F5) in the real window: it opens on the selection's translation and is
// driven by the keyboard (issue #18).
#include "testsettings.h"
#include "mainwindow.h"
#include "sentenceedit.h"
#include "walkthroughwindow.h"

#include <QAction>
#include <QComboBox>
#include <QTest>

using namespace attnviz;

class TestWalkthroughWindow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY(m_settings.isValid()); }
    void f5OpensAndKeysNavigate();
    void followsTheSelectedHypothesis();
    void choosesATransformerHead();

private:
    attnviz::test::IsolatedSettings m_settings;
};

void TestWalkthroughWindow::f5OpensAndKeysNavigate()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.loadModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/tiny.safetensors")));
    window.setSentence(QStringLiteral("i am cold ."));
    QVERIFY(window.waitForTranslation());
    WalkthroughWindow *walkthrough = window.walkthroughWindow();
    QVERIFY(!walkthrough->isVisible());
    // File → Export walkthrough is there, with its keys, now that there is a result.
    QAction *exportAction = nullptr;
    for (QAction *action : window.findChildren<QAction *>())
        if (action->text() == QStringLiteral("Export &walkthrough…"))
            exportAction = action;
    QVERIFY(exportAction);
    QVERIFY(exportAction->isEnabled());
    QCOMPARE(exportAction->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+W")));
    QTest::keyClick(&window, Qt::Key_F5);
    QVERIFY(walkthrough->isVisible());
    WalkthroughModel *model = walkthrough->model();
    const int steps = window.selection()->hypothesis()->steps();
    QCOMPARE(model->frameCount(), 4 * steps);
    QWidget *page = walkthrough->canvas();
    QCOMPARE(model->position(), 0);
    QTest::keyClick(page, Qt::Key_Right);
    QCOMPARE(model->position(), 1);
    QTest::keyClick(page, Qt::Key_Space);
    QCOMPARE(model->position(), 2);
    QTest::keyClick(page, Qt::Key_Left);
    QCOMPARE(model->position(), 1);
    QTest::keyClick(page, Qt::Key_Backspace);
    QCOMPARE(model->position(), 0);
    QTest::keyClick(page, Qt::Key_End);
    QCOMPARE(model->position(), 4 * steps - 1);
    QCOMPARE(model->frame().stage, WalkthroughStage::Output);
    QTest::keyClick(page, Qt::Key_Home);
    QCOMPARE(model->position(), 0);
    QTest::keyClick(page, Qt::Key_P);
    QVERIFY(model->isPlaying());
    QTest::keyClick(page, Qt::Key_Plus);
    QCOMPARE(model->speed(), 2.0);
    QTest::keyClick(page, Qt::Key_Minus);
    QTest::keyClick(page, Qt::Key_Minus);
    QCOMPARE(model->speed(), 0.5);
    QTest::keyClick(page, Qt::Key_P);
    QVERIFY(!model->isPlaying());
    // The page drawn is not blank: the renderer painted the step.
    const QImage shot = page->grab().toImage();
    QVERIFY(shot.pixelColor(shot.width() / 2, shot.height() / 2).isValid());
    QTest::keyClick(page, Qt::Key_Escape);
    QVERIFY(!walkthrough->isVisible());
}

void TestWalkthroughWindow::followsTheSelectedHypothesis()
{
    MainWindow window;
    QVERIFY(window.loadModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-bahdanau.safetensors")));
    window.setBeamWidth(3);
    window.setSentence(QStringLiteral("i am cold ."));
    QVERIFY(window.waitForTranslation());
    WalkthroughWindow *walkthrough = window.walkthroughWindow();
    walkthrough->show();
    QVERIFY(walkthrough->model()->hasData());
    window.selection()->selectHypothesis(1);
    QCOMPARE(walkthrough->model()->data()->hypothesis, 1);
    window.setSentence(QStringLiteral("i am ."));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(walkthrough->model()->data()->sentence, QStringLiteral("i am ."));
}

// The Marian sample: the pages explain one head (the last layer's first by default); the head
// chooser and the keys H / L change it, and with it the numbers shown (issue #23).
void TestWalkthroughWindow::choosesATransformerHead()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.loadModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian")));
    window.setSentence(QStringLiteral("I am cold."));
    QVERIFY(window.waitForTranslation());
    QTest::keyClick(&window, Qt::Key_F5);
    WalkthroughWindow *walkthrough = window.walkthroughWindow();
    QVERIFY(walkthrough->isVisible());
    WalkthroughModel *model = walkthrough->model();
    QVERIFY2(model->hasData(), qPrintable(model->error()));
    const WalkthroughData *data = model->data();
    QVERIFY(data->transformer());
    const int L = data->details.layers, H = data->details.heads;
    QCOMPARE(data->details.layer, L - 1);
    QCOMPARE(data->details.head, 0);
    QComboBox *chooser = walkthrough->headChooser();
    QVERIFY(chooser->isVisible());
    QCOMPARE(chooser->count(), L * H);
    QCOMPARE(chooser->currentIndex(), (L - 1) * H);
    QCOMPARE(model->frameCount(), 4 * window.selection()->hypothesis()->steps());
    // The weights shown are that head's of the result.
    const Hypothesis &h = *window.selection()->hypothesis();
    QCOMPARE(data->attention, h.crossAttention.at(L - 1, 0));
    QTest::keyClick(walkthrough->canvas(), Qt::Key_Right); // stage 2 of step 1
    const QString before = walkthroughSoftmaxFormula(*model->data(), 0);
    const QImage pageBefore = walkthrough->canvas()->grab().toImage();
    QTest::keyClick(walkthrough->canvas(), Qt::Key_H);
    QCOMPARE(model->data()->details.head, 1);
    QCOMPARE(model->position(), 1); // the page stays
    QCOMPARE(chooser->currentIndex(), (L - 1) * H + 1);
    QCOMPARE(model->data()->attention, h.crossAttention.at(L - 1, 1));
    QVERIFY(walkthroughSoftmaxFormula(*model->data(), 0) != before);
    QVERIFY(walkthrough->canvas()->grab().toImage() != pageBefore);
    QTest::keyClick(walkthrough->canvas(), Qt::Key_H, Qt::ShiftModifier);
    QCOMPARE(model->data()->details.head, 0);
    QTest::keyClick(walkthrough->canvas(), Qt::Key_L); // past the last layer: the first
    QCOMPARE(model->data()->details.layer, 0);
    // The chooser itself: layer 1, head 2.
    emit chooser->activated(1);
    QCOMPARE(model->data()->details.layer, 0);
    QCOMPARE(model->data()->details.head, 1);
    QCOMPARE(model->data()->attention, h.crossAttention.at(0, 1));
    // The head stays for the next sentence; an RNN has no chooser.
    window.setSentence(QStringLiteral("I am here."));
    QVERIFY(window.waitForTranslation());
    QCOMPARE(model->data()->details.head, 1);
    QVERIFY(window.loadModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/tiny.safetensors")));
    window.setSentence(QStringLiteral("i am cold ."));
    QVERIFY(window.waitForTranslation());
    QVERIFY(model->hasData());
    QVERIFY(!chooser->isVisible());
}

QTEST_MAIN(TestWalkthroughWindow)
#include "tst_walkthroughwindow.moc"
