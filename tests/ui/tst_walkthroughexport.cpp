// File → Export walkthrough and attnviz-cli walkthrough's files (ui/models/walkthroughexport.h):
// a PDF page, a GIF frame or a PNG file per stage and step, the PDF's text kept as text (read
// back with pdftotext, from poppler-utils: scripts/setup.sh), the GIF decodable by Qt's own
// reader into the pages drawn. Issue #18.
#include <walkthroughexport.h>

#include <gifwriter.h>
#include <walkthroughrenderer.h>

#include <attnviz/decoding/translate.h>

#include <QBuffer>
#include <QDir>
#include <QImageReader>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "pdftext.h"

#include <attnviz/io/model_import.h>

using namespace attnviz;

namespace {

WalkthroughData walkthrough(const char *name, const std::string &sentence, const DecodeOptions &options = {})
{
    const auto model = Model::fromFile(std::string(ATTNVIZ_SOURCE_DIR) + "/sample_models/" + name + ".safetensors");
    auto result = std::make_shared<const TranslationResult>(translate(*model, sentence, options));
    return makeWalkthroughData(*model, result, 0, 5, QString::fromStdString(sentence));
}

int pdfPages(const QByteArray &pdf)
{
    return int(pdf.count("/Type /Page\n") + pdf.count("/Type /Page ") + pdf.count("/Type /Page/")
               + pdf.count("/Type/Page\n"));
}

// How many pixels differ by more than a little (the GIF's palette of 256 colours).
double farPixels(const QImage &a, const QImage &b)
{
    const QImage x = a.convertToFormat(QImage::Format_RGB32), y = b.convertToFormat(QImage::Format_RGB32);
    qint64 far = 0;
    for (int r = 0; r < x.height(); ++r)
        for (int c = 0; c < x.width(); ++c) {
            const QRgb p = x.pixel(c, r), q = y.pixel(c, r);
            if (std::abs(qRed(p) - qRed(q)) + std::abs(qGreen(p) - qGreen(q)) + std::abs(qBlue(p) - qBlue(q)) > 60)
                ++far;
        }
    return double(far) / (double(x.width()) * x.height());
}

} // namespace

class TestWalkthroughExport : public QObject
{
    Q_OBJECT
private slots:
    void pdfHasAPagePerStageAndStepWithItsText();
    void pdfOfEveryArchitecture_data();
    void pdfOfEveryArchitecture();
    void gifHasAFramePerStageAndStep();
    void gifEncoderRoundTripsThroughQt();
    void pngFolderHasAFilePerPage();
    void transformerPngsNameTheQuery();
    void exportFailsClearly();
};

void TestWalkthroughExport::pdfHasAPagePerStageAndStepWithItsText()
{
    const WalkthroughData data = walkthrough("tiny", "i am cold .");
    const QList<WalkthroughFrame> frames = walkthroughFrames(data.steps());
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("walkthrough.pdf"));
    QString error;
    QVERIFY2(exportWalkthrough(path, data, frames, {}, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray pdf = file.readAll();
    QVERIFY(pdf.startsWith("%PDF"));
    QCOMPARE(pdfPages(pdf), 4 * data.steps());
    QVERIFY(pdf.contains(QByteArray("/Count " + QByteArray::number(4 * data.steps()))));

    const QString text = pdfText(path);
    QVERIFY2(!text.isEmpty(), "pdftotext (poppler-utils, scripts/setup.sh) is needed to read the PDF's text");
    const QStringList pages = text.split(QChar(0x0c), Qt::SkipEmptyParts);
    QCOMPARE(pages.size(), 4 * data.steps());
    for (const QString &word : data.sourceLabels)
        QVERIFY2(pages.front().contains(word), qPrintable(word));
    const Hypothesis &h = data.hypothesisResult();
    for (int i = 0; i < data.steps(); ++i) {
        const QString &scores = pages[4 * i + 1], &context = pages[4 * i + 2], &output = pages[4 * i + 3];
        QVERIFY2(scores.contains(QStringLiteral("Step %1 of %2").arg(i + 1).arg(data.steps())), qPrintable(scores));
        for (int j = 0; j < std::min<int>(5, int(h.energies.cols())); ++j)
            QVERIFY2(scores.contains(QStringLiteral("exp(%1)").arg(walkthroughNumber(h.energies(i, j)))), qPrintable(scores));
        QVERIFY(scores.contains(QStringLiteral("softmax")));
        QVERIFY2(context.contains(QStringLiteral("cos(c")) && context.contains(walkthroughNumber(h.cosine[i])),
                 qPrintable(context));
        QVERIFY2(output.contains(data.targetTokens[i]), qPrintable(output));
        QVERIFY(output.contains(walkthroughNumber(std::exp(h.logProbs[i]), 3)));
        QVERIFY(output.contains(QString::fromStdString(data.details.steps[i].withSummedContext.token)));
    }
    // Typeset, not ASCII: α and Σ are in the text.
    QVERIFY(text.contains(QChar(0x03b1)));
    QVERIFY(text.contains(QChar(0x03a3)));
}

void TestWalkthroughExport::pdfOfEveryArchitecture_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("sentence");
    QTest::addColumn<QString>("target");
    QTest::newRow("bahdanau greedy") << "eng-fra-bahdanau" << "i am cold ." << QString();
    QTest::newRow("luong forced") << "eng-fra-luong" << "i am cold ." << "j ai froid .";
    QTest::newRow("legacy") << "eng-fra-legacy" << "i am cold ." << QString();
    QTest::newRow("dates") << "dates" << "the 3rd of may 1999" << QString();
}

