// ModelSession: loading, using and saving a model, the recent models and the sample models.
#include "modelsession.h"

#include "settings.h"
#include "testmodels.h"
#include "testsettings.h"

#include <attnviz/models/model.h>

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace attnviz;

namespace {

const QString tinyModelPath = QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/tiny.json");

} // namespace

class TestModelSession : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void loads();
    void refusedFileKeepsTheModel_data();
    void refusedFileKeepsTheModel();
    void opensCheckpoints();
    void recentModels();
    void openFiles();
    void modelInMemoryIsNotRecent();
    void saveAs();
    void sampleModels();

private:
    test::IsolatedSettings m_settings;
};

void TestModelSession::initTestCase()
{
    QVERIFY(m_settings.isValid());
}

void TestModelSession::init()
{
    QSettings().clear();
}

void TestModelSession::loads()
{
    Settings settings;
    ModelSession session(&settings);
    QVERIFY(!session.model());
    QCOMPARE(session.name(), QString());
    QSignalSpy changed(&session, &ModelSession::modelChanged);
    QVERIFY(session.load(tinyModelPath));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.first().first().toString(), tinyModelPath);
    QCOMPARE(session.path(), tinyModelPath);
    QCOMPARE(session.model()->config().name, std::string("tiny-bahdanau"));
    QCOMPARE(session.name(), QStringLiteral("tiny-bahdanau"));
    QCOMPARE(settings.lastModel(), QFileInfo(tinyModelPath).absoluteFilePath());
    QCOMPARE(session.recentModels(), QStringList {QFileInfo(tinyModelPath).absoluteFilePath()});
}

// File > Open, drag and drop and recent files all load through here: a checkpoint with its
// Langs opens directly, and is recent; a wrong file says what it is.
void TestModelSession::opensCheckpoints()
{
    Settings settings;
    ModelSession session(&settings);
    const QString checkpoint = QStringLiteral(ATTNVIZ_TORCH_DATA_DIR "/saved/modules-and-langs.pt");
    QVERIFY(session.load(checkpoint));
    QCOMPARE(session.model()->file().sourceVocab.size(), size_t(19));
    QCOMPARE(session.recentModels().size(), 1);
    QSignalSpy failed(&session, &ModelSession::loadFailed);
    QVERIFY(!session.load(QStringLiteral(ATTNVIZ_TORCH_DATA_DIR "/pairs.txt")));
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("pairs.txt is a text file, not a model")),
             qPrintable(failed.first().first().toString()));
}

void TestModelSession::refusedFileKeepsTheModel_data()
{
    QTest::addColumn<QByteArray>("contents"); // empty: the file does not exist
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing file") << QByteArray() << QStringLiteral("cannot open file");
    QTest::newRow("not JSON") << QByteArrayLiteral("{ nope") << QStringLiteral("not valid JSON");
}

void TestModelSession::refusedFileKeepsTheModel()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("bad.json"));
    if (!contents.isEmpty()) {
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(contents);
    }
    Settings settings;
    ModelSession session(&settings);
    QVERIFY(session.load(tinyModelPath));
    const auto previous = session.model();
    QSignalSpy failed(&session, &ModelSession::loadFailed);
    QSignalSpy changed(&session, &ModelSession::modelChanged);
    QVERIFY(!session.load(bad));
    QCOMPARE(failed.count(), 1);
    const QString message = failed.first().first().toString();
    QVERIFY2(message.startsWith(bad + QStringLiteral(": ")), qPrintable(message));
    QVERIFY2(message.contains(expected), qPrintable(message));
    QCOMPARE(changed.count(), 0);
    QCOMPARE(session.model(), previous);
    QCOMPARE(session.path(), tinyModelPath);
    QCOMPARE(session.recentModels().size(), 1); // a refused file is not recent
}

void TestModelSession::recentModels()
{
    QTemporaryDir dir;
    QStringList paths;
    for (int i = 0; i < ModelSession::maxRecentModels + 2; ++i) {
        paths << QDir(dir.path()).filePath(QStringLiteral("m%1.json").arg(i));
        QVERIFY(QFile::copy(tinyModelPath, paths.last()));
    }
    Settings settings;
    ModelSession session(&settings);
    QSignalSpy recentChanged(&session, &ModelSession::recentModelsChanged);
    for (const QString &path : paths)
        QVERIFY(session.load(path));
    QVERIFY(session.load(paths[5])); // again: moves to the top, no duplicate
    QCOMPARE(recentChanged.count(), paths.size() + 1);
    const QStringList recent = session.recentModels();
    QCOMPARE(recent.size(), ModelSession::maxRecentModels);
    QCOMPARE(recent.first(), paths[5]);
    QCOMPARE(recent.at(1), paths[9]);
    QCOMPARE(recent.last(), paths[2]); // m5 m9 m8 m7 m6 m4 m3 m2
    QVERIFY(!recent.contains(paths[1]));
    // Kept in the settings, for the next session.
    QVERIFY(settings.sync());
    Settings later;
    QCOMPARE(later.recentModels(), recent);
    QCOMPARE(later.lastModel(), paths[5]);
}

