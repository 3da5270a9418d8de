#include <attnviz/layers/linear.h>

#include "layers/simd.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>

namespace attnviz {

using namespace simd;

#ifdef ATTNVIZ_AVX2_KERNEL
ATTNVIZ_KERNELS_BEGIN
namespace {

// out[j] = the sum of the eight lanes of aj: two horizontal adds, then the two 128-bit halves.
__attribute__((target("avx2,fma"))) void sumEach(__m256 a0, __m256 a1, __m256 a2, __m256 a3, float out[4])
{
    const __m256 pairs = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(pairs), _mm256_extractf128_ps(pairs, 1)));
}

// y[k][v] = b[v] + W[v] . x[k] in two orders; linearAvx2 below chooses (plain pointers and
// intrinsics only: see simd.h).
//
// Four rows of W at a time, each reused from L1 for every row of x: the fastest while W sits in
// the caches and there are several rows of x (beams).
__attribute__((target("avx2,fma"))) void linearFourRowsAvx2(const float *x, long rows, long xStride, const float *w,
                                                    const float *b, long outputs, long inputs, float *y,
                                                    long yStride)
{
    const long vectorEnd = inputs - inputs % 8;
    long v = 0;
    for (; v + 4 <= outputs; v += 4) {
        const float *w0 = w + v * inputs, *w1 = w0 + inputs, *w2 = w1 + inputs, *w3 = w2 + inputs;
        for (long k = 0; k < rows; ++k) {
            const float *xk = x + k * xStride;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
                   a3 = _mm256_setzero_ps();
            for (long i = 0; i < vectorEnd; i += 8) {
                const __m256 xi = _mm256_loadu_ps(xk + i);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), xi, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), xi, a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), xi, a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), xi, a3);
            }
            float out[4];
            sumEach(a0, a1, a2, a3, out);
            for (long i = vectorEnd; i < inputs; ++i) {
                out[0] += w0[i] * xk[i];
                out[1] += w1[i] * xk[i];
                out[2] += w2[i] * xk[i];
                out[3] += w3[i] * xk[i];
            }
            float *yk = y + k * yStride + v;
            for (int j = 0; j < 4; ++j)
                yk[j] = out[j] + (b ? b[v + j] : 0.0f);
        }
    }
    for (; v < outputs; ++v) {
        const float *wv = w + v * inputs;
        for (long k = 0; k < rows; ++k) {
            const float *xk = x + k * xStride;
            __m256 a = _mm256_setzero_ps();
            for (long i = 0; i < vectorEnd; i += 8)
                a = _mm256_fmadd_ps(_mm256_loadu_ps(wv + i), _mm256_loadu_ps(xk + i), a);
            float sum = horizontalSum(a);
            for (long i = vectorEnd; i < inputs; ++i)
                sum += wv[i] * xk[i];
            y[k * yStride + v] = sum + (b ? b[v] : 0.0f);
        }
    }
}

// Eigen's generic_fast_tanh_float (Eigen 3.4, MathFunctionsImpl.h), eight at a time.
__attribute__((target("avx2,fma"))) void tanhAvx2(float *values, long count)
{
    const __m256 clamp = _mm256_set1_ps(7.99881172180175781f), tiny = _mm256_set1_ps(0.0004f);
    const __m256 signBit = _mm256_set1_ps(-0.0f);
    for (long i = 0; i + 8 <= count; i += 8) {
        const __m256 in = _mm256_loadu_ps(values + i);
        const __m256 x = _mm256_max_ps(_mm256_min_ps(in, clamp), _mm256_sub_ps(_mm256_setzero_ps(), clamp));
        const __m256 tinyMask = _mm256_cmp_ps(_mm256_andnot_ps(signBit, in), tiny, _CMP_LT_OQ);
        const __m256 x2 = _mm256_mul_ps(x, x);
        __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.76076847742355e-16f), _mm256_set1_ps(2.00018790482477e-13f));
        p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-8.60467152213735e-11f));
        p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(5.12229709037114e-08f));
        p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(1.48572235717979e-05f));
        p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(6.37261928875436e-04f));
        p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(4.89352455891786e-03f));
        p = _mm256_mul_ps(x, p);
        __m256 q = _mm256_fmadd_ps(x2, _mm256_set1_ps(1.19825839466702e-06f), _mm256_set1_ps(1.18534705686654e-04f));
        q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(2.26843463243900e-03f));
        q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(4.89352518554385e-03f));
        _mm256_storeu_ps(values + i, _mm256_blendv_ps(_mm256_div_ps(p, q), x, tinyMask));
    }
}

