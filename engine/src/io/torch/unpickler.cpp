#include "io/torch/unpickler.h"

#include <attnviz/io/model_file.h>

#include <cstring>
#include <limits>

namespace attnviz::detail {

namespace {

using Kind = PickleValue::Kind;

constexpr size_t maxLineLength = 256; // GLOBAL's module and name
constexpr size_t maxMemoEntries = 1 << 20;

const char *kindName(Kind kind)
{
    switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "a bool";
    case Kind::Int: return "an integer";
    case Kind::Float: return "a float";
    case Kind::String: return "a string";
    case Kind::Tuple: return "a tuple";
    case Kind::List: return "a list";
    case Kind::Dict: return "a dict";
    case Kind::Global: return "a global";
    case Kind::Storage: return "a storage";
    case Kind::Tensor: return "a tensor";
    }
    return "?";
}

std::string opcodeName(unsigned char op)
{
    static const char digits[] = "0123456789abcdef";
    std::string hex = std::string("0x") + digits[op >> 4] + digits[op & 15];
    if (op >= 0x20 && op < 0x7f)
        return "'" + std::string(1, static_cast<char>(op)) + "' (" + hex + ")";
    return hex;
}

bool storageDType(const std::string &qualified, TorchDType &dtype)
{
    if (qualified == "torch FloatStorage")
        dtype = TorchDType::Float32;
    else if (qualified == "torch HalfStorage")
        dtype = TorchDType::Float16;
    else if (qualified == "torch BFloat16Storage")
        dtype = TorchDType::BFloat16;
    else
        return false;
    return true;
}

bool isInt(const PickleValue *value)
{
    return value->kind == Kind::Int || value->kind == Kind::Bool;
}

} // namespace

std::string dtypeName(TorchDType dtype)
{
    switch (dtype) {
    case TorchDType::Float32: return "float32";
    case TorchDType::Float16: return "float16";
    case TorchDType::BFloat16: return "bfloat16";
    }
    return "?";
}

int dtypeSize(TorchDType dtype)
{
    return dtype == TorchDType::Float32 ? 4 : 2;
}

Unpickler::Unpickler(std::string_view bytes, std::string displayName)
    : m_bytes(bytes)
    , m_displayName(std::move(displayName))
{ }

void Unpickler::fail(const std::string &message) const
{
    throw ModelError(m_displayName + ": data.pkl: " + message);
}

