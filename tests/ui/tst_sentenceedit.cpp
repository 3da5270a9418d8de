#include "sentenceedit.h"

#include <QSignalSpy>
#include <QTest>

using attnviz::Normalization;
using attnviz::SentenceEdit;
using Ranges = QList<std::pair<int, int>>;

class TestSentenceEdit : public QObject
{
    Q_OBJECT

private slots:
    void unknownWordRanges_data();
    void unknownWordRanges();
    void oneLine();
};

void TestSentenceEdit::unknownWordRanges_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("unknown");
    QTest::addColumn<Normalization>("normalization");
    QTest::addColumn<Ranges>("expected");
    QTest::newRow("none unknown") << QStringLiteral("i am cold") << QStringList()
                                  << Normalization::Tutorial << Ranges();
    QTest::newRow("tutorial: case and accents fold")
        << QStringLiteral("Zébra am ZEBRA") << QStringList {QStringLiteral("zebra")}
        << Normalization::Tutorial << Ranges {{0, 5}, {9, 5}};
    QTest::newRow("tutorial: punctuation is not part of the word")
        << QStringLiteral("I love zebras.") << QStringList {QStringLiteral("zebras")}
        << Normalization::Tutorial << Ranges {{7, 6}};
    QTest::newRow("tutorial: apostrophe splits") << QStringLiteral("j'ai froid")
        << QStringList {QStringLiteral("j")} << Normalization::Tutorial << Ranges {{0, 1}};
    QTest::newRow("none: words are runs of non-spaces")
        << QStringLiteral("december 25 , 2001") << QStringList {QStringLiteral(",")}
        << Normalization::None << Ranges {{12, 1}};
    QTest::newRow("none: case matters") << QStringLiteral("May may")
        << QStringList {QStringLiteral("May")} << Normalization::None << Ranges {{0, 3}};
}

void TestSentenceEdit::unknownWordRanges()
{
    QFETCH(QString, text);
    QFETCH(QStringList, unknown);
    QFETCH(Normalization, normalization);
    QFETCH(Ranges, expected);
    QCOMPARE(attnviz::unknownWordRanges(text, unknown, normalization), expected);

    SentenceEdit edit;
    edit.setText(text);
    edit.setUnknownWords(unknown, normalization);
    QCOMPARE(edit.underlinedRanges(), expected);
}

void TestSentenceEdit::oneLine()
{
    SentenceEdit edit;
    QSignalSpy edited(&edit, &SentenceEdit::textEdited);
    QTest::keyClicks(&edit, QStringLiteral("i am"));
    QTest::keyClick(&edit, Qt::Key_Return);
    QTest::keyClicks(&edit, QStringLiteral(" cold"));
    QCOMPARE(edit.text(), QStringLiteral("i am cold"));
    QCOMPARE(edited.count(), 9);
    QCOMPARE(edited.last().first().toString(), QStringLiteral("i am cold"));
    // Highlighting does not count as an edit.
    edit.setUnknownWords({QStringLiteral("cold")}, Normalization::Tutorial);
    QCOMPARE(edited.count(), 9);
    QCOMPARE(edit.underlinedRanges(), (Ranges {{5, 4}}));
}

QTEST_MAIN(TestSentenceEdit)

#include "tst_sentenceedit.moc"