// Eigen's pexp_float (Eigen 3.4, GenericPacketMathFunctions.h) for x <= 0, as log-softmax
// needs it: 2^m is built from the exponent bits, and below 2^-126 the result is 0 (it adds
// nothing next to the exp(0) = 1 of the largest value).
__attribute__((target("avx2,fma"))) inline __m256 expNonPositiveAvx2(__m256 x)
{
    x = _mm256_max_ps(x, _mm256_set1_ps(-88.723f));
    const __m256 m = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_fmadd_ps(m, _mm256_set1_ps(-0.693359375f), x);
    r = _mm256_fmadd_ps(m, _mm256_set1_ps(2.12194440e-4f), r);
    const __m256 r2 = _mm256_mul_ps(r, r), r3 = _mm256_mul_ps(r2, r);
    __m256 y = _mm256_fmadd_ps(_mm256_set1_ps(1.9875691500E-4f), r, _mm256_set1_ps(1.3981999507E-3f));
    __m256 y1 = _mm256_fmadd_ps(_mm256_set1_ps(4.1665795894E-2f), r, _mm256_set1_ps(1.6666665459E-1f));
    const __m256 y2 = _mm256_add_ps(r, _mm256_set1_ps(1.0f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073E-3f));
    y1 = _mm256_fmadd_ps(y1, r, _mm256_set1_ps(5.0000001201E-1f));
    y = _mm256_fmadd_ps(y, r3, y1);
    y = _mm256_fmadd_ps(y, r2, y2);
    const __m256i exponent = _mm256_cvtps_epi32(m);
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(exponent, _mm256_set1_epi32(127)), 23));
    const __m256 underflow = _mm256_cmp_ps(m, _mm256_set1_ps(-126.0f), _CMP_LT_OQ);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(y, scale));
}

// argmaxOrNan's two passes: the largest value (and whether any is NaN), then its first index.
__attribute__((target("avx2,fma"))) long argmaxAvx2(const float *x, long count)
{
    const long end = count - count % 8;
    __m256 maxima = _mm256_set1_ps(-INFINITY), nan = _mm256_setzero_ps();
    for (long i = 0; i < end; i += 8) {
        const __m256 xi = _mm256_loadu_ps(x + i);
        maxima = _mm256_max_ps(maxima, xi);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(xi, xi, _CMP_UNORD_Q));
    }
    if (_mm256_movemask_ps(nan))
        return -1;
    float lanes[8];
    _mm256_storeu_ps(lanes, maxima);
    float largest = lanes[0];
    for (int j = 1; j < 8; ++j)
        largest = lanes[j] > largest ? lanes[j] : largest;
    for (long i = end; i < count; ++i) {
        if (std::isnan(x[i]))
            return -1;
        largest = x[i] > largest ? x[i] : largest;
    }
    const __m256 target = _mm256_set1_ps(largest);
    for (long i = 0; i < end; i += 8)
        if (const int hits = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), target, _CMP_EQ_OQ)))
            return i + __builtin_ctz(static_cast<unsigned>(hits));
    for (long i = end; i < count; ++i)
        if (x[i] == largest)
            return i;
    return 0; // every value is -inf: the first
}

