#include "io/torch/torch_zip.h"

#include <attnviz/io/model_file.h>

#include <zip.h>

#include <memory>

namespace attnviz::detail {

namespace {

std::string zipErrorText(zip_error_t *error)
{
    const std::string text = zip_error_strerror(error);
    zip_error_fini(error);
    return text;
}

} // namespace

TorchArchive::TorchArchive(std::string_view bytes, std::string displayName)
    : m_displayName(std::move(displayName))
{
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (!source)
        fail("cannot read the ZIP archive: " + zipErrorText(&error));
    m_archive.reset(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
    if (!m_archive) {
        zip_source_free(source);
        fail("not a readable ZIP archive (truncated or damaged?): " + zipErrorText(&error));
    }
    zip_error_fini(&error);

    const zip_int64_t count = zip_get_num_entries(m_archive.get(), 0);
    for (zip_int64_t i = 0; i < count; ++i) {
        const char *entry = zip_get_name(m_archive.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
        const std::string name = entry ? entry : "";
        const size_t slash = name.find('/');
        if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            if (!m_prefix.empty())
                fail("holds more than one data.pkl ('" + m_prefix + "data.pkl' and '" + name + "')");
            m_prefix = name.substr(0, slash + 1);
        }
    }
    if (m_prefix.empty())
        fail("a ZIP archive without '<name>/data.pkl': not written by torch.save");
    if (const auto order = recordSize("byteorder")) {
        const std::string text = *order <= 16 ? readRecord("byteorder") : std::string("?");
        if (text != "little")
            fail("stored big-endian (byteorder '" + text + "'); only little-endian checkpoints are read");
    }
}

TorchArchive::~TorchArchive() = default;

void TorchArchive::Discard::operator()(zip *archive) const
{
    zip_discard(archive); // read-only: nothing to write back
}

void TorchArchive::fail(const std::string &message) const
{
    throw ModelError(m_displayName + ": " + message);
}

std::optional<uint64_t> TorchArchive::indexOf(const std::string &record) const
{
    const zip_int64_t index = zip_name_locate(m_archive.get(), (m_prefix + record).c_str(), ZIP_FL_ENC_RAW);
    if (index < 0)
        return std::nullopt;
    return static_cast<uint64_t>(index);
}

std::optional<uint64_t> TorchArchive::recordSize(const std::string &record) const
{
    const auto index = indexOf(record);
    if (!index)
        return std::nullopt;
    zip_stat_t stat;
    if (zip_stat_index(m_archive.get(), *index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE))
        fail("cannot read the size of '" + m_prefix + record + "'");
    return stat.size;
}

std::string TorchArchive::readRecord(const std::string &record) const
{
    const auto size = recordSize(record);
    if (!size)
        fail("the archive has no '" + m_prefix + record + "'");
    std::unique_ptr<zip_file_t, int (*)(zip_file_t *)> file(zip_fopen_index(m_archive.get(), *indexOf(record), 0),
                                                             zip_fclose);
    if (!file)
        fail("cannot open '" + m_prefix + record + "': " + zip_strerror(m_archive.get()));
    std::string bytes(*size, '\0');
    uint64_t done = 0;
    while (done < *size) {
        const zip_int64_t n = zip_fread(file.get(), bytes.data() + done, *size - done);
        if (n <= 0)
            fail("cannot read '" + m_prefix + record + "' (truncated or damaged?): "
                 + zip_file_strerror(file.get()));
        done += static_cast<uint64_t>(n);
    }
    char extra;
    if (zip_fread(file.get(), &extra, 1) != 0) // also where libzip reports a CRC mismatch
        fail("'" + m_prefix + record + "' does not match its recorded size or checksum");
    return bytes;
}

} // namespace attnviz::detail
