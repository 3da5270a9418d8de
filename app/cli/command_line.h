// A small subcommand parser: `program COMMAND [--option VALUE | --option=VALUE | --flag]...`.
#pragma once

#include <climits>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnviz::cli {

struct ParsedCommand;

struct OptionSpec
{
    std::string name; // "model" for --model
    std::string valueName; // "FILE"; empty for a flag
    std::string help;
    bool required = false;
    bool repeatable = false; // may be given more than once (compare's --model A --model B)
};

struct CommandSpec
{
    std::string name;
    std::string summary;
    std::vector<OptionSpec> options;
    std::function<int(const ParsedCommand &)> run;
    std::string positionalName; // "SENTENCE": takes plain arguments; empty: takes none
};

struct ParsedCommand
{
    const CommandSpec *command = nullptr; // null when --help came before any command
    std::map<std::string, std::string> values; // option name -> value ("" for flags)
    std::vector<std::string> positionals;      // plain arguments, in order (after "--" too)
    std::map<std::string, std::vector<std::string>> repeated; // a repeatable option's values, in order
    bool helpRequested = false;

    bool has(const std::string &option) const { return values.count(option) != 0; }
    std::string value(const std::string &option) const; // a repeatable option: its first value
    std::vector<std::string> valuesOf(const std::string &option) const; // every value given, in order
    // The option as a whole number in [low, high], or fallback when it is absent; a UsageError
    // ("--beam needs a whole number of at least 1, not 'x'") otherwise.
    int intValue(const std::string &option, int fallback, int low, int high = INT_MAX) const;
};

// What was wrong with the command line, and the command it concerns (null: none yet).
class UsageError : public std::runtime_error
{
public:
    UsageError(const std::string &message, const CommandSpec *command)
        : std::runtime_error(message)
        , m_command(command)
    { }
    const CommandSpec *command() const { return m_command; }

private:
    const CommandSpec *m_command;
};

// args excludes the program name. Throws UsageError.
ParsedCommand parseCommandLine(const std::vector<std::string> &args,
                               const std::vector<CommandSpec> &commands);

std::string usageText(const std::string &program, const std::vector<CommandSpec> &commands);
std::string commandUsageText(const std::string &program, const CommandSpec &command);

} // namespace attnviz::cli
