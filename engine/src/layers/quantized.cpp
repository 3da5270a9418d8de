#include <attnviz/layers/quantized.h>

#include "layers/simd.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace attnviz {

using namespace simd;

namespace {

// The largest |value| of a row, or 0 when it is not a positive finite number (a row of zeros,
// or one with inf or NaN: then a copy's row, or its scores, are left at 0 and the bias).
float largestMagnitude(const float *values, int count)
{
    float largest = 0;
    for (int i = 0; i < count; ++i)
        largest = std::max(largest, std::abs(values[i]));
    return largest > 0 && std::isfinite(largest) ? largest : 0.0f;
}

// The nearest integer to value x inverse within -levels .. levels, halves away from zero, NaN 0:
// a truncating conversion, no libm call and no branch on the sign (min, max and copysign are
// bit operations), which makes an int4 copy of a 30k x 512 layer in 49 ms instead of 150 ms
// with std::lround after a division.
inline int nearestLevel(float value, float inverse, float levels)
{
    const float r = std::isnan(value) ? 0.0f : std::min(levels, std::max(-levels, value * inverse));
    return static_cast<int>(r + std::copysign(0.5f, r));
}

// The int4 layout (int4SumsAvx512 below): input i of a row is in byte i / 128 x 64 + i % 64,
// in its high nibble when i % 128 >= 64; byte b holds inputs lowInput(b) and lowInput(b) + 64.
std::pair<long, bool> int4Place(long i)
{
    return {i / 128 * 64 + i % 64, i % 128 >= 64};
}

long lowInput(long byte)
{
    return byte / 64 * 128 + byte % 64;
}

// GuessLinear's best scores: a min-heap under `Lowest`, the lowest kept score on top.
using Kept = std::pair<float, int>;
using Lowest = std::greater<Kept>;

inline void replaceLowest(std::vector<Kept> &best, float value, int index)
{
    std::pop_heap(best.begin(), best.end(), Lowest());
    best.back() = {value, index};
    std::push_heap(best.begin(), best.end(), Lowest());
}

} // namespace

#ifdef ATTNVIZ_AVX2_KERNEL
ATTNVIZ_KERNELS_BEGIN
namespace {

// y[v] = s_v s_x (W_q[v] . x_q) + b[v]: int8 W widened to int16, times int16 x, summed in pairs
// into int32 (vpmaddwd); each lane adds at most 2 x 127 x 32767 per 16 inputs, so the int32
// sums are flushed to float every 4096 inputs, before they could overflow.
__attribute__((target("avx2,fma"))) void quantizedAvx2(const int8_t *w, const float *scales, const float *b,
                                                       long outputs, long stride, const int16_t *x, float xScale,
                                                       float *y)
{
    for (long v = 0; v < outputs; ++v) {
        const int8_t *wv = w + v * stride;
        __m256 total = _mm256_setzero_ps();
        for (long block = 0; block < stride; block += 4096) {
            const long end = block + 4096 < stride ? block + 4096 : stride;
            __m256i sums = _mm256_setzero_si256();
            for (long i = block; i < end; i += 16) {
                if (i % 64 == 0)
                    prefetchAhead(wv + i);
                const __m256i wi = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(wv + i)));
                const __m256i xi = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + i));
                sums = _mm256_add_epi32(sums, _mm256_madd_epi16(wi, xi));
            }
            total = _mm256_add_ps(total, _mm256_cvtepi32_ps(sums));
        }
        y[v] = horizontalSum(total) * (scales[v] * xScale) + (b ? b[v] : 0.0f);
    }
}

// quantizedAvx2 with 512-bit registers and AVX512-VNNI's vpdpwssd (the multiply and the add of
// int16 pairs in one instruction): the same integer sums, so the same guesses, in a third of
// the instructions, which leaves the pass bound by memory rather than by issue.
__attribute__((target("avx512f,avx512bw,avx512vnni,avx2,fma"))) void quantizedAvx512(
    const int8_t *w, const float *scales, const float *b, long outputs, long stride, const int16_t *x, float xScale,
    float *y)
{
    for (long v = 0; v < outputs; ++v) {
        const int8_t *wv = w + v * stride;
        __m512 total = _mm512_setzero_ps();
        for (long block = 0; block < stride; block += 4096) {
            const long end = block + 4096 < stride ? block + 4096 : stride;
            __m512i sums = _mm512_setzero_si512();
            for (long i = block; i < end; i += 32) {
                if (i % 64 == 0)
                    prefetchAhead(wv + i);
                const __m512i wi = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(wv + i)));
                sums = _mm512_dpwssd_epi32(sums, wi, _mm512_loadu_si512(x + i));
            }
            total = _mm512_add_ps(total, _mm512_cvtepi32_ps(sums));
        }
        y[v] = _mm512_reduce_add_ps(total) * (scales[v] * xScale) + (b ? b[v] : 0.0f);
    }
}

