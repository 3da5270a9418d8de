// attnviz-cli export, run for real on the synthetic dates model's test set.
#include "clirunner.h"
#include "textfiles.h"

#include <attnviz/decoding/translate.h>

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

namespace {

const QString sourceDir = QStringLiteral(ATTNVIZ_SOURCE_DIR);
const QString datesModel = sourceDir + QStringLiteral("/sample_models/dates.safetensors");
const QString testSet = sourceDir + QStringLiteral("/data/dates/dates-test.src");

RunResult exportDates(const QString &input, const QString &out, const QString &format = QStringLiteral("csv"))
{
    return runCli({QStringLiteral("export"), QStringLiteral("--model"), datesModel, QStringLiteral("--input"), input,
                   QStringLiteral("--out"), out, QStringLiteral("--format"), format});
}

} // namespace

class TestExportCli : public QObject
{
    Q_OBJECT

private slots:
    void csvBatchWritesOneFilePerLineAndIndex();
    void csvReadsBackToTheMatrix();
    void jsonIsTheCliJson();
    void unwritableOrMissingDirectoryLeavesNothing();
    void badLineIsReportedAndSkipped();
    void outDirectoryIsCreated();
    void indexKeepsEarlierRows();
    void emptyLineIsReportedAndSkipped();
    void pngResolution();
};

void TestExportCli::csvBatchWritesOneFilePerLineAndIndex()
{
    QTemporaryDir dir;
    const RunResult r = runCli({QStringLiteral("export"), QStringLiteral("--model"), datesModel, QStringLiteral("--input"),
                                testSet, QStringLiteral("--out"), dir.path(), QStringLiteral("--format"), QStringLiteral("csv")});
    QCOMPARE(r.exitCode, 0);
    const QStringList sources = readTextLines(testSet);
    QCOMPARE(sources.size(), 500);
    QCOMPARE(QDir(dir.path()).entryList({QStringLiteral("*.csv")}, QDir::Files).size(), 501); // + index.csv
    const QStringList index = readTextLines(dir.filePath(QStringLiteral("index.csv")));
    QCOMPARE(index.size(), 501);
    QCOMPARE(index[0], QStringLiteral("line,file,source,translation"));
    // Line 17 names its file, its source sentence and the greedy translation.
    const auto model = attnviz::Model::fromFile(datesModel.toStdString());
    const auto result = attnviz::translate(*model, sources[16].toStdString(), {});
    QString translation;
    for (const std::string &t : result.best().targetTokens)
        translation += (translation.isEmpty() ? QString() : QStringLiteral(" ")) + QString::fromStdString(t);
    const QString expected = QStringLiteral("17,0017.csv,") + (sources[16].contains(QLatin1Char(','))
                                                                    ? QLatin1Char('"') + sources[16] + QLatin1Char('"')
                                                                    : sources[16])
        + QLatin1Char(',') + translation;
    QCOMPARE(index[17], expected);
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("0500.csv"))));
}

void TestExportCli::csvReadsBackToTheMatrix()
{
    QTemporaryDir dir;
    const QString input = dir.filePath(QStringLiteral("in.txt"));
    QVERIFY(writeTextFile(input, "the 3rd of may , 1999\n"));
    QDir(dir.path()).mkdir(QStringLiteral("out"));
    const QString out = dir.filePath(QStringLiteral("out"));
    QCOMPARE(runCli({QStringLiteral("export"), QStringLiteral("--model"), datesModel, QStringLiteral("--input"),
                     input, QStringLiteral("--out"), out, QStringLiteral("--format"), QStringLiteral("csv")})
                 .exitCode,
             0);
    const QStringList rows = readTextLines(out + QStringLiteral("/0001.csv"));
    const auto model = attnviz::Model::fromFile(datesModel.toStdString());
    const auto r = attnviz::translate(*model, "the 3rd of may , 1999", {});
    // The "," token is quoted in the header.
    QCOMPARE(rows[0], QStringLiteral(",the,3rd,of,may,\",\",1999,EOS"));
    QCOMPARE(rows.size(), r.best().steps() + 1);
    for (int i = 0; i < r.best().steps(); ++i) {
        const QStringList cells = rows[i + 1].split(QLatin1Char(','));
        QCOMPARE(cells[0], QString::fromStdString(r.best().targetTokens[i]));
        QCOMPARE(cells.size(), r.sourceLength() + 1);
        for (int j = 0; j < r.sourceLength(); ++j)
            QVERIFY(std::abs(cells[j + 1].toDouble() - r.best().attention(i, j)) <= 5e-7);
    }
}

