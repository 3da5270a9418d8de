#include <attnviz/decoding/translate.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

namespace attnviz {

std::vector<TranslationResult> translateBatch(const Model &model, const std::vector<std::string> &sentences,
                                              const DecodeOptions &options, int threads)
{
    const int count = static_cast<int>(sentences.size());
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::min(threads, std::max(count, 1));

    std::vector<TranslationResult> results(sentences.size());
    std::vector<std::exception_ptr> errors(sentences.size());
    // Sentences are handed out one at a time rather than in fixed chunks: their lengths, and so
    // their costs, differ by an order of magnitude.
    std::atomic<int> next{0};
    const auto work = [&] {
        for (int i = next++; i < count; i = next++) {
            try {
                results[i] = translate(model, sentences[i], options);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
        pool.emplace_back(work);
    work();
    for (std::thread &thread : pool)
        thread.join();
    for (const std::exception_ptr &error : errors) {
        if (error)
            std::rethrow_exception(error);
    }
    return results;
}

} // namespace attnviz
