// The file questions the window asks, with their titles, filters and starting places. Each
// returns what was chosen, or nothing when the person cancels; MainWindow decides when to ask
// and what to do with the answer.
#pragma once

#include "figureexport.h"

#include <QString>

#include <optional>

class QWidget;

namespace attnviz::filedialogs {

// `start`, `directory`: the folder the question starts in (Settings::startDirectory).
QString openModel(QWidget *parent, const QString &start);
// A model that is a folder: a Hugging Face Marian (opus-mt) folder or a Joey NMT model directory.
QString openModelFolder(QWidget *parent, const QString &start);
// ".safetensors" is added to a name without a suffix.
QString saveModel(QWidget *parent, const QString &directory);

struct ExportTarget
{
    QString path; // with the suffix of the chosen type when the name had none
    int pngDpi = defaultFigureDpi;
};
std::optional<ExportTarget> exportAlignment(QWidget *parent, const QString &directory);
// The run view's export: the strip (PNG, SVG, PDF), the animation (GIF, APNG), the numbers.
std::optional<ExportTarget> exportTrainingRun(QWidget *parent, const QString &directory);
// File → Export attribution: the figure only (PNG at three resolutions, SVG, PDF).
std::optional<ExportTarget> exportAttribution(QWidget *parent, const QString &directory);

// File → Export walkthrough: a .pdf or .gif file, or (the PNG choice) a folder of PNG files,
// named after the name typed without its suffix.
QString exportWalkthrough(QWidget *parent, const QString &directory);

struct AlignmentSetFiles
{
    QString sentences, references, gold;
};
// Three questions; the second and third start on NAME.ref and NAME.gold beside the sentences.
std::optional<AlignmentSetFiles> openAlignmentSet(QWidget *parent, const QString &directory);
// fromFiles: the links alone; else the sentences and references are written beside them.
QString saveAlignments(QWidget *parent, const QString &directory, bool fromFiles);

} // namespace attnviz::filedialogs
