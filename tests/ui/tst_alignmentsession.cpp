// AlignmentSession: gold links and alignment sets, opened, followed, toggled, saved and scored
// without a window.
#include "alignmentsession.h"

#include "datesoutput.h"
#include "resultselection.h"
#include "textfiles.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace attnviz;

namespace {

const QString datesTest = QStringLiteral(ATTNVIZ_SOURCE_DIR "/data/dates/dates-test");

GoldAlignment pharaoh(const QString &links)
{
    return parsePharaoh(links.toStdString() + "\n", "test").front();
}

QString write(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString path = dir.filePath(name);
    return writeTextFile(path, bytes) ? path : QString();
}

} // namespace

class TestAlignmentSession : public QObject
{
    Q_OBJECT

private slots:
    void score_data();
    void score();
    void annotationsFollowTheInput();
    void saveAnnotationsAsASet();
    void openAndStepThroughASet();
    void refusedSet_data();
    void refusedSet();
    void dropEverything();
    void setLinksBelongToTheirSentenceAndModel();
    void onlyRealChangesAreUnsaved();
    void oneSentenceWithoutAReferenceReopens();
};

void TestAlignmentSession::score_data()
{
    QTest::addColumn<QString>("gold");
    QTest::addColumn<double>("threshold");
    QTest::addColumn<QString>("expected");
    // The model's argmax links are 4-0 3-1 1-2, the true alignment.
    QTest::newRow("all right") << QStringLiteral(
        "4-0 3-1 1-2") << 0.0 << QStringLiteral("P 1.00  R 1.00  AER 0.00 (3 model links, 3 sure)");
    QTest::newRow("one possible") << QStringLiteral(
        "4-0 3-1 1?2") << 0.0 << QStringLiteral("P 1.00  R 1.00  AER 0.00 (3 model links, 2 sure)");
    QTest::newRow("one wrong") << QStringLiteral(
        "4-0 3-1 0-2") << 0.0 << QStringLiteral("P 0.67  R 0.67  AER 0.33 (3 model links, 3 sure)");
}

void TestAlignmentSession::score()
{
    QFETCH(QString, gold);
    QFETCH(double, threshold);
    QFETCH(QString, expected);
    ResultSelection selection;
    AlignmentSession session(&selection);
    QSignalSpy scores(&session, &AlignmentSession::scoreChanged);
    session.setThreshold(threshold);
    session.setGoldAlignment(pharaoh(gold));
    QCOMPARE(session.scoreText(), QString()); // no result yet
    selection.setOutput(test::datesOutput("the 3rd of may 1999"));
    QCOMPARE(session.scoreText(), expected);
    QVERIFY(scores.count() >= 2); // the links, then the result
    selection.clear();
    QCOMPARE(session.scoreText(), QString());
}

void TestAlignmentSession::annotationsFollowTheInput()
{
    ResultSelection selection;
    AlignmentSession session(&selection);
    const QString first = QStringLiteral("the 3rd of may 1999"),
                  second = QStringLiteral("the 21st of december 2031");
    session.followInput(first, QString());
    QVERIFY(!session.goldAlignment());
    session.toggle({3, 1});
    QVERIFY(session.isModified());
    QCOMPARE(session.goldAlignment()->sure, (std::set<Link> {{3, 1}}));
    QCOMPARE(session.statusText(), QStringLiteral("Annotated: 1 sentence(s), not saved"));

    QSignalSpy gold(&session, &AlignmentSession::goldChanged);
    session.followInput(second, QString());
    QCOMPARE(gold.count(), 1);
    QVERIFY(!session.goldAlignment());
    session.toggle({4, 0});
    session.followInput(first, QString());
    QCOMPARE(session.goldAlignment()->sure, (std::set<Link> {{3, 1}}));
    // The same sentence with another reference is another annotation.
    session.followInput(first, QStringLiteral("1999 05 03"));
    QVERIFY(!session.goldAlignment());
    session.followInput(first, QString());
    QCOMPARE(session.size(), 2);
    QCOMPARE(session.annotatedSentences(), 2);
    // Toggling a link twice leaves the sentence without links: still in the set, not counted.
    session.toggle({3, 1});
    QCOMPARE(session.annotatedSentences(), 1);
    QVERIFY(!session.hasNext()
            && !session.hasPrevious()); // only a set from files is stepped through
}