// log_softmax over contiguous values in the order logSoftmaxInPlace uses: (x - max) - log sum.
__attribute__((target("avx2,fma"))) void logSoftmaxAvx2(float *x, long count)
{
    const long end = count - count % 8;
    __m256 maxima = _mm256_set1_ps(-INFINITY);
    for (long i = 0; i < end; i += 8)
        maxima = _mm256_max_ps(maxima, _mm256_loadu_ps(x + i));
    float lanes[8];
    _mm256_storeu_ps(lanes, maxima);
    float shift = lanes[0];
    for (int j = 1; j < 8; ++j)
        shift = lanes[j] > shift ? lanes[j] : shift;
    for (long i = end; i < count; ++i)
        shift = x[i] > shift ? x[i] : shift;
    const __m256 shiftVector = _mm256_set1_ps(shift);
    __m256 sums = _mm256_setzero_ps();
    for (long i = 0; i < end; i += 8)
        sums = _mm256_add_ps(sums, expNonPositiveAvx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), shiftVector)));
    float sum = horizontalSum(sums);
    for (long i = end; i < count; ++i)
        sum += std::exp(x[i] - shift);
    const float logSum = std::log(sum);
    const __m256 logSumVector = _mm256_set1_ps(logSum);
    for (long i = 0; i < end; i += 8)
        _mm256_storeu_ps(x + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), shiftVector), logSumVector));
    for (long i = end; i < count; ++i)
        x[i] = (x[i] - shift) - logSum;
}

// W's row against one row of x, with W prefetched ahead; the sums in the order of a plain
// four-accumulator dot product.
__attribute__((target("avx2,fma"))) float streamDotAvx2(const float *w, const float *x, long n)
{
    const long end32 = n - n % 32, end8 = n - n % 8;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    long i = 0;
    for (; i < end32; i += 32) {
        prefetchAhead(w + i);
        prefetchAhead(w + i + 16);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i < end8; i += 8) {
        prefetchAhead(w + i);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    }
    float sum = horizontalSum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    // std::fma, not a * b + c: the compiler may or may not fuse the latter, and differently in
    // the kernels below that must give these same bits.
    for (; i < n; ++i)
        sum = std::fma(w[i], x[i], sum);
    return sum;
}

// Two rows of x against one row of W, each summed exactly as streamDotAvx2 sums it alone (the
// same accumulators, the same additions in the same order, the same scalar tail), so that
// linearRowsExact gives the bits of linearRows one row at a time.
__attribute__((target("avx2,fma"))) void streamDotPairAvx2(const float *w, const float *x0, const float *x1, long n,
                                                           float out[2])
{
    const long end32 = n - n % 32, end8 = n - n % 8;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    long i = 0;
    for (; i < end32; i += 32) {
        prefetchAhead(w + i);
        prefetchAhead(w + i + 16);
        const __m256 w0 = _mm256_loadu_ps(w + i), w1 = _mm256_loadu_ps(w + i + 8);
        const __m256 w2 = _mm256_loadu_ps(w + i + 16), w3 = _mm256_loadu_ps(w + i + 24);
        a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x0 + i), a0);
        a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x0 + i + 8), a1);
        a2 = _mm256_fmadd_ps(w2, _mm256_loadu_ps(x0 + i + 16), a2);
        a3 = _mm256_fmadd_ps(w3, _mm256_loadu_ps(x0 + i + 24), a3);
        b0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x1 + i), b0);
        b1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x1 + i + 8), b1);
        b2 = _mm256_fmadd_ps(w2, _mm256_loadu_ps(x1 + i + 16), b2);
        b3 = _mm256_fmadd_ps(w3, _mm256_loadu_ps(x1 + i + 24), b3);
    }
    for (; i < end8; i += 8) {
        prefetchAhead(w + i);
        const __m256 w0 = _mm256_loadu_ps(w + i);
        a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x0 + i), a0);
        b0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x1 + i), b0);
    }
    float sum0 = horizontalSum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    float sum1 = horizontalSum(_mm256_add_ps(_mm256_add_ps(b0, b1), _mm256_add_ps(b2, b3)));
    for (long j = i; j < n; ++j)
        sum0 = std::fma(w[j], x0[j], sum0);
    for (long j = i; j < n; ++j)
        sum1 = std::fma(w[j], x1[j], sum1);
    out[0] = sum0;
    out[1] = sum1;
}

