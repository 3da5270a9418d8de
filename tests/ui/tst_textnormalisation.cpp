// What the normalization drops from the sentence typed, and the words it reads (issue #22: the
// comma in "I'm John, aren't I?" and "1999" vanished without a word).
#include "textnormalisation.h"

#include <QTest>

using namespace attnviz;

using Ranges = QList<std::pair<int, int>>;
Q_DECLARE_METATYPE(Ranges)

class TestTextNormalisation : public QObject
{
    Q_OBJECT

private slots:
    void dropped_data();
    void dropped();
    void text_data();
    void text();
};

void TestTextNormalisation::dropped_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("normalization");
    QTest::addColumn<Ranges>("expected");
    const int tutorial = int(Normalization::Tutorial), none = int(Normalization::None);
    QTest::newRow("apostrophes and a comma")
        << QStringLiteral("I'm John, aren't I?") << tutorial << Ranges {{1, 1}, {8, 1}, {14, 1}};
    QTest::newRow("digits, in a run") << QStringLiteral("the 3rd of may 1999") << tutorial
                                      << Ranges {{4, 1}, {15, 4}};
    QTest::newRow("accents are folded, not dropped") << QStringLiteral("Il a été là!") << tutorial
                                                      << Ranges {};
    QTest::newRow("outside the BMP") << QStringLiteral("a \U0001F600 b") << tutorial
                                     << Ranges {{2, 2}};
    QTest::newRow("none drops nothing") << QStringLiteral("I'm 1999,") << none << Ranges {};
}

void TestTextNormalisation::dropped()
{
    QFETCH(QString, text);
    QFETCH(int, normalization);
    QFETCH(Ranges, expected);
    QCOMPARE(droppedCharacterRanges(text, Normalization(normalization)), expected);
}

void TestTextNormalisation::text_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("normalization");
    QTest::addColumn<QString>("expected");
    const int tutorial = int(Normalization::Tutorial), none = int(Normalization::None);
    QTest::newRow("changed") << QStringLiteral("I'm John, aren't I?") << tutorial
                             << QStringLiteral("Normalised: i m john aren t i ?");
    QTest::newRow("a year dropped") << QStringLiteral("born in 1999") << tutorial
                                    << QStringLiteral("Normalised: born in");
    QTest::newRow("case and spaces only") << QStringLiteral("  I am  Cold.") << tutorial
                                          << QString();
    QTest::newRow("accents folded") << QStringLiteral("Il a été là!") << tutorial
                                    << QStringLiteral("Normalised: il a ete la !");
    QTest::newRow("all dropped") << QStringLiteral("1999") << tutorial
                                 << QStringLiteral("Normalised: (nothing left)");
    QTest::newRow("none") << QStringLiteral("I'm 1999,") << none << QString();
}

void TestTextNormalisation::text()
{
    QFETCH(QString, text);
    QFETCH(int, normalization);
    QFETCH(QString, expected);
    QCOMPARE(normalisationText(text, Normalization(normalization)), expected);
}

QTEST_GUILESS_MAIN(TestTextNormalisation)

#include "tst_textnormalisation.moc"