// `attnviz a b c`: a is opened, b and c follow it in File -> Open recent (#21).
void TestModelSession::openFiles()
{
    QTemporaryDir dir;
    QStringList paths;
    for (int i = 0; i < 4; ++i) {
        paths << QDir(dir.path()).filePath(QStringLiteral("m%1.json").arg(i));
        QVERIFY(QFile::copy(tinyModelPath, paths.last()));
    }
    Settings settings;
    ModelSession session(&settings);
    QVERIFY(session.load(paths[3])); // an older recent model
    const QString missing = QDir(dir.path()).filePath(QStringLiteral("missing.json"));
    QVERIFY(session.openFiles({paths[0], paths[1], missing, paths[2]}));
    QCOMPARE(session.path(), paths[0]);
    QCOMPARE(session.recentModels(), (QStringList {paths[0], paths[1], paths[2], paths[3]}));
    QCOMPARE(settings.lastModel(), paths[0]);

    // The first file refused: the model stays, the others still become recent.
    Settings other;
    other.setRecentModels({});
    ModelSession second(&other);
    QVERIFY(!second.openFiles({missing, paths[3], paths[1]}));
    QVERIFY(!second.model());
    QCOMPARE(second.recentModels(), (QStringList {paths[3], paths[1]}));
    QVERIFY(!second.openFiles({}));
}

void TestModelSession::modelInMemoryIsNotRecent()
{
    Settings settings;
    ModelSession session(&settings);
    QSignalSpy changed(&session, &ModelSession::modelChanged);
    auto model =
        std::make_shared<const Model>(test::makeRandomModel(Architecture::Luong), "imported");
    session.use(model, QStringLiteral("decoder (imported)"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(session.model(), model);
    QCOMPARE(session.path(), QStringLiteral("decoder (imported)"));
    QCOMPARE(session.name(), QStringLiteral("random-luong"));
    QVERIFY(session.recentModels().isEmpty());
    QVERIFY(settings.lastModel().isEmpty());
}

void TestModelSession::saveAs()
{
    Settings settings;
    ModelSession session(&settings);
    QString error;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("copy.safetensors"));
    QVERIFY(!session.saveAs(path, &error)); // no model
    session.use(
        std::make_shared<const Model>(test::makeRandomModel(Architecture::Bahdanau), "imported"),
        QStringLiteral("imported"));
    QSignalSpy pathChanged(&session, &ModelSession::pathChanged);
    QSignalSpy modelChanged(&session, &ModelSession::modelChanged);
    QVERIFY2(session.saveAs(path, &error), qPrintable(error));
    QCOMPARE(pathChanged.count(), 1);
    QCOMPARE(modelChanged.count(), 0); // the same model, now with a file
    QCOMPARE(session.path(), path);
    QCOMPARE(session.recentModels(), QStringList {QFileInfo(path).absoluteFilePath()});
    // The file loads as the same model.
    ModelSession reloaded(&settings);
    QVERIFY(reloaded.load(path));
    QCOMPARE(reloaded.model()->config().name, session.model()->config().name);
    // A folder that does not exist: refused, with the path in the message.
    QVERIFY(!session.saveAs(dir.filePath(QStringLiteral("no/such/m.safetensors")), &error));
    QVERIFY2(error.contains(QStringLiteral("no/such")), qPrintable(error));
    QCOMPARE(session.path(), path);
}

void TestModelSession::sampleModels()
{
    const QDir dir(ModelSession::sampleModelsDirectory());
    QVERIFY2(dir.exists(QStringLiteral("dates.safetensors")), qPrintable(dir.path()));
    QStringList names, folders;
    for (const QFileInfo &file : ModelSession::sampleModels())
        (file.isDir() ? folders : names) << file.completeBaseName();
    QVERIFY2(names.contains(QStringLiteral("dates")), qPrintable(names.join(QLatin1Char(' '))));
    QStringList sorted = names;
    sorted.sort();
    QCOMPARE(names, sorted);
    // The model folders come after the files: the Marian (opus-mt) sample.
    QCOMPARE(folders, QStringList{QStringLiteral("eng-fra-marian")});
    QVERIFY(ModelSession::sampleModels().back().isDir());
}

QTEST_GUILESS_MAIN(TestModelSession)

#include "tst_modelsession.moc"
