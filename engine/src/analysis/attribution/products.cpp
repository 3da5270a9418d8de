#include "analysis/attribution/products.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define ATTNVIZ_AVX2_KERNEL 1
#include <immintrin.h>
#endif

namespace attnviz::detail {

#ifdef ATTNVIZ_AVX2_KERNEL
namespace {

// Plain pointers and intrinsics only: no template or inline function from a header may be
// compiled for AVX2 here, or the linker could hand that copy to code that runs without it
// (the templates below have internal linkage).

__attribute__((target("avx2,fma"))) double sum4(__m256d v)
{
    const __m128d half = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)));
}

// y[r] = W[r] . x, four rows at a time, two accumulators a row.
__attribute__((target("avx2,fma"))) void timesVectorAvx2(const double *w, long rows, long cols, const double *x, double *y)
{
    long r = 0;
    for (; r + 4 <= rows; r += 4) {
        const double *w0 = w + r * cols, *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;
        __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long k = 0;
        for (; k + 8 <= cols; k += 8) {
            const __m256d x0 = _mm256_loadu_pd(x + k), x1 = _mm256_loadu_pd(x + k + 4);
            a0 = _mm256_fmadd_pd(_mm256_loadu_pd(w0 + k), x0, a0);
            a1 = _mm256_fmadd_pd(_mm256_loadu_pd(w1 + k), x0, a1);
            a2 = _mm256_fmadd_pd(_mm256_loadu_pd(w2 + k), x0, a2);
            a3 = _mm256_fmadd_pd(_mm256_loadu_pd(w3 + k), x0, a3);
            b0 = _mm256_fmadd_pd(_mm256_loadu_pd(w0 + k + 4), x1, b0);
            b1 = _mm256_fmadd_pd(_mm256_loadu_pd(w1 + k + 4), x1, b1);
            b2 = _mm256_fmadd_pd(_mm256_loadu_pd(w2 + k + 4), x1, b2);
            b3 = _mm256_fmadd_pd(_mm256_loadu_pd(w3 + k + 4), x1, b3);
        }
        double s0 = sum4(_mm256_add_pd(a0, b0)), s1 = sum4(_mm256_add_pd(a1, b1)), s2 = sum4(_mm256_add_pd(a2, b2)),
               s3 = sum4(_mm256_add_pd(a3, b3));
        for (; k < cols; ++k) {
            s0 += w0[k] * x[k];
            s1 += w1[k] * x[k];
            s2 += w2[k] * x[k];
            s3 += w3[k] * x[k];
        }
        y[r] = s0;
        y[r + 1] = s1;
        y[r + 2] = s2;
        y[r + 3] = s3;
    }
    for (; r < rows; ++r) {
        const double *wr = w + r * cols;
        __m256d a = _mm256_setzero_pd();
        long k = 0;
        for (; k + 4 <= cols; k += 4)
            a = _mm256_fmadd_pd(_mm256_loadu_pd(wr + k), _mm256_loadu_pd(x + k), a);
        double s = sum4(a);
        for (; k < cols; ++k)
            s += wr[k] * x[k];
        y[r] = s;
    }
}

// out[:, j] (+)= sum over rows r0 .. r1 - 1 of G[r, j] W[r, :] for the S seeds j of one block:
// V vectors of four columns of W at a time held in S x V accumulators while every row r goes by
// (S x V >= 8 keeps the FMA units busy past their latency).
template<int S, int V>
__attribute__((target("avx2,fma"))) void transposeBlockAvx2(const double *w, long r0, long r1, long cols, long k,
                                                            const double *g, long gStride, double *out, long outStride,
                                                            bool add)
{
    __m256d acc[S][V];
    for (int j = 0; j < S; ++j)
        for (int v = 0; v < V; ++v)
            acc[j][v] = add ? _mm256_loadu_pd(out + j * outStride + k + 4 * v) : _mm256_setzero_pd();
    for (long r = r0; r < r1; ++r) {
        const double *wr = w + r * cols + k;
        __m256d wv[V];
        for (int v = 0; v < V; ++v)
            wv[v] = _mm256_loadu_pd(wr + 4 * v);
        for (int j = 0; j < S; ++j) {
            const __m256d gj = _mm256_broadcast_sd(g + j * gStride + r);
            for (int v = 0; v < V; ++v)
                acc[j][v] = _mm256_fmadd_pd(wv[v], gj, acc[j][v]);
        }
    }
    for (int j = 0; j < S; ++j)
        for (int v = 0; v < V; ++v)
            _mm256_storeu_pd(out + j * outStride + k + 4 * v, acc[j][v]);
}

