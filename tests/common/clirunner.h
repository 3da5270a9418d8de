// Runs the real attnviz-cli (path from the ATTNVIZ_CLI_PATH compile definition) for e2e tests.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

struct RunResult
{
    int exitCode = -1; // -1: did not finish normally within the time limit
    QString out, err;
};

inline RunResult runCli(const QStringList &args, int timeoutMs = 60000)
{
    QProcess process;
    process.start(QStringLiteral(ATTNVIZ_CLI_PATH), args);
    RunResult result;
    if (!process.waitForFinished(timeoutMs) || process.exitStatus() != QProcess::NormalExit)
        return result;
    result.exitCode = process.exitCode();
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}
