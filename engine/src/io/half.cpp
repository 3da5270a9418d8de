#include <attnviz/io/half.h>

#include <cmath>
#include <cstring>

namespace attnviz {

namespace {

float floatFromBits(std::uint32_t bits)
{
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

} // namespace

float halfToFloat(std::uint16_t bits)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
    const std::uint32_t exponent = (bits >> 10) & 0x1fu;
    const std::uint32_t mantissa = bits & 0x3ffu;

    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24, exact in float (whose normal range reaches 2^-126).
        const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 0x1f) // infinity, or NaN with its payload kept
        return floatFromBits(sign | 0x7f800000u | (mantissa << 13));
    // Rebias the exponent from 15 to 127.
    return floatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

float bfloat16ToFloat(std::uint16_t bits)
{
    // bfloat16 is the upper half of a float32, so every class of value maps over unchanged.
    return floatFromBits(static_cast<std::uint32_t>(bits) << 16);
}

} // namespace attnviz
