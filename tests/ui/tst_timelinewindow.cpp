// File → Open training run…: the timeline's state (TimelineController) and its window, a slider
// and Play over the checkpoints of sample_runs/dates-tiny (#19).
#include "testsettings.h"
#include "mainwindow.h"
#include "apngwriter.h"
#include "timelineanimation.h"
#include "timelinecontroller.h"
#include "timelinewindow.h"

#include <attnviz/analysis/alignment.h>
#include <attnviz/analysis/word_units.h>
#include <attnviz/decoding/translate.h>
#include <attnviz/io/model_import.h>

#include <QApplication>
#include <QAction>
#include <QCheckBox>
#include <QBuffer>
#include <QFile>
#include <QImageReader>
#include <QProgressBar>
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

// The chunks of a PNG file: (type, data).
QList<QPair<QByteArray, QByteArray>> pngChunks(const QByteArray &bytes)
{
    QList<QPair<QByteArray, QByteArray>> chunks;
    qsizetype at = 8;
    while (at + 12 <= bytes.size()) {
        const auto byte = [&](qsizetype i) { return quint32(quint8(bytes[i])); };
        const qsizetype length = qsizetype(byte(at) << 24 | byte(at + 1) << 16 | byte(at + 2) << 8 | byte(at + 3));
        chunks.append({bytes.mid(at + 4, 4), bytes.mid(at + 8, length)});
        at += 12 + length;
    }
    return chunks;
}

quint32 bigEndian(const QByteArray &data, int at)
{
    return quint32(quint8(data[at])) << 24 | quint32(quint8(data[at + 1])) << 16 | quint32(quint8(data[at + 2])) << 8
        | quint32(quint8(data[at + 3]));
}

// Frame `index` of an APNG as a still PNG (its IHDR, its IDAT or fdAT data), through Qt's reader.
QImage apngFrame(const QByteArray &bytes, int index)
{
    const auto chunks = pngChunks(bytes);
    QByteArray header, data;
    int frame = -1;
    for (const auto &[type, body] : chunks) {
        if (type == "IHDR")
            header = body;
        else if (type == "fcTL")
            ++frame;
        else if (frame == index && type == "IDAT")
            data += body;
        else if (frame == index && type == "fdAT")
            data += body.mid(4); // after the sequence number
    }
    // A zlib stream split over chunks may be joined: one IDAT of all of it.
    const auto chunk = [](const char *type, const QByteArray &body) {
        QByteArray out;
        for (int shift = 24; shift >= 0; shift -= 8)
            out.append(char((body.size() >> shift) & 0xff));
        out += QByteArray(type, 4) + body;
        const quint32 crc = pngCrc32(QByteArray(type, 4) + body);
        for (int shift = 24; shift >= 0; shift -= 8)
            out.append(char((crc >> shift) & 0xff));
        return out;
    };
    const QByteArray png = QByteArray("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) + chunk("IDAT", data)
        + chunk("IEND", {});
    return QImage::fromData(png, "PNG");
}

void writeText(const QString &path, const QByteArray &text)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

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
    void exportsAnimations();
    void opensOffTheUiThread();
    void cancelKeepsNothingHalfDone();
    void failingCheckpointIsNamed();
    void goldLinksGiveTheAerCurve();
    void wordsOfASubwordRun();

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
    QVERIFY(window->controller()->waitForTimeline());
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
    QVERIFY(window->controller()->waitForTimeline());
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
    QVERIFY(window->controller()->waitForTimeline());
    const auto &points = window->controller()->timeline().points;
    QCOMPARE(points.size(), size_t(3));
    QCOMPARE(points[0].checkpoint.step, 500LL);
    QCOMPARE(points[1].checkpoint.step, 1000LL);
    QCOMPARE(points[2].checkpoint.step, 4725LL);
    QVERIFY(window->windowTitle().contains(QStringLiteral("3 checkpoints")));
    window->close();
}

