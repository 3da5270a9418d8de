// File → Open training run…: the timeline's state (TimelineController) and its window, a slider
// and Play over the checkpoints of sample_runs/dates-tiny (#19).
#include "testsettings.h"
#include "mainwindow.h"
#include "timelinecontroller.h"
#include "timelinewindow.h"

#include <QApplication>
#include <QImage>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace attnviz;

namespace {

const QString runDirectory = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_runs/dates-tiny");
const QString sentence = QStringLiteral("the 3rd of may 1999");

} // namespace

class TestTimelineWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(m_settings.isValid()); }
    void controllerFollowsTheRun();
    void sliderAndPlay();
    void withReference();
    void notARun();
    void exportsStripAndNumbers();
    void filesChosenByHand();

private:
    test::IsolatedSettings m_settings;
};

void TestTimelineWindow::controllerFollowsTheRun()
{
    TimelineController controller;
    QSignalSpy moved(&controller, &TimelineController::currentChanged);
    QVERIFY(controller.open(TrainingRun::fromDirectory(runDirectory.toStdString()), QStringLiteral("dates-tiny"),
                            sentence, QString()));
    QCOMPARE(controller.count(), 11);
    QCOMPARE(controller.current(), 10); // the trained model first
    QCOMPARE(moved.count(), 1);
    controller.setCurrent(2);
    QCOMPARE(moved.count(), 2);
    QCOMPARE(controller.timeline().points[2].checkpoint.step, 1000LL);
    // The heatmap shows that checkpoint's rows, forced on the fixed output.
    const AlignmentModel *heatmap = controller.heatmap();
    const TimelinePoint &p = controller.timeline().points[2];
    QCOMPARE(heatmap->rows(), int(controller.timeline().targetTokens.size()));
    QCOMPARE(heatmap->rowLabel(0), QStringLiteral("1999"));
    QCOMPARE(heatmap->value(0, 4), double(p.attention(0, 4)));
    controller.setCurrent(2); // no move
    QCOMPARE(moved.count(), 2);
    controller.setCurrent(99); // clamped
    QCOMPARE(controller.current(), 10);
}

void TestTimelineWindow::sliderAndPlay()
{
    MainWindow main;
    QVERIFY(main.loadModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/tiny.safetensors")));
    main.setSentence(sentence);
    QVERIFY(main.waitForTranslation());
    TimelineWindow *window = main.openTrainingRun({runDirectory});
    QVERIFY(window);
    QCOMPARE(window->slider()->maximum(), 10);
    QCOMPARE(window->slider()->value(), 10);
    window->slider()->setValue(0);
    QCOMPARE(window->controller()->current(), 0);
    QVERIFY2(window->stepLabel()->text().contains(QStringLiteral("model_step_0.safetensors")),
             qPrintable(window->stepLabel()->text()));
    // Play moves one checkpoint at a time and stops at the last.
    window->setPlayInterval(1);
    window->playButton()->setChecked(true);
    QTRY_COMPARE(window->slider()->value(), 10);
    QTRY_VERIFY(!window->playButton()->isChecked());
    QCOMPARE(window->controller()->current(), 10);
    window->close();
}

void TestTimelineWindow::withReference()
{
    MainWindow main;
    main.setSentence(sentence);
    main.setReference(QStringLiteral("1999 05 04"));
    TimelineWindow *window = main.openTrainingRun({runDirectory});
    QVERIFY(window);
    QCOMPARE(window->controller()->timeline().targetTokens, (std::vector<std::string>{"1999", "05", "04", "EOS"}));
    QCOMPARE(window->controller()->timeline().fixedOutput, std::string("target"));
    window->close();
}

void TestTimelineWindow::notARun()
{
    MainWindow main;
    main.setSentence(sentence);
    QTemporaryDir empty;
    QTimer::singleShot(0, []() {
        for (QWidget *w : QApplication::topLevelWidgets())
            if (auto *box = qobject_cast<QMessageBox *>(w))
                box->close();
    });
    QVERIFY(!main.openTrainingRun({empty.path()}));
}

void TestTimelineWindow::exportsStripAndNumbers()
{
    TimelineController controller;
    QTemporaryDir dir;
    QString error;
    QVERIFY(!controller.exportTo(dir.filePath(QStringLiteral("none.png")), 300, &error)); // nothing opened
    QVERIFY(controller.open(TrainingRun::fromDirectory(runDirectory.toStdString()), QStringLiteral("dates-tiny"),
                            sentence, QString()));
    // Eleven heatmaps, six to a row: two rows, wider than tall.
    const QString png = dir.filePath(QStringLiteral("strip.png"));
    QVERIFY2(controller.exportTo(png, 72, &error), qPrintable(error));
    const QImage strip(png);
    QVERIFY(!strip.isNull());
    QVERIFY(strip.width() > strip.height());
    const QString csv = dir.filePath(QStringLiteral("run.csv"));
    QVERIFY(controller.exportTo(csv, 300, &error));
    QFile csvFile(csv);
    QVERIFY(csvFile.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csvFile.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 12);
    QVERIFY(lines[1].startsWith("0,model_step_0.safetensors,"));
    QVERIFY(lines[11].startsWith("4725,model_step_4725.safetensors,"));
    const QString pdf = dir.filePath(QStringLiteral("strip.pdf"));
    QVERIFY(controller.exportTo(pdf, 300, &error));
    QFile pdfFile(pdf);
    QVERIFY(pdfFile.open(QIODevice::ReadOnly));
    QVERIFY(pdfFile.readAll().startsWith("%PDF"));
}

void TestTimelineWindow::filesChosenByHand()
{
    MainWindow main;
    main.setSentence(sentence);
    // Given out of order (and by name "1000" before "500"): shown in the order of their steps.
    TimelineWindow *window = main.openTrainingRun({runDirectory + QStringLiteral("/model_step_1000.safetensors"),
                                                   runDirectory + QStringLiteral("/model_step_4725.safetensors"),
                                                   runDirectory + QStringLiteral("/model_step_500.safetensors")});
    QVERIFY(window);
    const auto &points = window->controller()->timeline().points;
    QCOMPARE(points.size(), size_t(3));
    QCOMPARE(points[0].checkpoint.step, 500LL);
    QCOMPARE(points[1].checkpoint.step, 1000LL);
    QCOMPARE(points[2].checkpoint.step, 4725LL);
    QVERIFY(window->windowTitle().contains(QStringLiteral("3 checkpoints")));
    window->close();
}

QTEST_MAIN(TestTimelineWindow)
#include "tst_timelinewindow.moc"
