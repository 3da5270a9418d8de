// Low-precision copies of a Linear, for speculative decoding's guesses only (docs/decoding.md):
// every number the user sees comes from the float32 layer. Each copy is made when first asked
// for (LazyCopy), not when the model loads: opening a model stays a map of its file.
#pragma once

#include <attnviz/layers/linear.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace attnviz {

// An int8 copy of a Linear, a quarter of its bytes (a transformer draft's projections): W row v
// as round(W[v] / s_v) with s_v = max |W[v]| / 127, x rounded to int16 with one scale, the
// products summed exactly in int32.
class QuantizedLinear
{
public:
    explicit QuantizedLinear(const LinearView &linear);
    // y [out] ~ W x + b for one x [in]; `scratch` holds x rounded (one per thread: the model,
    // and this copy with it, is shared by the threads of a batch).
    void apply(const float *x, float *y, std::vector<int16_t> &scratch) const;

private:
    int m_out = 0, m_in = 0, m_stride = 0; // a row's inputs, padded to a multiple of 32
    std::vector<int8_t> m_weights;          // [out x stride]
    std::vector<float> m_scales;            // [out]
    const float *m_bias = nullptr;
};

// The guess at an output layer's best token, from an eighth of its bytes: an int4 copy of W
// (W row v as the nearest integer to W[v] / s_v, s_v = max |W[v]| / 7; x rounded to int8 with
// one scale; the products summed exactly in int32) scores every row, and the `refinedRows`
// best of those scores are computed again from the float32 W. The guess is then the float32
// argmax whenever that row is among the int4 copy's best 16: on the benchmark's models the
// guesses are right as often as with an int8 copy of the whole layer, at half its bytes.
class GuessLinear
{
public:
    static constexpr int refinedRows = 16;
    // One per thread (the model, and this copy with it, is shared by the threads of a batch).
    struct Scratch
    {
        std::vector<int8_t> x;                 // x rounded, padded
        std::vector<int32_t> sums;             // each row's integer sum
        std::vector<std::pair<float, int>> best; // the rows refined
    };

    explicit GuessLinear(const LinearView &linear);
    // y [out]: the int4 scores of W x + b, the refinedRows highest replaced by float32 W x + b.
    void apply(const float *x, float *y, Scratch &scratch) const;
    // y [out]: the int4 scores alone.
    void score(const float *x, float *y, Scratch &scratch) const;
    // The int4 value of W[v][i], -7 .. 7 (tests).
    int weight(int v, int i) const;
    float scale(int v) const { return m_scales[v]; }

private:
    LinearView m_linear;
    long m_rowBytes = 0;           // a row's inputs, padded to a multiple of 128, two a byte
    std::vector<uint8_t> m_weights; // [out x rowBytes]: 8 + the int4 value in each nibble
    std::vector<float> m_scales;    // [out]
};

// A copy T of a Linear, made when first asked for, once, by whichever thread asks first. The
// owner of the Linear passes it in, always the same one.
template<typename T>
class LazyCopy
{
public:
    const T &get(const LinearView &linear) const
    {
        std::call_once(m_once, [&] { m_copy = std::make_unique<T>(linear); });
        return *m_copy;
    }

private:
    mutable std::once_flag m_once;
    mutable std::unique_ptr<T> m_copy;
};

} // namespace attnviz