void TestExportCli::jsonIsTheCliJson()
{
    QTemporaryDir dir;
    const QString input = dir.filePath(QStringLiteral("in.txt"));
    QVERIFY(writeTextFile(input, "december 25 , 2001\n"));
    QDir(dir.path()).mkdir(QStringLiteral("out"));
    QCOMPARE(runCli({QStringLiteral("export"), QStringLiteral("--model"), datesModel, QStringLiteral("--input"),
                     input, QStringLiteral("--out"), dir.filePath(QStringLiteral("out")), QStringLiteral("--format"),
                     QStringLiteral("json")})
                 .exitCode,
             0);
    QFile file(dir.filePath(QStringLiteral("out/0001.json")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject exported = QJsonDocument::fromJson(file.readAll()).object();
    const RunResult cli = runCli({QStringLiteral("translate"), QStringLiteral("--model"), datesModel, QStringLiteral("--json"),
                                  QStringLiteral("december 25 , 2001")});
    QCOMPARE(exported, QJsonDocument::fromJson(cli.out.toUtf8()).object());
}

void TestExportCli::unwritableOrMissingDirectoryLeavesNothing()
{
    QTemporaryDir dir;
    const QString locked = dir.filePath(QStringLiteral("locked"));
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("locked")));
    QVERIFY(QFile::setPermissions(locked, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    const RunResult r = runCli({QStringLiteral("export"), QStringLiteral("--model"), datesModel, QStringLiteral("--input"),
                                testSet, QStringLiteral("--out"), locked, QStringLiteral("--format"), QStringLiteral("csv")});
    QFile::setPermissions(locked, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    // root may write anyway; then the export succeeds, which is also a defined outcome.
    if (::geteuid() != 0) {
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("not writable")), qPrintable(r.err));
        QVERIFY(QDir(locked).entryList(QDir::Files | QDir::Hidden).isEmpty());
    }
    // procfs refuses new files even to root, so this case holds wherever the tests run.
    const RunResult proc = runCli({QStringLiteral("export"), QStringLiteral("--model"), datesModel, QStringLiteral("--input"),
                                   testSet, QStringLiteral("--out"), QStringLiteral("/proc/self"), QStringLiteral("--format"),
                                   QStringLiteral("csv")});
    QCOMPARE(proc.exitCode, 1);
    QVERIFY2(proc.err.contains(QStringLiteral("/proc/self: the directory is not writable")), qPrintable(proc.err));
    // A directory that cannot be made is named; a bad model leaves no new directory behind.
    const RunResult cannot = runCli({QStringLiteral("export"), QStringLiteral("--model"), datesModel, QStringLiteral("--input"),
                                     testSet, QStringLiteral("--out"), QStringLiteral("/proc/self/figures"),
                                     QStringLiteral("--format"), QStringLiteral("csv")});
    QCOMPARE(cannot.exitCode, 1);
    QVERIFY2(cannot.err.contains(QStringLiteral("/proc/self/figures: cannot create the directory")), qPrintable(cannot.err));
    const QString missing = dir.filePath(QStringLiteral("missing"));
    const RunResult m = runCli({QStringLiteral("export"), QStringLiteral("--model"), dir.filePath(QStringLiteral("none.safetensors")),
                                QStringLiteral("--input"), testSet, QStringLiteral("--out"), missing, QStringLiteral("--format"),
                                QStringLiteral("csv")});
    QCOMPARE(m.exitCode, 1);
    QVERIFY(!QFileInfo::exists(missing));
}

// Issue 22: --out DIR had to exist; now it is made, with its parents.
void TestExportCli::outDirectoryIsCreated()
{
    QTemporaryDir dir;
    const QString input = dir.filePath(QStringLiteral("in.txt"));
    QVERIFY(writeTextFile(input, "may 3 1999\n"));
    const QString out = dir.filePath(QStringLiteral("paper/figures"));
    QCOMPARE(exportDates(input, out).exitCode, 0);
    QCOMPARE(QDir(out).entryList(QDir::Files, QDir::Name), (QStringList {QStringLiteral("0001.csv"), QStringLiteral("index.csv")}));
}

// Issue 22: a second run (another format, another input) replaced index.csv, losing the rows of
// the files the first run left. It keeps the rows whose files are still there.
void TestExportCli::indexKeepsEarlierRows()
{
    QTemporaryDir dir;
    const QString first = dir.filePath(QStringLiteral("first.txt")), second = dir.filePath(QStringLiteral("second.txt"));
    QVERIFY(writeTextFile(first, "may 3 1999\nthe 3rd of may , 1999\n"));
    QVERIFY(writeTextFile(second, "december 25 , 2001\n"));
    const QString out = dir.filePath(QStringLiteral("out"));
    QCOMPARE(exportDates(first, out).exitCode, 0);
    QCOMPARE(exportDates(first, out, QStringLiteral("json")).exitCode, 0);
    QVERIFY(QFile::remove(out + QStringLiteral("/0002.json"))); // gone: its row goes too
    QCOMPARE(exportDates(second, out).exitCode, 0);             // 0001.csv is now december's
    const QStringList index = readTextLines(out + QStringLiteral("/index.csv"));
    QCOMPARE(index, (QStringList {QStringLiteral("line,file,source,translation"),
                                  QStringLiteral("1,0001.csv,\"december 25 , 2001\",2001 12 25 EOS"),
                                  QStringLiteral("1,0001.json,may 3 1999,1999 05 03 EOS"),
                                  QStringLiteral("2,0002.csv,\"the 3rd of may , 1999\",1999 05 03 EOS")}));
}

// Issue 22: an empty line was translated (into a figure of EOS alone); it is reported with its
// number and skipped, and the other lines keep their numbers.
void TestExportCli::emptyLineIsReportedAndSkipped()
{
    QTemporaryDir dir;
    const QString input = dir.filePath(QStringLiteral("in.txt"));
    QVERIFY(writeTextFile(input, "may 3 1999\n\n   \ndecember 25 , 2001\n"));
    const QString out = dir.filePath(QStringLiteral("out"));
    const RunResult r = exportDates(input, out);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.err, input + QStringLiteral(":2: empty line, skipped\n") + input + QStringLiteral(":3: empty line, skipped\n"));
    QCOMPARE(QDir(out).entryList(QDir::Files, QDir::Name),
             (QStringList {QStringLiteral("0001.csv"), QStringLiteral("0004.csv"), QStringLiteral("index.csv")}));
    const QStringList index = readTextLines(out + QStringLiteral("/index.csv"));
    QCOMPARE(index.size(), 3);
    QVERIFY(index[2].startsWith(QStringLiteral("4,0004.csv,")));
}