void TestTimelineWindow::exportsAnimations()
{
    TimelineController controller;
    QVERIFY(controller.open(TrainingRun::fromDirectory(runDirectory.toStdString()), QStringLiteral("dates-tiny"),
                            sentence, QString()));
    const TimelineFrames frames = timelineFrames(controller.timeline(), QStringLiteral("dates-tiny"));
    QCOMPARE(frames.images.size(), 11);
    // Row "1999", column "1999": near uniform before training, on the year after it.
    const QPoint yearCell = frames.cell(0, 4).center().toPoint();
    QVERIFY(frames.images.front().rect().contains(yearCell));
    QVERIFY(frames.images.front().pixel(yearCell) != frames.images.back().pixel(yearCell));

    QTemporaryDir dir;
    QString error;
    const QString gif = dir.filePath(QStringLiteral("run.gif"));
    QVERIFY2(controller.exportTo(gif, 300, &error), qPrintable(error));
    QImageReader reader(gif);
    QVERIFY(reader.supportsAnimation());
    QList<QImage> decoded;
    for (QImage frame; reader.read(&frame);)
        decoded << frame.convertToFormat(QImage::Format_RGB32);
    QCOMPARE(decoded.size(), 11); // one frame per checkpoint
    for (const QImage &frame : decoded)
        QCOMPARE(frame.size(), frames.images.front().size());
    QVERIFY(decoded.front().pixel(yearCell) != decoded.back().pixel(yearCell));
    // The GIF's palette keeps the heatmap's flat colours.
    QCOMPARE(decoded.back().pixel(yearCell), frames.images.back().pixel(yearCell));

    const QString apng = dir.filePath(QStringLiteral("run.apng"));
    QVERIFY2(controller.exportTo(apng, 300, &error), qPrintable(error));
    QFile file(apng);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    const auto chunks = pngChunks(bytes);
    QCOMPARE(chunks.front().first, QByteArray("IHDR"));
    QCOMPARE(int(bigEndian(chunks.front().second, 0)), frames.images.front().width());
    QCOMPARE(int(bigEndian(chunks.front().second, 4)), frames.images.front().height());
    QCOMPARE(chunks[1].first, QByteArray("acTL"));
    QCOMPARE(bigEndian(chunks[1].second, 0), 11u);
    int frameControls = 0;
    for (const auto &chunk : chunks)
        frameControls += chunk.first == "fcTL";
    QCOMPARE(frameControls, 11);
    QCOMPARE(chunks.back().first, QByteArray("IEND"));
    // A viewer without APNG support shows the first checkpoint; each frame is the full image.
    QCOMPARE(QImage(apng).convertToFormat(QImage::Format_RGB32), frames.images.front());
    QCOMPARE(apngFrame(bytes, 10).convertToFormat(QImage::Format_RGB32), frames.images.back());

    // Atomic: a folder that does not exist leaves nothing behind and says why.
    QVERIFY(!controller.exportTo(dir.filePath(QStringLiteral("missing/run.gif")), 300, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("missing/run.gif"))));
}

void TestTimelineWindow::opensOffTheUiThread()
{
    TimelineController controller;
    QSignalSpy changed(&controller, &TimelineController::timelineChanged);
    QSignalSpy progress(&controller, &TimelineController::progressChanged);
    controller.openAsync(TrainingRun::fromDirectory(runDirectory.toStdString()), QStringLiteral("dates-tiny"), sentence,
                         QString());
    QVERIFY(controller.isComputing());
    QCOMPARE(controller.count(), 0); // nothing yet: the event loop has not run
    QVERIFY(changed.wait(60000));
    QVERIFY(!controller.isComputing());
    QCOMPARE(controller.count(), 11);
    QCOMPARE(controller.current(), 10);
    QVERIFY(progress.count() >= 11);
    QCOMPARE(progress.last().at(0).toInt(), 11);
    QCOMPARE(progress.last().at(1).toInt(), 11);
    // The same numbers as on the calling thread.
    const Timeline direct = timeline(TrainingRun::fromDirectory(runDirectory.toStdString()), sentence.toStdString(), {});
    QCOMPARE(controller.timeline().points[3].logProb, direct.points[3].logProb);
}

void TestTimelineWindow::cancelKeepsNothingHalfDone()
{
    TimelineController controller;
    QVERIFY(controller.open(TrainingRun::fromDirectory(runDirectory.toStdString()), QStringLiteral("dates-tiny"),
                            sentence, QString()));
    QSignalSpy changed(&controller, &TimelineController::timelineChanged);
    controller.openAsync(TrainingRun::fromDirectory(runDirectory.toStdString()), QStringLiteral("again"),
                         QStringLiteral("march 3 2011"), QString());
    controller.cancel();
    QVERIFY(!controller.isComputing());
    QTest::qWait(300);
    QCOMPARE(changed.count(), 0);
    QCOMPARE(controller.count(), 11); // the run shown before
    QCOMPARE(controller.runLabel(), QStringLiteral("dates-tiny"));
}