void TestAlignmentSession::saveAnnotationsAsASet()
{
    ResultSelection selection;
    AlignmentSession session(&selection);
    QString error;
    QTemporaryDir dir;
    QVERIFY(!session.save(dir.filePath(QStringLiteral("none.gold")), &error));
    QVERIFY2(error.contains(QStringLiteral("no gold links")), qPrintable(error));

    session.followInput(QStringLiteral("the 3rd of may 1999"), QString());
    session.toggle({4, 0});
    session.toggle({3, 1});
    session.followInput(QStringLiteral("the 21st of december 2031"), QString());
    session.toggle({4, 0});
    const QString path = dir.filePath(QStringLiteral("gold.txt"));
    QCOMPARE(session.files(path),
             (QStringList {dir.filePath(QStringLiteral("gold.src")),
                           dir.filePath(QStringLiteral("gold.ref")), path}));
    // Named after the sentences: the links go to NAME.gold.
    QCOMPARE(session.files(dir.filePath(QStringLiteral("gold.src"))).last(),
             dir.filePath(QStringLiteral("gold.gold")));
    QVERIFY2(session.save(path, &error), qPrintable(error));
    QCOMPARE(readFileBytes(path), QByteArray("3-1 4-0\n4-0\n"));
    QCOMPARE(readFileBytes(dir.filePath(QStringLiteral("gold.src"))),
             QByteArray("the 3rd of may 1999\nthe 21st of december 2031\n"));
    QCOMPARE(readFileBytes(dir.filePath(QStringLiteral("gold.ref"))), QByteArray("\n\n"));
    QVERIFY(!session.isModified());
    QCOMPARE(session.statusText(), QStringLiteral("Annotated: 2 sentence(s)"));

    // What was saved opens as a set.
    AlignmentSession reopened(&selection);
    QVERIFY2(reopened.open(dir.filePath(QStringLiteral("gold.src")),
                           dir.filePath(QStringLiteral("gold.ref")), path, &error),
             qPrintable(error));
    QCOMPARE(reopened.goldAlignment()->sure, (std::set<Link> {{4, 0}, {3, 1}}));
}

void TestAlignmentSession::openAndStepThroughASet()
{
    ResultSelection selection;
    AlignmentSession session(&selection);
    QSignalSpy chosen(&session, &AlignmentSession::sentenceChosen);
    QString error;
    QVERIFY2(session.open(datesTest + QStringLiteral(".src"), datesTest + QStringLiteral(".ref"),
                          datesTest + QStringLiteral(".gold"), &error),
             qPrintable(error));
    QVERIFY(session.isFromFiles());
    QVERIFY(session.size() >= 5);
    QCOMPARE(session.index(), 0);
    QCOMPARE(chosen.count(), 1);
    QCOMPARE(chosen.last().at(0).toString(), QStringLiteral("october 14th 2012"));
    QCOMPARE(chosen.last().at(1).toString(), QStringLiteral("2012 10 14"));
    QCOMPARE(session.goldAlignment()->sure, (std::set<Link> {{0, 1}, {1, 2}, {2, 0}}));
    QCOMPARE(session.statusText(), QStringLiteral("Sentence 1 of %1").arg(session.size()));
    QVERIFY(!session.hasPrevious() && session.hasNext());
    // Typing does not leave the set: it hides its links until the sentence is back.
    session.followInput(QStringLiteral("something else"), QString());
    QCOMPARE(session.index(), 0);
    QVERIFY(!session.goldAlignment());
    session.followInput(QStringLiteral("october 14th 2012"), QStringLiteral("2012 10 14"));
    QVERIFY(session.goldAlignment());

    session.showSentence(1);
    QCOMPARE(chosen.count(), 2);
    QCOMPARE(chosen.last().at(0).toString(), QStringLiteral("1974 november 27"));
    QCOMPARE(session.goldAlignment()->sure, (std::set<Link> {{0, 0}, {1, 1}, {2, 2}}));
    session.showSentence(session.size()); // past the end: stays
    session.showSentence(-1);
    QCOMPARE(session.index(), 1);
    QCOMPARE(chosen.count(), 2);
    QVERIFY(!session.isModified());
    // A set from files is saved back as one file of links.
    QCOMPARE(session.files(QStringLiteral("/tmp/x.gold")),
             QStringList {QStringLiteral("/tmp/x.gold")});
}