// Issue 22: PNG was 1 pixel a point by default (a 4-row dates figure 180 x 152 px). Now 300 dpi
// at the figure's size, as the window exports; --dpi sets the size and the file's pHYs.
void TestExportCli::pngResolution()
{
    QTemporaryDir dir;
    const QString input = dir.filePath(QStringLiteral("in.txt"));
    QVERIFY(writeTextFile(input, "may 3 1999\n"));
    const auto png = [&](const QStringList &options) {
        const QString out = dir.filePath(options.join(QString()));
        const RunResult r = runCli(QStringList {QStringLiteral("export"), QStringLiteral("--model"), datesModel,
                                                QStringLiteral("--input"), input, QStringLiteral("--out"), out,
                                                QStringLiteral("--format"), QStringLiteral("png")}
                                   + options);
        QImage image;
        if (r.exitCode == 0)
            image.load(out + QStringLiteral("/0001.png"));
        return image;
    };
    const QImage points = png({QStringLiteral("--dpi"), QStringLiteral("72")}); // the natural size
    const QImage byDefault = png({});
    const QImage fine = png({QStringLiteral("--dpi=600")});
    const QImage scaled = png({QStringLiteral("--scale"), QStringLiteral("2")});
    QVERIFY(!points.isNull() && !byDefault.isNull() && !fine.isNull() && !scaled.isNull());
    QVERIFY2(std::abs(byDefault.width() - points.width() * 300.0 / 72) <= 4, qPrintable(QString::number(byDefault.width())));
    QVERIFY(std::abs(byDefault.height() - points.height() * 300.0 / 72) <= 4);
    QVERIFY(std::abs(fine.width() - 2 * byDefault.width()) <= 4);
    QVERIFY(std::abs(scaled.width() - 2 * points.width()) <= 3);
    QCOMPARE(byDefault.dotsPerMeterX(), qRound(300 / 0.0254));
    QCOMPARE(fine.dotsPerMeterY(), qRound(600 / 0.0254));
    QCOMPARE(scaled.dotsPerMeterX(), qRound(144 / 0.0254));

    const auto refused = [&](const QStringList &options, const QString &message) {
        const RunResult r = runCli(QStringList {QStringLiteral("export"), QStringLiteral("--model"), datesModel,
                                                QStringLiteral("--input"), input, QStringLiteral("--out"), dir.path(),
                                                QStringLiteral("--format")}
                                   + options);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    };
    refused({QStringLiteral("png"), QStringLiteral("--dpi"), QStringLiteral("20")},
            QStringLiteral("--dpi needs a whole number from 72 to 1200, not '20'"));
    refused({QStringLiteral("png"), QStringLiteral("--dpi"), QStringLiteral("300"), QStringLiteral("--scale"), QStringLiteral("2")},
            QStringLiteral("give --scale or --dpi, not both"));
    refused({QStringLiteral("svg"), QStringLiteral("--dpi"), QStringLiteral("300")},
            QStringLiteral("--scale and --dpi apply to png only"));
}