void TestTimelineWindow::failingCheckpointIsNamed()
{
    QTemporaryDir dir;
    for (const char *name : {"model_step_0.safetensors", "model_step_1000.safetensors"})
        QVERIFY(QFile::copy(runDirectory + QLatin1Char('/') + QLatin1String(name), dir.filePath(QLatin1String(name))));
    writeText(dir.filePath(QStringLiteral("model_step_500.safetensors")), "not a model");
    MainWindow main;
    main.setSentence(sentence);
    TimelineWindow *window = main.openTrainingRun({dir.path()});
    QVERIFY(window); // the folder is a run; reading it fails on the worker
    QSignalSpy failed(window->controller(), &TimelineController::timelineFailed);
    QVERIFY(failed.wait(60000));
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(QStringLiteral("model_step_500.safetensors")), qPrintable(message));
    QVERIFY(window->messageLabel()->isVisibleTo(window));
    QVERIFY2(window->messageLabel()->text().contains(QStringLiteral("model_step_500.safetensors")),
             qPrintable(window->messageLabel()->text()));
    QVERIFY(!window->slider()->isEnabled());
    QVERIFY(!window->cancelButton()->isVisibleTo(window));
    window->close();
}

void TestTimelineWindow::goldLinksGiveTheAerCurve()
{
    QTemporaryDir dir;
    const QString gold = dir.filePath(QStringLiteral("gold.txt"));
    writeText(gold, "4-0 3-1 1-2\n"); // 1999-1999, may-05, 3rd-03
    TimelineController controller;
    QVERIFY(controller.open(TrainingRun::fromDirectory(runDirectory.toStdString()), QStringLiteral("dates-tiny"),
                            sentence, QString()));
    QVERIFY(!controller.timeline().points.front().counts); // no curve yet
    QSignalSpy changed(&controller, &TimelineController::goldChanged);
    QString error;
    QVERIFY2(controller.loadGold(gold, &error), qPrintable(error));
    QCOMPARE(changed.count(), 1);
    // Each checkpoint's AER is what the engine (attnviz-cli timeline --gold) computes.
    TimelineOptions options;
    options.gold = parsePharaoh("4-0 3-1 1-2\n", "gold.txt").front();
    const Timeline engine = timeline(TrainingRun::fromDirectory(runDirectory.toStdString()), sentence.toStdString(),
                                     options);
    QCOMPARE(controller.count(), int(engine.points.size()));
    for (int i = 0; i < controller.count(); ++i) {
        QVERIFY(controller.timeline().points[size_t(i)].counts);
        QCOMPARE(controller.timeline().points[size_t(i)].counts->alignmentErrorRate(),
                 engine.points[size_t(i)].counts->alignmentErrorRate());
    }
    QCOMPARE(engine.points.back().counts->alignmentErrorRate(), 0.0); // the trained model finds them all
    QVERIFY(engine.points.front().counts->alignmentErrorRate() > 0.0);
    // A file that is not Pharaoh: the message names it, the links stay.
    const QString bad = dir.filePath(QStringLiteral("bad.txt"));
    writeText(bad, "4-0 x\n");
    QVERIFY(!controller.loadGold(bad, &error));
    QVERIFY2(error.contains(QStringLiteral("bad.txt")), qPrintable(error));
    QVERIFY(controller.timeline().points.front().counts);
    QCOMPARE(changed.count(), 1);
    // The CSV export has the curve.
    const QString csv = dir.filePath(QStringLiteral("run.csv"));
    QVERIFY(controller.exportTo(csv, 300, &error));
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll().split('\n')[11].endsWith(",0.000000"));
}

