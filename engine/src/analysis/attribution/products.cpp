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
__attribute__((target("avx2,fma"))) inline __m256d load4(const float *p) // four floats as doubles (exact)
{
    return _mm256_cvtps_pd(_mm_loadu_ps(p));
}

__attribute__((target("avx2,fma"))) void timesVectorAvx2(const float *w, long rows, long cols, const double *x, double *y)
{
    long r = 0;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = w + r * cols, *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;
        __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long k = 0;
        for (; k + 8 <= cols; k += 8) {
            const __m256d x0 = _mm256_loadu_pd(x + k), x1 = _mm256_loadu_pd(x + k + 4);
            a0 = _mm256_fmadd_pd(load4(w0 + k), x0, a0);
            a1 = _mm256_fmadd_pd(load4(w1 + k), x0, a1);
            a2 = _mm256_fmadd_pd(load4(w2 + k), x0, a2);
            a3 = _mm256_fmadd_pd(load4(w3 + k), x0, a3);
            b0 = _mm256_fmadd_pd(load4(w0 + k + 4), x1, b0);
            b1 = _mm256_fmadd_pd(load4(w1 + k + 4), x1, b1);
            b2 = _mm256_fmadd_pd(load4(w2 + k + 4), x1, b2);
            b3 = _mm256_fmadd_pd(load4(w3 + k + 4), x1, b3);
        }
        double s0 = sum4(_mm256_add_pd(a0, b0)), s1 = sum4(_mm256_add_pd(a1, b1)), s2 = sum4(_mm256_add_pd(a2, b2)),
               s3 = sum4(_mm256_add_pd(a3, b3));
        for (; k < cols; ++k) {
            s0 += double(w0[k]) * x[k];
            s1 += double(w1[k]) * x[k];
            s2 += double(w2[k]) * x[k];
            s3 += double(w3[k]) * x[k];
        }
        y[r] = s0;
        y[r + 1] = s1;
        y[r + 2] = s2;
        y[r + 3] = s3;
    }
    for (; r < rows; ++r) {
        const float *wr = w + r * cols;
        __m256d a = _mm256_setzero_pd();
        long k = 0;
        for (; k + 4 <= cols; k += 4)
            a = _mm256_fmadd_pd(load4(wr + k), _mm256_loadu_pd(x + k), a);
        double s = sum4(a);
        for (; k < cols; ++k)
            s += double(wr[k]) * x[k];
        y[r] = s;
    }
}

// out[r + i, j] = W[r + i] . X[:, j] for R rows and C columns of X: R x C accumulators.
template<int R, int C>
__attribute__((target("avx2,fma"))) void timesBlockAvx2(const float *w, long r, long cols, const double *x, long xStride,
                                                        long j, double *out, long outStride)
{
    __m256d acc[R][C];
    for (int i = 0; i < R; ++i)
        for (int c = 0; c < C; ++c)
            acc[i][c] = _mm256_setzero_pd();
    long k = 0;
    for (; k + 4 <= cols; k += 4) {
        __m256d wv[R];
        for (int i = 0; i < R; ++i)
            wv[i] = load4(w + (r + i) * cols + k);
        for (int c = 0; c < C; ++c) {
            const __m256d xc = _mm256_loadu_pd(x + (j + c) * xStride + k);
            for (int i = 0; i < R; ++i)
                acc[i][c] = _mm256_fmadd_pd(wv[i], xc, acc[i][c]);
        }
    }
    for (int i = 0; i < R; ++i)
        for (int c = 0; c < C; ++c) {
            double s = sum4(acc[i][c]);
            for (long kk = k; kk < cols; ++kk)
                s += double(w[(r + i) * cols + kk]) * x[(j + c) * xStride + kk];
            out[(j + c) * outStride + r + i] = s;
        }
}

template<int R>
__attribute__((target("avx2,fma"))) void timesRowsAvx2(const float *w, long r, long cols, const double *x, long xStride,
                                                       long columns, double *out, long outStride)
{
    long j = 0;
    for (; j + 4 <= columns; j += 4)
        timesBlockAvx2<R, 4>(w, r, cols, x, xStride, j, out, outStride);
    for (; j < columns; ++j)
        timesBlockAvx2<R, 1>(w, r, cols, x, xStride, j, out, outStride);
}