const char *Unpickler::take(size_t count)
{
    if (count > m_bytes.size() - m_pos)
        fail("ends in the middle of an opcode at byte " + std::to_string(m_opcodeAt));
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

std::string Unpickler::readLine()
{
    const size_t end = m_bytes.find('\n', m_pos);
    if (end == std::string_view::npos || end - m_pos > maxLineLength)
        fail("GLOBAL at byte " + std::to_string(m_opcodeAt) + " has no name of at most "
             + std::to_string(maxLineLength) + " characters");
    std::string line(m_bytes.substr(m_pos, end - m_pos));
    m_pos = end + 1;
    return line;
}

PickleValue *Unpickler::make(Kind kind)
{
    m_arena.emplace_back();
    m_arena.back().kind = kind;
    return &m_arena.back();
}

PickleValue *Unpickler::pop()
{
    const size_t floor = m_marks.empty() ? 0 : m_marks.back();
    if (m_stack.size() <= floor)
        fail("opcode at byte " + std::to_string(m_opcodeAt) + " needs a value, but the stack is empty");
    PickleValue *value = m_stack.back();
    m_stack.pop_back();
    return value;
}

std::vector<PickleValue *> Unpickler::popToMark()
{
    if (m_marks.empty())
        fail("opcode at byte " + std::to_string(m_opcodeAt) + " needs a MARK, but none is open");
    const size_t mark = m_marks.back();
    m_marks.pop_back();
    std::vector<PickleValue *> items(m_stack.begin() + static_cast<std::ptrdiff_t>(mark), m_stack.end());
    m_stack.resize(mark);
    return items;
}

void Unpickler::push(PickleValue *value)
{
    m_stack.push_back(value);
}

// Containers record how deep they are, so that a pickle of a thousand nested tuples is refused
// while it is read, and a reader of the result never recurses far.
void Unpickler::addItem(PickleValue *container, PickleValue *item)
{
    if (item->depth + 1 > container->depth)
        container->depth = item->depth + 1;
    if (container->depth > maxDepth)
        fail("nesting deeper than " + std::to_string(maxDepth) + " levels at byte " + std::to_string(m_opcodeAt));
    container->items.push_back(item);
}

PickleValue *Unpickler::makeTuple(std::vector<PickleValue *> items)
{
    PickleValue *tuple = make(Kind::Tuple);
    for (PickleValue *item : items)
        addItem(tuple, item);
    return tuple;
}

PickleValue *Unpickler::global(const std::string &module, const std::string &name)
{
    const std::string qualified = module + " " + name;
    PickleValue *value = make(Kind::Global);
    value->text = qualified;
    if (qualified == "collections OrderedDict" || qualified == "torch._utils _rebuild_tensor_v2"
        || qualified == "torch._utils _rebuild_parameter" || storageDType(qualified, value->dtype))
        return value;
    if (module == "torch" && name.size() > 7 && name.compare(name.size() - 7, 7, "Storage") == 0)
        fail("refusing GLOBAL '" + qualified
             + "': only float32, float16 and bfloat16 tensors can be imported");
    fail("refusing GLOBAL '" + qualified + "' (only the tensor-rebuild functions are allowed)");
}

// torch.save's persistent ids: ('storage', storage type, key, location, element count).
PickleValue *Unpickler::persistentLoad(const PickleValue &pid)
{
    const auto &items = pid.items;
    if (pid.kind != Kind::Tuple || items.size() != 5 || items[0]->kind != Kind::String
        || items[0]->text != "storage" || items[1]->kind != Kind::Global || items[2]->kind != Kind::String
        || items[3]->kind != Kind::String || items[4]->kind != Kind::Int)
        fail("persistent id at byte " + std::to_string(m_opcodeAt)
             + " is not ('storage', type, key, location, size)");
    PickleValue *storage = make(Kind::Storage);
    if (!storageDType(items[1]->text, storage->dtype))
        fail("persistent id at byte " + std::to_string(m_opcodeAt) + " names '" + items[1]->text
             + "', not a storage type");
    if (items[4]->integer < 0)
        fail("storage '" + items[2]->text + "' has a negative size");
    storage->text = items[2]->text;
    storage->integer = items[4]->integer;
    return storage;
}

PickleValue *Unpickler::reduce(const PickleValue &callable, const PickleValue &args)
{
    const std::string at = " at byte " + std::to_string(m_opcodeAt);
    if (callable.kind != Kind::Global)
        fail(std::string("REDUCE calls ") + kindName(callable.kind) + at);
    if (args.kind != Kind::Tuple)
        fail("REDUCE of '" + callable.text + "' with " + kindName(args.kind) + " for arguments" + at);
    const auto &a = args.items;
    if (callable.text == "collections OrderedDict") {
        if (!a.empty())
            fail("OrderedDict with arguments" + at);
        return make(Kind::Dict);
    }
    if (callable.text == "torch._utils _rebuild_parameter") {
        if (a.size() != 3 || a[0]->kind != Kind::Tensor)
            fail("_rebuild_parameter without a tensor" + at);
        return a[0];
    }
    if (callable.text == "torch._utils _rebuild_tensor_v2") {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (a.size() < 6 || a.size() > 7 || a[0]->kind != Kind::Storage || a[1]->kind != Kind::Int
            || a[2]->kind != Kind::Tuple || a[3]->kind != Kind::Tuple)
            fail("_rebuild_tensor_v2 with unexpected arguments" + at);
        PickleValue *tensor = make(Kind::Tensor);
        tensor->storage = a[0];
        tensor->dtype = a[0]->dtype;
        tensor->storageOffset = a[1]->integer;
        for (const PickleValue *v : a[2]->items) {
            if (!isInt(v) || v->integer < 0)
                fail("tensor size is not a tuple of non-negative integers" + at);
            tensor->size.push_back(v->integer);
        }
        for (const PickleValue *v : a[3]->items) {
            if (!isInt(v) || v->integer < 0)
                fail("tensor stride is not a tuple of non-negative integers" + at);
            tensor->stride.push_back(v->integer);
        }
        if (tensor->size.size() != tensor->stride.size())
            fail("tensor size and stride differ in length" + at);
        if (tensor->storageOffset < 0)
            fail("negative storage offset" + at);
        return tensor;
    }
    fail("REDUCE of '" + callable.text + "'" + at); // a storage type: never called by torch.save
}

const PickleValue &Unpickler::load()
{
    m_pos = 0;
    while (true) {
        m_opcodeAt = m_pos;
        const auto op = static_cast<unsigned char>(*take(1));
        switch (op) {
        case 0x80: { // PROTO
            const uint64_t version = readUnsigned(1);
            if (version < 2 || version > 5)
                fail("pickle protocol " + std::to_string(version) + " is not supported");
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
            if (m_marks.size() >= static_cast<size_t>(maxDepth))
                fail("MARKs nested deeper than " + std::to_string(maxDepth) + " levels at byte "
                     + std::to_string(m_opcodeAt));
            m_marks.push_back(m_stack.size());
            break;
        case '}': push(make(Kind::Dict)); break;
        case ']': push(make(Kind::List)); break;
        case ')': push(make(Kind::Tuple)); break;
        case 'N': push(make(Kind::None)); break;
        case 0x88: // NEWTRUE
        case 0x89: { // NEWFALSE
            PickleValue *value = make(Kind::Bool);
            value->integer = op == 0x88;
            push(value);
            break;
        }
        case 'J': // BININT
        case 'K': // BININT1
        case 'M': { // BININT2
            PickleValue *value = make(Kind::Int);
            value->integer = op == 'J' ? static_cast<int32_t>(readUnsigned(4))
                                       : static_cast<int64_t>(readUnsigned(op == 'K' ? 1 : 2));
            push(value);
            break;
        }
        case 0x8a: { // LONG1: little-endian two's complement of n bytes
            const uint64_t n = readUnsigned(1);
            if (n > 8)
                fail("integer of " + std::to_string(n) + " bytes at byte " + std::to_string(m_opcodeAt)
                     + " does not fit in 64 bits");
            uint64_t bits = n == 0 ? 0 : readUnsigned(n);
            if (n > 0 && n < 8 && (bits >> (8 * n - 1)) != 0)
                bits |= ~uint64_t(0) << (8 * n); // sign-extend
            PickleValue *value = make(Kind::Int);
            value->integer = static_cast<int64_t>(bits);
            push(value);
            break;
        }
        case 'G': { // BINFLOAT: big-endian double
            const char *data = take(8);
            uint64_t bits = 0;
            for (int i = 0; i < 8; ++i)
                bits = (bits << 8) | static_cast<unsigned char>(data[i]);
            PickleValue *value = make(Kind::Float);
            std::memcpy(&value->real, &bits, sizeof bits);
            push(value);
            break;
        }
        case 'X': // BINUNICODE
        case 0x8c: { // SHORT_BINUNICODE
            const uint64_t length = readUnsigned(op == 'X' ? 4 : 1);
            PickleValue *value = make(Kind::String);
            value->text.assign(take(length), length);
            push(value);
            break;
        }
        case 'q': // BINPUT
        case 'r': // LONG_BINPUT
        case 0x94: { // MEMOIZE
            const auto index = static_cast<uint32_t>(op == 0x94 ? m_memo.size() : readUnsigned(op == 'q' ? 1 : 4));
            if (m_stack.empty())
                fail("memo store at byte " + std::to_string(m_opcodeAt) + " with an empty stack");
            if (m_memo.size() >= maxMemoEntries)
                fail("more than " + std::to_string(maxMemoEntries) + " memo entries");
            m_memo[index] = m_stack.back();
            break;
        }
        case 'h': // BINGET
        case 'j': { // LONG_BINGET
            const auto index = static_cast<uint32_t>(readUnsigned(op == 'h' ? 1 : 4));
            const auto it = m_memo.find(index);
            if (it == m_memo.end())
                fail("memo entry " + std::to_string(index) + " read at byte " + std::to_string(m_opcodeAt)
                     + " was never stored");
            push(it->second);
            break;
        }
        case 't': push(makeTuple(popToMark())); break; // TUPLE
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: { // TUPLE3
            std::vector<PickleValue *> items(op - 0x84);
            for (size_t i = items.size(); i-- > 0;)
                items[i] = pop();
            push(makeTuple(std::move(items)));
            break;
        }
        case 'c': { // GLOBAL
            const std::string module = readLine();
            const std::string name = readLine();
            push(global(module, name));
            break;
        }
        case 0x93: { // STACK_GLOBAL (protocol 4)
            const PickleValue *name = pop();
            const PickleValue *module = pop();
            if (module->kind != Kind::String || name->kind != Kind::String)
                fail("STACK_GLOBAL without two strings at byte " + std::to_string(m_opcodeAt));
            push(global(module->text, name->text));
            break;
        }
        case 'Q': { // BINPERSID
            const PickleValue *pid = pop();
            push(persistentLoad(*pid));
            break;
        }
        case 'R': { // REDUCE
            const PickleValue *args = pop();
            const PickleValue *callable = pop();
            push(reduce(*callable, *args));
            break;
        }
        case 's': // SETITEM
        case 'u': { // SETITEMS
            std::vector<PickleValue *> items;
            if (op == 's') {
                items.resize(2);
                items[1] = pop();
                items[0] = pop();
            } else {
                items = popToMark();
            }
            PickleValue *dict = pop();
            if (dict->kind != Kind::Dict || items.size() % 2 != 0)
                fail("SETITEMS at byte " + std::to_string(m_opcodeAt) + " on " + kindName(dict->kind));
            for (PickleValue *item : items)
                addItem(dict, item);
            push(dict);
            break;
        }
        case 'a': // APPEND
        case 'e': { // APPENDS
            std::vector<PickleValue *> items;
            if (op == 'a')
                items.push_back(pop());
            else
                items = popToMark();
            PickleValue *list = pop();
            if (list->kind != Kind::List)
                fail("APPENDS at byte " + std::to_string(m_opcodeAt) + " on " + kindName(list->kind));
            for (PickleValue *item : items)
                addItem(list, item);
            push(list);
            break;
        }
        case 'b': { // BUILD: only state_dict()'s _metadata, set on the OrderedDict; ignored
            pop();
            PickleValue *target = pop();
            if (target->kind != Kind::Dict)
                fail(std::string("BUILD on ") + kindName(target->kind) + " at byte " + std::to_string(m_opcodeAt)
                     + " (only a state dict's _metadata is accepted)");
            push(target);
            break;
        }
        default:
            fail("unsupported opcode " + opcodeName(op) + " at byte " + std::to_string(m_opcodeAt)
                 + " (not one a state dict of tensors needs)");
        }
    }
}

} // namespace attnviz::detail
