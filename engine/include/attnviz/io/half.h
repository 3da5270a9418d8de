// Conversion of 16-bit floating point formats to float, exact for every bit pattern
// (zeros, subnormals, infinities and NaNs included).
#pragma once

#include <cstdint>

namespace attnviz {

float halfToFloat(std::uint16_t bits); // IEEE 754 binary16 ("F16")
float bfloat16ToFloat(std::uint16_t bits); // bfloat16 ("BF16")

} // namespace attnviz
