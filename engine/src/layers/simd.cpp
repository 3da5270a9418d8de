#include "layers/simd.h"

#include <cstdlib>

namespace attnviz::simd {

bool hasAvx2Fma()
{
#ifdef ATTNVIZ_AVX2_KERNEL
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
#else
    return false;
#endif
}

bool hasAvx512()
{
#ifdef ATTNVIZ_AVX2_KERNEL
    static const bool has = __builtin_cpu_supports("avx512f") && !std::getenv("ATTNVIZ_NO_AVX512");
    return has;
#else
    return false;
#endif
}

bool hasAvx512Vnni()
{
#ifdef ATTNVIZ_AVX2_KERNEL
    static const bool has =
        hasAvx512() && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    return has;
#else
    return false;
#endif
}

} // namespace attnviz::simd
