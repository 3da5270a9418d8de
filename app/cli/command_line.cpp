#include "command_line.h"

#include <algorithm>

namespace attnviz::cli {

namespace {

bool isHelp(const std::string &arg)
{
    return arg == "--help" || arg == "-h";
}

std::string optionSynopsis(const OptionSpec &option)
{
    return "--" + option.name + (option.valueName.empty() ? "" : " " + option.valueName);
}

// Rows of "  name  description", the descriptions in one column two spaces past the longest name.
std::string helpRows(const std::vector<std::pair<std::string, std::string>> &rows)
{
    size_t column = 0;
    for (const auto &row : rows)
        column = std::max(column, row.first.size());
    std::string text;
    for (const auto &[name, description] : rows)
        text += "  " + name + std::string(column - name.size() + 2, ' ') + description + "\n";
    return text;
}

} // namespace

std::string ParsedCommand::value(const std::string &option) const
{
    const auto it = values.find(option);
    return it == values.end() ? std::string() : it->second;
}

std::vector<std::string> ParsedCommand::valuesOf(const std::string &option) const
{
    const auto it = repeated.find(option);
    if (it != repeated.end())
        return it->second;
    return has(option) ? std::vector<std::string>{value(option)} : std::vector<std::string>{};
}

int ParsedCommand::intValue(const std::string &option, int fallback, int low, int high) const
{
    if (!has(option))
        return fallback;
    const std::string text = value(option);
    size_t used = 0;
    long long number = 0;
    try {
        number = std::stoll(text, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (text.empty() || used != text.size() || number < low || number > high) {
        const std::string range = high == INT_MAX ? "of at least " + std::to_string(low)
                                                  : "from " + std::to_string(low) + " to " + std::to_string(high);
        throw UsageError("--" + option + " needs a whole number " + range + ", not '" + text + "'", command);
    }
    return static_cast<int>(number);
}

ParsedCommand parseCommandLine(const std::vector<std::string> &args,
                               const std::vector<CommandSpec> &commands)
{
    ParsedCommand parsed;
    if (args.empty())
        throw UsageError("missing command", nullptr);
    if (isHelp(args[0])) {
        parsed.helpRequested = true;
        return parsed;
    }
    const auto command =
        std::find_if(commands.begin(), commands.end(),
                     [&](const CommandSpec &spec) { return spec.name == args[0]; });
    if (command == commands.end())
        throw UsageError("unknown command '" + args[0] + "'", nullptr);
    parsed.command = &*command;

    bool optionsEnded = false; // after "--", everything is a plain argument
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string &arg = args[i];
        if (!optionsEnded && isHelp(arg)) {
            parsed.helpRequested = true;
            return parsed;
        }
        if (!optionsEnded && arg == "--") {
            optionsEnded = true;
            continue;
        }
        if (optionsEnded || arg.rfind("--", 0) != 0) {
            if (command->positionalName.empty())
                throw UsageError("unexpected argument '" + arg + "'", parsed.command);
            parsed.positionals.push_back(arg);
            continue;
        }
        const size_t equals = arg.find('=');
        const std::string name = arg.substr(2, equals == std::string::npos ? equals : equals - 2);
        const auto option = std::find_if(command->options.begin(), command->options.end(),
                                         [&](const OptionSpec &spec) { return spec.name == name; });
        if (option == command->options.end())
            throw UsageError("unknown option '--" + name + "' for '" + command->name + "'",
                             parsed.command);
        if (parsed.has(name) && !option->repeatable)
            throw UsageError("option '--" + name + "' given more than once", parsed.command);

        std::string value;
        if (option->valueName.empty()) {
            if (equals != std::string::npos)
                throw UsageError("option '--" + name + "' does not take a value", parsed.command);
        } else if (equals != std::string::npos) {
            value = arg.substr(equals + 1);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            throw UsageError("option '--" + name + "' needs a value (" + option->valueName + ")",
                             parsed.command);
        }
        if (option->repeatable)
            parsed.repeated[name].push_back(value);
        if (!parsed.has(name))
            parsed.values[name] = value;
    }

    for (const OptionSpec &option : command->options) {
        if (option.required && !parsed.has(option.name))
            throw UsageError("missing required option '--" + option.name + "'", parsed.command);
    }
    return parsed;
}

std::string usageText(const std::string &program, const std::vector<CommandSpec> &commands)
{
    std::string text = "Usage: " + program + " COMMAND [OPTIONS]\n\nCommands:\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (const CommandSpec &command : commands)
        rows.emplace_back(command.name, command.summary);
    text += helpRows(rows);
    text += "\nRun '" + program + " COMMAND --help' for the options of a command.\n";
    return text;
}

std::string commandUsageText(const std::string &program, const CommandSpec &command)
{
    std::string text = "Usage: " + program + " " + command.name;
    for (const OptionSpec &option : command.options)
        text +=
            option.required ? " " + optionSynopsis(option) : " [" + optionSynopsis(option) + "]";
    if (!command.positionalName.empty())
        text += " [--] " + command.positionalName;
    text += "\n\n" + command.summary + "\n\nOptions:\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (const OptionSpec &option : command.options)
        rows.emplace_back(optionSynopsis(option), option.help);
    rows.emplace_back("--help", "Show this help");
    text += helpRows(rows);
    return text;
}

} // namespace attnviz::cli
