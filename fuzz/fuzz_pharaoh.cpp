// The Pharaoh gold-alignment parser: any text must parse or throw AlignmentFormatError, and
// what parses must survive writePharaoh -> parsePharaoh unchanged.
#include <attnviz/analysis/alignment.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string text(reinterpret_cast<const char *>(data), size);
    std::vector<attnviz::GoldAlignment> parsed;
    try {
        parsed = attnviz::parsePharaoh(text, "fuzz.gold");
    } catch (const attnviz::AlignmentFormatError &) {
        return 0;
    }
    const std::vector<attnviz::GoldAlignment> again =
        attnviz::parsePharaoh(attnviz::writePharaoh(parsed), "fuzz.gold");
    if (again.size() != parsed.size())
        std::abort();
    for (size_t i = 0; i < parsed.size(); ++i) {
        if (parsed[i].sure != again[i].sure || parsed[i].possible != again[i].possible)
            std::abort();
    }
    return 0;
}
