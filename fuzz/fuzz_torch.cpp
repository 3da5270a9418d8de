// The torch.save reader (ZIP container, the legacy format and the unpickler that runs nothing):
// any bytes must give a value tree, or throw ModelError. Every tensor found is then read.
#include <attnviz/io/torch_file.h>
#include <attnviz/io/torch_import.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string bytes(reinterpret_cast<const char *>(data), size);
    try {
        const attnviz::TorchFile file = attnviz::TorchFile::fromBytes(bytes, "fuzz.pt");
        for (const auto &entry : file.root().entries())
            (void)entry.second->describe();
        attnviz::collectTensors(file, file.root());
    } catch (const attnviz::ModelError &) {
    }
    try {
        attnviz::readTorchStateDictFromBytes(bytes, "fuzz.pt");
    } catch (const attnviz::ModelError &) {
    }
    return 0;
}
