// File → Export alignment and Edit → Copy image: what the window shows is what is written.
#include "testsettings.h"
#include "alignmentmodel.h"
#include "mainwindow.h"
#include "textfiles.h"

#include <attnviz/decoding/translate.h>

#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>

using attnviz::MainWindow;

namespace {

const QString datesModel = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors");

} // namespace

class TestExportAlignment : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void exportsEveryFormat();
    void exportFollowsTheForcedReference();
    void exportFollowsTheSelectedBeam();
    void csvFollowsTheHeatmapValues_data();
    void csvFollowsTheHeatmapValues();
    void failuresLeaveNoFile();
    void copyImagePutsTheFigureOnTheClipboard();

private:
    attnviz::test::IsolatedSettings m_settings;
    QTemporaryDir m_out;
};

void TestExportAlignment::initTestCase()
{
    QVERIFY(m_settings.isValid());
}

void TestExportAlignment::exportsEveryFormat()
{
    MainWindow window;
    QString error;
    QVERIFY(!window.exportAlignment(m_out.filePath(QStringLiteral("none.png")), 72, &error)); // nothing yet
    QVERIFY(error.contains(QStringLiteral("type a sentence")));
    QVERIFY(window.loadModel(datesModel));
    window.setSentence(QStringLiteral("the 3rd of may 1999"));
    QVERIFY(window.waitForTranslation());

    const QString svg = m_out.filePath(QStringLiteral("a.svg"));
    QVERIFY2(window.exportAlignment(svg, 72, &error), qPrintable(error));
    QFile svgFile(svg);
    QVERIFY(svgFile.open(QIODevice::ReadOnly));
    const QByteArray svgBytes = svgFile.readAll();
    QVERIFY(QSvgRenderer(svgBytes).isValid());
    QVERIFY(svgBytes.contains(">1999</text>") && svgBytes.contains(">may</text>"));
    QVERIFY(svgBytes.contains("Dates (synthetic)")); // the title names the model

    QImage one, two;
    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("a1.png")), 72, &error));
    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("a2.PNG")), 144, &error));
    QVERIFY(one.load(m_out.filePath(QStringLiteral("a1.png"))) && two.load(m_out.filePath(QStringLiteral("a2.PNG"))));
    QVERIFY(std::abs(two.width() - 2 * one.width()) <= 2);

    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("a.pdf")), 72, &error));
    QFile pdf(m_out.filePath(QStringLiteral("a.pdf")));
    QVERIFY(pdf.open(QIODevice::ReadOnly) && pdf.read(4) == "%PDF");

    // CSV: the heatmap's own numbers, to 6 decimals.
    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("a.csv")), 72, &error));
    const QStringList rows = readTextLines(m_out.filePath(QStringLiteral("a.csv")));
    const attnviz::AlignmentModel &heatmap = *window.alignmentModel();
    QCOMPARE(rows.size(), heatmap.rows() + 1);
    QCOMPARE(rows[0], QStringLiteral(",the,3rd,of,may,1999,EOS"));
    for (int i = 0; i < heatmap.rows(); ++i) {
        const QStringList cells = rows[i + 1].split(QLatin1Char(','));
        QCOMPARE(cells[0], heatmap.rowLabel(i));
        for (int j = 0; j < heatmap.columns(); ++j)
            QVERIFY(std::abs(cells[j + 1].toDouble() - heatmap.value(i, j)) <= 5e-7);
    }

    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("a.json")), 72, &error));
    QFile json(m_out.filePath(QStringLiteral("a.json")));
    QVERIFY(json.open(QIODevice::ReadOnly));
    const QJsonObject j = QJsonDocument::fromJson(json.readAll()).object();
    QCOMPARE(j[QStringLiteral("sentence")].toString(), QStringLiteral("the 3rd of may 1999"));
    QCOMPARE(j[QStringLiteral("target_tokens")].toArray().size(), heatmap.rows());
}

void TestExportAlignment::exportFollowsTheForcedReference()
{
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    window.setSentence(QStringLiteral("the 3rd of may 1999"));
    window.setReference(QStringLiteral("1999 05 04"));
    QVERIFY(window.waitForTranslation());
    QString error;
    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("forced.csv")), 72, &error));
    const QStringList rows = readTextLines(m_out.filePath(QStringLiteral("forced.csv")));
    QCOMPARE(rows.size(), 5);
    QVERIFY(rows[3].startsWith(QStringLiteral("04,"))); // the reference, not the model's "03"
    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("forced.json")), 72, &error));
    QFile json(m_out.filePath(QStringLiteral("forced.json")));
    QVERIFY(json.open(QIODevice::ReadOnly));
    const QJsonObject j = QJsonDocument::fromJson(json.readAll()).object();
    QVERIFY(j[QStringLiteral("forced")].toBool());
    QCOMPARE(j[QStringLiteral("target")].toString(), QStringLiteral("1999 05 04"));
}

