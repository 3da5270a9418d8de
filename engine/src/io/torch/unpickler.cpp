#include "io/torch/unpickler.h"

#include <attnviz/io/model_file.h>

#include <charconv>
#include <cstring>
#include <limits>

namespace attnviz::detail {

namespace {

using Kind = TorchValue::Kind;
using DType = TorchValue::DType;

constexpr size_t maxLineLength = 256; // GLOBAL's module and name, INT, FLOAT, GET...

std::string opcodeName(unsigned char op)
{
    static const char digits[] = "0123456789abcdef";
    std::string hex = std::string("0x") + digits[op >> 4] + digits[op & 15];
    if (op >= 0x20 && op < 0x7f)
        return "'" + std::string(1, static_cast<char>(op)) + "' (" + hex + ")";
    return hex;
}

// Python 2 names that pickle's fix_imports writes for protocol 2.
std::string canonicalModule(const std::string &module)
{
    if (module == "__builtin__")
        return "builtins";
    if (module == "copy_reg")
        return "copyreg";
    return module;
}

bool storageDType(const std::string &name, DType &dtype)
{
    static const std::pair<const char *, DType> types[] = {
        {"torch.DoubleStorage", DType::Float64}, {"torch.FloatStorage", DType::Float32},
        {"torch.HalfStorage", DType::Float16},   {"torch.BFloat16Storage", DType::BFloat16},
        {"torch.LongStorage", DType::Int64},     {"torch.IntStorage", DType::Int32},
        {"torch.ShortStorage", DType::Int16},    {"torch.CharStorage", DType::Int8},
        {"torch.ByteStorage", DType::UInt8},     {"torch.BoolStorage", DType::Bool},
        {"torch.UntypedStorage", DType::UInt8},
    };
    for (const auto &[typeName, type] : types)
        if (name == typeName) {
            dtype = type;
            return true;
        }
    return false;
}

void appendUtf8(std::string &out, uint32_t code)
{
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xc0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xe0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    }
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Python 3 reads protocol 2's bytes as _codecs.encode(str, 'latin1'): each code point is a byte.
bool latin1Bytes(const std::string &utf8, std::string &out)
{
    out.clear();
    for (size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size()) {
            const uint32_t code = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3fu);
            if (code > 0xff)
                return false;
            out += static_cast<char>(code);
        } else {
            return false;
        }
    }
    return true;
}

} // namespace

std::string dtypeName(DType dtype)
{
    switch (dtype) {
    case DType::Float64: return "float64";
    case DType::Float32: return "float32";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::Int16: return "int16";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
    }
    return "?";
}

int dtypeSize(DType dtype)
{
    switch (dtype) {
    case DType::Float64:
    case DType::Int64: return 8;
    case DType::Float32:
    case DType::Int32: return 4;
    case DType::Float16:
    case DType::BFloat16:
    case DType::Int16: return 2;
    case DType::Int8:
    case DType::UInt8:
    case DType::Bool: return 1;
    }
    return 1;
}

Unpickler::Unpickler(std::string_view bytes, std::string displayName, std::string what)
    : m_bytes(bytes)
    , m_displayName(std::move(displayName))
    , m_what(std::move(what))
{ }

void Unpickler::fail(const std::string &message) const
{
    throw ModelError(m_displayName + ": " + m_what + ": " + message);
}

std::string Unpickler::at() const
{
    return " at byte " + std::to_string(m_opcodeAt);
}

const char *Unpickler::take(size_t count)
{
    if (count > m_bytes.size() - m_pos)
        fail("ends in the middle of an opcode" + at());
    const char *data = m_bytes.data() + m_pos;
    m_pos += count;
    return data;
}

uint64_t Unpickler::readUnsigned(size_t bytes)
{
    const auto *data = reinterpret_cast<const unsigned char *>(take(bytes));
    uint64_t value = 0;
    for (size_t i = 0; i < bytes; ++i)
        value |= static_cast<uint64_t>(data[i]) << (8 * i);
    return value;
}

