#include "io/load_helpers.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

namespace attnviz::detail {

void throwModelError(const std::string &displayName, const std::string &message)
{
    throw ModelError(displayName + ": " + message);
}

namespace {

// Far deeper than any valid file needs (4 levels), shallow enough to keep parsing cheap.
constexpr size_t maxJsonDepth = 32;
// Far more keys than any object of a valid file has (19 tensors and __metadata__): a header of a
// million tensor entries fits the 100 MB limit, and is refused here before it becomes a tree.
// (parseJsonStrict's maxKeys; a Marian vocab.json asks for more.)

struct NestingTooDeep
{ };

struct TooManyKeys
{ };

struct DuplicateKey
{
    std::string key;
    std::vector<std::string> objectPath;
};

// Parser-callback state: one frame per open object or array.
class DuplicateKeyFinder
{
public:
    explicit DuplicateKeyFinder(size_t maxKeys)
        : m_maxKeys(maxKeys)
    {
    }

    bool onEvent(nlohmann::json::parse_event_t event, const nlohmann::json &parsed)
    {
        using Event = nlohmann::json::parse_event_t;
        switch (event) {
        case Event::object_start:
        case Event::array_start: {
            if (m_frames.size() == maxJsonDepth)
                throw NestingTooDeep();
            std::vector<std::string> path;
            if (!m_frames.empty()) {
                path = m_frames.back().path;
                path.push_back(m_frames.back().isObject ? m_frames.back().lastKey : "[]");
            }
            m_frames.push_back({event == Event::object_start, {}, {}, std::move(path)});
            break;
        }
        case Event::object_end:
        case Event::array_end:
            m_frames.pop_back();
            break;
        case Event::key: {
            Frame &frame = m_frames.back();
            if (frame.keys.size() == m_maxKeys)
                throw TooManyKeys();
            frame.lastKey = parsed.get<std::string>();
            if (!frame.keys.insert(frame.lastKey).second && !m_duplicate)
                m_duplicate = DuplicateKey {frame.lastKey, frame.path};
            break;
        }
        case Event::value:
            break;
        }
        return true;
    }

    const std::optional<DuplicateKey> &duplicate() const { return m_duplicate; }

private:
    struct Frame
    {
        bool isObject;
        std::set<std::string> keys;
        std::string lastKey;
        std::vector<std::string> path; // keys from the root ("[]" for array elements)
    };
    size_t m_maxKeys;
    std::vector<Frame> m_frames;
    std::optional<DuplicateKey> m_duplicate;
};

} // namespace

nlohmann::json parseJsonStrict(std::string_view text, const std::string &displayName,
                               const std::string &what,
                               const std::vector<std::string> *tensorTablePath, size_t maxKeys)
{
    DuplicateKeyFinder finder(maxKeys);
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(
            text.begin(), text.end(),
            [&finder](int, nlohmann::json::parse_event_t event, nlohmann::json &parsed) {
                return finder.onEvent(event, parsed);
            });
    } catch (const nlohmann::json::exception &error) {
        // Drop nlohmann's "[json.exception.parse_error.101] " prefix; the rest says where and why.
        std::string reason = error.what();
        if (const size_t end = reason.find("] ");
            reason.rfind("[json.exception.", 0) == 0 && end != std::string::npos)
            reason.erase(0, end + 2);
        throwModelError(displayName, what + " is not valid JSON: " + reason);
    } catch (const NestingTooDeep &) {
        throwModelError(displayName,
                        what + " nests arrays and objects deeper than "
                            + std::to_string(maxJsonDepth) + " levels");
    } catch (const TooManyKeys &) {
        throwModelError(displayName, what + " has more than " + std::to_string(maxKeys)
                                         + " keys in one object");
    }
    if (const auto &duplicate = finder.duplicate()) {
        if (tensorTablePath && duplicate->objectPath == *tensorTablePath
            && duplicate->key != "__metadata__")
            throwModelError(displayName, "duplicate tensor name '" + duplicate->key + "'");
        throwModelError(displayName, what + " has duplicate key '" + duplicate->key + "'");
    }
    return json;
}

std::string describeJson(const nlohmann::json &value)
{
    constexpr size_t maxLength = 40;
    std::string text = value.dump();
    if (text.size() > maxLength)
        text = text.substr(0, maxLength) + "...";
    return std::string(value.type_name()) + " " + text;
}

std::optional<uint64_t> nonNegativeInteger(const nlohmann::json &value)
{
    if (value.is_number_unsigned())
        return value.get<uint64_t>();
    if (value.is_number_integer() && value.get<int64_t>() >= 0)
        return static_cast<uint64_t>(value.get<int64_t>());
    return std::nullopt;
}

std::optional<int64_t> checkedElementCount(const std::vector<int64_t> &shape)
{
    int64_t count = 1;
    for (const int64_t dim : shape) {
        if (dim < 0 || __builtin_mul_overflow(count, dim, &count))
            return std::nullopt;
    }
    return count;
}

void checkTensorEntry(const std::string &tensorName, const nlohmann::json &entry,
                      const std::vector<const char *> &keys, const std::string &displayName)
{
    const std::string prefix = "tensor '" + tensorName + "': ";
    if (!entry.is_object()) {
        std::string expected;
        for (size_t i = 0; i < keys.size(); ++i)
            expected += (i == 0                     ? ""
                             : i + 1 == keys.size() ? " and "
                                                    : ", ")
                + std::string(keys[i]);
        throwModelError(displayName,
                        prefix + "expected an object with " + expected + ", found "
                            + describeJson(entry));
    }
    for (const char *key : keys) {
        if (!entry.contains(key))
            throwModelError(displayName, prefix + "missing '" + key + "'");
    }
}

std::vector<int64_t> readShape(const nlohmann::json &value, const std::string &tensorName,
                               const std::string &displayName)
{
    const std::string prefix = "tensor '" + tensorName + "': ";
    if (!value.is_array())
        throwModelError(displayName,
                        prefix + "'shape' must be an array of non-negative integers, found "
                            + describeJson(value));
    std::vector<int64_t> shape;
    for (const nlohmann::json &dim : value) {
        const std::optional<uint64_t> size = nonNegativeInteger(dim);
        if (!size)
            throwModelError(displayName,
                            prefix + "'shape' must contain non-negative integers, found "
                                + describeJson(dim));
        if (*size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            throwModelError(displayName,
                            prefix + "shape dimension " + std::to_string(*size)
                                + " does not fit in a 64-bit signed integer");
        shape.push_back(static_cast<int64_t>(*size));
    }
    if (!checkedElementCount(shape))
        throwModelError(displayName,
                        prefix + "the element count of shape " + shapeToString(shape)
                            + " overflows a 64-bit integer");
    return shape;
}

int checkFormat(const nlohmann::json &format, const std::string &displayName)
{
    const std::string expected = "'" + std::string(modelFormatName) + "' or '" + std::string(modelFormatNameV1) + "'";
    if (!format.is_string())
        throwModelError(displayName, "format must be the string " + expected + ", found " + describeJson(format));
    if (format.get<std::string>() == modelFormatName)
        return 2;
    if (format.get<std::string>() == modelFormatNameV1)
        return 1;
    throwModelError(displayName, "unknown format '" + format.get<std::string>() + "' (expected " + expected + ")");
}

bool isJsonPath(const std::string &path)
{
    constexpr std::string_view extension = ".json";
    if (path.size() < extension.size())
        return false;
    return std::equal(
        extension.begin(), extension.end(), path.end() - extension.size(),
        [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

} // namespace attnviz::detail