void TestWalkthroughExport::pdfOfEveryArchitecture()
{
    QFETCH(QString, name);
    QFETCH(QString, sentence);
    QFETCH(QString, target);
    DecodeOptions options;
    if (!target.isEmpty())
        options.target = target.toStdString();
    const WalkthroughData data = walkthrough(qPrintable(name), sentence.toStdString(), options);
    const QByteArray pdf = walkthroughPdf(data, walkthroughFrames(data.steps()));
    QCOMPARE(pdfPages(pdf), 4 * data.steps());
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("w.pdf")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(pdf);
    file.close();
    const QString text = pdfText(file.fileName());
    QVERIFY(!text.isEmpty());
    for (const QString &token : data.targetTokens)
        QVERIFY2(text.contains(token), qPrintable(token));
    if (!data.details.scoresReadAnnotations)
        QVERIFY(text.contains(QStringLiteral("do not look at")));
    if (data.forced)
        QVERIFY(text.contains(QStringLiteral("Reference word")));
}

void TestWalkthroughExport::gifHasAFramePerStageAndStep()
{
    const WalkthroughData data = walkthrough("tiny", "i am cold .");
    const QList<WalkthroughFrame> frames = walkthroughFrames(data.steps(), 1, 2); // steps 2 and 3
    const QSize size(480, 270);
    const QByteArray gif = walkthroughGif(data, frames, size, 1500);
    QVERIFY(gif.startsWith("GIF89a"));
    QBuffer buffer;
    buffer.setData(gif);
    QImageReader reader(&buffer, "gif");
    QCOMPARE(reader.imageCount(), 8);
    QCOMPARE(reader.loopCount(), -1); // for ever
    for (int f = 0; f < frames.size(); ++f) {
        const QImage decoded = reader.read();
        QVERIFY2(!decoded.isNull(), qPrintable(reader.errorString()));
        QCOMPARE(reader.nextImageDelay(), 1500); // this frame's delay
        QCOMPARE(decoded.size(), size);
        const double far = farPixels(decoded, walkthroughImage(data, frames[f], size));
        QVERIFY2(far < 0.005, qPrintable(QStringLiteral("frame %1: %2 of the pixels are off").arg(f).arg(far)));
    }
}

