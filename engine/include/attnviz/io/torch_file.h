// Reading any file torch.save wrote (the ZIP format of PyTorch >= 1.6 and the "legacy" format
// before it) as inert data: nothing in the pickle is imported or called. Classes are names;
// objects of any class are records (class name, constructor arguments, state) to read fields
// from; only the tensor-rebuild functions are understood, and they make tensors. What is read,
// the limits and why it is safe: docs/pytorch-import.md.
//
//     #include <attnviz/io/torch_file.h>
//     #include <iostream>
//
//     int main(int argc, char **argv)
//     {
//         if (argc != 2)
//             return 2;
//         try {
//             const attnviz::TorchFile file = attnviz::TorchFile::open(argv[1]); // throws ModelError
//             const attnviz::TorchValue &root = file.root();
//             if (const attnviz::TorchValue *epoch = root.find("epoch"); epoch && epoch->isInt())
//                 std::cout << "epoch " << epoch->integer() << '\n';
//             if (const attnviz::TorchValue *opt = root.find("opt"); opt && opt->isRecord())
//                 std::cout << opt->className() << '\n'; // "argparse.Namespace"
//             for (const auto &[name, tensor] : attnviz::collectTensors(file, root))
//                 std::cout << name << ' ' << attnviz::shapeToString(tensor.shape) << '\n';
//         } catch (const attnviz::ModelError &error) {
//             std::cerr << error.what() << '\n'; // "<file>: <what is wrong>"
//             return 1;
//         }
//     }
#pragma once

#include <attnviz/io/model_file.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnviz {

namespace detail {
class Unpickler;
}

using StateDict = std::map<std::string, Tensor>; // "gru.weight_ih_l0" -> [3H, H]

// One unpickled object, read-only; it lives as long as its TorchFile.
class TorchValue
{
public:
    enum class Kind {
        None, Bool, Int, Float, String, Bytes, List, Tuple, Set, Dict, Tensor, Record,
        Global,  // a class or function named but not called: "module.Name"
        Storage, // a bare torch storage (not a view through a tensor)
    };

    Kind kind() const { return m_kind; }
    bool isNone() const { return m_kind == Kind::None; }
    bool isBool() const { return m_kind == Kind::Bool; }
    bool isInt() const { return m_kind == Kind::Int || m_kind == Kind::Bool; } // Python's bool is an int
    bool isFloat() const { return m_kind == Kind::Float; }
    bool isNumber() const { return isInt() || isFloat(); }
    bool isString() const { return m_kind == Kind::String; }
    bool isBytes() const { return m_kind == Kind::Bytes; }
    bool isList() const { return m_kind == Kind::List; }
    bool isTuple() const { return m_kind == Kind::Tuple; }
    bool isSet() const { return m_kind == Kind::Set; }
    bool isSequence() const { return isList() || isTuple() || isSet(); }
    bool isDict() const { return m_kind == Kind::Dict; }
    bool isTensor() const { return m_kind == Kind::Tensor; }
    bool isRecord() const { return m_kind == Kind::Record; }
    bool isGlobal() const { return m_kind == Kind::Global; }

    int64_t integer() const { return m_integer; } // Int, Bool; 0 otherwise
    double real() const { return m_kind == Kind::Float ? m_real : static_cast<double>(m_integer); } // numbers
    const std::string &text() const { return m_text; } // String (UTF-8), Bytes (raw); Global: "module.Name"
    const std::vector<const TorchValue *> &items() const { return m_items; } // List, Tuple, Set; Record: its list items

    // Dict: every key and value in order (keys of any kind). Record: its dict items (a dict subclass).
    const std::vector<std::pair<const TorchValue *, const TorchValue *>> &dictItems() const { return m_pairs; }
    // Dict: the value of a string key; Record: a field of its state (a dict, or the dict and the
    // __slots__ dict of a (dict, slots) state) or of its dict items. nullptr if absent.
    const TorchValue *find(std::string_view key) const;
    // Dict or Record (as find reads them), in order; integer keys as decimal text, other keys skipped.
    std::vector<std::pair<std::string, const TorchValue *>> entries() const;