// W X, X [cols x columns] column-major: two rows of W against four columns of X at a time.
__attribute__((target("avx2,fma"))) void timesMatrixAvx2(const float *w, long rows, long cols, const double *x,
                                                         long xStride, long columns, double *out, long outStride)
{
    long r = 0;
    for (; r + 2 <= rows; r += 2)
        timesRowsAvx2<2>(w, r, cols, x, xStride, columns, out, outStride);
    if (r < rows)
        timesRowsAvx2<1>(w, r, cols, x, xStride, columns, out, outStride);
}

// out[:, j] (+)= sum over rows r0 .. r1 - 1 of G[r, j] W[r, :] for the S seeds j of one block:
// V vectors of four columns of W at a time held in S x V accumulators while every row r goes by
// (S x V >= 8 keeps the FMA units busy past their latency).
template<int S, int V>
__attribute__((target("avx2,fma"))) void transposeBlockAvx2(const float *w, long r0, long r1, long cols, long k,
                                                            const double *g, long gStride, double *out, long outStride,
                                                            bool add)
{
    __m256d acc[S][V];
    for (int j = 0; j < S; ++j)
        for (int v = 0; v < V; ++v)
            acc[j][v] = add ? _mm256_loadu_pd(out + j * outStride + k + 4 * v) : _mm256_setzero_pd();
    for (long r = r0; r < r1; ++r) {
        const float *wr = w + r * cols + k;
        __m256d wv[V];
        for (int v = 0; v < V; ++v)
            wv[v] = load4(wr + 4 * v);
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
__attribute__((target("avx2,fma"))) void transposeTailAvx2(const float *w, long r0, long r1, long cols, long k,
                                                          const double *g, long gStride, long j0, long j1, double *out,
                                                          long outStride, bool add)
{
    for (long j = j0; j < j1; ++j)
        for (long kk = k; kk < cols; ++kk) {
            double s = add ? out[j * outStride + kk] : 0.0;
            for (long r = r0; r < r1; ++r)
                s += double(w[r * cols + kk]) * g[j * gStride + r];
            out[j * outStride + kk] = s;
        }
}

// W^T G for the seeds j0 .. j0 + S x blocks - 1 (seed blocks of S, V vectors of columns), over
// tiles of rows small enough (RowTile x 4V doubles) that a tile's columns stay in L1 while every
// seed block passes over them, and its rows in L2 while every block of columns does.
template<int S, int V>
__attribute__((target("avx2,fma"))) void transposeSeedsAvx2(const float *w, long rows, long cols, const double *g,
                                                            long gStride, long j0, long j1, double *out, long outStride)
{
    constexpr long RowTile = 256;
    for (long r0 = 0; r0 < rows; r0 += RowTile) {
        const long r1 = r0 + RowTile < rows ? r0 + RowTile : rows;
        const bool add = r0 > 0;
        long k = 0;
        for (; k + 4 * V <= cols; k += 4 * V)
            for (long j = j0; j + S <= j1; j += S)
                transposeBlockAvx2<S, V>(w, r0, r1, cols, k, g + j * gStride, gStride, out + j * outStride, outStride, add);
        for (; k + 4 <= cols; k += 4)
            for (long j = j0; j < j1; ++j)
                transposeBlockAvx2<1, 1>(w, r0, r1, cols, k, g + j * gStride, gStride, out + j * outStride, outStride, add);
        transposeTailAvx2(w, r0, r1, cols, k, g, gStride, j0, j1, out, outStride, add);
    }
}

__attribute__((target("avx2,fma"))) void transposeTimesAvx2(const float *w, long rows, long cols, const double *g,
                                                           long gStride, long seeds, double *out, long outStride)
{
    // Blocks of six seeds, then the rest with wider blocks of columns where few seeds are
    // left, so that enough accumulators hide the FMA latency.
    const long whole = seeds / 6 * 6;
    if (whole > 0)
        transposeSeedsAvx2<6, 2>(w, rows, cols, g, gStride, 0, whole, out, outStride);
    switch (seeds - whole) {
    case 5: transposeSeedsAvx2<5, 2>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 4: transposeSeedsAvx2<4, 2>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 3: transposeSeedsAvx2<3, 3>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 2: transposeSeedsAvx2<2, 4>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 1: transposeSeedsAvx2<1, 8>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    default: break;
    }
}

// The same with AVX-512 (eight doubles a vector, 32 registers: blocks of eight seeds), for
// matrices whose rows are a whole number of eight floats.
template<int S, int V>
__attribute__((target("avx512f"))) void transposeBlockAvx512(const float *w, long r0, long r1, long cols, long k,
                                                             const double *g, long gStride, double *out, long outStride,
                                                             bool add)
{
    __m512d acc[S][V];
    for (int j = 0; j < S; ++j)
        for (int v = 0; v < V; ++v)
            acc[j][v] = add ? _mm512_loadu_pd(out + j * outStride + k + 8 * v) : _mm512_setzero_pd();
    for (long r = r0; r < r1; ++r) {
        const float *wr = w + r * cols + k;
        __m512d wv[V];
        for (int v = 0; v < V; ++v) // (the unmasked conversion trips GCC 12's -Wmaybe-uninitialized)
            wv[v] = _mm512_maskz_cvtps_pd(__mmask8(0xFF), _mm256_loadu_ps(wr + 8 * v));
        for (int j = 0; j < S; ++j) {
            const __m512d gj = _mm512_set1_pd(g[j * gStride + r]);
            for (int v = 0; v < V; ++v)
                acc[j][v] = _mm512_fmadd_pd(wv[v], gj, acc[j][v]);
        }
    }
    for (int j = 0; j < S; ++j)
        for (int v = 0; v < V; ++v)
            _mm512_storeu_pd(out + j * outStride + k + 8 * v, acc[j][v]);
}

template<int S, int V>
__attribute__((target("avx512f"))) void transposeSeedsAvx512(const float *w, long rows, long cols, const double *g,
                                                             long gStride, long j0, long j1, double *out, long outStride)
{
    constexpr long RowTile = 256;
    for (long r0 = 0; r0 < rows; r0 += RowTile) {
        const long r1 = r0 + RowTile < rows ? r0 + RowTile : rows;
        const bool add = r0 > 0;
        long k = 0;
        for (; k + 8 * V <= cols; k += 8 * V)
            for (long j = j0; j + S <= j1; j += S)
                transposeBlockAvx512<S, V>(w, r0, r1, cols, k, g + j * gStride, gStride, out + j * outStride, outStride, add);
        for (; k + 8 <= cols; k += 8)
            for (long j = j0; j + S <= j1; j += S)
                transposeBlockAvx512<S, 1>(w, r0, r1, cols, k, g + j * gStride, gStride, out + j * outStride, outStride, add);
    }
}

__attribute__((target("avx512f"))) void transposeTimesAvx512(const float *w, long rows, long cols, const double *g,
                                                             long gStride, long seeds, double *out, long outStride)
{
    const long whole = seeds / 8 * 8;
    if (whole > 0)
        transposeSeedsAvx512<8, 2>(w, rows, cols, g, gStride, 0, whole, out, outStride);
    switch (seeds - whole) {
    case 7: transposeSeedsAvx512<7, 2>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 6: transposeSeedsAvx512<6, 2>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 5: transposeSeedsAvx512<5, 2>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 4: transposeSeedsAvx512<4, 2>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 3: transposeSeedsAvx512<3, 3>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 2: transposeSeedsAvx512<2, 4>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    case 1: transposeSeedsAvx512<1, 8>(w, rows, cols, g, gStride, whole, seeds, out, outStride); break;
    default: break;
    }
}

ProductKernel g_forced = ProductKernel::Auto;

bool supported(ProductKernel kernel)
{
    static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    static const bool avx512 = avx2 && __builtin_cpu_supports("avx512f");
    switch (kernel) {
    case ProductKernel::Avx512: return avx512;
    case ProductKernel::Avx2: return avx2;
    default: return true;
    }
}

// The kernel a product uses: the forced one, else the widest the CPU has.
ProductKernel chosen(ProductKernel widest)
{
    if (g_forced != ProductKernel::Auto)
        return g_forced == ProductKernel::Avx512 && widest == ProductKernel::Avx2 ? ProductKernel::Avx2 : g_forced;
    if (widest == ProductKernel::Avx512 && supported(ProductKernel::Avx512))
        return ProductKernel::Avx512;
    return supported(ProductKernel::Avx2) ? ProductKernel::Avx2 : ProductKernel::Eigen;
}

} // namespace
#endif

bool forceProductKernel(ProductKernel kernel)
{
#ifdef ATTNVIZ_AVX2_KERNEL
    if (!supported(kernel))
        return false;
    g_forced = kernel;
    return true;
#else
    return kernel == ProductKernel::Auto || kernel == ProductKernel::Eigen;
#endif
}

VectorD timesVector(const WeightF &w, const VectorD &x)
{
#ifdef ATTNVIZ_AVX2_KERNEL
    if (chosen(ProductKernel::Avx2) == ProductKernel::Avx2) {
        VectorD y(w.rows());
        timesVectorAvx2(w.data(), w.rows(), w.cols(), x.data(), y.data());
        return y;
    }
#endif
    return w.cast<double>() * x;
}

namespace {

// out [rows of W x n] = W X, X [cols x n]; both column-major with the given strides.
void timesMatrixInto(const WeightF &w, const double *x, long xStride, long n, double *out, long outStride)
{
#ifdef ATTNVIZ_AVX2_KERNEL
    if (chosen(ProductKernel::Avx2) == ProductKernel::Avx2) {
        timesMatrixAvx2(w.data(), w.rows(), w.cols(), x, xStride, n, out, outStride);
        return;
    }
#endif
    using Strided = Eigen::Map<const GradD, 0, Eigen::OuterStride<>>;
    Eigen::Map<GradD, 0, Eigen::OuterStride<>>(out, w.rows(), n, Eigen::OuterStride<>(outStride)).noalias() =
        w.cast<double>() * Strided(x, w.cols(), n, Eigen::OuterStride<>(xStride));
}

// out [cols of W x n] = W^T G, G [rows x n]; both column-major with the given strides.
void transposeTimesInto(const WeightF &w, const double *g, long gStride, long n, double *out, long outStride)
{
#ifdef ATTNVIZ_AVX2_KERNEL
    const ProductKernel kernel = chosen(w.cols() % 8 == 0 ? ProductKernel::Avx512 : ProductKernel::Avx2);
    if (kernel != ProductKernel::Eigen) {
        (kernel == ProductKernel::Avx512 ? transposeTimesAvx512 : transposeTimesAvx2)(w.data(), w.rows(), w.cols(), g, gStride,
                                                                                    n, out, outStride);
        return;
    }
#endif
    using Strided = Eigen::Map<const GradD, 0, Eigen::OuterStride<>>;
    Eigen::Map<GradD, 0, Eigen::OuterStride<>>(out, w.cols(), n, Eigen::OuterStride<>(outStride)).noalias() =
        w.cast<double>().transpose() * Strided(g, w.rows(), n, Eigen::OuterStride<>(gStride));
}

} // namespace

GradD timesMatrix(const WeightF &w, const GradD &x)
{
    GradD y(w.rows(), x.cols());
    timesMatrixInto(w, x.data(), x.rows(), x.cols(), y.data(), y.rows());
    return y;
}

GradD transposeTimes(const WeightF &w, const GradD &g)
{
    GradD out(w.cols(), g.cols());
    transposeTimesInto(w, g.data(), g.rows(), g.cols(), out.data(), out.rows());
    return out;
}

// A row-major [n x k] matrix is the column-major [k x n] of its transpose: X W^T is (W X^T)^T
// and G W is (W^T G^T)^T, with no copy.
MatrixD rowsTimesTransposed(const MatrixD &x, const WeightF &w)
{
    MatrixD y(x.rows(), w.rows());
    timesMatrixInto(w, x.data(), x.cols(), x.rows(), y.data(), y.cols());
    return y;
}

MatrixD rowsTimes(const MatrixD &g, const WeightF &w)
{
    MatrixD y(g.rows(), w.cols());
    transposeTimesInto(w, g.data(), g.cols(), g.rows(), y.data(), y.cols());
    return y;
}

} // namespace attnviz::detail
