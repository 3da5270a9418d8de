#include <attnviz/io/torch_file.h>

#include <attnviz/io/half.h>

#include "io/file_io.h"
#include "io/load_helpers.h"
#include "io/torch/torch_zip.h"
#include "io/torch/unpickler.h"

#include <cfloat>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

namespace attnviz {

using detail::throwModelError;
using Kind = TorchValue::Kind;
using DType = TorchValue::DType;

namespace {

// The first pickle of the legacy format: protocol 2, LONG1 of 10 bytes (0x1950a86a20f9469cfc6c), STOP.
constexpr std::string_view legacyMagic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
constexpr int64_t legacyProtocolVersion = 1001;

const TorchValue *findIn(const TorchValue *dict, std::string_view key)
{
    if (!dict)
        return nullptr;
    const auto &pairs = dict->dictItems();
    for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) // a later SETITEM replaces an earlier one
        if (it->first->isString() && it->first->text() == key)
            return it->second;
    return nullptr;
}

// A record's attributes: its state when a dict, or the two dicts of a (dict, slots) state.
std::vector<const TorchValue *> stateDicts(const TorchValue &record)
{
    std::vector<const TorchValue *> dicts;
    const TorchValue *state = record.state();
    if (state && state->isDict())
        dicts.push_back(state);
    else if (state && state->isTuple() && state->items().size() == 2)
        for (const TorchValue *part : state->items())
            if (part->isDict())
                dicts.push_back(part);
    return dicts;
}

void addEntries(const TorchValue &dict, std::vector<std::pair<std::string, const TorchValue *>> &out)
{
    for (const auto &[key, value] : dict.dictItems()) {
        if (key->isString())
            out.emplace_back(key->text(), value);
        else if (key->isInt() && !key->isBool())
            out.emplace_back(std::to_string(key->integer()), value);
    }
}

float widen(const char *data, DType dtype)
{
    switch (dtype) {
    case DType::Float32: {
        float f;
        std::memcpy(&f, data, 4); // little-endian, as the file is
        return f;
    }
    case DType::Float64: {
        double d;
        std::memcpy(&d, data, 8);
        if (d > FLT_MAX) // a double beyond float's range: infinity, which validateModel then names
            return std::numeric_limits<float>::infinity();
        if (d < -FLT_MAX)
            return -std::numeric_limits<float>::infinity();
        return static_cast<float>(d);
    }
    case DType::Float16:
    case DType::BFloat16: {
        const auto *b = reinterpret_cast<const unsigned char *>(data);
        const auto bits = static_cast<uint16_t>(b[0] | (b[1] << 8));
        return dtype == DType::Float16 ? halfToFloat(bits) : bfloat16ToFloat(bits);
    }
    case DType::Int64: {
        int64_t v;
        std::memcpy(&v, data, 8);
        return static_cast<float>(v);
    }
    case DType::Int32: {
        int32_t v;
        std::memcpy(&v, data, 4);
        return static_cast<float>(v);
    }
    case DType::Int16: {
        int16_t v;
        std::memcpy(&v, data, 2);
        return static_cast<float>(v);
    }
    case DType::Int8: return static_cast<float>(static_cast<signed char>(*data));
    case DType::UInt8: return static_cast<float>(static_cast<unsigned char>(*data));
    case DType::Bool: return *data != 0 ? 1.0f : 0.0f;
    }
    return 0;
}

} // namespace

const TorchValue *TorchValue::find(std::string_view key) const
{
    if (m_kind == Kind::Dict)
        return findIn(this, key);
    if (m_kind != Kind::Record)
        return nullptr;
    const std::vector<const TorchValue *> dicts = stateDicts(*this);
    for (auto it = dicts.rbegin(); it != dicts.rend(); ++it)
        if (const TorchValue *value = findIn(*it, key))
            return value;
    return findIn(this, key);
}

std::vector<std::pair<std::string, const TorchValue *>> TorchValue::entries() const
{
    std::vector<std::pair<std::string, const TorchValue *>> out;
    if (m_kind == Kind::Record)
        for (const TorchValue *dict : stateDicts(*this))
            addEntries(*dict, out);
    if (m_kind == Kind::Record || m_kind == Kind::Dict)
        addEntries(*this, out);
    return out;
}

std::string TorchValue::dtype() const
{
    return m_kind == Kind::Tensor || m_kind == Kind::Storage ? detail::dtypeName(m_dtype) : std::string();
}

