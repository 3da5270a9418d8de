// The JSON model loader: any bytes must load or throw ModelError.
#include <attnviz/io/model_file.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        attnviz::loadModelFromBytes(std::string_view(reinterpret_cast<const char *>(data), size),
                                    "fuzz.json", true);
    } catch (const attnviz::ModelError &) {
    }
    return 0;
}
