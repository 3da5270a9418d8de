#include "text_files.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace attnviz::cli {

std::string readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(path + ": cannot open the file");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> readLines(const std::string &path)
{
    std::istringstream in(readFile(path));
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(std::move(line));
    }
    return lines;
}

void checkLineCount(const std::string &path, size_t found, const std::string &otherPath, size_t expected)
{
    if (found != expected)
        throw std::runtime_error(path + ": has " + std::to_string(found) + " lines, but " + otherPath + " has "
                                 + std::to_string(expected));
}

} // namespace attnviz::cli