std::string TorchValue::describe() const
{
    switch (m_kind) {
    case Kind::None: return "None";
    case Kind::Bool: return m_integer ? "True" : "False";
    case Kind::Int: return "the integer " + std::to_string(m_integer);
    case Kind::Float: return "a float";
    case Kind::String: return "a string";
    case Kind::Bytes: return "bytes";
    case Kind::List: return "a list";
    case Kind::Tuple: return "a tuple";
    case Kind::Set: return "a set";
    case Kind::Dict: return "a dict";
    case Kind::Tensor: return "a tensor";
    case Kind::Record: return "an object of class '" + m_text + "' (a record: nothing in the file was run)";
    case Kind::Global: return "the name '" + m_text + "'";
    case Kind::Storage: return "a storage";
    }
    return "?";
}

struct TorchFile::Data
{
    std::string displayName;
    std::string bytes;
    std::string format;
    std::unique_ptr<detail::TorchArchive> archive; // zip
    std::string pickle;                            // zip: data.pkl
    std::optional<detail::Unpickler> unpickler;
    const TorchValue *root = nullptr;
    std::map<std::string, size_t> legacyStorages; // legacy: key -> offset of its first element in bytes
    mutable std::map<std::string, std::string> storageBytes; // zip: read on first use
};

TorchFile::TorchFile(std::unique_ptr<Data> data)
    : d(std::move(data))
{ }

TorchFile::TorchFile(TorchFile &&) noexcept = default;
TorchFile &TorchFile::operator=(TorchFile &&) noexcept = default;
TorchFile::~TorchFile() = default;

TorchFile TorchFile::open(const std::string &path)
{
    return fromBytes(detail::readWholeFile(path), path);
}

TorchFile TorchFile::openPickle(const std::string &path)
{
    auto data = std::make_unique<Data>();
    data->displayName = path;
    data->bytes = detail::readWholeFile(path);
    if (data->bytes.compare(0, 4, "PK\3\4", 4) == 0 || data->bytes.compare(0, legacyMagic.size(), legacyMagic) == 0)
        return fromBytes(std::move(data->bytes), path); // torch.save'd: read as such
    if (data->bytes.size() > maxPickleBytes)
        throwModelError(path, "is " + std::to_string(data->bytes.size()) + " bytes, more than the limit of "
                                  + std::to_string(maxPickleBytes >> 20) + " MB for a pickle");
    data->format = "pickle";
    data->unpickler.emplace(data->bytes, path, "pickle");
    data->root = &data->unpickler->load();
    return TorchFile(std::move(data));
}

