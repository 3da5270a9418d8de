#include "io/safetensors.h"

#include "io/load_helpers.h"

#include <attnviz/io/half.h>

#include <algorithm>
#include <cstring>
#include <tuple>

namespace attnviz::detail {

namespace {

// The limit of the reference implementation (safetensors' MAX_HEADER_SIZE).
constexpr uint64_t maxHeaderSize = 100'000'000;

enum class DType { F32, F16, BF16 };

struct DTypeInfo
{
    DType dtype;
    const char *name;
    uint64_t size;
};

constexpr DTypeInfo dtypes[] = {
    {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
};

struct Entry
{
    std::string name;
    const DTypeInfo *dtype;
    std::vector<int64_t> shape;
    uint64_t begin, end; // relative to the start of the data section
};

uint64_t readLittleEndian(const char *bytes, int size)
{
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i)
        value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    return value;
}

void appendLittleEndian(std::string &out, uint64_t value, int size)
{
    for (int i = 0; i < size; ++i)
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xffu));
}

float decodeValue(const char *bytes, DType dtype)
{
    switch (dtype) {
    case DType::F32: {
        const auto bits = static_cast<uint32_t>(readLittleEndian(bytes, 4));
        float value;
        std::memcpy(&value, &bits, sizeof value);
        return value;
    }
    case DType::F16:
        return halfToFloat(static_cast<uint16_t>(readLittleEndian(bytes, 2)));
    case DType::BF16:
        return bfloat16ToFloat(static_cast<uint16_t>(readLittleEndian(bytes, 2)));
    }
    return 0.0f;
}

// A mapped file's aligned F32 tensors are used where they lie.
const float *inPlaceFloats(const ByteSource &source, uint64_t offset, const DTypeInfo &dtype)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const char *inPlace = source.inPlace(offset);
    if (dtype.dtype == DType::F32 && inPlace && reinterpret_cast<uintptr_t>(inPlace) % alignof(float) == 0)
        return reinterpret_cast<const float *>(inPlace);
#else
    (void)source, (void)offset, (void)dtype;
#endif
    return nullptr;
}

// F32 goes straight from the source into the model's weight arena when the host is
// little-endian like the format; F16 and BF16 are widened through a small buffer. Either way
// the weights are held once.
void readValues(const ByteSource &source, uint64_t offset, const DTypeInfo &dtype, size_t count, WeightArena &arena,
                FloatBuffer &values)
{
    if (count == 0)
        return;
    if (const float *inPlace = inPlaceFloats(source, offset, dtype)) {
        values = FloatBuffer::inPlace(inPlace, count, source.keepAlive());
        return;
    }
    float *out = arena.take(count);
    values = FloatBuffer::inPlace(out, count, arena.keepAlive());
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (dtype.dtype == DType::F32) {
        source.read(offset, count * sizeof(float), reinterpret_cast<char *>(out));
        return;
    }
#endif
    constexpr size_t chunk = size_t(1) << 16; // values per read
    std::string buffer(std::min(chunk, count) * dtype.size, '\0');
    for (size_t begin = 0; begin < count; begin += chunk) {
        const size_t n = std::min(chunk, count - begin);
        source.read(offset + begin * dtype.size, n * dtype.size, buffer.data());
        for (size_t i = 0; i < n; ++i)
            out[begin + i] = decodeValue(buffer.data() + i * dtype.size, dtype.dtype);
    }
}

std::string offsetsToString(uint64_t begin, uint64_t end)
{
    return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

Entry readEntry(const std::string &name, const nlohmann::json &value, uint64_t dataSize,
                const std::string &displayName)
{
    checkTensorEntry(name, value, {"dtype", "shape", "data_offsets"}, displayName);
    const std::string prefix = "tensor '" + name + "': ";

    const nlohmann::json &dtypeJson = value["dtype"];
    if (!dtypeJson.is_string())
        throwModelError(displayName,
                        prefix + "'dtype' must be a string, found " + describeJson(dtypeJson));
    const auto dtypeName = dtypeJson.get<std::string>();
    const auto dtype = std::find_if(std::begin(dtypes), std::end(dtypes),
                                    [&](const DTypeInfo &info) { return dtypeName == info.name; });
    if (dtype == std::end(dtypes))
        throwModelError(displayName,
                        prefix + "unsupported dtype '" + dtypeName
                            + "' (expected F32, F16 or BF16)");

    std::vector<int64_t> shape = readShape(value["shape"], name, displayName);

    const nlohmann::json &offsets = value["data_offsets"];
    std::optional<uint64_t> begin, end;
    if (offsets.is_array() && offsets.size() == 2) {
        begin = nonNegativeInteger(offsets[0]);
        end = nonNegativeInteger(offsets[1]);
    }
    if (!begin || !end)
        throwModelError(displayName,
                        prefix
                            + "'data_offsets' must be an array of two non-negative integers, found "
                            + describeJson(offsets));
    const std::string range = "data_offsets " + offsetsToString(*begin, *end);
    if (*end < *begin)
        throwModelError(displayName, prefix + range + " end before they begin");
    if (*end > dataSize)
        throwModelError(displayName,
                        prefix + range + " reach past the end of the data section ("
                            + std::to_string(dataSize) + " bytes)");
    // Compare in elements so that a huge shape cannot overflow a byte count.
    const uint64_t span = *end - *begin;
    const auto elements = static_cast<uint64_t>(*checkedElementCount(shape));
    if (span % dtype->size != 0 || span / dtype->size != elements)
        throwModelError(displayName,
                        prefix + range + " span " + std::to_string(span) + " bytes, but shape "
                            + shapeToString(shape) + " of " + dtype->name + " needs "
                            + std::to_string(elements) + " elements of "
                            + std::to_string(dtype->size) + " bytes");
    return {name, dtype, std::move(shape), *begin, *end};
}

void checkNoOverlap(std::vector<Entry> &entries, const std::string &displayName)
{
    std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
        return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
    });
    const Entry *furthest = nullptr; // the non-empty entry reaching furthest so far
    for (const Entry &entry : entries) {
        if (entry.begin == entry.end)
            continue; // an empty tensor occupies no bytes
        if (furthest && entry.begin < furthest->end)
            throwModelError(displayName,
                            "tensors '" + furthest->name + "' "
                                + offsetsToString(furthest->begin, furthest->end) + " and '"
                                + entry.name + "' " + offsetsToString(entry.begin, entry.end)
                                + " overlap in the data section");
        if (!furthest || entry.end > furthest->end)
            furthest = &entry;
    }
}

