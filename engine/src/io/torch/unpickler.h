// An unpickler that runs nothing. It knows every opcode of pickle protocols 0 to 5 (but the
// extension registry and out-of-band buffers, which it refuses) and builds TorchValues: a
// GLOBAL is a name, and a call (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ) is a record of the name
// and its arguments, except for the few names whose meaning is data (OrderedDict, set,
// torch.Size, the tensor-rebuild functions...). Every size is bounded by TorchFile's limits.
#pragma once

#include <attnviz/io/torch_file.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnviz::detail {

class Unpickler
{
public:
    // Messages are "<displayName>: <what>: <problem>", what = "data.pkl" or "the object pickle".
    // The bytes must outlive load(); the values live as long as the Unpickler.
    Unpickler(std::string_view bytes, std::string displayName, std::string what = "data.pkl");

    // Reads one pickle from `offset` to its STOP; where the next one starts is end().
    const TorchValue &load(size_t offset = 0);
    size_t end() const { return m_pos; }
    // Every storage the persistent ids described, in order.
    const std::vector<const TorchValue *> &storages() const { return m_storages; }

    using Kind = TorchValue::Kind;

private:
    [[noreturn]] void fail(const std::string &message) const;
    std::string at() const;
    const char *take(size_t count);
    uint64_t readUnsigned(size_t bytes);
    std::string readLine(const char *what);
    int64_t parseDecimal(const std::string &line, const char *what);
    TorchValue *make(Kind kind);
    TorchValue *makeText(Kind kind, std::string text);
    TorchValue *pop();
    std::vector<TorchValue *> popToMark();
    TorchValue *top();
    void push(TorchValue *value);
    void account(uint64_t bytes);
    void grow(TorchValue *container, const TorchValue *item);
    void addItem(TorchValue *container, const TorchValue *item);
    void addPair(TorchValue *container, const TorchValue *key, const TorchValue *value);
    TorchValue *makeSequence(Kind kind, const std::vector<TorchValue *> &items);
    TorchValue *global(const std::string &module, const std::string &name);
    // torch.save's persistent ids: ('storage', type, key, location, count[, view]), and in the
    // legacy format ('module', class, source file, source).
    TorchValue *persistentLoad(const TorchValue &pid);
    TorchValue *call(const TorchValue &callable, const TorchValue &args, const TorchValue *kwargs, bool functions);
    TorchValue *record(const TorchValue &callable, const std::vector<const TorchValue *> &args);
    TorchValue *rebuildTensor(const std::vector<const TorchValue *> &a, const std::string &function);
    void build(TorchValue *target, const TorchValue *state);
    void memoPut(uint64_t index);
    TorchValue *memoGet(uint64_t index);

    std::string_view m_bytes;
    std::string m_displayName, m_what;
    size_t m_pos = 0;
    size_t m_opcodeAt = 0;
    uint64_t m_allocated = 0;
    std::deque<TorchValue> m_arena; // owns every value; deque keeps their addresses stable
    std::vector<TorchValue *> m_stack;
    std::vector<size_t> m_marks; // stack sizes at each MARK
    std::unordered_map<uint64_t, TorchValue *> m_memo;
    std::vector<const TorchValue *> m_storages;
};

std::string dtypeName(TorchValue::DType dtype); // "float32"
int dtypeSize(TorchValue::DType dtype);

} // namespace attnviz::detail