TorchFile TorchFile::fromBytes(std::string bytes, std::string displayName)
{
    auto data = std::make_unique<Data>();
    data->displayName = std::move(displayName);
    data->bytes = std::move(bytes);
    const std::string &name = data->displayName;
    const std::string_view all = data->bytes;

    if (all.substr(0, 4) == std::string_view("PK\3\4", 4)) {
        data->format = "zip";
        data->archive = std::make_unique<detail::TorchArchive>(all, name);
        const auto size = data->archive->recordSize("data.pkl");
        if (size && *size > maxPickleBytes)
            throwModelError(name, "'" + data->archive->recordPath("data.pkl") + "' is " + std::to_string(*size)
                                      + " bytes, more than the limit of " + std::to_string(maxPickleBytes >> 20)
                                      + " MB");
        data->pickle = data->archive->readRecord("data.pkl");
        data->unpickler.emplace(data->pickle, name, "data.pkl");
        data->root = &data->unpickler->load();
        return TorchFile(std::move(data));
    }
    if (all.substr(0, legacyMagic.size()) != legacyMagic) {
        if (!all.empty() && static_cast<unsigned char>(all[0]) == 0x80)
            throwModelError(name, "a pickle, but not one written by torch.save (it does not start with the magic "
                                  "number of PyTorch's format before 1.6)");
        throwModelError(name, "not a PyTorch checkpoint: torch.save writes a ZIP archive (starting with 'PK') or, "
                              "before PyTorch 1.6, a pickle starting with its magic number");
    }

    // The legacy format: magic number, protocol version, system info, the object, the sorted
    // storage keys, then each storage as an 8-byte element count and its raw elements.
    data->format = "legacy";
    data->unpickler.emplace(all, name, "the object pickle");
    detail::Unpickler &unpickler = *data->unpickler;
    size_t offset = legacyMagic.size();
    const TorchValue &version = unpickler.load(offset);
    if (!version.isInt() || version.integer() != legacyProtocolVersion)
        throwModelError(name, "legacy torch.save format: protocol version " + version.describe() + ", expected "
                                  + std::to_string(legacyProtocolVersion));
    const TorchValue &sysInfo = unpickler.load(unpickler.end());
    const TorchValue *littleEndian = sysInfo.find("little_endian");
    if (!littleEndian || !littleEndian->isBool() || littleEndian->integer() != 1)
        throwModelError(name, "stored big-endian (or without its byte order); only little-endian checkpoints are read");
    data->root = &unpickler.load(unpickler.end());
    const size_t storagesBefore = unpickler.storages().size();
    const TorchValue &keys = unpickler.load(unpickler.end());
    if (!keys.isList() || unpickler.storages().size() != storagesBefore)
        throwModelError(name, "legacy torch.save format: the storage keys are not a list of strings");

    std::map<std::string, const TorchValue *> described;
    for (const TorchValue *storage : unpickler.storages())
        described.emplace(storage->storageKey(), storage);
    offset = unpickler.end();
    for (const TorchValue *key : keys.items()) {
        if (!key->isString())
            throwModelError(name, "legacy torch.save format: a storage key that is not a string");
        const auto it = described.find(key->text());
        if (it == described.end())
            throwModelError(name, "storage '" + key->text() + "' is listed but no tensor uses it");
        if (all.size() - offset < 8)
            throwModelError(name, "ends before storage '" + key->text() + "' (truncated?)");
        uint64_t count = 0;
        for (int i = 0; i < 8; ++i)
            count |= static_cast<uint64_t>(static_cast<unsigned char>(all[offset + i])) << (8 * i);
        offset += 8;
        const uint64_t elementSize = static_cast<uint64_t>(detail::dtypeSize(it->second->m_dtype));
        if (count != static_cast<uint64_t>(it->second->elementCount()))
            throwModelError(name, "storage '" + key->text() + "' claims " + std::to_string(it->second->elementCount())
                                      + " elements in the pickle and " + std::to_string(count) + " in the file");
        if (count > (all.size() - offset) / elementSize)
            throwModelError(name, "storage '" + key->text() + "' of " + std::to_string(count) + " "
                                      + it->second->dtype() + " elements does not fit in the rest of the file (truncated?)");
        data->legacyStorages.emplace(key->text(), offset);
        offset += static_cast<size_t>(count * elementSize);
    }
    return TorchFile(std::move(data));
}

const TorchValue &TorchFile::root() const
{
    return *d->root;
}

std::string TorchFile::format() const
{
    return d->format;
}

const std::string &TorchFile::displayName() const
{
    return d->displayName;
}

