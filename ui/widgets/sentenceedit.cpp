#include "sentenceedit.h"

#include "textnormalisation.h"

#include <attnviz/io/text.h>

#include <QKeyEvent>
#include <QMimeData>
#include <QRegularExpression>
#include <QSet>
#include <QTextBlock>
#include <QSyntaxHighlighter>

namespace attnviz {

QList<std::pair<int, int>> unknownWordRanges(const QString &text, const QStringList &unknownWords,
                                             Normalization normalization)
{
    QList<std::pair<int, int>> ranges;
    if (unknownWords.isEmpty())
        return ranges;
    const QSet<QString> unknown(unknownWords.begin(), unknownWords.end());
    static const QRegularExpression tutorialWord(QStringLiteral("[\\w]+"),
                                                 QRegularExpression::UseUnicodePropertiesOption);
    static const QRegularExpression anyWord(QStringLiteral("\\S+"));
    auto matches = (normalization == Normalization::Tutorial ? tutorialWord : anyWord).globalMatch(text);
    while (matches.hasNext()) {
        const QRegularExpressionMatch match = matches.next();
        const std::string word = match.captured().toStdString();
        for (const std::string &token : tokenize(word, normalization)) {
            if (unknown.contains(QString::fromStdString(token))) {
                ranges.append({int(match.capturedStart()), int(match.capturedLength())});
                break;
            }
        }
    }
    return ranges;
}

class UnknownWordHighlighter : public QSyntaxHighlighter
{
public:
    UnknownWordHighlighter(SentenceEdit *edit)
        : QSyntaxHighlighter(edit->document())
        , m_edit(edit)
    {
        m_format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
        m_format.setUnderlineColor(QColor(0xd0, 0x20, 0x20));
        m_format.setBackground(QColor(0xff, 0x30, 0x30, 48));
        m_dropped.setFontStrikeOut(true);
        QColor faint = edit->palette().color(QPalette::Text);
        faint.setAlphaF(0.45);
        m_dropped.setForeground(faint);
    }

protected:
    void highlightBlock(const QString &) override
    {
        const int offset = currentBlock().position();
        for (const auto &[start, length] : m_edit->struckRanges())
            setFormat(start - offset, length, m_dropped);
        for (const auto &[start, length] : m_edit->underlinedRanges())
            setFormat(start - offset, length, m_format);
    }

private:
    SentenceEdit *m_edit;
    QTextCharFormat m_format, m_dropped;
};

SentenceEdit::SentenceEdit(QWidget *parent)
    : QPlainTextEdit(parent)
    , m_highlighter(new UnknownWordHighlighter(this))
{
    setTabChangesFocus(true);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    connect(this, &QPlainTextEdit::textChanged, this, [this]() {
        // Rehighlighting also reports a change; only real edits go out.
        const QString current = text();
        if (current == m_lastText)
            return;
        m_lastText = current;
        applyHighlight();
        emit textEdited(current);
    });
}

void SentenceEdit::setText(const QString &text)
{
    if (text != toPlainText())
        setPlainText(text);
}

QSize SentenceEdit::sizeHint() const
{
    // Two lines: a long sentence wraps instead of scrolling out of sight.
    const int margins = int(document()->documentMargin() * 2) + frameWidth() * 2;
    return {400, fontMetrics().lineSpacing() * 2 + margins + 2};
}

QSize SentenceEdit::minimumSizeHint() const
{
    return {100, sizeHint().height()};
}

void SentenceEdit::setUnknownWords(const QStringList &words, Normalization normalization)
{
    m_unknownWords = words;
    m_normalization = normalization;
    applyHighlight();
}

void SentenceEdit::applyHighlight()
{
    m_ranges = unknownWordRanges(toPlainText(), m_unknownWords, m_normalization);
    m_dropped = droppedCharacterRanges(toPlainText(), m_normalization);
    const QString normalised = normalisationText(toPlainText(), m_normalization);
    setToolTip(normalised.isEmpty()
                   ? QString()
                   : normalised + QLatin1Char('\n')
                       + tr("Struck through: what this model's normalization drops"));
    m_highlighter->rehighlight();
}

void SentenceEdit::keyPressEvent(QKeyEvent *event)
{
    // A sentence is one line: Enter does nothing here (the translation is already live).
    if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
        event->ignore();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

void SentenceEdit::insertFromMimeData(const QMimeData *source)
{
    if (!source->hasText())
        return;
    QString text = source->text();
    text.replace(QLatin1Char('\n'), QLatin1Char(' ')).remove(QLatin1Char('\r'));
    insertPlainText(text);
}

} // namespace attnviz