void TestWalkthroughExport::gifEncoderRoundTripsThroughQt()
{
    // Noise of 256 colours: the LZW table fills and is cleared many times, codes reach 12 bits.
    QImage noise(300, 200, QImage::Format_RGB32);
    quint32 seed = 1;
    QList<QRgb> colors;
    for (int i = 0; i < 256; ++i)
        colors << qRgb(i, (i * 7) % 256, 255 - i);
    for (int y = 0; y < noise.height(); ++y)
        for (int x = 0; x < noise.width(); ++x) {
            seed = seed * 1103515245u + 12345u;
            noise.setPixel(x, y, colors[(seed >> 16) % 256]);
        }
    QImage flat(300, 200, QImage::Format_RGB32);
    flat.fill(colors[3]);
    const QByteArray gif = encodeGif({noise, flat, noise}, 100);
    QBuffer buffer;
    buffer.setData(gif);
    QImageReader reader(&buffer, "gif");
    QCOMPARE(reader.imageCount(), 3);
    for (const QImage &expected : {noise, flat, noise}) {
        const QImage decoded = reader.read().convertToFormat(QImage::Format_RGB32);
        QVERIFY(!decoded.isNull());
        QCOMPARE(decoded, expected); // 256 colours: exact
    }
    QVERIFY(encodeGif({}, 100).isEmpty());
    QVERIFY(encodeGif({noise, QImage(10, 10, QImage::Format_RGB32)}, 100).isEmpty());
}

void TestWalkthroughExport::pngFolderHasAFilePerPage()
{
    const WalkthroughData data = walkthrough("tiny", "i am cold .");
    const QList<WalkthroughFrame> frames = walkthroughFrames(data.steps());
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("slides"));
    QString error;
    int files = 0;
    WalkthroughExportOptions options;
    options.imageSize = QSize(640, 360);
    QVERIFY2(exportWalkthrough(folder, data, frames, options, &error, &files), qPrintable(error));
    QCOMPARE(files, 4 * data.steps());
    const QStringList names = QDir(folder).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
    QCOMPARE(names.size(), 4 * data.steps());
    QCOMPARE(names.front(), QStringLiteral("page-001-step-1-encoder.png"));
    QCOMPARE(names.back(), QStringLiteral("page-%1-step-%2-output.png").arg(4 * data.steps(), 3, 10, QLatin1Char('0')).arg(data.steps()));
    const QImage first(QDir(folder).filePath(names.front()));
    QCOMPARE(first.size(), QSize(640, 360));
    QCOMPARE(first.pixelColor(2, 2), QColor(Qt::white)); // for slides: white
    QCOMPARE(first, walkthroughImage(data, frames.front(), QSize(640, 360)).convertToFormat(first.format()));
}

void TestWalkthroughExport::transformerPngsNameTheQuery()
{
    // A transformer's first stage is the head's query: its pages are named so, the rest as for RNNs.
    const auto model = std::make_shared<const Model>(openModel(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian").model);
    const std::string sentence = "i am cold .";
    auto result = std::make_shared<const TranslationResult>(translate(*model, sentence, DecodeOptions{}));
    const WalkthroughData data = makeWalkthroughData(*model, result, 0, 5, QString::fromStdString(sentence), {}, 1, 2);
    QVERIFY(data.transformer());
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("slides"));
    QString error;
    WalkthroughExportOptions options;
    options.imageSize = QSize(320, 180);
    const QList<WalkthroughFrame> frames = walkthroughFrames(data.steps(), 0, 0); // the first step's four pages
    QVERIFY2(exportWalkthrough(folder, data, frames, options, &error), qPrintable(error));
    QCOMPARE(QDir(folder).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name),
             QStringList({QStringLiteral("page-001-step-1-query.png"), QStringLiteral("page-002-step-1-scores.png"),
                          QStringLiteral("page-003-step-1-context.png"), QStringLiteral("page-004-step-1-output.png")}));
}

void TestWalkthroughExport::exportFailsClearly()
{
    const WalkthroughData data = walkthrough("tiny", "i am cold .");
    QString error;
    QVERIFY(!exportWalkthrough(QStringLiteral("/proc/attnviz-no/such.pdf"), data, walkthroughFrames(data.steps()), {}, &error));
    QVERIFY2(error.contains(QStringLiteral("such.pdf")), qPrintable(error));
    QVERIFY(!exportWalkthrough(QStringLiteral("/tmp/x.pdf"), data, {}, {}, &error));
    QVERIFY(!error.isEmpty());
}

QTEST_MAIN(TestWalkthroughExport)
#include "tst_walkthroughexport.moc"