// A tensor is a contiguous (row-major) run of its storage; views with other strides are
// refused rather than gathered, since state_dict() never saves them.
Tensor TorchFile::tensor(const TorchValue &value, const std::string &name) const
{
    const std::string &displayName = d->displayName;
    const std::string what = "tensor '" + name + "'";
    if (!value.isTensor())
        throwModelError(displayName, "'" + name + "' is " + value.describe() + ", not a tensor");
    const std::vector<int64_t> &size = value.m_size;
    const auto count = detail::checkedElementCount(size);
    if (!count)
        throwModelError(displayName, what + ": the element count of " + shapeToString(size) + " overflows");
    int64_t expectedStride = 1;
    for (size_t i = size.size(); i-- > 0;) {
        if (size[i] != 1 && value.m_stride[i] != expectedStride)
            throwModelError(displayName, what + ": strides " + shapeToString(value.m_stride) + " of shape "
                                             + shapeToString(size)
                                             + " are not contiguous (row-major); save tensor.contiguous() instead");
        expectedStride *= size[i];
    }

    const TorchValue &storage = *value.m_storage;
    const int elementSize = detail::dtypeSize(storage.m_dtype);
    if (storage.elementCount() > std::numeric_limits<int64_t>::max() / elementSize)
        throwModelError(displayName, "storage '" + storage.storageKey() + "' claims too many elements");
    const char *base = nullptr;
    if (d->archive) {
        const std::string record = "data/" + storage.storageKey();
        const auto recordSize = d->archive->recordSize(record);
        if (!recordSize)
            throwModelError(displayName, what + ": its storage '" + d->archive->recordPath(record)
                                             + "' is not in the archive");
        if (static_cast<uint64_t>(storage.elementCount() * elementSize) != *recordSize)
            throwModelError(displayName, "storage '" + storage.storageKey() + "' claims "
                                             + std::to_string(storage.elementCount()) + " " + storage.dtype()
                                             + " elements, but '" + d->archive->recordPath(record) + "' holds "
                                             + std::to_string(*recordSize) + " bytes");
        auto it = d->storageBytes.find(storage.storageKey());
        if (it == d->storageBytes.end())
            it = d->storageBytes.emplace(storage.storageKey(), d->archive->readRecord(record)).first;
        base = it->second.data();
    } else {
        const auto it = d->legacyStorages.find(storage.storageKey());
        if (it == d->legacyStorages.end())
            throwModelError(displayName, what + ": its storage '" + storage.storageKey()
                                             + "' is not among the file's storages");
        const size_t available = (d->bytes.size() - it->second) / static_cast<size_t>(elementSize);
        if (static_cast<uint64_t>(storage.elementCount()) > available)
            throwModelError(displayName, "storage '" + storage.storageKey() + "' does not fit in the file");
        base = d->bytes.data() + it->second;
    }
    if (*count > 0 && (value.m_offset > storage.elementCount() || *count > storage.elementCount() - value.m_offset))
        throwModelError(displayName, what + " of shape " + shapeToString(size) + " at offset "
                                         + std::to_string(value.m_offset) + " does not fit in storage '"
                                         + storage.storageKey() + "' of " + std::to_string(storage.elementCount())
                                         + " elements");

    Tensor out;
    out.shape = size;
    out.values.resize(static_cast<size_t>(*count));
    if (*count == 0)
        return out; // its offset may be anything: never used
    const char *data = base + value.m_offset * elementSize;
    if (storage.m_dtype == DType::Float32) {
        std::memcpy(out.values.data(), data, static_cast<size_t>(*count) * 4);
    } else {
        for (size_t i = 0; i < out.values.size(); ++i)
            out.values[i] = widen(data + i * static_cast<size_t>(elementSize), storage.m_dtype);
    }
    return out;
}

bool isModuleRecord(const TorchValue &value)
{
    if (!value.isRecord())
        return false;
    const TorchValue *parameters = value.find("_parameters");
    const TorchValue *modules = value.find("_modules");
    return parameters && parameters->isDict() && modules && modules->isDict();
}

namespace {

struct Collector
{
    const TorchFile &file;
    StateDict result;

    void addTensor(const std::string &name, const TorchValue &value)
    {
        if (result.count(name))
            throwModelError(file.displayName(), "tensor '" + name + "' appears twice");
        result.emplace(name, file.tensor(value, name));
    }

    void add(const TorchValue &value, const std::string &name, int level)
    {
        if (level > TorchFile::maxDepth)
            throwModelError(file.displayName(), "'" + name + "': nested deeper than "
                                                    + std::to_string(TorchFile::maxDepth) + " levels (a cycle?)");
        const std::string prefix = name.empty() ? name : name + ".";
        if (value.isTensor()) {
            addTensor(name, value);
        } else if (value.isDict()) {
            for (const auto &[key, item] : value.entries())
                add(*item, prefix + key, level + 1);
        } else if (isModuleRecord(value)) {
            // What state_dict() would give: parameters, persistent buffers, then the submodules.
            std::set<std::string> nonPersistent;
            if (const TorchValue *set = value.find("_non_persistent_buffers_set"); set && set->isSequence())
                for (const TorchValue *item : set->items())
                    nonPersistent.insert(item->text());
            for (const char *part : {"_parameters", "_buffers"})
                if (const TorchValue *dict = value.find(part))
                    for (const auto &[key, item] : dict->entries())
                        if (item->isTensor() && !(part[1] == 'b' && nonPersistent.count(key)))
                            addTensor(prefix + key, *item);
            for (const auto &[key, item] : value.find("_modules")->entries())
                add(*item, prefix + key, level + 1);
        }
    }
};

} // namespace

StateDict collectTensors(const TorchFile &file, const TorchValue &object, const std::string &prefix)
{
    Collector collector {file, {}};
    collector.add(object, prefix, 1);
    return std::move(collector.result);
}

} // namespace attnviz
