// Whole-file reading and atomic writing; errors are ModelErrors naming the path.
#pragma once

#include <string>
#include <string_view>

namespace attnviz::detail {

std::string readWholeFile(const std::string &path);

// Writes a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the
// directory, so readers see either the old file or the complete new one.
void writeFileAtomically(const std::string &path, std::string_view bytes);

} // namespace attnviz::detail
