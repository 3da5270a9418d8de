// The values of a tensor: floats owned in a vector, or read in place from a mapped model file.
// A mapped buffer is read-only and shared; the first access that could write copies it into a
// vector of its own (so code that edits weights, like the tests, sees an ordinary vector).
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <vector>

namespace attnviz {

class FloatBuffer
{
public:
    FloatBuffer() = default;
    FloatBuffer(std::initializer_list<float> values)
        : m_owned(values)
    {
    }
    FloatBuffer(std::vector<float> values) // NOLINT(google-explicit-constructor): a vector is a buffer
        : m_owned(std::move(values))
    {
    }
    // `count` floats at `data`, which stay valid as long as `keepAlive` (the mapping) lives.
    static FloatBuffer inPlace(const float *data, size_t count, std::shared_ptr<const void> keepAlive)
    {
        FloatBuffer buffer;
        buffer.m_mapped = data;
        buffer.m_mappedSize = count;
        buffer.m_keepAlive = std::move(keepAlive);
        return buffer;
    }

    bool isInPlace() const { return m_mapped != nullptr; }
    size_t size() const { return m_mapped ? m_mappedSize : m_owned.size(); }
    bool empty() const { return size() == 0; }

    const float *data() const { return m_mapped ? m_mapped : m_owned.data(); }
    const float *begin() const { return data(); }
    const float *end() const { return data() + size(); }
    const float &operator[](size_t i) const { return data()[i]; }

    float *data() { return owned().data(); }
    float *begin() { return data(); }
    float *end() { return data() + size(); }
    float &operator[](size_t i) { return owned()[i]; }
    void resize(size_t count) { owned().resize(count); }
    void reserve(size_t count) { owned().reserve(count); }
    void push_back(float value) { owned().push_back(value); }
    void clear() { *this = FloatBuffer(); }

    friend bool operator==(const FloatBuffer &a, const FloatBuffer &b)
    {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
    }
    friend bool operator!=(const FloatBuffer &a, const FloatBuffer &b) { return !(a == b); }

private:
    std::vector<float> &owned()
    {
        if (m_mapped) {
            m_owned.assign(m_mapped, m_mapped + m_mappedSize);
            m_mapped = nullptr;
            m_mappedSize = 0;
            m_keepAlive.reset();
        }
        return m_owned;
    }

    std::vector<float> m_owned;
    const float *m_mapped = nullptr;
    size_t m_mappedSize = 0;
    std::shared_ptr<const void> m_keepAlive;
};

} // namespace attnviz