    // Record
    const std::string &className() const { return m_text; } // also Global: "argparse.Namespace", "__main__.Lang"
    const std::vector<const TorchValue *> &recordArgs() const { return m_args; } // constructor arguments
    const TorchValue *state() const { return m_state; } // what BUILD / __setstate__ was given; nullptr if none

    // Tensor
    std::vector<int64_t> shape() const { return m_size; }
    std::vector<int64_t> strides() const { return m_stride; }
    int64_t storageOffset() const { return m_offset; }
    std::string dtype() const; // "float32", "int64", "bool"...; Storage too
    bool isParameter() const { return m_parameter; } // torch.nn.Parameter
    const TorchValue *storage() const { return m_storage; }
    // Storage (and a tensor's storage): its key, location ("cpu", "cuda:0", "mps") and element count.
    const std::string &storageKey() const { return m_text; }
    const std::string &location() const { return m_location; }
    int64_t elementCount() const { return m_integer; }

    // "a dict", "a tensor", "an object of class 'os.system'": for messages.
    std::string describe() const;

    enum class DType { Float64, Float32, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool };

private:
    friend class detail::Unpickler;
    friend class TorchFile;

    Kind m_kind = Kind::None;
    DType m_dtype = DType::Float32;
    bool m_parameter = false;
    int m_depth = 1; // 1 + the deepest item, as far as the unpickler knows (cycles aside)
    int64_t m_integer = 0;
    double m_real = 0;
    int64_t m_offset = 0;
    std::string m_text, m_location;
    std::vector<const TorchValue *> m_items, m_args;
    std::vector<std::pair<const TorchValue *, const TorchValue *>> m_pairs;
    const TorchValue *m_state = nullptr;
    const TorchValue *m_storage = nullptr;
    std::vector<int64_t> m_size, m_stride;
};

// A file written by torch.save, unpickled. Movable, not copyable; not for use from two threads
// at once (tensor() caches the storages it has read).
class TorchFile
{
public:
    // ZIP (>= 1.6) or legacy, told by the first bytes. Throws ModelError "<path>: ...".
    static TorchFile open(const std::string &path);
    static TorchFile fromBytes(std::string bytes, std::string displayName);
    // A plain pickle (pickle.dump, e.g. the tutorial's Lang objects): format "pickle", no tensors.
    // A file torch.save wrote is read as open() reads it.
    static TorchFile openPickle(const std::string &path);

    TorchFile(TorchFile &&) noexcept;
    TorchFile &operator=(TorchFile &&) noexcept;
    ~TorchFile();

    const TorchValue &root() const;
    // The tensor's elements, contiguous (row-major), widened to float32 whatever the storage
    // type (ints and bools too). Throws ModelError naming the file and `name`.
    Tensor tensor(const TorchValue &value, const std::string &name) const;
    std::string format() const; // "zip", "legacy" or "pickle"
    const std::string &displayName() const;

    // The documented limits (docs/pytorch-import.md).
    static constexpr int maxDepth = 64;                       // nesting of containers and MARKs
    static constexpr size_t maxMemoEntries = size_t(1) << 20;  // memo slots
    static constexpr uint64_t maxPickleBytes = uint64_t(64) << 20; // the object pickle
    static constexpr size_t maxValues = size_t(1) << 20;      // objects made while unpickling
    static constexpr uint64_t maxAllocation = uint64_t(512) << 20; // their bytes (values, strings, items)
    static constexpr size_t maxStringBytes = size_t(16) << 20; // one string or bytes object

private:
    struct Data;
    explicit TorchFile(std::unique_ptr<Data> data);
    std::unique_ptr<Data> d;
};

// Every tensor under `object`, by dotted path: dicts (string or integer keys), OrderedDicts,
// and module records (their _parameters, _buffers and _modules, recursively), e.g.
// "encoder.rnn.weight_ih_l0". Other values (numbers, strings, optimizer records...) are
// skipped; None parameters (a bias=False Linear's bias) too. Throws ModelError when the same
// name appears twice or the nesting is deeper than TorchFile::maxDepth (a cycle).
StateDict collectTensors(const TorchFile &file, const TorchValue &object, const std::string &prefix = "");

// True when the record looks like a torch.nn.Module (a state with _parameters and _modules).
bool isModuleRecord(const TorchValue &value);

} // namespace attnviz