// The int4 layout: each 64-byte block of a row holds 128 inputs, byte j the input j in its low
// nibble and the input 64 + j in its high one, each as 8 + its int4 value (1 .. 15), so that
// one mask or one shift and a mask unpack 64 unsigned weights for vpdpbusd, or 32 twice for
// vpmaddubsw, against int8 x. sum[v] = sum_i (8 + q_vi) x_i, exact in int32 (|sum| <= 15 x 127
// x inputs); the caller takes off 8 sum_i x_i.
//
// Four rows a pass, their four accumulators folded into one vector at the end (integer sums:
// any order gives the same sums, so every kernel gives the same guesses).
__attribute__((target("avx512f,avx512bw,avx512vnni,avx2,fma"))) void int4SumsAvx512(const uint8_t *w, long outputs,
                                                                                    long rowBytes, const int8_t *x,
                                                                                    int32_t *sums)
{
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    long v = 0;
    for (; v + 4 <= outputs; v += 4) {
        const uint8_t *w0 = w + v * rowBytes;
        __m512i a[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
        for (long i = 0; i < rowBytes; i += 64) {
            const __m512i x0 = _mm512_loadu_si512(x + 2 * i), x1 = _mm512_loadu_si512(x + 2 * i + 64);
            for (int r = 0; r < 4; ++r) {
                const uint8_t *p = w0 + r * rowBytes + i;
                prefetchAhead(p);
                const __m512i packed = _mm512_loadu_si512(p);
                a[r] = _mm512_dpbusd_epi32(a[r], _mm512_and_si512(packed, nibble), x0);
                a[r] = _mm512_dpbusd_epi32(a[r], _mm512_and_si512(_mm512_srli_epi16(packed, 4), nibble), x1);
            }
        }
        const __m512i t01 = _mm512_add_epi32(_mm512_unpacklo_epi32(a[0], a[1]), _mm512_unpackhi_epi32(a[0], a[1]));
        const __m512i t23 = _mm512_add_epi32(_mm512_unpacklo_epi32(a[2], a[3]), _mm512_unpackhi_epi32(a[2], a[3]));
        const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(t01, t23), _mm512_unpackhi_epi64(t01, t23));
        const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
        _mm_storeu_si128(reinterpret_cast<__m128i *>(sums + v),
                         _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1)));
    }
    for (; v < outputs; ++v) {
        const uint8_t *wv = w + v * rowBytes;
        __m512i a = _mm512_setzero_si512();
        for (long i = 0; i < rowBytes; i += 64) {
            const __m512i packed = _mm512_loadu_si512(wv + i);
            a = _mm512_dpbusd_epi32(a, _mm512_and_si512(packed, nibble), _mm512_loadu_si512(x + 2 * i));
            a = _mm512_dpbusd_epi32(a, _mm512_and_si512(_mm512_srli_epi16(packed, 4), nibble),
                                    _mm512_loadu_si512(x + 2 * i + 64));
        }
        sums[v] = _mm512_reduce_add_epi32(a);
    }
}

// int4SumsAvx512 with AVX2: vpmaddubsw multiplies the unsigned weights by int8 x and adds pairs
// into int16 (at most 2 x 15 x 127 each, then two of those: no saturation), vpmaddwd by ones
// widens to int32.
__attribute__((target("avx2,fma"))) int32_t int4RowAvx2(const uint8_t *wv, long rowBytes, const int8_t *x)
{
    const __m256i nibble = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    __m256i a = _mm256_setzero_si256();
    for (long i = 0; i < rowBytes; i += 32) {
        // bytes i .. i + 31 of the row: 32 inputs from the low nibbles, the 32 inputs 64 on
        // from the high ones (i % 64 is 0 or 32 within the block)
        const long base = 2 * (i - i % 64) + i % 64;
        if (i % 64 == 0)
            prefetchAhead(wv + i);
        const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(wv + i));
        const __m256i lo = _mm256_maddubs_epi16(_mm256_and_si256(packed, nibble),
                                                _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + base)));
        const __m256i hi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(packed, 4), nibble),
                                                _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + base + 64)));
        a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_add_epi16(lo, hi), ones));
    }
    const __m128i half = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    const __m128i pairs = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtsi128_si32(_mm_add_epi32(pairs, _mm_shuffle_epi32(pairs, _MM_SHUFFLE(2, 3, 0, 1))));
}

