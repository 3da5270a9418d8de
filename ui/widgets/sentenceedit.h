// The one-line sentence box: a QPlainTextEdit so that unknown words can carry a red wavy
// underline and the characters the model's normalization drops a faint strikethrough, which
// QLineEdit cannot draw.
#pragma once

#include <attnviz/io/model_file.h>

#include <QList>
#include <QPlainTextEdit>
#include <QStringList>

class QSyntaxHighlighter;

#include <utility>

namespace attnviz {

// Ranges (start, length) of text whose normalized words include one of unknownWords. With the
// tutorial normalization a word is a run of letters and digits; with none, a run of non-spaces.
QList<std::pair<int, int>> unknownWordRanges(const QString &text, const QStringList &unknownWords,
                                             Normalization normalization);

class SentenceEdit : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit SentenceEdit(QWidget *parent = nullptr);

    QString text() const { return toPlainText(); }
    void setText(const QString &text);
    void setUnknownWords(const QStringList &words, Normalization normalization);
    QList<std::pair<int, int>> underlinedRanges() const { return m_ranges; }
    // What the normalization drops (droppedCharacterRanges): struck through, faint.
    QList<std::pair<int, int>> struckRanges() const { return m_dropped; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void textEdited(const QString &text);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void insertFromMimeData(const QMimeData *source) override;

private:
    void applyHighlight();

    QStringList m_unknownWords;
    Normalization m_normalization = Normalization::Tutorial;
    QList<std::pair<int, int>> m_ranges, m_dropped;
    QString m_lastText;
    QSyntaxHighlighter *m_highlighter;
};

} // namespace attnviz
