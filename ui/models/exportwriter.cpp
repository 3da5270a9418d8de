#include "exportwriter.h"

#include "alignmentmodel.h"
#include "translationcontroller.h"

#include <attnviz/analysis/alignment.h>
#include <attnviz/analysis/result_json.h>

#include <QCoreApplication>
#include <QFileInfo>
#include <QSaveFile>

namespace attnviz {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ExportWriter", text);
}

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

} // namespace

bool writeFileAtomically(const QString &path, const QByteArray &bytes, QString *error)
{
    QSaveFile file(path);
    // flush() before commit(): Qt 6.4's commit() ignores a failed flush of the write buffer (a
    // full disk) and renames the truncated file into place.
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.flush()
        || !file.commit())
        return fail(error, tr("Could not write “%1”: %2").arg(path, file.errorString()));
    return true;
}

std::optional<QByteArray> alignmentExportBytes(const QString &suffix, const AlignmentExport &what,
                                               QString *error)
{
    const QString name = suffix.toLower();
    const TranslationResult &result = *what.output.result;
    if (const auto format = figureFormatFromName(name))
        return renderFigure(what.alignment, *format, what.figure);
    if (name == QLatin1String("csv")) {
        CsvValues values;
        // In words there are no raw scores and no temperature (AlignmentModel::hasEnergies).
        values.energies = what.alignment.showsEnergies();
        values.temperature = what.alignment.hasEnergies() ? what.alignment.temperature() : 1.0;
        return QByteArray::fromStdString(alignmentToCsv(result, what.hypothesis, values));
    }
    if (name == QLatin1String("json")) {
        DecodeOptions options;
        if (result.forced)
            options.target = what.target;
        nlohmann::json j = resultToJson(*what.output.model, what.output.sentence.toStdString(),
                                        result, options, what.hypothesis);
        const TranslationResult *pieces = what.alignment.pieceResult();
        addUnitsToJson(j, pieces ? *pieces : result, pieces ? what.alignment.wordMerge() : nullptr,
                       size_t(what.hypothesis));
        return QByteArray::fromStdString(j.dump(1) + "\n");
    }
    fail(error, tr("the file name must end in .png, .svg, .pdf, .csv or .json."));
    return std::nullopt;
}

bool exportAlignment(const QString &path, const AlignmentExport &what, QString *error)
{
    if (!what.output.result || what.output.result->hypotheses.empty())
        return fail(error, tr("There is no alignment to export yet: type a sentence first."));
    QString why;
    const std::optional<QByteArray> bytes =
        alignmentExportBytes(QFileInfo(path).suffix(), what, &why);
    if (!bytes)
        return fail(error, QStringLiteral("“%1”: %2").arg(path, why));
    return writeFileAtomically(path, *bytes, error);
}

} // namespace attnviz
