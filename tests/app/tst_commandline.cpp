#include "command_line.h"

#include <QTest>

using namespace attnviz::cli;

namespace {

std::vector<CommandSpec> testCommands()
{
    return {
        {"info", "Show a model.", {{"model", "FILE", "Model file", true}}, {}, {}},
        {"export",
         "Export something.",
         {{"model", "FILE", "Model file", true}, {"verbose", "", "More output", false}},
         {},
         {}},
        {"say", "Say a sentence.", {{"model", "FILE", "Model file", true}}, {}, "SENTENCE"},
        {"pair", "Two models.", {{"model", "FILE", "Model file", true, true}}, {}, {}},
    };
}

std::vector<std::string> toArgs(const QStringList &list)
{
    std::vector<std::string> args;
    for (const QString &arg : list)
        args.push_back(arg.toStdString());
    return args;
}

} // namespace

class TestCommandLine : public QObject
{
    Q_OBJECT

private slots:
    void valid_data();
    void valid();
    void usageErrors_data();
    void usageErrors();
    void usageText();
    void positionals_data();
    void positionals();
    void repeatableOption();
};

void TestCommandLine::repeatableOption()
{
    const auto commands = testCommands();
    const ParsedCommand parsed = parseCommandLine(
        toArgs({QStringLiteral("pair"), QStringLiteral("--model"), QStringLiteral("a"), QStringLiteral("--model=b")}),
        commands);
    QCOMPARE(parsed.valuesOf("model"), (std::vector<std::string>{"a", "b"}));
    QCOMPARE(parsed.value("model"), std::string("a"));
    // Given once, or an option that is not repeatable: one value.
    const ParsedCommand once = parseCommandLine(toArgs({QStringLiteral("info"), QStringLiteral("--model"), QStringLiteral("m")}), commands);
    QCOMPARE(once.valuesOf("model"), (std::vector<std::string>{"m"}));
    QVERIFY(once.valuesOf("verbose").empty());
}

void TestCommandLine::positionals_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("expected");
    const QString t = QStringLiteral("say"), m = QStringLiteral("--model"), f = QStringLiteral("m.json");
    QTest::newRow("after options") << QStringList{t, m, f, QStringLiteral("I am cold.")}
                                   << QStringList{QStringLiteral("I am cold.")};
    QTest::newRow("before options") << QStringList{t, QStringLiteral("hi"), m, f} << QStringList{QStringLiteral("hi")};
    QTest::newRow("after --, even an option name")
        << QStringList{t, m, f, QStringLiteral("--"), QStringLiteral("--help")} << QStringList{QStringLiteral("--help")};
    QTest::newRow("several") << QStringList{t, m, f, QStringLiteral("a"), QStringLiteral("b")}
                             << QStringList{QStringLiteral("a"), QStringLiteral("b")};
}

void TestCommandLine::positionals()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, expected);
    const auto parsed = attnviz::cli::parseCommandLine(toArgs(args), testCommands());
    QStringList actual;
    for (const std::string &p : parsed.positionals)
        actual << QString::fromStdString(p);
    QCOMPARE(actual, expected);
    QVERIFY(!parsed.helpRequested);
    // A command without positionalName still refuses plain arguments.
    QVERIFY_THROWS_EXCEPTION(attnviz::cli::UsageError,
                             attnviz::cli::parseCommandLine(toArgs({QStringLiteral("info"), QStringLiteral("x")}), testCommands()));
}

void TestCommandLine::valid_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("command"); // empty: none
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("verbose");
    QTest::addColumn<bool>("help");

    const QString info = QStringLiteral("info"), exportName = QStringLiteral("export");
    const QString file = QStringLiteral("m.json");
    QTest::newRow("separate value")
        << QStringList {info, QStringLiteral("--model"), file} << info << file << false << false;
    QTest::newRow("value after =")
        << QStringList {info, QStringLiteral("--model=m.json")} << info << file << false << false;
    QTest::newRow("empty value after =")
        << QStringList {info, QStringLiteral("--model=")} << info << QString() << false << false;
    QTest::newRow("flag") << QStringList {exportName, QStringLiteral("--verbose"),
                                          QStringLiteral("--model"), file}
                          << exportName << file << true << false;
    QTest::newRow("global help") << QStringList {QStringLiteral("--help")} << QString() << QString()
                                 << false << true;
    QTest::newRow("command help skips required options")
        << QStringList {info, QStringLiteral("-h")} << info << QString() << false << true;
}

