// Whole-file reading and atomic writing; errors are ModelErrors naming the path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace attnviz::detail {

// Where a container's bytes come from: a buffer, or a file read piece by piece, so that the
// loader can read each tensor straight into its own storage instead of holding the whole file
// as well (two copies of the weights at the peak).
class ByteSource
{
public:
    virtual ~ByteSource() = default;
    virtual uint64_t size() const = 0;
    // Copies bytes [offset, offset + count) to out; the caller keeps the range within size().
    virtual void read(uint64_t offset, size_t count, char *out) const = 0;
    // The bytes at offset where they lie, for as long as keepAlive() lives; null unless mapped.
    virtual const char *inPlace(uint64_t offset) const
    {
        (void)offset;
        return nullptr;
    }
    virtual std::shared_ptr<const void> keepAlive() const { return nullptr; }
};

class MemorySource : public ByteSource
{
public:
    explicit MemorySource(std::string_view bytes)
        : m_bytes(bytes)
    { }
    uint64_t size() const override { return m_bytes.size(); }
    void read(uint64_t offset, size_t count, char *out) const override;

private:
    std::string_view m_bytes;
};

// A regular file, open for as long as the object lives. Errors are ModelErrors naming the path.
class FileSource : public ByteSource
{
public:
    explicit FileSource(const std::string &path);
    ~FileSource() override;
    FileSource(const FileSource &) = delete;
    FileSource &operator=(const FileSource &) = delete;
    uint64_t size() const override { return m_size; }
    void read(uint64_t offset, size_t count, char *out) const override;

private:
    std::string m_path;
    int m_fd = -1;
    uint64_t m_size = 0;
};

// A regular file mapped read-only (MAP_PRIVATE, populated at once: one system call instead of
// a page fault per page). The mapping lives as long as the last keepAlive() holder.
class MappedFileSource : public ByteSource
{
public:
    explicit MappedFileSource(const std::string &path);
    uint64_t size() const override { return m_size; }
    void read(uint64_t offset, size_t count, char *out) const override;
    const char *inPlace(uint64_t offset) const override { return m_bytes + offset; }
    std::shared_ptr<const void> keepAlive() const override { return m_mapping; }

private:
    std::shared_ptr<const void> m_mapping;
    const char *m_bytes = nullptr;
    uint64_t m_size = 0;
};

// Anonymous memory for a model's weights, handed out in 64-byte-aligned pieces and freed when
// the last keepAlive() holder goes. Blocks of 2 MB or more are 2 MB-aligned and advised for
// transparent huge pages (MADV_HUGEPAGE): a greedy step streams every weight once a token, and
// with 4 KB pages the page walks and the prefetchers' stops at each page cost about a fifth of
// the bandwidth (docs/performance.md). Untouched pages cost no memory, so a block sized for
// the whole model keeps one copy of the weights at the peak. Under AddressSanitizer every
// piece is an allocation of its own instead, so that reading past a tensor is still caught.
class WeightArena
{
public:
    explicit WeightArena(size_t floats); // the sum of footprint() of every piece to take
    float *take(size_t count);
    std::shared_ptr<const void> keepAlive() const { return m_block; }
    static size_t footprint(size_t count) { return (count + 15) / 16 * 16; } // floats a piece uses

private:
    std::shared_ptr<const void> m_block;
    float *m_next = nullptr;
    size_t m_left = 0; // floats
};

std::string readWholeFile(const std::string &path);

// Writes a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the
// directory, so readers see either the old file or the complete new one.
void writeFileAtomically(const std::string &path, std::string_view bytes);

} // namespace attnviz::detail