std::string Unpickler::readLine(const char *what)
{
    const size_t end = m_bytes.find('\n', m_pos);
    if (end == std::string_view::npos || end - m_pos > maxLineLength)
        fail(std::string(what) + at() + " has no line of at most " + std::to_string(maxLineLength) + " characters");
    std::string line(m_bytes.substr(m_pos, end - m_pos));
    m_pos = end + 1;
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

int64_t Unpickler::parseDecimal(const std::string &line, const char *what)
{
    std::string digits = line;
    if (!digits.empty() && digits.back() == 'L') // protocol 0's LONG
        digits.pop_back();
    int64_t value = 0;
    const char *first = digits.data() + (!digits.empty() && digits[0] == '+');
    const auto [end, error] = std::from_chars(first, digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty())
        fail(std::string(what) + at() + " is not an integer of 64 bits: '" + line + "'");
    return value;
}

void Unpickler::account(uint64_t bytes)
{
    m_allocated += bytes;
    if (m_allocated > TorchFile::maxAllocation)
        fail("needs more than " + std::to_string(TorchFile::maxAllocation >> 20) + " MB to unpickle" + at());
}

TorchValue *Unpickler::make(Kind kind)
{
    if (m_arena.size() >= TorchFile::maxValues)
        fail("makes more than " + std::to_string(TorchFile::maxValues) + " objects" + at());
    account(sizeof(TorchValue));
    m_arena.emplace_back();
    m_arena.back().m_kind = kind;
    return &m_arena.back();
}

TorchValue *Unpickler::makeText(Kind kind, std::string text)
{
    if (text.size() > TorchFile::maxStringBytes)
        fail("a string of " + std::to_string(text.size()) + " bytes" + at() + " (at most "
             + std::to_string(TorchFile::maxStringBytes) + ")");
    account(text.size());
    TorchValue *value = make(kind);
    value->m_text = std::move(text);
    return value;
}

TorchValue *Unpickler::pop()
{
    const size_t floor = m_marks.empty() ? 0 : m_marks.back();
    if (m_stack.size() <= floor)
        fail("opcode" + at() + " needs a value, but the stack is empty");
    TorchValue *value = m_stack.back();
    m_stack.pop_back();
    return value;
}

TorchValue *Unpickler::top()
{
    const size_t floor = m_marks.empty() ? 0 : m_marks.back();
    if (m_stack.size() <= floor)
        fail("opcode" + at() + " needs a value, but the stack is empty");
    return m_stack.back();
}

std::vector<TorchValue *> Unpickler::popToMark()
{
    if (m_marks.empty())
        fail("opcode" + at() + " needs a MARK, but none is open");
    const size_t mark = m_marks.back();
    m_marks.pop_back();
    std::vector<TorchValue *> items(m_stack.begin() + static_cast<std::ptrdiff_t>(mark), m_stack.end());
    m_stack.resize(mark);
    return items;
}

void Unpickler::push(TorchValue *value)
{
    if (m_stack.size() >= TorchFile::maxValues)
        fail("more than " + std::to_string(TorchFile::maxValues) + " values on the stack" + at());
    m_stack.push_back(value);
}

// Containers record how deep they are, so that a pickle of a thousand nested tuples is refused
// while it is read. Filling a container after it was put in another (only cycles do) is not
// seen here: whoever walks the values bounds its own depth too (collectTensors does).
void Unpickler::grow(TorchValue *container, const TorchValue *item)
{
    if (item->m_depth + 1 > container->m_depth)
        container->m_depth = item->m_depth + 1;
    if (container->m_depth > TorchFile::maxDepth)
        fail("nesting deeper than " + std::to_string(TorchFile::maxDepth) + " levels" + at());
}

void Unpickler::addItem(TorchValue *container, const TorchValue *item)
{
    grow(container, item);
    account(sizeof(item));
    container->m_items.push_back(item);
}

void Unpickler::addPair(TorchValue *container, const TorchValue *key, const TorchValue *value)
{
    grow(container, key);
    grow(container, value);
    account(2 * sizeof(key));
    container->m_pairs.emplace_back(key, value);
}

TorchValue *Unpickler::makeSequence(Kind kind, const std::vector<TorchValue *> &items)
{
    TorchValue *sequence = make(kind);
    for (const TorchValue *item : items)
        addItem(sequence, item);
    return sequence;
}

TorchValue *Unpickler::global(const std::string &module, const std::string &name)
{
    return makeText(Kind::Global, canonicalModule(module) + "." + name);
}

// torch.save's persistent ids. Storages are described, never allocated here.
TorchValue *Unpickler::persistentLoad(const TorchValue &pid)
{
    const auto &items = pid.m_items;
    if (pid.m_kind == Kind::Tuple && items.size() == 4 && items[0]->isString() && items[0]->m_text == "module"
        && items[1]->isGlobal())
        return makeText(Kind::Global, items[1]->m_text); // the legacy format's module classes: a name
    if (pid.m_kind != Kind::Tuple || (items.size() != 5 && items.size() != 6) || !items[0]->isString()
        || items[0]->m_text != "storage" || !items[1]->isGlobal() || !items[2]->isString()
        || !items[3]->isString() || !items[4]->isInt())
        fail("persistent id" + at() + " is not ('storage', type, key, location, size)");
    if (items.size() == 6 && !items[5]->isNone())
        fail("storage '" + items[2]->m_text + "' is a view of another storage (PyTorch before 1.0)");
    TorchValue *storage = make(Kind::Storage);
    if (!storageDType(items[1]->m_text, storage->m_dtype))
        fail("storage type '" + items[1]->m_text
             + "' is not one attnviz reads (float64, float32, float16, bfloat16, int64, int32, int16, int8, "
               "uint8, bool)");
    if (items[4]->m_integer < 0)
        fail("storage '" + items[2]->m_text + "' has a negative size");
    storage->m_text = items[2]->m_text;
    storage->m_location = items[3]->m_text;
    storage->m_integer = items[4]->m_integer;
    m_storages.push_back(storage);
    return storage;
}

TorchValue *Unpickler::rebuildTensor(const std::vector<const TorchValue *> &a, const std::string &function)
{
    // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
    const bool v2 = function == "torch._utils._rebuild_tensor_v2";
    if ((v2 ? a.size() < 6 || a.size() > 7 : a.size() != 4) || a[0]->m_kind != Kind::Storage || !a[1]->isInt()
        || !a[2]->isTuple() || !a[3]->isTuple())
        fail(function + " with unexpected arguments" + at());
    TorchValue *tensor = make(Kind::Tensor);
    tensor->m_storage = a[0];
    tensor->m_dtype = a[0]->m_dtype;
    tensor->m_offset = a[1]->m_integer;
    for (const TorchValue *v : a[2]->m_items) {
        if (!v->isInt() || v->m_integer < 0)
            fail("tensor size is not a tuple of non-negative integers" + at());
        tensor->m_size.push_back(v->m_integer);
    }
    for (const TorchValue *v : a[3]->m_items) {
        if (!v->isInt() || v->m_integer < 0)
            fail("tensor stride is not a tuple of non-negative integers" + at());
        tensor->m_stride.push_back(v->m_integer);
    }
    if (tensor->m_size.size() != tensor->m_stride.size())
        fail("tensor size and stride differ in length" + at());
    if (tensor->m_size.size() > static_cast<size_t>(TorchFile::maxDepth))
        fail("a tensor of " + std::to_string(tensor->m_size.size()) + " dimensions" + at());
    if (tensor->m_offset < 0)
        fail("negative storage offset" + at());
    account(16 * tensor->m_size.size());
    return tensor;
}

TorchValue *Unpickler::record(const TorchValue &callable, const std::vector<const TorchValue *> &args)
{
    TorchValue *object = make(Kind::Record);
    object->m_text = callable.m_kind == Kind::Record ? callable.m_text + "()" : callable.m_text;
    for (const TorchValue *arg : args) {
        grow(object, arg);
        account(sizeof(arg));
        object->m_args.push_back(arg);
    }
    return object;
}

// What REDUCE, NEWOBJ, NEWOBJ_EX, INST and OBJ would call. Nothing is called: a few names are
// data (containers, bytes, tensors), everything else becomes a record of the name and the
// arguments. `functions` is false for NEWOBJ, which only creates instances of classes.
TorchValue *Unpickler::call(const TorchValue &callable, const TorchValue &args, const TorchValue *kwargs,
                            bool functions)
{
    if (callable.m_kind != Kind::Global && callable.m_kind != Kind::Record)
        fail("a call of " + callable.describe() + at());
    if (!args.isTuple())
        fail("a call of '" + callable.m_text + "' with " + args.describe() + " for arguments" + at());
    const std::string &name = callable.m_kind == Kind::Global ? callable.m_text : std::string();
    const auto &a = args.m_items;
    const auto sequenceArgument = [&](const char *what) -> const TorchValue * {
        if (a.empty())
            return nullptr;
        if (a.size() != 1 || !a[0]->isSequence())
            fail(std::string(what) + " with arguments other than one list or tuple" + at());
        return a[0];
    };

    if (name == "collections.OrderedDict" || name == "builtins.dict" || name == "collections.defaultdict") {
        TorchValue *dict = make(Kind::Dict);
        if (name != "collections.defaultdict") // its argument is the default factory, a name
            if (const TorchValue *pairs = sequenceArgument(name.c_str()))
                for (const TorchValue *pair : pairs->m_items) {
                    if (!pair->isSequence() || pair->m_items.size() != 2)
                        fail(name + " of something other than pairs" + at());
                    addPair(dict, pair->m_items[0], pair->m_items[1]);
                }
        return dict;
    }
    if (name == "builtins.set" || name == "builtins.frozenset" || name == "builtins.list"
        || name == "builtins.tuple" || name == "torch.Size") {
        const Kind kind = name == "builtins.list" ? Kind::List
                          : name == "builtins.tuple" || name == "torch.Size" ? Kind::Tuple
                                                                             : Kind::Set;
        TorchValue *sequence = make(kind);
        if (const TorchValue *items = sequenceArgument(name.c_str()))
            for (const TorchValue *item : items->m_items)
                addItem(sequence, item);
        return sequence;
    }
    if (name == "_codecs.encode" || name == "builtins.bytes" || name == "builtins.bytearray") {
        if (a.empty())
            return makeText(Kind::Bytes, {});
        if (a.size() == 1 && a[0]->isBytes())
            return makeText(Kind::Bytes, a[0]->m_text);
        std::string bytes;
        if (a.size() == 2 && a[0]->isString() && a[1]->isString()
            && (a[1]->m_text == "latin1" || a[1]->m_text == "latin-1") && latin1Bytes(a[0]->m_text, bytes))
            return makeText(Kind::Bytes, std::move(bytes));
        return record(callable, {a.begin(), a.end()});
    }
    if (functions) {
        if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
            return rebuildTensor({a.begin(), a.end()}, name);
        if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
            if (a.size() < 3 || a.size() > 4 || !a[0]->isTensor())
                fail(name + " without a tensor" + at());
            TorchValue *parameter = make(Kind::Tensor);
            *parameter = *a[0];
            parameter->m_parameter = true;
            account(16 * parameter->m_size.size());
            return parameter;
        }
        // Tensor subclasses and tensors with Python attributes: (function, type, args, state).
        if (name == "torch._tensor._rebuild_from_type_v2" || name == "torch._tensor._rebuild_from_type") {
            if (a.size() < 3 || !a[0]->isGlobal() || !a[2]->isTuple())
                fail(name + " with unexpected arguments" + at());
            return call(*a[0], *a[2], nullptr, true);
        }
        // Protocols 0 and 1 rebuild instances with copyreg._reconstructor(class, base, state).
        if (name == "copyreg._reconstructor" && a.size() == 3 && a[0]->isGlobal()) {
            TorchValue *object = record(*a[0], {});
            if (!a[2]->isNone())
                build(object, a[2]);
            return object;
        }
        if (name == "copyreg.__newobj__" && !a.empty() && a[0]->isGlobal())
            return record(*a[0], {a.begin() + 1, a.end()});
    }
    TorchValue *object = record(callable, {a.begin(), a.end()});
    if (kwargs) { // NEWOBJ_EX's keyword arguments: kept as the record's dict items
        if (!kwargs->isDict())
            fail("NEWOBJ_EX with " + kwargs->describe() + " for keyword arguments" + at());
        for (const auto &[key, value] : kwargs->m_pairs)
            addPair(object, key, value);
    }
    return object;
}