// Every row of x against each row of W in turn (W read once, its row kept in L1 for all of
// them), each row's sum that of streamDotAvx2.
__attribute__((target("avx2,fma"))) void linearRowsExactAvx2(const float *x, long rows, long xStride, const float *w,
                                                             const float *b, long outputs, long inputs, float *y,
                                                             long yStride)
{
    for (long v = 0; v < outputs; ++v) {
        const float *wv = w + v * inputs;
        const float bias = b ? b[v] : 0.0f;
        long k = 0;
        for (; k + 2 <= rows; k += 2) {
            float out[2];
            streamDotPairAvx2(wv, x + k * xStride, x + (k + 1) * xStride, inputs, out);
            y[k * yStride + v] = out[0] + bias;
            y[(k + 1) * yStride + v] = out[1] + bias;
        }
        if (k < rows)
            y[k * yStride + v] = streamDotAvx2(wv, x + k * xStride, inputs) + bias;
    }
}

// linearRowsExactAvx2 for R rows of x at once with AVX-512: each 512-bit accumulator holds two
// of streamDotAvx2's 256-bit ones side by side (lo = a0 | a1, hi = a2 | a3, over the inputs
// i .. i + 15 and i + 16 .. i + 31 of each block of 32), so every lane adds what it adds there,
// in the same order, and the sums end as there: the same bits, at half the instructions, with
// R rows' accumulators in registers so that each block of W is loaded once for all of them.
template<int R>
__attribute__((target("avx512f,avx2,fma"))) void linearRowsExactAvx512(const float *x, long xStride, const float *w,
                                                                       const float *b, long outputs, long inputs,
                                                                       float *y, long yStride)
{
    const long end32 = inputs - inputs % 32, end8 = inputs - inputs % 8;
    for (long v = 0; v < outputs; ++v) {
        const float *wv = w + v * inputs;
        __m512 lo[R], hi[R];
        for (int k = 0; k < R; ++k)
            lo[k] = hi[k] = _mm512_setzero_ps();
        long i = 0;
        for (; i < end32; i += 32) {
            prefetchAhead(wv + i);
            prefetchAhead(wv + i + 16);
            const __m512 w0 = _mm512_loadu_ps(wv + i), w1 = _mm512_loadu_ps(wv + i + 16);
            for (int k = 0; k < R; ++k) {
                lo[k] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + k * xStride + i), lo[k]);
                hi[k] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + k * xStride + i + 16), hi[k]);
            }
        }
        for (; i < end8; i += 8) { // into a0 only: the low eight lanes of lo (the others are kept)
            const __m512 w0 = _mm512_castps256_ps512(_mm256_loadu_ps(wv + i));
            for (int k = 0; k < R; ++k)
                lo[k] = _mm512_mask3_fmadd_ps(w0, _mm512_castps256_ps512(_mm256_loadu_ps(x + k * xStride + i)), lo[k],
                                              0x00FF);
        }
        const float bias = b ? b[v] : 0.0f;
        for (int k = 0; k < R; ++k) {
            const __m256 a0 = _mm512_castps512_ps256(lo[k]), a1 = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(lo[k]), 1));
            const __m256 a2 = _mm512_castps512_ps256(hi[k]), a3 = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(hi[k]), 1));
            float sum = horizontalSum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
            const float *xk = x + k * xStride;
            for (long j = i; j < inputs; ++j)
                sum = std::fma(wv[j], xk[j], sum);
            y[k * yStride + v] = sum + bias;
        }
    }
}

// Floats on 64-byte boundaries (a cache line, a 512-bit register).
struct AlignedDelete
{
    void operator()(float *p) const { ::operator delete[](p, std::align_val_t(64)); }
};

