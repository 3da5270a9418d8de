// The text normalizer and tokenizer: any bytes (valid UTF-8 or not) must give tokens, never
// throw, and the tokens must be non-empty and free of ASCII white space.
#include <attnviz/io/text.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    for (const auto normalization : {attnviz::Normalization::Tutorial, attnviz::Normalization::None}) {
        const std::string normalized = attnviz::normalizeText(text, normalization);
        for (const std::string &token : attnviz::splitTokens(normalized)) {
            if (token.empty())
                std::abort();
            for (const char c : token) {
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
                    std::abort();
            }
        }
        // Normalizing is idempotent: the tutorial rule's output is ASCII a-z . ! ? and spaces.
        if (normalization == attnviz::Normalization::Tutorial
            && attnviz::normalizeText(normalized, normalization) != normalized)
            std::abort();
    }
    return 0;
}