void TestAlignmentSession::refusedSet_data()
{
    QTest::addColumn<QByteArray>("sentences");
    QTest::addColumn<QByteArray>("references");
    QTest::addColumn<QByteArray>("gold");
    QTest::addColumn<QString>("message");
    QTest::newRow("fewer references")
        << QByteArray("a\nb\n") << QByteArray("x\n") << QByteArray("0-0\n0-0\n")
        << QStringLiteral("2 sentences, 1 references and 2 gold");
    QTest::newRow("more gold lines")
        << QByteArray("a\n") << QByteArray("x\n") << QByteArray("0-0\n1-1\n")
        << QStringLiteral("1 sentences, 1 references and 2 gold");
    QTest::newRow("pharaoh error") << QByteArray("a\nb\n") << QByteArray("x\ny\n")
                                   << QByteArray("0-0\n0:1\n") << QStringLiteral("gold.txt:2:");
    QTest::newRow("no sentences") << QByteArray() << QByteArray() << QByteArray()
                                  << QStringLiteral("has no sentences");
}

void TestAlignmentSession::refusedSet()
{
    QFETCH(QByteArray, sentences);
    QFETCH(QByteArray, references);
    QFETCH(QByteArray, gold);
    QFETCH(QString, message);
    QTemporaryDir dir;
    ResultSelection selection;
    AlignmentSession session(&selection);
    QSignalSpy chosen(&session, &AlignmentSession::sentenceChosen);
    QString error;
    QVERIFY(!session.open(write(dir, QStringLiteral("s.txt"), sentences),
                          write(dir, QStringLiteral("r.txt"), references),
                          write(dir, QStringLiteral("gold.txt"), gold), &error));
    QVERIFY2(error.contains(message), qPrintable(error));
    QCOMPARE(session.size(), 0);
    QVERIFY(!session.goldAlignment());
    QCOMPARE(chosen.count(), 0);
    QVERIFY(
        !session.open(dir.filePath(QStringLiteral("missing.src")), QString(), QString(), &error));
    QVERIFY2(error.contains(QStringLiteral("missing.src")), qPrintable(error));
}

void TestAlignmentSession::dropEverything()
{
    ResultSelection selection;
    AlignmentSession session(&selection);
    QString error;
    QVERIFY(session.open(datesTest + QStringLiteral(".src"), datesTest + QStringLiteral(".ref"),
                         datesTest + QStringLiteral(".gold"), &error));
    session.setGoldAlignment(std::nullopt);
    QCOMPARE(session.size(), 0);
    QVERIFY(!session.isFromFiles());
    QVERIFY(!session.isModified());
    QCOMPARE(session.statusText(), QString());
    // Links given for the input now typed start a new annotation.
    session.followInput(QStringLiteral("a b"), QStringLiteral("x y"));
    session.setGoldAlignment(pharaoh(QStringLiteral("0-0")));
    QCOMPARE(session.size(), 1);
    QVERIFY(session.isModified());
}