// Up to eight rows of x a pass over W. x is copied first to rows that start on 64-byte
// boundaries: each 512-bit load of a row then stays within one cache line (a load split over two
// costs twice), which measured 1.5x faster in the caches.
void linearRowsExactAvx512Rows(const float *xIn, long rows, long xInStride, const float *w, const float *b,
                               long outputs, long inputs, float *y, long yStride)
{
    const long xStride = (inputs + 15) / 16 * 16;
    const std::unique_ptr<float[], AlignedDelete> copy(new (std::align_val_t(64)) float[rows * xStride]);
    float *x = copy.get();
    for (long k = 0; k < rows; ++k)
        std::copy(xIn + k * xInStride, xIn + k * xInStride + inputs, x + k * xStride);
    for (long k = 0; k < rows; k += 8) {
        const float *xk = x + k * xStride;
        float *yk = y + k * yStride;
        switch (rows - k < 8 ? rows - k : 8) {
        case 1: linearRowsExactAvx512<1>(xk, xStride, w, b, outputs, inputs, yk, yStride); break;
        case 2: linearRowsExactAvx512<2>(xk, xStride, w, b, outputs, inputs, yk, yStride); break;
        case 3: linearRowsExactAvx512<3>(xk, xStride, w, b, outputs, inputs, yk, yStride); break;
        case 4: linearRowsExactAvx512<4>(xk, xStride, w, b, outputs, inputs, yk, yStride); break;
        case 5: linearRowsExactAvx512<5>(xk, xStride, w, b, outputs, inputs, yk, yStride); break;
        case 6: linearRowsExactAvx512<6>(xk, xStride, w, b, outputs, inputs, yk, yStride); break;
        case 7: linearRowsExactAvx512<7>(xk, xStride, w, b, outputs, inputs, yk, yStride); break;
        default: linearRowsExactAvx512<8>(xk, xStride, w, b, outputs, inputs, yk, yStride); break;
        }
    }
}

// W read once, front to back, one row at a time against up to four rows of x (or five, a beam's
// width) held in L1: the fastest when W comes from memory (the output layer of a large
// vocabulary). Reading four rows
// of W side by side, as above, halves the bandwidth the prefetchers reach on the machines
// measured in docs/performance.md.
__attribute__((target("avx2,fma"))) void linearStreamAvx2(const float *x, long rows, long xStride, const float *w,
                                                          const float *b, long outputs, long inputs, float *y,
                                                          long yStride)
{
    const long end8 = inputs - inputs % 8;
    for (long v = 0; v < outputs; ++v) {
        const float *wv = w + v * inputs;
        const float bias = b ? b[v] : 0.0f;
        long k = 0;
        if (rows == 5) { // a beam of five: every row of x against one pass over W's row
            const float *x0 = x, *x1 = x0 + xStride, *x2 = x1 + xStride, *x3 = x2 + xStride, *x4 = x3 + xStride;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
            for (long i = 0; i < end8; i += 8) {
                if (i % 16 == 0)
                    prefetchAhead(wv + i);
                const __m256 wi = _mm256_loadu_ps(wv + i);
                a0 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x0 + i), a0);
                a1 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x1 + i), a1);
                a2 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x2 + i), a2);
                a3 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x3 + i), a3);
                a4 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x4 + i), a4);
            }
            float out[5];
            sumEach(a0, a1, a2, a3, out);
            out[4] = horizontalSum(a4);
            for (long i = end8; i < inputs; ++i) {
                out[0] += wv[i] * x0[i];
                out[1] += wv[i] * x1[i];
                out[2] += wv[i] * x2[i];
                out[3] += wv[i] * x3[i];
                out[4] += wv[i] * x4[i];
            }
            for (int j = 0; j < 5; ++j)
                y[j * yStride + v] = out[j] + bias;
            continue;
        }
        for (; k + 4 <= rows; k += 4) {
            const float *x0 = x + k * xStride, *x1 = x0 + xStride, *x2 = x1 + xStride, *x3 = x2 + xStride;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (long i = 0; i < end8; i += 8) {
                if (i % 16 == 0)
                    prefetchAhead(wv + i);
                const __m256 wi = _mm256_loadu_ps(wv + i);
                a0 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x0 + i), a0);
                a1 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x1 + i), a1);
                a2 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x2 + i), a2);
                a3 = _mm256_fmadd_ps(wi, _mm256_loadu_ps(x3 + i), a3);
            }
            float out[4];
            sumEach(a0, a1, a2, a3, out);
            for (long i = end8; i < inputs; ++i) {
                out[0] += wv[i] * x0[i];
                out[1] += wv[i] * x1[i];
                out[2] += wv[i] * x2[i];
                out[3] += wv[i] * x3[i];
            }
            for (int j = 0; j < 4; ++j)
                y[(k + j) * yStride + v] = out[j] + bias;
        }
        for (; k < rows; ++k)
            y[k * yStride + v] = streamDotAvx2(wv, x + k * xStride, inputs) + bias;
    }
}

