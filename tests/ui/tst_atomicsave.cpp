// The window's writes (Export alignment, Save model as, Save gold alignments, the settings) when the disk fills up
// mid-write: each says so and leaves the previous file exactly as it was, with no temporary
// file behind. A file size limit (RLIMIT_FSIZE) makes writes fail as a full disk does, also as
// root, where read-only permissions do not stop anything.
#include "testsettings.h"
#include "filesizelimit.h"
#include "mainwindow.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using attnviz::MainWindow;

namespace {

const QString datesModel = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors");

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestAtomicSave : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void exportKeepsThePreviousFile_data();
    void exportKeepsThePreviousFile();
    void saveModelKeepsThePreviousModel();
    void saveAlignmentsKeepsThePreviousFile();
    void settingsWriteFailureIsReported();
    void settingsWriteFailureAtCloseIsShown();

private:
    attnviz::test::IsolatedSettings m_settings;
};

void TestAtomicSave::initTestCase()
{
    QVERIFY(m_settings.isValid());
}

void TestAtomicSave::exportKeepsThePreviousFile_data()
{
    QTest::addColumn<QString>("name");
    for (const char *name : {"figure.png", "figure.svg", "figure.pdf", "alignment.csv", "alignment.json"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void TestAtomicSave::exportKeepsThePreviousFile()
{
    QFETCH(QString, name);
    QTemporaryDir out;
    const QString path = out.filePath(name);
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    window.setSentence(QStringLiteral("the 3rd of may 1999"));
    QVERIFY(window.waitForTranslation());
    QString error;
    QVERIFY2(window.exportAlignment(path, 72, &error), qPrintable(error));
    const QByteArray before = readAll(path);
    QVERIFY(before.size() > 64);

    window.setSentence(QStringLiteral("the 21st of december 2031"));
    QVERIFY(window.waitForTranslation());
    bool wrote = true;
    {
        const attnviz::test::FileSizeLimit limit(64);
        wrote = window.exportAlignment(path, 72, &error);
    }
    QVERIFY(!wrote);
    QVERIFY2(error.startsWith(QStringLiteral("Could not write “") + path), qPrintable(error));
    QCOMPARE(readAll(path), before);
    QCOMPARE(QDir(out.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList {name});
}

void TestAtomicSave::saveModelKeepsThePreviousModel()
{
    QTemporaryDir out;
    const QString path = out.filePath(QStringLiteral("copy.safetensors"));
    QVERIFY(QFile::copy(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/tiny.safetensors"), path));
    const QByteArray before = readAll(path);
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    QString error;
    bool saved = true;
    {
        const attnviz::test::FileSizeLimit limit(4096);
        saved = window.saveModelAs(path, &error);
    }
    QVERIFY(!saved);
    QVERIFY2(error.contains(path), qPrintable(error));
    QCOMPARE(readAll(path), before);
    QCOMPARE(QDir(out.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList {QStringLiteral("copy.safetensors")});
}

// File → Save gold alignments (the annotations).
void TestAtomicSave::saveAlignmentsKeepsThePreviousFile()
{
    QTemporaryDir out;
    const QString path = out.filePath(QStringLiteral("gold.txt"));
    const QString dates = QStringLiteral(ATTNVIZ_SOURCE_DIR "/data/dates/dates-test");
    MainWindow window;
    QVERIFY(window.loadModel(datesModel));
    QString error;
    QVERIFY2(window.openAlignmentSet(dates + QStringLiteral(".src"), dates + QStringLiteral(".ref"),
                                     dates + QStringLiteral(".gold"), &error),
             qPrintable(error));
    QVERIFY2(window.saveAlignments(path, &error), qPrintable(error));
    const QByteArray before = readAll(path);
    QVERIFY(before.size() > 64);
    bool saved = true;
    {
        const attnviz::test::FileSizeLimit limit(64);
        saved = window.saveAlignments(path, &error);
    }
    QVERIFY(!saved);
    QVERIFY2(error.contains(path), qPrintable(error));
    QCOMPARE(readAll(path), before);
    QCOMPARE(QDir(out.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList {QStringLiteral("gold.txt")});
}

// The settings (recent models, last sentence, window layout): a failed write is said in the
// status bar, naming the file, and the previous file stays as it was.
void TestAtomicSave::settingsWriteFailureIsReported()
{
    MainWindow window;
    QVERIFY(window.loadModel(datesModel)); // a recent model: a setting
    window.setSentence(QStringLiteral("the 3rd of may 1999"));
    QVERIFY(window.syncSettings());
    const QString file = QSettings().fileName();
    const QByteArray before = readAll(file);
    QVERIFY2(before.contains("dates.safetensors"), before.constData());
    auto *status = window.findChild<QLabel *>(QStringLiteral("settingsStatus"));
    QVERIFY(status);
    QVERIFY(status->isHidden());

    QString error;
    bool synced = true;
    {
        const attnviz::test::FileSizeLimit limit(16);
        window.setColorMap(attnviz::ColorMap::Magma); // a setting, written (when idle) while the disk is full
        QTRY_VERIFY(!status->isHidden());
        synced = window.syncSettings(&error);
    }
    QVERIFY(!synced);
    QVERIFY2(error.contains(file), qPrintable(error));
    QVERIFY(!status->isHidden());
    QCOMPARE(status->toolTip(), error);
    QCOMPARE(readAll(file), before);
    QCOMPARE(QDir(QFileInfo(file).absolutePath()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList {QFileInfo(file).fileName()});

    // Room again: the next write goes through and the warning goes away.
    QVERIFY(window.syncSettings());
    QVERIFY(status->isHidden());
    QVERIFY(readAll(file).contains("magma"));
}

// The settings written as the window closes: a failure is said in a box, even when the status
// bar had said so already (before, its having said so kept the box from showing).
void TestAtomicSave::settingsWriteFailureAtCloseIsShown()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.loadModel(datesModel));
    window.setSentence(QStringLiteral("the 3rd of may 1999"));
    QVERIFY(window.syncSettings());
    QString shown;
    const attnviz::test::FileSizeLimit limit(16);
    window.setSentence(QStringLiteral("the 21st of december 2031")); // a setting
    QVERIFY(!window.syncSettings()); // the status bar says so
    QTimer::singleShot(0, &window, [&shown]() {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box)
            return;
        QCOMPARE(box->objectName(), QStringLiteral("settingsErrorBox"));
        shown = box->text();
        box->accept();
    });
    QVERIFY(window.close());
    QVERIFY2(shown.contains(QSettings().fileName()), qPrintable(shown));
}

QTEST_MAIN(TestAtomicSave)
#include "tst_atomicsave.moc"
