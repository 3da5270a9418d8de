// The man page and the bash completion of attnviz-cli, generated from the same CommandSpecs as
// its --help, so that neither can drift from the program (the build writes both; #21).
#pragma once

#include "command_line.h"

#include <string>
#include <vector>

namespace attnviz::cli {

struct ProgramInfo
{
    std::string name;        // "attnviz-cli"
    std::string version;     // "0.1.0"
    std::string date;        // "2026-12-02", the release's
    std::string summary;     // one line, for NAME
    std::string description; // paragraphs separated by blank lines
    std::string seeAlso;     // "attnviz(1)"
};

// roff for man(7): NAME, SYNOPSIS, DESCRIPTION, one subsection per command with its options.
std::string manPage(const ProgramInfo &program, const std::vector<CommandSpec> &commands);

// A bash completion script: commands, each command's options, file names for FILE and DIR
// values.
std::string bashCompletion(const std::string &program, const std::vector<CommandSpec> &commands);

} // namespace attnviz::cli