std::map<std::string, std::string> readMetadata(const nlohmann::json &value,
                                                const std::string &displayName)
{
    if (!value.is_object())
        throwModelError(displayName,
                        "'__metadata__' must be an object of strings, found "
                            + describeJson(value));
    std::map<std::string, std::string> metadata;
    for (const auto &[key, item] : value.items()) {
        if (!item.is_string())
            throwModelError(displayName,
                            "'__metadata__' value '" + key + "' must be a string, found "
                                + describeJson(item));
        metadata[key] = item.get<std::string>();
    }
    return metadata;
}

} // namespace

SafetensorsContents readSafetensors(const ByteSource &source, const std::string &displayName)
{
    const uint64_t fileSize = source.size();
    if (fileSize < 8)
        throwModelError(displayName,
                        "file too small for a safetensors header: expected at least 8 bytes, found "
                            + std::to_string(fileSize));
    char lengthBytes[8];
    source.read(0, 8, lengthBytes);
    const uint64_t headerSize = readLittleEndian(lengthBytes, 8);
    if (headerSize > maxHeaderSize)
        throwModelError(displayName,
                        "header length " + std::to_string(headerSize)
                            + " is over the limit of 100 MB (" + std::to_string(maxHeaderSize)
                            + " bytes)");
    if (headerSize > fileSize - 8)
        throwModelError(
            displayName,
            "header length " + std::to_string(headerSize) + " is past the end of the file (only "
                + std::to_string(fileSize - 8) + " bytes follow the 8-byte length)");
    std::string headerText(headerSize, '\0');
    source.read(8, headerSize, headerText.data());

    const std::vector<std::string> tensorTable; // tensor names are the keys of the root object
    const nlohmann::json header =
        parseJsonStrict(headerText, displayName, "header", &tensorTable);
    if (!header.is_object())
        throwModelError(displayName, "header is not a JSON object, found " + describeJson(header));

    const uint64_t dataStart = 8 + headerSize, dataSize = fileSize - dataStart;
    SafetensorsContents contents;
    std::vector<Entry> entries;
    for (const auto &[name, value] : header.items()) {
        if (name == "__metadata__")
            contents.metadata = readMetadata(value, displayName);
        else
            entries.push_back(readEntry(name, value, dataSize, displayName));
    }
    checkNoOverlap(entries, displayName);

    size_t arenaFloats = 0;
    for (const Entry &entry : entries) {
        if (!inPlaceFloats(source, dataStart + entry.begin, *entry.dtype))
            arenaFloats += WeightArena::footprint((entry.end - entry.begin) / entry.dtype->size);
    }
    WeightArena arena(arenaFloats);
    for (const Entry &entry : entries) {
        Tensor tensor;
        tensor.shape = entry.shape;
        readValues(source, dataStart + entry.begin, *entry.dtype, (entry.end - entry.begin) / entry.dtype->size, arena,
                   tensor.values);
        contents.tensors.emplace(entry.name, std::move(tensor));
    }
    return contents;
}

std::string writeSafetensors(const std::map<std::string, Tensor> &tensors,
                             const std::map<std::string, std::string> &metadata)
{
    nlohmann::json header = nlohmann::json::object();
    header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto &[name, tensor] : tensors) {
        const uint64_t size = tensor.values.size() * sizeof(float);
        header[name] = {
            {"dtype", "F32"}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + size}}};
        offset += size;
    }
    std::string headerText = header.dump();
    headerText.resize((headerText.size() + 7) / 8 * 8, ' '); // keeps the data 8-byte aligned

    std::string out;
    out.reserve(8 + headerText.size() + offset);
    appendLittleEndian(out, headerText.size(), 8);
    out += headerText;
    for (const auto &entry : tensors) {
        for (const float value : entry.second.values) {
            uint32_t bits;
            std::memcpy(&bits, &value, sizeof bits);
            appendLittleEndian(out, bits, 4);
        }
    }
    return out;
}

} // namespace attnviz::detail
