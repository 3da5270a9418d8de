// The torch.save reader (ZIP container, the legacy format and the unpickler that runs nothing)
// and the importers behind it: any bytes must give a value tree, or throw ModelError. Every
// tensor found is then read, and an OpenNMT-py or chatbot-tutorial checkpoint is imported and
// run (fuzz_model.h).
#include "fuzz_model.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    attnviz::fuzz::readTorchBytes(std::string(reinterpret_cast<const char *>(data), size), "fuzz.pt");
    return 0;
}