// A run of a subword model (the Marian sample as steps 100 and 200): the window follows the main
// window's Words, and its own Words box computes the timeline again in pieces or words.
void TestTimelineWindow::wordsOfASubwordRun()
{
    const QString marian = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian");
    QTemporaryDir dir;
    QVERIFY(QFile::link(marian, dir.filePath(QStringLiteral("marian_step_100"))));
    QVERIFY(QFile::link(marian, dir.filePath(QStringLiteral("marian_step_200"))));
    const QString text = QStringLiteral("Tomorrow's weather is unbelievably beautiful.");
    MainWindow main;
    QVERIFY(main.loadModel(marian));
    main.wordsAction()->setChecked(true);
    main.setSentence(text);
    QVERIFY(main.waitForTranslation());
    TimelineWindow *window = main.openTrainingRun({dir.filePath(QStringLiteral("marian_step_100")),
                                                    dir.filePath(QStringLiteral("marian_step_200"))});
    QVERIFY(window);
    QVERIFY(window->controller()->waitForTimeline());
    const Model model(openModel(marian.toStdString()).model, "marian");
    const TranslationResult pieces = translate(model, text.toStdString(), {});
    const WordMerge merge = mergeToWords(pieces, pieceMarkings(model), specialTokens(model));
    TimelineController *controller = window->controller();
    QCOMPARE(controller->units(), TokenUnits::Words);
    QVERIFY(window->wordsBox()->isChecked() && window->wordsBox()->isEnabled());
    QCOMPARE(controller->timeline().targetTokens, merge.words.best().targetTokens);
    QCOMPARE(controller->heatmap()->rows(), int(merge.words.best().targetTokens.size()));
    QCOMPARE(controller->heatmap()->rowLabel(0), QStringLiteral("Tom"));
    QCOMPARE(controller->heatmap()->columnLabel(0), QStringLiteral("Tomorrow's"));

    QCOMPARE(controller->timeline().view, std::string("layer 3, mean of 4 heads"));

    // Back to pieces from the window's box: computed again, the checkpoint shown kept.
    window->slider()->setValue(0);
    window->wordsBox()->setChecked(false);
    QVERIFY(controller->isComputing());
    QVERIFY(controller->waitForTimeline());
    QCOMPARE(controller->units(), TokenUnits::Pieces);
    QCOMPARE(controller->timeline().targetTokens, pieces.best().targetTokens);
    QCOMPARE(controller->heatmap()->rows(), int(pieces.best().targetTokens.size()));
    QCOMPARE(controller->current(), 0);
    QCOMPARE(window->slider()->value(), 0);
    QVERIFY(!window->wordsBox()->isChecked());
    QVERIFY(window->wordsBox()->isEnabled());

    // Gold links count the units they were given in: "Tomorrow's" (its four pieces) with "Tom".
    GoldAlignment gold;
    gold.sure = {{0, 0}};
    window->wordsBox()->setChecked(true);
    QVERIFY(controller->waitForTimeline());
    controller->setGold(gold); // given on the words timeline
    QVERIFY(controller->timeline().points.back().counts);
    QCOMPARE(controller->timeline().points.back().counts->s, 1LL);
    const double wordsAer = controller->timeline().points.back().counts->alignmentErrorRate();
    window->wordsBox()->setChecked(false);
    QVERIFY(controller->waitForTimeline());
    QVERIFY(!controller->timeline().points.back().counts); // piece 0 - piece 0 is not what was meant
    window->wordsBox()->setChecked(true);
    QVERIFY(controller->waitForTimeline());
    QVERIFY(controller->timeline().points.back().counts);
    QCOMPARE(controller->timeline().points.back().counts->alignmentErrorRate(), wordsAer);

    // Cancel while it computes again: the words timeline stays, and so does the box.
    window->wordsBox()->setChecked(false);
    QVERIFY(controller->isComputing());
    window->cancelButton()->click();
    QCOMPARE(controller->units(), TokenUnits::Words);
    QVERIFY(window->wordsBox()->isChecked());
    QCOMPARE(controller->timeline().units, TokenUnits::Words);
    window->close();

    // The heads the main window shows are the heads the run follows.
    HeadSelection head;
    head.layer = 1;
    head.heads = {3};
    QVERIFY(main.selection()->setView(head));
    TimelineWindow *heads = main.openTrainingRun({dir.filePath(QStringLiteral("marian_step_100")),
                                                   dir.filePath(QStringLiteral("marian_step_200"))});
    QVERIFY(heads && heads->controller()->waitForTimeline());
    QCOMPARE(heads->controller()->timeline().view, std::string("layer 2, head 4"));
    DecodeOptions viewed;
    viewed.view = head;
    const TranslationResult headPieces = translate(model, text.toStdString(), viewed);
    const WordMerge headWords = mergeToWords(headPieces, pieceMarkings(model), specialTokens(model));
    QVERIFY((heads->controller()->timeline().points.back().attention - sourceAttention(headWords.words))
                .cwiseAbs()
                .maxCoeff()
            < 1e-6f);
    bool named = false;
    for (const QLabel *label : heads->findChildren<QLabel *>())
        named = named || label->text().contains(QStringLiteral("cross-attention: layer 2, head 4"));
    QVERIFY(named);
    heads->close();

    // A word-level run, opened while the main window reads words: nothing to merge, the box is off.
    MainWindow words;
    QVERIFY(words.wordsAction()->isChecked()); // remembered from the first window
    TimelineWindow *dates = words.openTrainingRun({runDirectory});
    QVERIFY(dates && dates->controller()->waitForTimeline());
    QVERIFY(!dates->wordsBox()->isEnabled());
    QVERIFY(!dates->wordsBox()->isChecked());
    dates->close();
}

QTEST_MAIN(TestTimelineWindow)
#include "tst_timelinewindow.moc"
