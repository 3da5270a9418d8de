#include "filedialogs.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QStringList>

namespace attnviz::filedialogs {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("FileDialogs", text);
}

} // namespace

QString openModel(QWidget *parent, const QString &start)
{
    return QFileDialog::getOpenFileName(parent, tr("Open model"), start,
                                        tr("Models and checkpoints (*.safetensors *.json *.pt *.pth *.tar *.ckpt *.bin);;Marian folders (config.json);;All files (*)"));
}

QString openModelFolder(QWidget *parent, const QString &start)
{
    return QFileDialog::getExistingDirectory(parent, tr("Open model folder (Marian / opus-mt, or Joey NMT)"), start);
}

QString saveModel(QWidget *parent, const QString &directory)
{
    QString path = QFileDialog::getSaveFileName(
        parent, tr("Save model as"), directory + QStringLiteral("/model.safetensors"),
        tr("attnviz models (*.safetensors);;JSON models (*.json)"));
    if (!path.isEmpty() && QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".safetensors");
    return path;
}

namespace {

// A figure's file: PNG at three resolutions, SVG, PDF, then `more` (types of numbers).
std::optional<ExportTarget> askFigureFile(QWidget *parent, const QString &title, const QString &startPath,
                                          const QStringList &more)
{
    const QStringList filters = QStringList{tr("PNG image, %1 dpi: print (*.png)").arg(defaultFigureDpi),
                                            tr("PNG image, 150 dpi: screen (*.png)"),
                                            tr("PNG image, 600 dpi (*.png)"),
                                            tr("SVG vector image (*.svg)"),
                                            tr("PDF document (*.pdf)")}
                                + more;
    QString filter = filters.front();
    ExportTarget target;
    target.path = QFileDialog::getSaveFileName(parent, title, startPath, filters.join(QStringLiteral(";;")), &filter);
    if (target.path.isEmpty())
        return std::nullopt;
    if (QFileInfo(target.path).suffix().isEmpty()) // the chosen filter gives the extension
        target.path += QLatin1Char('.') + filter.section(QStringLiteral("(*."), 1).chopped(1);
    target.pngDpi = filter == filters[1] ? 150 : filter == filters[2] ? 600 : defaultFigureDpi;
    return target;
}

} // namespace

std::optional<ExportTarget> exportAlignment(QWidget *parent, const QString &directory)
{
    return askFigureFile(parent, tr("Export alignment"), directory + QStringLiteral("/alignment.png"),
                         {tr("CSV: the matrix (*.csv)"), tr("JSON: everything attnviz-cli prints (*.json)")});
}

std::optional<ExportTarget> exportTrainingRun(QWidget *parent, const QString &directory)
{
    return askFigureFile(parent, tr("Export training run"), directory + QStringLiteral("/run.gif"),
                         {tr("Animated GIF, a frame per checkpoint (*.gif)"),
                          tr("Animated PNG, a frame per checkpoint (*.apng)"), tr("CSV: the curves (*.csv)"),
                          tr("JSON: everything attnviz-cli timeline prints (*.json)")});
}

std::optional<ExportTarget> exportAttribution(QWidget *parent, const QString &directory)
{
    return askFigureFile(parent, tr("Export attribution"), directory + QStringLiteral("/attribution.png"), {});
}

QString exportWalkthrough(QWidget *parent, const QString &directory)
{
    const QStringList filters = {tr("PDF, one page per stage and step (*.pdf)"),
                                 tr("Animated GIF (*.gif)"),
                                 tr("PNG images, one per page, in a folder of this name (*.png)")};
    QString filter = filters.front();
    QString path = QFileDialog::getSaveFileName(parent, tr("Export walkthrough"),
                                                directory + QStringLiteral("/walkthrough.pdf"),
                                                filters.join(QStringLiteral(";;")), &filter);
    if (path.isEmpty())
        return {};
    const QFileInfo info(path);
    if (filter == filters[2])
        return info.suffix().isEmpty() ? path : info.absolutePath() + QLatin1Char('/') + info.completeBaseName();
    if (info.suffix().isEmpty())
        path += filter == filters[1] ? QStringLiteral(".gif") : QStringLiteral(".pdf");
    return path;
}

std::optional<AlignmentSetFiles> openAlignmentSet(QWidget *parent, const QString &directory)
{
    AlignmentSetFiles files;
    files.sentences = QFileDialog::getOpenFileName(
        parent, tr("Open alignment set: 1/3, the sentences"), directory,
        tr("Sentences, one per line (*.src *.txt);;All files (*)"));
    if (files.sentences.isEmpty())
        return std::nullopt;
    const QString folder = QFileInfo(files.sentences).absolutePath();
    const QString base = folder + QLatin1Char('/') + QFileInfo(files.sentences).completeBaseName();
    // The next file's dialog starts on NAME.ext beside the sentences when there is one.
    const auto beside = [&base, &folder](const char *suffix) {
        const QString path = base + QLatin1String(suffix);
        return QFileInfo::exists(path) ? path : folder;
    };
    files.references = QFileDialog::getOpenFileName(
        parent, tr("Open alignment set: 2/3, the reference translations"), beside(".ref"),
        tr("References, one per line (*.ref *.txt);;All files (*)"));
    if (files.references.isEmpty())
        return std::nullopt;
    files.gold = QFileDialog::getOpenFileName(
        parent, tr("Open alignment set: 3/3, the gold links (Pharaoh)"), beside(".gold"),
        tr("Pharaoh alignments (*.gold *.align *.txt);;All files (*)"));
    if (files.gold.isEmpty())
        return std::nullopt;
    return files;
}

QString saveAlignments(QWidget *parent, const QString &directory, bool fromFiles)
{
    const QString title = fromFiles
        ? tr("Save alignments")
        : tr("Save alignments (also NAME.src and NAME.ref, the sentences and references)");
    return QFileDialog::getSaveFileName(
        parent, title, directory + QStringLiteral("/alignments.gold"),
        tr("Pharaoh alignments (*.gold *.align *.txt);;All files (*)"));
}

} // namespace attnviz::filedialogs
