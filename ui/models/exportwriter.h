// Everything the window and the tests write to a file goes through writeFileAtomically(); what
// File → Export alignment writes is chosen by the file name's suffix in exportAlignment().
#pragma once

#include "figureexport.h"

#include <QByteArray>
#include <QString>

#include <optional>
#include <string>

namespace attnviz {

class AlignmentModel;
struct TranslationOutput;

// A temporary file renamed into place (QSaveFile): on failure *error says why, and the previous
// file is left as it was, with no temporary file beside it.
bool writeFileAtomically(const QString &path, const QByteArray &bytes, QString *error);

// What an export shows: the alignment as the views draw it (mode, temperature, gold links), the
// output and hypothesis it comes from, the figure's title and scale, and for JSON the forced
// reference, if any.
struct AlignmentExport
{
    const AlignmentModel &alignment;
    const TranslationOutput &output;
    int hypothesis = 0;
    FigureOptions figure;
    std::optional<std::string> target;
};

// The bytes of .png, .svg, .pdf (the figure), .csv (the numbers the heatmap shows: alpha, raw
// scores, or alpha at the temperature) or .json (what attnviz-cli translate --json prints), by
// suffix, any case; nullopt with *error for any other suffix.
std::optional<QByteArray> alignmentExportBytes(const QString &suffix, const AlignmentExport &what,
                                               QString *error);

// The bytes for path's suffix, written atomically; false with *error when there is no result,
// the suffix is unknown or the write fails.
bool exportAlignment(const QString &path, const AlignmentExport &what, QString *error);

} // namespace attnviz
