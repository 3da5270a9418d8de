#include "file_io.h"

#include "load_helpers.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
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

std::string readWholeFile(const std::string &path)
{
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.isValid())
        throwModelError(path, "cannot open file: " + systemError(errno));
    struct stat info;
    if (::fstat(file.get(), &info) != 0)
        throwModelError(path, "cannot read file: " + systemError(errno));
    if (!S_ISREG(info.st_mode))
        throwModelError(path, "not a regular file");

    std::string bytes(static_cast<size_t>(info.st_size), '\0');
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t count = ::read(file.get(), bytes.data() + done, bytes.size() - done);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            throwModelError(path, "cannot read file: " + systemError(errno));
        if (count == 0)
            throwModelError(path, "file shrank while it was being read");
        done += static_cast<size_t>(count);
    }
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
