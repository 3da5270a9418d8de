#include <attnviz/layers.h>

#include <cmath>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__AVX2__)
#define ATTNVIZ_AVX2_KERNEL 1
#include <immintrin.h>
#endif

namespace attnviz {

#ifdef ATTNVIZ_AVX2_KERNEL
namespace {

// y[k][v] = b[v] + W[v] . x[k]: four rows of W at a time, each read once from memory and
// reused from L1 for every row of x. Plain pointers and intrinsics only: no template or inline
// function from a header may be compiled for AVX2 here, or the linker could hand that copy to
// code that runs on CPUs without it.
__attribute__((target("avx2,fma"))) void linearAvx2(const float *x, long rows, long xStride, const float *w,
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
            // [a0 a1 a2 a3] summed within each: two horizontal adds, then the two 128-bit halves.
            const __m256 pairs = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
            __m128 sums = _mm_add_ps(_mm256_castps256_ps128(pairs), _mm256_extractf128_ps(pairs, 1));
            float out[4];
            _mm_storeu_ps(out, sums);
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
            __m128 half = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
            half = _mm_hadd_ps(half, half);
            half = _mm_hadd_ps(half, half);
            float sum = _mm_cvtss_f32(half);
            for (long i = vectorEnd; i < inputs; ++i)
                sum += wv[i] * xk[i];
            y[k * yStride + v] = sum + (b ? b[v] : 0.0f);
        }
    }
}

bool hasAvx2Fma()
{
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
}

} // namespace
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

void gruStep(const GruView &gru, const Eigen::Ref<const Vector> &gi, const Eigen::Ref<const Vector> &h,
             Eigen::Ref<Vector> out, Vector &gh)
{
    const Eigen::Index H = gru.hiddenSize();
    gh.resize(3 * H);
    using Row = Eigen::Map<const MatrixRM>;
    gruStepRows(gru, Row(gi.data(), 1, 3 * H), Row(h.data(), 1, H), Eigen::Map<MatrixRM>(out.data(), 1, H),
                Eigen::Map<MatrixRM>(gh.data(), 1, 3 * H));
}

void gruStepRows(const GruView &gru, const Eigen::Ref<const MatrixRM> &gi, const Eigen::Ref<const MatrixRM> &h,
                 Eigen::Ref<MatrixRM> out, Eigen::Ref<MatrixRM> gh)
{
    const Eigen::Index H = gru.hiddenSize();
    linearRows(h, gru.hiddenToHidden, gh);
    // Whole blocks at a time, so that Eigen vectorizes exp and tanh; r, z and n overwrite their
    // parts of gh (each element is read before it is written).
    auto r = gh.leftCols(H).array(), z = gh.middleCols(H, H).array(), n = gh.rightCols(H).array();
    r = (1.0f + (-(gi.leftCols(H).array() + r)).exp()).inverse();
    z = (1.0f + (-(gi.middleCols(H, H).array() + z)).exp()).inverse();
    n = (gi.rightCols(H).array() + r * n).tanh();
    out.array() = (1.0f - z) * n + z * h.array();
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
    const float shift = x.maxCoeff();
    const float logSum = std::log((x.array() - shift).exp().sum());
    x.array() = (x.array() - shift) - logSum; // the order PyTorch uses
}

} // namespace attnviz
