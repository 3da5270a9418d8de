// The plain-JSON variant of the model format, for small hand-written models.
#pragma once

#include "io/load_helpers.h"

#include <string>
#include <string_view>

namespace attnviz::detail {

ModelParts readJsonModel(std::string_view bytes, const std::string &displayName);
std::string writeJsonModel(const ModelFile &model);

} // namespace attnviz::detail
