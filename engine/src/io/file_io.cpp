#include "io/file_io.h"

#include "io/load_helpers.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>
#include <filesystem>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attnviz::detail {

namespace {

std::string systemError(int error)
{
    return std::strerror(error);
}

// Closes the descriptor on every path out of a function.
class FileDescriptor
{
public:
    explicit FileDescriptor(int fd)
        : m_fd(fd)
    { }
    ~FileDescriptor() { close(); }
    FileDescriptor(const FileDescriptor &) = delete;
    FileDescriptor &operator=(const FileDescriptor &) = delete;

    int get() const { return m_fd; }
    bool isValid() const { return m_fd >= 0; }
    int close()
    {
        const int result = m_fd >= 0 ? ::close(m_fd) : 0;
        m_fd = -1;
        return result;
    }

private:
    int m_fd;
};

bool writeAll(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        bytes.remove_prefix(static_cast<size_t>(written));
    }
    return true;
}

} // namespace

void MemorySource::read(uint64_t offset, size_t count, char *out) const
{
    // An empty tensor reads nothing into an empty vector, whose data() may be null: memcpy must
    // not see it (found by fuzz_model_safetensors).
    if (count > 0)
        std::memcpy(out, m_bytes.data() + offset, count);
}

FileSource::FileSource(const std::string &path)
    : m_path(path)
    , m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC))
{
    if (m_fd < 0)
        throwModelError(path, "cannot open file: " + systemError(errno));
    struct stat info;
    std::string problem;
    if (::fstat(m_fd, &info) != 0)
        problem = "cannot read file: " + systemError(errno);
    else if (!S_ISREG(info.st_mode))
        problem = "not a regular file";
    if (!problem.empty()) {
        ::close(m_fd);
        throwModelError(path, problem);
    }
    m_size = static_cast<uint64_t>(info.st_size);
}

FileSource::~FileSource()
{
    ::close(m_fd);
}

void FileSource::read(uint64_t offset, size_t count, char *out) const
{
    size_t done = 0;
    while (done < count) {
        const ssize_t n = ::pread(m_fd, out + done, count - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throwModelError(m_path, "cannot read file: " + systemError(errno));
        if (n == 0)
            throwModelError(m_path, "file shrank while it was being read");
        done += static_cast<size_t>(n);
    }
}

MappedFileSource::MappedFileSource(const std::string &path)
{
    const FileSource file(path); // opens, checks and reports as the reading path does
    m_size = file.size();
    if (m_size == 0)
        return; // nothing to map; the container reports the missing header
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.isValid())
        throwModelError(path, "cannot open file: " + systemError(errno));
    void *bytes = ::mmap(nullptr, static_cast<size_t>(m_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
    if (bytes == MAP_FAILED)
        throwModelError(path, "cannot map file: " + systemError(errno));
    const size_t size = static_cast<size_t>(m_size);
    m_mapping = std::shared_ptr<const void>(bytes, [size](const void *p) { ::munmap(const_cast<void *>(p), size); });
    m_bytes = static_cast<const char *>(bytes);
}

void MappedFileSource::read(uint64_t offset, size_t count, char *out) const
{
    if (count > 0)
        std::memcpy(out, m_bytes + offset, count);
}

WeightArena::WeightArena(size_t floats)
    : m_left(floats)
{
    if (floats == 0)
        return;
#if defined(__SANITIZE_ADDRESS__)
    m_block = std::make_shared<std::vector<std::unique_ptr<float[]>>>();
#else
    constexpr size_t hugePage = size_t(2) << 20;
    const size_t bytes = floats * sizeof(float);
    const bool huge = bytes >= hugePage;
    const size_t size = huge ? (bytes + hugePage - 1) / hugePage * hugePage : bytes;
    const size_t mapped = huge ? size + hugePage : size; // room to align the start
    void *raw = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        throw std::bad_alloc();
    char *start = static_cast<char *>(raw);
    if (huge) {
        const auto address = reinterpret_cast<uintptr_t>(raw);
        start += (hugePage - address % hugePage) % hugePage;
        if (start != raw)
            ::munmap(raw, static_cast<size_t>(start - static_cast<char *>(raw)));
        if (const size_t tail = mapped - size - static_cast<size_t>(start - static_cast<char *>(raw)))
            ::munmap(start + size, tail);
#ifdef MADV_HUGEPAGE
        ::madvise(start, size, MADV_HUGEPAGE); // advice only: without it the pages are 4 KB
#endif
    }
    m_block = std::shared_ptr<const void>(start, [size](const void *p) { ::munmap(const_cast<void *>(p), size); });
    m_next = reinterpret_cast<float *>(start);
#endif
}

float *WeightArena::take(size_t count)
{
    if (footprint(count) > m_left)
        throw std::logic_error("WeightArena: more floats taken than it was made for");
    m_left -= footprint(count);
#if defined(__SANITIZE_ADDRESS__)
    auto &pieces = *std::static_pointer_cast<std::vector<std::unique_ptr<float[]>>>(
        std::const_pointer_cast<void>(m_block));
    pieces.push_back(std::make_unique<float[]>(count));
    return pieces.back().get();
#else
    float *piece = m_next;
    m_next += footprint(count);
    return piece;
#endif
}

std::string readWholeFile(const std::string &path)
{
    const FileSource file(path);
    std::string bytes(static_cast<size_t>(file.size()), '\0');
    file.read(0, bytes.size(), bytes.data());
    return bytes;
}

void writeFileAtomically(const std::string &path, std::string_view bytes)
{
    std::string tempPath;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
        tempPath = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(attempt);
        fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            throwModelError(path, "cannot create '" + tempPath + "': " + systemError(errno));
    }
    if (fd < 0)
        throwModelError(path, "cannot create a temporary file beside it");
    FileDescriptor file(fd);

    const auto failAndRemove = [&](const std::string &what) {
        const int error = errno;
        file.close();
        ::unlink(tempPath.c_str());
        throwModelError(path, what + ": " + systemError(error));
    };
    if (!writeAll(file.get(), bytes))
        failAndRemove("cannot write '" + tempPath + "'");
    if (::fsync(file.get()) != 0)
        failAndRemove("cannot sync '" + tempPath + "'");
    if (file.close() != 0)
        failAndRemove("cannot close '" + tempPath + "'");
    if (::rename(tempPath.c_str(), path.c_str()) != 0)
        failAndRemove("cannot rename '" + tempPath + "'");

    // Make the rename itself durable; failing here leaves a complete file, so it is not an error.
    std::string directory = std::filesystem::path(path).parent_path().string();
    FileDescriptor dir(
        ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.isValid())
        ::fsync(dir.get());
}

} // namespace attnviz::detail