// BUILD: what __setstate__ or __dict__.update would receive is kept as the record's state.
// Setting attributes of a name (a class or function) is refused.
void Unpickler::build(TorchValue *target, const TorchValue *state)
{
    switch (target->m_kind) {
    case Kind::Record:
    case Kind::Dict: // a state dict's _metadata attribute
    case Kind::Tensor:
        grow(target, state);
        if (target->m_state && target->m_state->isDict() && state->isDict()) {
            // A second BUILD updates the same __dict__: keep both, the later values found first.
            TorchValue *merged = make(Kind::Dict);
            for (const auto &[key, value] : target->m_state->m_pairs)
                addPair(merged, key, value);
            for (const auto &[key, value] : state->m_pairs)
                addPair(merged, key, value);
            target->m_state = merged;
        } else {
            target->m_state = state;
        }
        return;
    case Kind::Global:
        fail("BUILD on the name '" + target->m_text + "'" + at() + " (setting attributes of a class is refused)");
    default:
        fail("BUILD on " + target->describe() + at());
    }
}

void Unpickler::memoPut(uint64_t index)
{
    TorchValue *value = top();
    if (!m_memo.count(index) && m_memo.size() >= TorchFile::maxMemoEntries)
        fail("more than " + std::to_string(TorchFile::maxMemoEntries) + " memo entries" + at());
    m_memo[index] = value;
}