// One row of x (greedy and forced decoding, the encoder's recurrences), a W larger than 16 MB,
// or five rows of x (a beam of five) against rows of W of 512 inputs or more: stream W;
// otherwise four rows of W at a time. Chosen from measurements on one machine
// (docs/performance.md), not tuned per machine: with five rows of x, one pass over each row of
// W beat the four-row order on every shape with 512 inputs or more, from the caches and from
// memory, and lost to it on narrower rows in the caches, where the horizontal sums dominate.
void linearAvx2(const float *x, long rows, long xStride, const float *w, const float *b, long outputs,
                long inputs, float *y, long yStride)
{
    const bool large = double(outputs) * double(inputs) * sizeof(float) > 16.0 * 1024 * 1024;
    if (rows == 1 || large || (rows == 5 && inputs >= 512))
        linearStreamAvx2(x, rows, xStride, w, b, outputs, inputs, y, yStride);
    else
        linearFourRowsAvx2(x, rows, xStride, w, b, outputs, inputs, y, yStride);
}

} // namespace
ATTNVIZ_KERNELS_END
#endif

void linearRows(const Eigen::Ref<const MatrixRM> &x, const LinearView &linear, Eigen::Ref<MatrixRM> y)
{
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma()) {
        linearAvx2(x.data(), x.rows(), x.outerStride(), linear.weightData, linear.biasData, linear.outFeatures,
                   linear.inFeatures, y.data(), y.outerStride());
        return;
    }
#endif
    y.noalias() = x * linear.weight().transpose();
    if (linear.biasData)
        y.rowwise() += linear.bias().transpose();
}

void linearRowsExact(const Eigen::Ref<const MatrixRM> &x, const LinearView &linear, Eigen::Ref<MatrixRM> y)
{
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma() && hasAvx512()) {
        linearRowsExactAvx512Rows(x.data(), x.rows(), x.outerStride(), linear.weightData, linear.biasData,
                                  linear.outFeatures, linear.inFeatures, y.data(), y.outerStride());
        return;
    }
    if (hasAvx2Fma()) {
        linearRowsExactAvx2(x.data(), x.rows(), x.outerStride(), linear.weightData, linear.biasData,
                            linear.outFeatures, linear.inFeatures, y.data(), y.outerStride());
        return;
    }
#endif
    for (Eigen::Index k = 0; k < x.rows(); ++k)
        linearRows(x.row(k), linear, y.row(k));
}

void logProbRows(const Eigen::Ref<const MatrixRM> &x, const LinearView &linear, Eigen::Ref<MatrixRM> logProbs,
                 bool rowExact)
{
    if (rowExact)
        linearRowsExact(x, linear, logProbs);
    else
        linearRows(x, linear, logProbs);
    for (Eigen::Index k = 0; k < x.rows(); ++k)
        logSoftmaxInPlace(logProbs.row(k).transpose());
}

bool rowExactKernels()
{
#ifdef ATTNVIZ_AVX2_KERNEL
    return hasAvx2Fma();
#else
    return false;
#endif
}

long argmaxOrNan(const float *values, long count)
{
    if (count <= 0)
        return -1;
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma())
        return argmaxAvx2(values, count);
#endif
    long best = 0;
    for (long i = 0; i < count; ++i) {
        if (std::isnan(values[i]))
            return -1;
        if (values[i] > values[best])
            best = i;
    }
    return best;
}

void tanhInPlace(float *values, Eigen::Index count)
{
    Eigen::Index done = 0;
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma()) {
        done = count - count % 8;
        tanhAvx2(values, done);
    }
#endif
    Eigen::Map<Eigen::ArrayXf> rest(values + done, count - done);
    rest = rest.tanh();
}

void softmaxInPlace(Eigen::Ref<Vector> x)
{
    if (x.size() == 0)
        return;
    x.array() = (x.array() - x.maxCoeff()).exp();
    x /= x.sum();
}

void logSoftmaxInPlace(Eigen::Ref<Vector> x)
{
    if (x.size() == 0)
        return;
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma()) {
        logSoftmaxAvx2(x.data(), x.size());
        return;
    }
#endif
    const float shift = x.maxCoeff();
    const float logSum = std::log((x.array() - shift).exp().sum());
    x.array() = (x.array() - shift) - logSum; // the order PyTorch uses
}

} // namespace attnviz
