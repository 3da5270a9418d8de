// The ZIP container of torch.save (PyTorch >= 1.6), read with libzip from bytes in memory:
// "<name>/data.pkl", "<name>/data/<key>" (raw storages), "<name>/version", "<name>/byteorder".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct zip;

namespace attnviz::detail {

class TorchArchive
{
public:
    // Throws ModelError ("<displayName>: ...") unless the bytes are a ZIP archive holding one
    // "<name>/data.pkl". The bytes must outlive the archive. TorchFile tells the formats apart.
    TorchArchive(std::string_view bytes, std::string displayName);
    ~TorchArchive();
    TorchArchive(const TorchArchive &) = delete;
    TorchArchive &operator=(const TorchArchive &) = delete;

    // A record by its name inside "<name>/": "data.pkl", "data/0".
    std::optional<uint64_t> recordSize(const std::string &record) const;
    std::string readRecord(const std::string &record) const; // throws if absent
    std::string recordPath(const std::string &record) const { return m_prefix + record; }

private:
    [[noreturn]] void fail(const std::string &message) const;
    std::optional<uint64_t> indexOf(const std::string &record) const;

    struct Discard
    {
        void operator()(zip *archive) const;
    };

    std::string m_displayName;
    std::unique_ptr<zip, Discard> m_archive;
    std::string m_prefix; // "<name>/"
};

} // namespace attnviz::detail
