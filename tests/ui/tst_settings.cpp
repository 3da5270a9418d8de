// Settings: the keys in one place, written when idle, and a signal when a write fails.
#include "settings.h"

#include "filesizelimit.h"
#include "testsettings.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTest>

using namespace attnviz;

namespace {

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestSettings : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void defaults();
    void roundTrip();
    void writtenWhenIdle();
    void failedWriteIsSignalled();
    void startDirectory_data();
    void startDirectory();

private:
    test::IsolatedSettings m_settings;
};

void TestSettings::initTestCase()
{
    QVERIFY(m_settings.isValid());
}

void TestSettings::init()
{
    QSettings().clear();
}

void TestSettings::defaults()
{
    Settings settings;
    QCOMPARE(settings.colorMap(), ColorMap::Viridis);
    QVERIFY(!settings.showValues());
    QVERIFY(settings.recentModels().isEmpty());
    QCOMPARE(settings.lastSentence(), QString());
    QCOMPARE(settings.startDirectory(Settings::FileKind::Export, QString()), QDir::homePath());
    QCOMPARE(settings.lastDirectory(Settings::FileKind::Alignment), QString());
    QVERIFY(!settings.isWritePending());
}

void TestSettings::roundTrip()
{
    {
        Settings settings;
        settings.setColorMap(ColorMap::Magma);
        settings.setShowValues(true);
        settings.setRecentModels({QStringLiteral("/a.json"), QStringLiteral("/b.json")});
        settings.setLastModel(QStringLiteral("/a.json"));
        settings.setLastSentence(QStringLiteral("i am cold"));
        settings.setLastDirectory(Settings::FileKind::Export, QStringLiteral("/tmp/out"));
        settings.rememberDirectoryOf(Settings::FileKind::Checkpoint,
                                     QStringLiteral("/data/tutorial/encoder.pt"));
        settings.setWindowGeometry(QByteArray("geometry"));
    } // written when it goes
    Settings settings;
    QCOMPARE(settings.colorMap(), ColorMap::Magma);
    QVERIFY(settings.showValues());
    QCOMPARE(settings.recentModels(),
             (QStringList {QStringLiteral("/a.json"), QStringLiteral("/b.json")}));
    QCOMPARE(settings.lastModel(), QStringLiteral("/a.json"));
    QCOMPARE(settings.lastSentence(), QStringLiteral("i am cold"));
    QCOMPARE(settings.lastDirectory(Settings::FileKind::Export), QStringLiteral("/tmp/out"));
    QCOMPARE(settings.lastDirectory(Settings::FileKind::Checkpoint),
             QStringLiteral("/data/tutorial"));
    QCOMPARE(settings.lastDirectory(Settings::FileKind::Vocabulary), QString()); // one per kind
    QCOMPARE(settings.windowGeometry(), QByteArray("geometry"));
}

void TestSettings::writtenWhenIdle()
{
    Settings settings;
    settings.setWriteDelay(200);
    QVERIFY(settings.sync());
    const QString file = settings.fileName();
    QSignalSpy written(&settings, &Settings::writeSucceeded);
    // Keystrokes: each changes the last sentence, none writes the file.
    for (const char *text : {"i", "i a", "i am", "i am cold"})
        settings.setLastSentence(QString::fromLatin1(text));
    QVERIFY(settings.isWritePending());
    QVERIFY(!readAll(file).contains("i am cold"));
    QCOMPARE(written.count(), 0);
    // Once idle: one write.
    QTRY_VERIFY(!settings.isWritePending());
    QCOMPARE(written.count(), 1);
    QVERIFY(readAll(file).contains("i am cold"));
    // The same value again is no change.
    settings.setLastSentence(QStringLiteral("i am cold"));
    QVERIFY(!settings.isWritePending());
}

void TestSettings::failedWriteIsSignalled()
{
    Settings settings;
    settings.setLastSentence(QStringLiteral("before"));
    QVERIFY(settings.sync());
    const QString file = settings.fileName();
    const QByteArray before = readAll(file);
    QSignalSpy failed(&settings, &Settings::writeFailed);
    QSignalSpy written(&settings, &Settings::writeSucceeded);
    QString error;
    {
        const test::FileSizeLimit limit(16);
        settings.setLastSentence(QStringLiteral("a sentence that does not fit"));
        QVERIFY(!settings.sync(&error));
    }
    QCOMPARE(failed.count(), 1);
    QCOMPARE(failed.first().first().toString(), error);
    QVERIFY2(error.contains(file), qPrintable(error));
    QCOMPARE(readAll(file), before);
    // Room again: the change kept in memory is written.
    QVERIFY(settings.sync());
    QCOMPARE(written.count(), 1);
    QVERIFY(readAll(file).contains("a sentence that does not fit"));
}

// Issue #22: every file question started in the working or the home folder.
void TestSettings::startDirectory_data()
{
    QTest::addColumn<QString>("remembered");
    QTest::addColumn<QString>("currentModel");
    QTest::addColumn<QString>("fallback");
    QTest::addColumn<QString>("expected");
    const QString samples = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models");
    const QString data = QStringLiteral(ATTNVIZ_SOURCE_DIR "/data");
    const QString model = samples + QStringLiteral("/dates.safetensors");
    QTest::newRow("remembered") << data << model << QString() << data;
    QTest::newRow("beside the model") << QString() << model << QString() << samples;
    QTest::newRow("remembered folder gone")
        << QStringLiteral("/no/such/folder") << model << QString() << samples;
    QTest::newRow("imported model: a label") << QString() << QStringLiteral("encoder.pt (imported)")
                                             << data << data;
    QTest::newRow("nothing: the fallback") << QString() << QString() << data << data;
    QTest::newRow("nothing: home") << QString() << QString() << QString() << QDir::homePath();
}

void TestSettings::startDirectory()
{
    QFETCH(QString, remembered);
    QFETCH(QString, currentModel);
    QFETCH(QString, fallback);
    QFETCH(QString, expected);
    QCOMPARE(QDir(Settings::startDirectory(remembered, currentModel, fallback)).canonicalPath(),
             QDir(expected).canonicalPath());
    Settings settings;
    settings.setLastDirectory(Settings::FileKind::Model, remembered);
    QCOMPARE(settings.startDirectory(Settings::FileKind::Model, currentModel, fallback),
             Settings::startDirectory(remembered, currentModel, fallback));
}

QTEST_GUILESS_MAIN(TestSettings)

#include "tst_settings.moc"