// The columns of W past the last whole vector, for seeds j0 .. j1 - 1.
__attribute__((target("avx2,fma"))) void transposeTailAvx2(const double *w, long r0, long r1, long cols, long k,
                                                          const double *g, long gStride, long j0, long j1, double *out,
                                                          long outStride, bool add)
{
    for (long j = j0; j < j1; ++j)
        for (long kk = k; kk < cols; ++kk) {
            double s = add ? out[j * outStride + kk] : 0.0;
            for (long r = r0; r < r1; ++r)
                s += w[r * cols + kk] * g[j * gStride + r];
            out[j * outStride + kk] = s;
        }
}

// W^T G for the seeds j0 .. j0 + S x blocks - 1 (seed blocks of S, V vectors of columns), over
// tiles of rows small enough (RowTile x 4V doubles) that a tile's columns stay in L1 while every
// seed block passes over them, and its rows in L2 while every block of columns does.
template<int S, int V>
__attribute__((target("avx2,fma"))) void transposeSeedsAvx2(const double *w, long rows, long cols, const double *g,
                                                            long j0, long j1, double *out)
{
    constexpr long RowTile = 256;
    for (long r0 = 0; r0 < rows; r0 += RowTile) {
        const long r1 = r0 + RowTile < rows ? r0 + RowTile : rows;
        const bool add = r0 > 0;
        long k = 0;
        for (; k + 4 * V <= cols; k += 4 * V)
            for (long j = j0; j + S <= j1; j += S)
                transposeBlockAvx2<S, V>(w, r0, r1, cols, k, g + j * rows, rows, out + j * cols, cols, add);
        for (; k + 4 <= cols; k += 4)
            for (long j = j0; j < j1; ++j)
                transposeBlockAvx2<1, 1>(w, r0, r1, cols, k, g + j * rows, rows, out + j * cols, cols, add);
        transposeTailAvx2(w, r0, r1, cols, k, g, rows, j0, j1, out, cols, add);
    }
}

__attribute__((target("avx2,fma"))) void transposeTimesAvx2(const double *w, long rows, long cols, const double *g,
                                                           long seeds, double *out)
{
    // Blocks of four seeds, then the rest with wider blocks of columns, so that enough
    // accumulators hide the FMA latency.
    const long whole = seeds / 4 * 4;
    if (whole > 0)
        transposeSeedsAvx2<4, 2>(w, rows, cols, g, 0, whole, out);
    switch (seeds - whole) {
    case 3: transposeSeedsAvx2<3, 3>(w, rows, cols, g, whole, seeds, out); break;
    case 2: transposeSeedsAvx2<2, 4>(w, rows, cols, g, whole, seeds, out); break;
    case 1: transposeSeedsAvx2<1, 8>(w, rows, cols, g, whole, seeds, out); break;
    default: break;
    }
}

bool hasAvx2Fma()
{
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
}

} // namespace
#endif

VectorD timesVector(const MatrixD &w, const VectorD &x)
{
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma()) {
        VectorD y(w.rows());
        timesVectorAvx2(w.data(), w.rows(), w.cols(), x.data(), y.data());
        return y;
    }
#endif
    return w * x;
}

GradD transposeTimes(const MatrixD &w, const GradD &g)
{
#ifdef ATTNVIZ_AVX2_KERNEL
    if (hasAvx2Fma()) {
        GradD out(w.cols(), g.cols());
        transposeTimesAvx2(w.data(), w.rows(), w.cols(), g.data(), g.cols(), out.data());
        return out;
    }
#endif
    return w.transpose() * g;
}

} // namespace attnviz::detail