void TestCommandLine::valid()
{
    QFETCH(QStringList, args);
    QFETCH(QString, command);
    QFETCH(QString, model);
    QFETCH(bool, verbose);
    QFETCH(bool, help);
    const std::vector<CommandSpec> commands = testCommands();
    const ParsedCommand parsed = parseCommandLine(toArgs(args), commands);
    QCOMPARE(parsed.command ? QString::fromStdString(parsed.command->name) : QString(), command);
    QCOMPARE(QString::fromStdString(parsed.value("model")), model);
    QCOMPARE(parsed.has("verbose"), verbose);
    QCOMPARE(parsed.helpRequested, help);
}

void TestCommandLine::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::addColumn<bool>("aboutCommand");

    const QString info = QStringLiteral("info"), model = QStringLiteral("--model");
    QTest::newRow("nothing") << QStringList {} << QStringLiteral("missing command") << false;
    QTest::newRow("unknown command") << QStringList {QStringLiteral("translate")}
                                     << QStringLiteral("unknown command 'translate'") << false;
    QTest::newRow("option before command") << QStringList {model, QStringLiteral("x")}
                                           << QStringLiteral("unknown command '--model'") << false;
    QTest::newRow("missing required option")
        << QStringList {info} << QStringLiteral("missing required option '--model'") << true;
    QTest::newRow("missing value")
        << QStringList {info, model} << QStringLiteral("option '--model' needs a value (FILE)")
        << true;
    QTest::newRow("unknown option")
        << QStringList {info, model, QStringLiteral("x"), QStringLiteral("--bogus")}
        << QStringLiteral("unknown option '--bogus' for 'info'") << true;
    QTest::newRow("option of another command")
        << QStringList {info, QStringLiteral("--verbose")}
        << QStringLiteral("unknown option '--verbose' for 'info'") << true;
    QTest::newRow("repeated option")
        << QStringList {info, model, QStringLiteral("a"), model, QStringLiteral("b")}
        << QStringLiteral("option '--model' given more than once") << true;
    QTest::newRow("positional argument") << QStringList {info, QStringLiteral("m.json")}
                                         << QStringLiteral("unexpected argument 'm.json'") << true;
    QTest::newRow("flag with value")
        << QStringList {QStringLiteral("export"), QStringLiteral("--verbose=yes")}
        << QStringLiteral("option '--verbose' does not take a value") << true;
}

void TestCommandLine::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QFETCH(bool, aboutCommand);
    const std::vector<CommandSpec> commands = testCommands();
    try {
        parseCommandLine(toArgs(args), commands);
        QFAIL("no usage error");
    } catch (const UsageError &error) {
        QCOMPARE(QString::fromStdString(error.what()), message);
        QCOMPARE(error.command() != nullptr, aboutCommand);
    }
}

void TestCommandLine::usageText()
{
    const std::vector<CommandSpec> commands = testCommands();
    const QString global = QString::fromStdString(attnviz::cli::usageText("prog", commands));
    QVERIFY(global.startsWith(QStringLiteral("Usage: prog COMMAND [OPTIONS]")));
    // Two spaces past the longest name ("export"), whatever its length.
    QVERIFY2(global.contains(QStringLiteral("  info    Show a model.\n  export  Export something.\n")), qPrintable(global));
    const QString command = QString::fromStdString(commandUsageText("prog", commands[1]));
    QVERIFY2(command.startsWith(QStringLiteral("Usage: prog export --model FILE [--verbose]\n")),
             qPrintable(command));
    QVERIFY2(command.contains(QStringLiteral("  --model FILE  Model file\n  --verbose     More output\n"
                                             "  --help        Show this help\n")),
             qPrintable(command));
    // An option longer than any fixed column (issue 22: import's --combine-activation KIND).
    CommandSpec longOption = commands[0];
    longOption.options.push_back({"a-very-long-option-name", "VALUE", "Long", false});
    const QString aligned = QString::fromStdString(commandUsageText("prog", longOption));
    QVERIFY2(aligned.contains(QStringLiteral("  --model FILE                     Model file\n"
                                             "  --a-very-long-option-name VALUE  Long\n")),
             qPrintable(aligned));
}

QTEST_APPLESS_MAIN(TestCommandLine)

#include "tst_commandline.moc"
