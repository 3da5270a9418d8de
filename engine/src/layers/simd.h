// Internal to engine/src/layers: which vector instructions this CPU runs, and the small AVX2
// helpers the kernels of linear.cpp and quantized.cpp share.
//
// The kernels are used in every x86-64 build: chosen at run time in builds for the baseline,
// and in -march=native builds too, where they beat Eigen's own products (docs/performance.md).
// Plain pointers and intrinsics only: no template or inline function from another header may
// be compiled for AVX2 there, or the linker could hand that copy to code that runs on CPUs
// without it. The helpers below have internal linkage for the same reason.
#pragma once

#if defined(__GNUC__) && defined(__x86_64__)
#define ATTNVIZ_AVX2_KERNEL 1
#include <immintrin.h>
#endif

// GCC 12's AVX-512 intrinsics (_mm512_extractf64x4_pd, _mm512_shuffle_f32x4, ...) start from
// _mm512_undefined_ps(), which -Wmaybe-uninitialized takes for a read of an uninitialized
// value inside the header: a false positive, silenced around the kernels only.
#if defined(__GNUC__) && !defined(__clang__)
#define ATTNVIZ_KERNELS_BEGIN _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define ATTNVIZ_KERNELS_END _Pragma("GCC diagnostic pop")
#else
#define ATTNVIZ_KERNELS_BEGIN
#define ATTNVIZ_KERNELS_END
#endif

namespace attnviz::simd {

// AVX2 and FMA; AVX-512 (F); AVX-512 with BW and VNNI. ATTNVIZ_NO_AVX512=1 in the environment
// turns both AVX-512 answers off (the tests of the AVX2 kernels on CPUs with both).
bool hasAvx2Fma();
bool hasAvx512();
bool hasAvx512Vnni();

#ifdef ATTNVIZ_AVX2_KERNEL
namespace {

__attribute__((target("avx2,fma"))) inline float horizontalSum(__m256 v)
{
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    half = _mm_hadd_ps(half, half);
    return _mm_cvtss_f32(_mm_hadd_ps(half, half));
}

// How far ahead of the loads the streaming kernels ask for W's lines. The hardware prefetchers
// stop at every 4 KB page and ramp up again at every row; a software prefetch about 2 KB ahead
// into L1 keeps the stream going across both (measured on 2026-12-02 against 1, 1.5, 2.5, 3, 4
// and 6 KB, and against L2-only hints: 2 KB into L1 was the fastest). A second one, 16 KB ahead
// into L2, covers the longer trip from a large, slow L3 or from memory while the kernel is busy
// with its multiply-adds (the exact pass over 8 rows, the int8 guesses): on 2026-12-03, on an
// Intel Xeon with a 504 MB L3, it made greedy decoding at V = 30k 1.1 to 1.5x faster and beam-5
// up to 1.4x, and cost nothing measurable in the caches (8, 16 and 32 KB measured; 16 KB best;
// docs/performance.md).
constexpr long prefetchBytes = 2048;
constexpr long farPrefetchBytes = 16384;

__attribute__((target("avx2,fma"))) inline void prefetchAhead(const void *p)
{
    _mm_prefetch(static_cast<const char *>(p) + prefetchBytes, _MM_HINT_T0);
    _mm_prefetch(static_cast<const char *>(p) + farPrefetchBytes, _MM_HINT_T1);
}

} // namespace
#endif

} // namespace attnviz::simd
