// The torch.save reader (ZIP container and the restricted unpickler): any bytes must give a
// state dict or throw ModelError.
#include <attnviz/io/torch_import.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        attnviz::readTorchStateDictFromBytes(
            std::string_view(reinterpret_cast<const char *>(data), size), "fuzz.pt");
    } catch (const attnviz::ModelError &) {
    }
    return 0;
}