__attribute__((target("avx2,fma"))) void int4SumsAvx2(const uint8_t *w, long outputs, long rowBytes, const int8_t *x,
                                                      int32_t *sums)
{
    for (long v = 0; v < outputs; ++v)
        sums[v] = int4RowAvx2(w + v * rowBytes, rowBytes, x);
}

// From `from` on, the values above the lowest kept one (best.front()) enter `best`: eight
// values a compare, the few that pass one by one. Returns where it stopped (the last count % 8
// values are left to the caller).
__attribute__((target("avx2,fma"))) long keepHighestAvx2(const float *y, long from, long count, std::vector<Kept> &best)
{
    long v = from;
    for (; v + 8 <= count; v += 8) {
        int above = _mm256_movemask_ps(
            _mm256_cmp_ps(_mm256_loadu_ps(y + v), _mm256_set1_ps(best.front().first), _CMP_GT_OQ));
        while (above) {
            const long u = v + __builtin_ctz(static_cast<unsigned>(above));
            above &= above - 1;
            if (y[u] > best.front().first) // the lowest kept may have risen within these eight
                replaceLowest(best, y[u], static_cast<int>(u));
        }
    }
    return v;
}

} // namespace
ATTNVIZ_KERNELS_END
#endif

QuantizedLinear::QuantizedLinear(const LinearView &linear)
    : m_out(linear.outFeatures)
    , m_in(linear.inFeatures)
    , m_stride((linear.inFeatures + 31) / 32 * 32)
    , m_weights(static_cast<size_t>(m_out) * m_stride, 0)
    , m_scales(m_out, 0.0f)
    , m_bias(linear.biasData)
{
    for (int v = 0; v < m_out; ++v) {
        const float *row = linear.weightData + static_cast<size_t>(v) * m_in;
        const float largest = largestMagnitude(row, m_in);
        if (largest == 0)
            continue;
        m_scales[v] = largest / 127.0f;
        const float inverse = 127.0f / largest;
        int8_t *q = m_weights.data() + static_cast<size_t>(v) * m_stride;
        for (int i = 0; i < m_in; ++i)
            q[i] = static_cast<int8_t>(nearestLevel(row[i], inverse, 127.0f));
    }
}

void QuantizedLinear::apply(const float *x, float *y, std::vector<int16_t> &scratch) const
{
    const float largest = largestMagnitude(x, m_in);
    if (largest == 0) {
        for (int v = 0; v < m_out; ++v)
            y[v] = m_bias ? m_bias[v] : 0.0f;
        return;
    }
    const float xScale = largest / 32767.0f;
    scratch.assign(m_stride, 0);
    for (int i = 0; i < m_in; ++i)
        scratch[i] = std::isnan(x[i]) ? 0 : static_cast<int16_t>(std::clamp(std::lround(x[i] / xScale), -32767L, 32767L));
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma() && hasAvx512Vnni()) {
        quantizedAvx512(m_weights.data(), m_scales.data(), m_bias, m_out, m_stride, scratch.data(), xScale, y);
        return;
    }
    if (hasAvx2Fma()) {
        quantizedAvx2(m_weights.data(), m_scales.data(), m_bias, m_out, m_stride, scratch.data(), xScale, y);
        return;
    }
#endif
    for (int v = 0; v < m_out; ++v) {
        const int8_t *q = m_weights.data() + static_cast<size_t>(v) * m_stride;
        int64_t sum = 0;
        for (int i = 0; i < m_in; ++i)
            sum += int64_t(q[i]) * scratch[i];
        y[v] = static_cast<float>(sum) * (m_scales[v] * xScale) + (m_bias ? m_bias[v] : 0.0f);
    }
}