TorchValue *Unpickler::memoGet(uint64_t index)
{
    const auto it = m_memo.find(index);
    if (it == m_memo.end())
        fail("memo entry " + std::to_string(index) + " read" + at() + " was never stored");
    return it->second;
}

const TorchValue &Unpickler::load(size_t offset)
{
    m_pos = offset;
    m_stack.clear();
    m_marks.clear();
    m_memo.clear();
    while (true) {
        m_opcodeAt = m_pos;
        const auto op = static_cast<unsigned char>(*take(1));
        switch (op) {
        case 0x80: { // PROTO
            const uint64_t version = readUnsigned(1);
            if (version > 5)
                fail("pickle protocol " + std::to_string(version) + " is not supported (0 to 5 are)");
            break;
        }
        case 0x95: // FRAME (protocol 4): a length hint
            take(8);
            break;
        case '.': { // STOP
            if (!m_marks.empty() || m_stack.size() != 1)
                fail("STOP with " + std::to_string(m_stack.size()) + " values on the stack");
            return *m_stack.back();
        }
        case '(': // MARK
            if (m_marks.size() >= static_cast<size_t>(TorchFile::maxDepth))
                fail("MARKs nested deeper than " + std::to_string(TorchFile::maxDepth) + " levels" + at());
            m_marks.push_back(m_stack.size());
            break;
        case '0': // POP: the top value, or the open MARK when there is none above it
            if (m_stack.size() > (m_marks.empty() ? 0 : m_marks.back()))
                m_stack.pop_back();
            else if (!m_marks.empty())
                m_marks.pop_back();
            else
                fail("POP" + at() + " on an empty stack");
            break;
        case '1': popToMark(); break; // POP_MARK
        case '2': push(top()); break; // DUP
        case '}': push(make(Kind::Dict)); break;
        case ']': push(make(Kind::List)); break;
        case ')': push(make(Kind::Tuple)); break;
        case 0x8f: push(make(Kind::Set)); break; // EMPTY_SET
        case 'N': push(make(Kind::None)); break;
        case 0x88: // NEWTRUE
        case 0x89: { // NEWFALSE
            TorchValue *value = make(Kind::Bool);
            value->m_integer = op == 0x88;
            push(value);
            break;
        }
        case 'I': { // INT (protocol 0): also True and False as "01" and "00"
            const std::string line = readLine("INT");
            TorchValue *value = make(line == "01" || line == "00" ? Kind::Bool : Kind::Int);
            value->m_integer = parseDecimal(line, "INT");
            push(value);
            break;
        }
        case 'L': { // LONG (protocol 0)
            TorchValue *value = make(Kind::Int);
            value->m_integer = parseDecimal(readLine("LONG"), "LONG");
            push(value);
            break;
        }
        case 'J': // BININT
        case 'K': // BININT1
        case 'M': { // BININT2
            TorchValue *value = make(Kind::Int);
            value->m_integer = op == 'J' ? static_cast<int32_t>(readUnsigned(4))
                                         : static_cast<int64_t>(readUnsigned(op == 'K' ? 1 : 2));
            push(value);
            break;
        }
        case 0x8a: // LONG1: little-endian two's complement of n bytes
        case 0x8b: { // LONG4
            const uint64_t n = readUnsigned(op == 0x8a ? 1 : 4);
            if (n > 8)
                fail("integer of " + std::to_string(n) + " bytes" + at() + " does not fit in 64 bits");
            uint64_t bits = n == 0 ? 0 : readUnsigned(n);
            if (n > 0 && n < 8 && (bits >> (8 * n - 1)) != 0)
                bits |= ~uint64_t(0) << (8 * n); // sign-extend
            TorchValue *value = make(Kind::Int);
            value->m_integer = static_cast<int64_t>(bits);
            push(value);
            break;
        }
        case 'G': { // BINFLOAT: big-endian double
            const char *data = take(8);
            uint64_t bits = 0;
            for (int i = 0; i < 8; ++i)
                bits = (bits << 8) | static_cast<unsigned char>(data[i]);
            TorchValue *value = make(Kind::Float);
            std::memcpy(&value->m_real, &bits, sizeof bits);
            push(value);
            break;
        }
        case 'F': { // FLOAT (protocol 0): repr of a double
            const std::string line = readLine("FLOAT");
            TorchValue *value = make(Kind::Float);
            const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), value->m_real);
            if (error != std::errc() || end != line.data() + line.size())
                fail("FLOAT" + at() + " is not a number: '" + line + "'");
            push(value);
            break;
        }
        case 'X': // BINUNICODE
        case 0x8c: // SHORT_BINUNICODE
        case 0x8d: // BINUNICODE8
        case 'T': // BINSTRING (Python 2's str; read as text, as torch.load's encoding='utf-8' does)
        case 'U': // SHORT_BINSTRING
        case 'B': // BINBYTES
        case 'C': // SHORT_BINBYTES
        case 0x8e: // BINBYTES8
        case 0x96: { // BYTEARRAY8
            const size_t width = op == 0x8c || op == 'U' || op == 'C' ? 1 : op == 0x8d || op == 0x8e || op == 0x96 ? 8 : 4;
            const uint64_t length = readUnsigned(width);
            if (length > TorchFile::maxStringBytes)
                fail("a string of " + std::to_string(length) + " bytes" + at() + " (at most "
                     + std::to_string(TorchFile::maxStringBytes) + ")");
            const char *data = take(static_cast<size_t>(length));
            const bool bytes = op == 'B' || op == 'C' || op == 0x8e || op == 0x96;
            push(makeText(bytes ? Kind::Bytes : Kind::String, std::string(data, static_cast<size_t>(length))));
            break;
        }
        case 'S': { // STRING (protocol 0): a quoted repr with escapes
            const std::string line = readLine("STRING");
            if (line.size() < 2 || (line[0] != '\'' && line[0] != '"') || line.back() != line[0])
                fail("STRING" + at() + " is not quoted");
            std::string text;
            for (size_t i = 1; i + 1 < line.size(); ++i) {
                if (line[i] != '\\' || i + 2 >= line.size()) {
                    text += line[i];
                    continue;
                }
                const char e = line[++i];
                if (e == 'n') text += '\n';
                else if (e == 't') text += '\t';
                else if (e == 'r') text += '\r';
                else if (e == 'x' && i + 2 < line.size() - 1 && hexDigit(line[i + 1]) >= 0 && hexDigit(line[i + 2]) >= 0) {
                    text += static_cast<char>(hexDigit(line[i + 1]) * 16 + hexDigit(line[i + 2]));
                    i += 2;
                } else text += e;
            }
            push(makeText(Kind::String, std::move(text)));
            break;
        }
        case 'V': { // UNICODE (protocol 0): raw-unicode-escape
            const size_t end = m_bytes.find('\n', m_pos);
            if (end == std::string_view::npos || end - m_pos > TorchFile::maxStringBytes)
                fail("UNICODE" + at() + " has no end of line");
            const std::string_view raw = m_bytes.substr(m_pos, end - m_pos);
            m_pos = end + 1;
            std::string text;
            for (size_t i = 0; i < raw.size(); ++i) {
                const size_t digits = raw[i] == '\\' && i + 1 < raw.size() ? (raw[i + 1] == 'u' ? 4 : raw[i + 1] == 'U' ? 8 : 0) : 0;
                uint32_t code = 0;
                bool ok = digits > 0 && i + 1 + digits < raw.size();
                for (size_t k = 0; ok && k < digits; ++k) {
                    const int d = hexDigit(raw[i + 2 + k]);
                    ok = d >= 0;
                    code = code * 16 + static_cast<uint32_t>(d < 0 ? 0 : d);
                }
                if (ok && code <= 0x10ffff) {
                    appendUtf8(text, code);
                    i += 1 + digits;
                } else {
                    appendUtf8(text, static_cast<unsigned char>(raw[i]));
                }
            }
            push(makeText(Kind::String, std::move(text)));
            break;
        }
        case 'q': // BINPUT
        case 'r': // LONG_BINPUT
        case 0x94: // MEMOIZE
            memoPut(op == 0x94 ? m_memo.size() : readUnsigned(op == 'q' ? 1 : 4));
            break;
        case 'p': { // PUT (protocol 0)
            const int64_t index = parseDecimal(readLine("PUT"), "PUT");
            if (index < 0)
                fail("PUT" + at() + " of a negative index");
            memoPut(static_cast<uint64_t>(index));
            break;
        }
        case 'h': // BINGET
        case 'j': // LONG_BINGET
            push(memoGet(readUnsigned(op == 'h' ? 1 : 4)));
            break;
        case 'g': { // GET (protocol 0)
            const int64_t index = parseDecimal(readLine("GET"), "GET");
            push(memoGet(static_cast<uint64_t>(index)));
            break;
        }
        case 't': push(makeSequence(Kind::Tuple, popToMark())); break; // TUPLE
        case 'l': push(makeSequence(Kind::List, popToMark())); break; // LIST
        case 0x91: push(makeSequence(Kind::Set, popToMark())); break; // FROZENSET
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: { // TUPLE3
            std::vector<TorchValue *> items(op - 0x84);
            for (size_t i = items.size(); i-- > 0;)
                items[i] = pop();
            push(makeSequence(Kind::Tuple, items));
            break;
        }
        case 'd': { // DICT
            const std::vector<TorchValue *> items = popToMark();
            if (items.size() % 2 != 0)
                fail("DICT" + at() + " of an odd number of values");
            TorchValue *dict = make(Kind::Dict);
            for (size_t i = 0; i < items.size(); i += 2)
                addPair(dict, items[i], items[i + 1]);
            push(dict);
            break;
        }
        case 'c': { // GLOBAL
            const std::string module = readLine("GLOBAL");
            const std::string name = readLine("GLOBAL");
            push(global(module, name));
            break;
        }
        case 0x93: { // STACK_GLOBAL (protocol 4)
            const TorchValue *name = pop();
            const TorchValue *module = pop();
            if (!module->isString() || !name->isString() || module->m_text.size() > maxLineLength
                || name->m_text.size() > maxLineLength)
                fail("STACK_GLOBAL" + at() + " without two short strings");
            push(global(module->m_text, name->m_text));
            break;
        }
        case 'Q': { // BINPERSID
            const TorchValue *pid = pop();
            push(persistentLoad(*pid));
            break;
        }
        case 'P': // PERSID (protocol 0): a string id, never written by torch.save
            fail("a text persistent id" + at() + " (torch.save writes tuples)");
        case 'R': { // REDUCE
            const TorchValue *args = pop();
            const TorchValue *callable = pop();
            push(call(*callable, *args, nullptr, true));
            break;
        }
        case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
            const TorchValue *args = pop();
            const TorchValue *cls = pop();
            push(call(*cls, *args, nullptr, false));
            break;
        }
        case 0x92: { // NEWOBJ_EX
            const TorchValue *kwargs = pop();
            const TorchValue *args = pop();
            const TorchValue *cls = pop();
            push(call(*cls, *args, kwargs, false));
            break;
        }
        case 'i': { // INST (protocol 0): module, name, then the arguments since MARK
            const std::string module = readLine("INST");
            const std::string name = readLine("INST");
            const std::vector<TorchValue *> args = popToMark();
            const TorchValue *cls = global(module, name);
            push(call(*cls, *makeSequence(Kind::Tuple, args), nullptr, false));
            break;
        }
        case 'o': { // OBJ (protocol 1): the class, then the arguments, since MARK
            std::vector<TorchValue *> items = popToMark();
            if (items.empty())
                fail("OBJ" + at() + " without a class");
            const TorchValue *cls = items.front();
            items.erase(items.begin());
            push(call(*cls, *makeSequence(Kind::Tuple, items), nullptr, false));
            break;
        }
        case 's': // SETITEM
        case 'u': { // SETITEMS
            std::vector<TorchValue *> items;
            if (op == 's') {
                items.resize(2);
                items[1] = pop();
                items[0] = pop();
            } else {
                items = popToMark();
            }
            TorchValue *dict = top();
            if ((!dict->isDict() && !dict->isRecord()) || items.size() % 2 != 0)
                fail("SETITEMS" + at() + " on " + dict->describe());
            for (size_t i = 0; i < items.size(); i += 2)
                addPair(dict, items[i], items[i + 1]);
            break;
        }
        case 'a': // APPEND
        case 'e': { // APPENDS
            std::vector<TorchValue *> items;
            if (op == 'a')
                items.push_back(pop());
            else
                items = popToMark();
            TorchValue *list = top();
            if (!list->isList() && !list->isRecord())
                fail("APPENDS" + at() + " on " + list->describe());
            for (const TorchValue *item : items)
                addItem(list, item);
            break;
        }
        case 0x90: { // ADDITEMS
            const std::vector<TorchValue *> items = popToMark();
            TorchValue *set = top();
            if (!set->isSet())
                fail("ADDITEMS" + at() + " on " + set->describe());
            for (const TorchValue *item : items)
                addItem(set, item);
            break;
        }
        case 'b': { // BUILD
            const TorchValue *state = pop();
            build(top(), state);
            break;
        }
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: { // EXT4
            const uint64_t code = readUnsigned(op == 0x82 ? 1 : op == 0x83 ? 2 : 4);
            fail("refusing extension code " + std::to_string(code) + at()
                 + " (copyreg's extension registry names objects attnviz cannot see)");
        }
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
            fail("an out-of-band buffer" + at() + " (protocol 5 buffers are not in the file)");
        default:
            fail("unknown opcode " + opcodeName(op) + at() + " (not a pickle opcode)");
        }
    }
}

} // namespace attnviz::detail
