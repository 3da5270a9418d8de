// A strict unpickler for the data.pkl of a torch.save'd state dict. It knows the few opcodes
// such a pickle uses and the few globals it names (OrderedDict, the tensor-rebuild functions,
// the float storage types); anything else is refused. Nothing is ever imported or called: the
// "calls" a state dict makes are recognised and turned into plain descriptions.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnviz::detail {

enum class TorchDType { Float32, Float16, BFloat16 };

struct PickleValue
{
    enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
    Kind kind = Kind::None;
    int64_t integer = 0; // Int, Bool; Storage: its element count
    double real = 0;
    std::string text; // String; Global: "module name"; Storage: its archive key
    std::vector<PickleValue *> items; // Tuple, List; Dict: key, value, key, value...
    TorchDType dtype = TorchDType::Float32; // Storage, Tensor
    // Tensor: _rebuild_tensor_v2(storage, offset, size, stride, ...)
    const PickleValue *storage = nullptr;
    int64_t storageOffset = 0;
    std::vector<int64_t> size, stride;
    int depth = 1; // containers: 1 + the deepest item
};

class Unpickler
{
public:
    // Messages are "<displayName>: data.pkl: <problem>".
    Unpickler(std::string_view bytes, std::string displayName);

    // The unpickled object; it lives as long as the Unpickler. Throws ModelError.
    const PickleValue &load();

    static constexpr int maxDepth = 32;

private:
    [[noreturn]] void fail(const std::string &message) const;
    const char *take(size_t count);
    uint64_t readUnsigned(size_t bytes);
    std::string readLine();
    PickleValue *make(PickleValue::Kind kind);
    PickleValue *pop();
    std::vector<PickleValue *> popToMark();
    void push(PickleValue *value);
    void addItem(PickleValue *container, PickleValue *item);
    PickleValue *makeTuple(std::vector<PickleValue *> items);
    PickleValue *global(const std::string &module, const std::string &name);
    PickleValue *persistentLoad(const PickleValue &pid);
    PickleValue *reduce(const PickleValue &callable, const PickleValue &args);

    std::string_view m_bytes;
    std::string m_displayName;
    size_t m_pos = 0;
    size_t m_opcodeAt = 0;
    std::deque<PickleValue> m_arena; // owns every value; deque keeps their addresses stable
    std::vector<PickleValue *> m_stack;
    std::vector<size_t> m_marks; // stack sizes at each MARK
    std::unordered_map<uint32_t, PickleValue *> m_memo;
};

std::string dtypeName(TorchDType dtype); // "float32"
int dtypeSize(TorchDType dtype);

} // namespace attnviz::detail