GuessLinear::GuessLinear(const LinearView &linear)
    : m_linear(linear)
    , m_rowBytes((linear.inFeatures + 127L) / 128 * 64)
    , m_weights(static_cast<size_t>(linear.outFeatures) * m_rowBytes, 0x88)
    , m_scales(linear.outFeatures, 0.0f)
{
    const int in = linear.inFeatures;
    std::vector<uint8_t> values;
    for (int v = 0; v < linear.outFeatures; ++v) {
        const float *row = linear.weightData + static_cast<size_t>(v) * in;
        const float largest = largestMagnitude(row, in);
        if (largest == 0)
            continue;
        m_scales[v] = largest / 7.0f;
        const float inverse = 7.0f / largest;
        values.assign(2 * m_rowBytes, 8); // 8 + the int4 value; padding 8 (zero)
        for (int i = 0; i < in; ++i)
            values[i] = uint8_t(8 + nearestLevel(row[i], inverse, 7.0f));
        uint8_t *q = m_weights.data() + static_cast<size_t>(v) * m_rowBytes;
        for (long byte = 0; byte < m_rowBytes; ++byte)
            q[byte] = uint8_t(values[lowInput(byte)] | (values[lowInput(byte) + 64] << 4));
    }
}

int GuessLinear::weight(int v, int i) const
{
    const auto [byte, high] = int4Place(i);
    const uint8_t packed = m_weights[static_cast<size_t>(v) * m_rowBytes + byte];
    return (high ? packed >> 4 : packed & 0x0F) - 8;
}

void GuessLinear::score(const float *x, float *y, Scratch &scratch) const
{
    const int out = m_linear.outFeatures, in = m_linear.inFeatures;
    const float *bias = m_linear.biasData;
    const float largest = largestMagnitude(x, in);
    if (largest == 0) {
        for (int v = 0; v < out; ++v)
            y[v] = bias ? bias[v] : 0.0f;
        return;
    }
    const float xScale = largest / 127.0f;
    scratch.x.assign(2 * m_rowBytes, 0);
    int32_t xSum = 0;
    for (int i = 0; i < in; ++i) {
        scratch.x[i] = std::isnan(x[i]) ? 0 : static_cast<int8_t>(std::clamp(std::lround(x[i] / xScale), -127L, 127L));
        xSum += scratch.x[i];
    }
    scratch.sums.resize(out);
    int32_t *sums = scratch.sums.data();
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma() && hasAvx512Vnni())
        int4SumsAvx512(m_weights.data(), out, m_rowBytes, scratch.x.data(), sums);
    else if (hasAvx2Fma())
        int4SumsAvx2(m_weights.data(), out, m_rowBytes, scratch.x.data(), sums);
    else
#endif
        for (int v = 0; v < out; ++v) {
            const uint8_t *q = m_weights.data() + static_cast<size_t>(v) * m_rowBytes;
            int32_t sum = 0;
            for (long byte = 0; byte < m_rowBytes; ++byte)
                sum += (q[byte] & 0x0F) * scratch.x[lowInput(byte)] + (q[byte] >> 4) * scratch.x[lowInput(byte) + 64];
            sums[v] = sum;
        }
    for (int v = 0; v < out; ++v)
        y[v] = static_cast<float>(sums[v] - 8 * xSum) * (m_scales[v] * xScale) + (bias ? bias[v] : 0.0f);
}

void GuessLinear::apply(const float *x, float *y, Scratch &scratch) const
{
    score(x, y, scratch);
    const int out = m_linear.outFeatures, in = m_linear.inFeatures;
    // the refinedRows highest scores: a min-heap of them, the lowest on top
    auto &best = scratch.best;
    best.clear();
    int v = 0;
    for (; v < out && best.size() < static_cast<size_t>(refinedRows); ++v) {
        best.emplace_back(y[v], v);
        std::push_heap(best.begin(), best.end(), Lowest());
    }
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma() && v < out)
        v = static_cast<int>(keepHighestAvx2(y, v, out, best));
#endif
    for (; v < out; ++v)
        if (y[v] > best.front().first)
            replaceLowest(best, y[v], v);
    const Eigen::Map<const Vector> input(x, in);
    for (const auto &[score, v] : best)
        y[v] = m_linear.weight().row(v).dot(input.transpose()) + (m_linear.biasData ? m_linear.biasData[v] : 0.0f);
}

} // namespace attnviz
