#include "textnormalisation.h"

#include <attnviz/io/text.h>

#include <QCoreApplication>
#include <QStringList>

namespace attnviz {

QList<std::pair<int, int>> droppedCharacterRanges(const QString &text,
                                                  Normalization normalization)
{
    QList<std::pair<int, int>> ranges;
    if (normalization == Normalization::None)
        return ranges;
    for (int i = 0; i < text.size();) {
        // One code point (a surrogate pair is two QChars); the normalization folds each alone.
        const int length = text[i].isHighSurrogate() && i + 1 < text.size() ? 2 : 1;
        const QString character = text.mid(i, length);
        if (!character.trimmed().isEmpty()
            && normalizeText(character.toStdString(), normalization).empty()) {
            if (!ranges.isEmpty() && ranges.last().first + ranges.last().second == i)
                ranges.last().second += length;
            else
                ranges.append({i, length});
        }
        i += length;
    }
    return ranges;
}

QString normalisationText(const QString &text, Normalization normalization)
{
    if (normalization == Normalization::None) // words are what the spaces separate
        return {};
    const QString read = QString::fromStdString(normalizeText(text.toStdString(), normalization));
    // Spacing is no change worth a line ("cold." is read "cold ."), nor is case.
    const auto letters = [](QString s) {
        s.remove(QLatin1Char(' ')).remove(QLatin1Char('\t'));
        return s;
    };
    if (letters(read).compare(letters(text), Qt::CaseInsensitive) == 0)
        return {};
    return QCoreApplication::translate("TextNormalisation", "Normalised: %1")
        .arg(read.isEmpty() ? QCoreApplication::translate("TextNormalisation", "(nothing left)")
                            : read);
}

} // namespace attnviz
