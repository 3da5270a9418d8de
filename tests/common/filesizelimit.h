// Makes writes fail as a full disk does, for tests of what a failed save leaves behind.
#pragma once

#include <csignal>

#include <sys/resource.h>

namespace attnviz::test {

// While it lives, files of this process cannot grow past `bytes`: write() fails with EFBIG
// (SIGXFSZ is ignored). Unlike read-only permissions, this stops root too.
class FileSizeLimit
{
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        std::signal(SIGXFSZ, SIG_IGN);
        getrlimit(RLIMIT_FSIZE, &m_old);
        rlimit limit = m_old;
        limit.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &m_old); }
    FileSizeLimit(const FileSizeLimit &) = delete;
    FileSizeLimit &operator=(const FileSizeLimit &) = delete;

private:
    rlimit m_old {};
};

} // namespace attnviz::test
