// The subword-nmt codes-file parser and segmenter: any bytes must work or throw ModelError (fuzz_subword.h).
#include "fuzz_subword.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        attnviz::fuzz::segmentWithCodes(std::string_view(reinterpret_cast<const char *>(data), size));
    } catch (const attnviz::ModelError &) {
    }
    return 0;
}