// Issue #22: after moving to sentence 23 of the dates set, another model and another sentence
// still showed sentence 23's links and scored against them.
void TestAlignmentSession::setLinksBelongToTheirSentenceAndModel()
{
    ResultSelection selection;
    AlignmentSession session(&selection);
    session.followModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors"));
    QString error;
    QVERIFY(session.open(datesTest + QStringLiteral(".src"), datesTest + QStringLiteral(".ref"),
                         datesTest + QStringLiteral(".gold"), &error));
    session.showSentence(2);
    const std::optional<GoldAlignment> third = session.goldAlignment();
    QVERIFY(third);
    QSignalSpy gold(&session, &AlignmentSession::goldChanged);
    QSignalSpy scores(&session, &AlignmentSession::scoreChanged);

    // Another model: hidden, with no score, and the status says why.
    session.followModel(QStringLiteral("legacy.json"));
    QVERIFY(!session.goldAlignment());
    QVERIFY(session.isHidden());
    QCOMPARE(gold.count(), 1);
    QCOMPARE(scores.count(), 1);
    selection.setOutput(test::datesOutput("the 3rd of may 1999"));
    QCOMPARE(session.scoreText(), QString());
    QVERIFY2(session.statusText().contains(QStringLiteral("another model")),
             qPrintable(session.statusText()));
    QVERIFY(!session.toggle({0, 0})); // a hidden set is not changed
    QVERIFY(!session.isModified());
    // Another sentence as well, then the first model again (by another spelling of its path):
    // still hidden.
    session.followInput(QStringLiteral("the 3rd of may 1999"), QString());
    session.followModel(QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/../sample_models/dates.safetensors"));
    QVERIFY(!session.goldAlignment());
    QVERIFY2(session.statusText().contains(QStringLiteral("another sentence")),
             qPrintable(session.statusText()));
    // Back to the set's sentence and reference: shown and scored again.
    const int before = gold.count();
    session.followInput(QStringLiteral("the 14 of december , 2023"), QStringLiteral("2023 12 14"));
    QVERIFY(session.goldAlignment());
    QCOMPARE(session.goldAlignment()->sure, third->sure);
    QVERIFY(!session.isHidden());
    QCOMPARE(gold.count(), before + 1);
    QVERIFY(!session.scoreText().isEmpty());
    // Stepping through the set under another model takes the set to that model.
    session.followModel(QStringLiteral("legacy.json"));
    QVERIFY(!session.goldAlignment());
    session.showSentence(3);
    QVERIFY(session.goldAlignment());
    // Closing the set drops it.
    session.close();
    QCOMPARE(session.size(), 0);
    QVERIFY(!session.goldAlignment());
}

// Issue #22: toggling one link on and off made Quit claim that every annotated sentence of
// the set was unsaved.
void TestAlignmentSession::onlyRealChangesAreUnsaved()
{
    ResultSelection selection;
    AlignmentSession session(&selection);
    QString error;
    QVERIFY(session.open(datesTest + QStringLiteral(".src"), datesTest + QStringLiteral(".ref"),
                         datesTest + QStringLiteral(".gold"), &error));
    QVERIFY(session.annotatedSentences() >= 5);
    QVERIFY(session.toggle({5, 5}));
    QVERIFY(session.isModified());
    QCOMPARE(session.changedSentences(), 1);
    QVERIFY(session.toggle({5, 5}));
    QVERIFY(!session.isModified());
    QCOMPARE(session.changedSentences(), 0);
    session.showSentence(1);
    QVERIFY(session.toggle({0, 0})); // a sure link removed
    session.showSentence(3);
    QVERIFY(session.toggle({4, 4}));
    QCOMPARE(session.changedSentences(), 2);
    QTemporaryDir dir;
    QVERIFY2(session.save(dir.filePath(QStringLiteral("x.gold")), &error), qPrintable(error));
    QCOMPARE(session.changedSentences(), 0);

    // Annotations: a sentence whose links were made and removed again is no change.
    AlignmentSession notes(&selection);
    notes.followInput(QStringLiteral("the 3rd of may 1999"), QString());
    notes.toggle({3, 1});
    notes.toggle({3, 1});
    QVERIFY(!notes.isModified());
    QCOMPARE(notes.statusText(), QStringLiteral("Annotated: 0 sentence(s)"));
    notes.toggle({4, 0});
    QVERIFY(notes.isModified());
    QVERIFY2(notes.save(dir.filePath(QStringLiteral("notes.gold")), &error), qPrintable(error));
    notes.followInput(QStringLiteral("the 21st of december 2031"), QString());
    notes.toggle({4, 0});
    QCOMPARE(notes.changedSentences(), 1);
    notes.toggle({4, 0});
    QVERIFY(!notes.isModified());
}

// Issue #22: one sentence without a reference saved a .ref of "\n" that did not open again.
void TestAlignmentSession::oneSentenceWithoutAReferenceReopens()
{
    ResultSelection selection;
    AlignmentSession session(&selection);
    session.followInput(QStringLiteral("the 3rd of may 1999"), QString());
    session.toggle({4, 0});
    QTemporaryDir dir;
    QString error;
    const QString gold = dir.filePath(QStringLiteral("one.gold"));
    QVERIFY2(session.save(gold, &error), qPrintable(error));
    QCOMPARE(readFileBytes(dir.filePath(QStringLiteral("one.ref"))), QByteArray("\n"));
    AlignmentSession reopened(&selection);
    QVERIFY2(reopened.open(dir.filePath(QStringLiteral("one.src")),
                           dir.filePath(QStringLiteral("one.ref")), gold, &error),
             qPrintable(error));
    QCOMPARE(reopened.size(), 1);
    QCOMPARE(reopened.goldAlignment()->sure, (std::set<Link> {{4, 0}}));
    // A sentence without links saves an empty line of links, which opens too.
    session.toggle({4, 0});
    QVERIFY2(session.save(gold, &error), qPrintable(error));
    QVERIFY2(reopened.open(dir.filePath(QStringLiteral("one.src")),
                           dir.filePath(QStringLiteral("one.ref")), gold, &error),
             qPrintable(error));
    QVERIFY(reopened.goldAlignment()->sure.empty());
}

QTEST_GUILESS_MAIN(TestAlignmentSession)

#include "tst_alignmentsession.moc"