void TestExportCli::badLineIsReportedAndSkipped()
{
    // tiny-legacy-notes has 6 slots: line 2 (six words) cannot be translated; the rest is exported.
    QTemporaryDir dir;
    const QString input = dir.filePath(QStringLiteral("in.txt"));
    QVERIFY(writeTextFile(input, "i am cold\ni am very very very cold\nhe is\n"));
    QDir(dir.path()).mkdir(QStringLiteral("out"));
    const QString out = dir.filePath(QStringLiteral("out"));
    const RunResult r = runCli({QStringLiteral("export"), QStringLiteral("--model"),
                                QStringLiteral(ATTNVIZ_GOLDEN_DIR "/tiny-legacy-notes.safetensors"), QStringLiteral("--input"),
                                input, QStringLiteral("--out"), out, QStringLiteral("--format"), QStringLiteral("json")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(input + QStringLiteral(":2: ")), qPrintable(r.err));
    QCOMPARE(QDir(out).entryList(QDir::Files, QDir::Name),
             (QStringList{QStringLiteral("0001.json"), QStringLiteral("0003.json"), QStringLiteral("index.csv")}));
    QCOMPARE(readTextLines(out + QStringLiteral("/index.csv")).size(), 3);
}

QTEST_GUILESS_MAIN(TestExportCli)
#include "tst_exportcli.moc"
