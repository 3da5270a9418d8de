// The safetensors model loader: any bytes must load or throw ModelError, and a model that loads must
// translate or throw InputError (fuzz_model.h).
#include "fuzz_model.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    attnviz::fuzz::loadAndTranslate(std::string_view(reinterpret_cast<const char *>(data), size), "fuzz.safetensors", false);
    return 0;
}
