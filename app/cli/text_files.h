// Reading the text files the commands take (sentences, references, alignments).
#pragma once

#include <string>
#include <vector>

namespace attnviz::cli {

// Throws std::runtime_error naming the file when it cannot be read.
std::string readFile(const std::string &path);
// Lines without their "\n" or "\r\n".
std::vector<std::string> readLines(const std::string &path);
// Throws std::runtime_error "<path>: has N lines, but <otherPath> has M" unless found == expected.
void checkLineCount(const std::string &path, size_t found, const std::string &otherPath, size_t expected);

} // namespace attnviz::cli
