// What a model's text normalization does to the sentence typed: the characters it drops
// (tutorial: digits, punctuation but . ! ?, symbols) and the words it reads, so the window can
// show them instead of dropping text silently (issue #22).
#pragma once

#include <attnviz/io/model_config.h>

#include <QList>
#include <QString>

#include <utility>

namespace attnviz {

// (start, length) ranges of `text` (QString positions) whose characters the normalization drops;
// spaces are not counted. Normalization::None drops nothing.
QList<std::pair<int, int>> droppedCharacterRanges(const QString &text,
                                                  Normalization normalization);

// "Normalised: i m john aren t i ?" when the words read differ from the text typed other than
// by case and spacing ("I am cold." is read "i am cold .": no line); else empty.
QString normalisationText(const QString &text, Normalization normalization);

} // namespace attnviz
