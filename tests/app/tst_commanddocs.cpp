// The man page and bash completion that attnviz-cli generates from its command specs (#21).
#include "command_docs.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace attnviz::cli;

namespace {

std::vector<CommandSpec> testCommands()
{
    return {
        {"info", "Show a model.", {{"model", "FILE", "Model file (.safetensors)", true}}, {}, {}},
        {"export",
         "Export something.",
         {{"out", "DIR", "Where to write", true},
          {"scale", "N", "Pixels per point", false},
          {"dry-run", "", "Only say what would be written", false}},
         {},
         {}},
        {"say", "Say a sentence.", {{"model", "FILE", "Model file", true}}, {}, "SENTENCE"},
    };
}

ProgramInfo testProgram()
{
    return {"tool-cli", "1.2.3", "2026-12-02", "does things",
            "First paragraph, with a back\\slash.\n.dot at a line start\n\nSecond paragraph.", "tool(1)"};
}

} // namespace

class TestCommandDocs : public QObject
{
    Q_OBJECT

private slots:
    void manPageHasEveryCommandAndOption();
    void manPageEscapesRoff();
    void manPageRendersWithoutWarnings();
    void completionCompletesByValueKind();
    void completionIsValidBash();
};

void TestCommandDocs::manPageHasEveryCommandAndOption()
{
    const QString page = QString::fromStdString(manPage(testProgram(), testCommands()));
    QVERIFY(page.startsWith(QStringLiteral(".TH TOOL\\-CLI 1 \"2026-12-02\" \"tool\\-cli 1.2.3\"")));
    for (const CommandSpec &command : testCommands()) {
        QVERIFY2(page.contains(QStringLiteral(".SS \"%1\"").arg(QString::fromStdString(command.name))),
                 command.name.c_str());
        for (const OptionSpec &option : command.options) {
            QString name = QString::fromStdString(option.name);
            name.replace(QLatin1Char('-'), QStringLiteral("\\-"));
            QVERIFY2(page.contains(QStringLiteral(".TP\n\\fB\\-\\-%1\\fR").arg(name)), option.name.c_str());
        }
    }
    QVERIFY(page.contains(QStringLiteral("[\\fB\\-\\-\\fR] \\fISENTENCE\\fR")));
    QVERIFY(page.contains(QStringLiteral(".SH SEE ALSO\ntool(1)")));
}

void TestCommandDocs::manPageEscapesRoff()
{
    const QString page = QString::fromStdString(manPage(testProgram(), testCommands()));
    QVERIFY(page.contains(QStringLiteral("back\\eslash")));
    QVERIFY(page.contains(QStringLiteral("\n\\&.dot at a line start")));
    QVERIFY(page.contains(QStringLiteral("Model file (.safetensors)")));
    QVERIFY(!page.contains(QStringLiteral("\n.dot")));
}

void TestCommandDocs::manPageRendersWithoutWarnings()
{
    const QString groff = QStandardPaths::findExecutable(QStringLiteral("groff"));
    if (groff.isEmpty())
        QSKIP("groff is not installed (scripts/setup.sh installs it)");
    QProcess process;
    process.start(groff, {QStringLiteral("-man"), QStringLiteral("-Tutf8"), QStringLiteral("-ww")});
    process.write(QByteArray::fromStdString(manPage(testProgram(), testCommands())));
    process.closeWriteChannel();
    QVERIFY(process.waitForFinished());
    QCOMPARE(process.exitCode(), 0);
    QCOMPARE(process.readAllStandardError(), QByteArray());
    const QString text = QString::fromUtf8(process.readAllStandardOutput()).remove(QRegularExpression(QStringLiteral(".\b")));
    QVERIFY2(text.contains(QStringLiteral("tool-cli - does things")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("--dry-run")));
}

void TestCommandDocs::completionCompletesByValueKind()
{
    const QString script = QString::fromStdString(bashCompletion("tool-cli", testCommands()));
    QVERIFY(script.contains(QStringLiteral("compgen -W 'info export say --help --version'")));
    QVERIFY(script.contains(QStringLiteral("--model) _filedir; return ;;")));
    QVERIFY(script.contains(QStringLiteral("--out) _filedir -d; return ;;")));
    QVERIFY(script.contains(QStringLiteral("--scale) return ;;")));
    QVERIFY(script.contains(QStringLiteral("compgen -W '--out --scale --dry-run --help'")));
    QVERIFY(script.contains(QStringLiteral("complete -F _tool_cli tool-cli")));
    // A sentence is not a file name.
    const qsizetype say = script.indexOf(QStringLiteral("    say)"));
    QVERIFY(say > 0);
    QVERIFY(!script.mid(say).contains(QStringLiteral("|| _filedir")));
}

void TestCommandDocs::completionIsValidBash()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("completion.bash"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray::fromStdString(bashCompletion("tool-cli", testCommands())));
    file.close();
    QProcess bash;
    bash.start(QStringLiteral("bash"), {QStringLiteral("-n"), path});
    QVERIFY(bash.waitForFinished());
    QCOMPARE(bash.readAllStandardError(), QByteArray());
    QCOMPARE(bash.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestCommandDocs)
#include "tst_commanddocs.moc"
