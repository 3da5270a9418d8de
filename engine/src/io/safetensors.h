// The safetensors container, with no knowledge of what the tensors mean.
#pragma once

#include <attnviz/io/model_file.h>

#include "io/file_io.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace attnviz::detail {

struct SafetensorsContents
{
    std::map<std::string, Tensor> tensors; // F16 and BF16 already widened to float
    std::optional<std::map<std::string, std::string>> metadata; // "__metadata__", when present
};

// Checks every size and offset against the source before allocating anything, then reads each
// tensor straight into one WeightArena for all of them (or, from a mapped file, uses its
// aligned F32 tensors where they lie).
SafetensorsContents readSafetensors(const ByteSource &source, const std::string &displayName);

// F32 tensors in name order, header padded with spaces to a multiple of 8 bytes.
std::string writeSafetensors(const std::map<std::string, Tensor> &tensors,
                             const std::map<std::string, std::string> &metadata);

} // namespace attnviz::detail