void TestExportAlignment::exportFollowsTheSelectedBeam()
{
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    window.setBeamWidth(3);
    window.setSentence(QStringLiteral("december 25 , 2001"));
    QVERIFY(window.waitForTranslation());
    auto *hypotheses = window.findChild<QComboBox *>(QStringLiteral("hypotheses"));
    QVERIFY(hypotheses && hypotheses->count() == 3);
    hypotheses->setCurrentIndex(2);
    emit hypotheses->activated(2);
    QCOMPARE(window.alignmentModel()->hypothesis(), 2);
    QString error;
    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("beam.csv")), 72, &error));
    const QStringList rows = readTextLines(m_out.filePath(QStringLiteral("beam.csv")));
    const auto &third = window.alignmentModel()->result()->hypotheses[2];
    QCOMPARE(rows.size(), third.steps() + 1);
    for (int i = 0; i < third.steps(); ++i)
        QVERIFY(rows[i + 1].startsWith(QString::fromStdString(third.targetTokens[i]) + QLatin1Char(',')));
}

void TestExportAlignment::csvFollowsTheHeatmapValues_data()
{
    QTest::addColumn<bool>("energies");
    QTest::addColumn<double>("temperature");
    QTest::newRow("raw scores") << true << 1.0;
    QTest::newRow("temperature 2") << false << 2.0;
    QTest::newRow("temperature 0.5") << false << 0.5;
}

// With raw scores or another temperature on screen, the CSV holds the numbers on screen.
void TestExportAlignment::csvFollowsTheHeatmapValues()
{
    QFETCH(bool, energies);
    QFETCH(double, temperature);
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    window.setSentence(QStringLiteral("the 3rd of may 1999"));
    QVERIFY(window.waitForTranslation());
    QString error;
    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("alpha.csv")), 72, &error));
    window.setEnergiesShown(energies);
    window.setTemperature(temperature);
    const QString path = m_out.filePath(QStringLiteral("shown.csv"));
    QVERIFY2(window.exportAlignment(path, 72, &error), qPrintable(error));
    const QStringList alpha = readTextLines(m_out.filePath(QStringLiteral("alpha.csv")));
    const QStringList rows = readTextLines(path);
    const attnviz::AlignmentModel &heatmap = *window.alignmentModel();
    QCOMPARE(rows.size(), heatmap.rows() + 1);
    QCOMPARE(rows[0], alpha[0]);
    int changed = 0;
    for (int i = 0; i < heatmap.rows(); ++i) {
        const QStringList cells = rows[i + 1].split(QLatin1Char(','));
        for (int j = 0; j < heatmap.columns(); ++j)
            QVERIFY2(std::abs(cells[j + 1].toDouble() - heatmap.value(i, j)) <= 5e-6 * (1 + std::abs(heatmap.value(i, j))),
                     qPrintable(QStringLiteral("(%1, %2): %3 against %4").arg(i).arg(j).arg(cells[j + 1]).arg(heatmap.value(i, j))));
        changed += rows[i + 1] != alpha[i + 1];
    }
    QCOMPARE(changed, heatmap.rows()); // every row differs from alpha
}

void TestExportAlignment::failuresLeaveNoFile()
{
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    window.setSentence(QStringLiteral("may 3 1999"));
    QVERIFY(window.waitForTranslation());
    QString error;
    QVERIFY(!window.exportAlignment(m_out.filePath(QStringLiteral("a.jpg")), 72, &error));
    QVERIFY(error.contains(QStringLiteral(".png, .svg, .pdf, .csv or .json")));
    QVERIFY(!QFile::exists(m_out.filePath(QStringLiteral("a.jpg"))));
    // procfs refuses new files even to root.
    QVERIFY(!window.exportAlignment(QStringLiteral("/proc/self/alignment.svg"), 72, &error));
    QVERIFY2(error.startsWith(QStringLiteral("Could not write “/proc/self/alignment.svg”")), qPrintable(error));
    QVERIFY(!window.exportAlignment(m_out.filePath(QStringLiteral("missing/dir/a.csv")), 72, &error));
    QVERIFY(!QFile::exists(m_out.filePath(QStringLiteral("missing"))));
    // An existing file is replaced only by a complete new one: a failed write keeps it.
    QVERIFY(window.exportAlignment(m_out.filePath(QStringLiteral("keep.csv")), 72, &error));
    const QStringList before = readTextLines(m_out.filePath(QStringLiteral("keep.csv")));
    QVERIFY(QFile::setPermissions(m_out.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    const bool wrote = window.exportAlignment(m_out.filePath(QStringLiteral("keep.csv")), 72, &error);
    QFile::setPermissions(m_out.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    if (!wrote) // as root the directory stays writable
        QCOMPARE(readTextLines(m_out.filePath(QStringLiteral("keep.csv"))), before);
}

void TestExportAlignment::copyImagePutsTheFigureOnTheClipboard()
{
    MainWindow window;
    QVERIFY(!window.copyImage());
    QVERIFY(window.loadModel(datesModel));
    window.setSentence(QStringLiteral("1984 april 1st"));
    QVERIFY(window.waitForTranslation());
    QVERIFY(window.copyImage());
    const QImage image = QGuiApplication::clipboard()->image();
    QVERIFY(image.width() > 200 && image.height() > 100);
    QCOMPARE(image.pixelColor(0, 0), QColor(Qt::white));
}

QTEST_MAIN(TestExportAlignment)
#include "tst_exportalignment.moc"
