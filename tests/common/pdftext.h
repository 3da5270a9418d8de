// A PDF's text as pdftotext (poppler-utils, scripts/setup.sh) reads it back; empty without the tool.
#pragma once

#include <QProcess>
#include <QStandardPaths>
#include <QString>

inline QString pdfText(const QString &path)
{
    const QString tool = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
    if (tool.isEmpty())
        return {};
    QProcess process;
    process.start(tool, {QStringLiteral("-enc"), QStringLiteral("UTF-8"), path, QStringLiteral("-")});
    process.waitForFinished(30000);
    return QString::fromUtf8(process.readAllStandardOutput());
}
