// The timing rule both benchmark programs (and tools/bench_torch.py) follow: one warm-up run,
// then repeats until there are at least 5 and 0.5 s have passed (3 when a run takes over a
// second), at most 100; the median is what the tables show.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace attnviz::bench {

struct Timing
{
    double medianMs = 0, minMs = 0;
    int repeats = 0;
};

inline Timing measure(const std::function<void()> &run)
{
    using Clock = std::chrono::steady_clock;
    run();
    std::vector<double> times;
    double total = 0;
    while (times.size() < 100) {
        const auto start = Clock::now();
        run();
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        total += times.back();
        const size_t enough = times.front() > 1000 ? 3 : 5;
        if (times.size() >= enough && total >= 500)
            break;
    }
    std::sort(times.begin(), times.end());
    const size_t n = times.size();
    return {n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2, times.front(), static_cast<int>(n)};
}

// {"case": name, "median_ms": ..., "min_ms": ..., "repeats": ...}: one line of a result file.
inline nlohmann::json toJson(const std::string &name, const Timing &timing)
{
    return {{"case", name}, {"median_ms", timing.medianMs}, {"min_ms", timing.minMs}, {"repeats", timing.repeats}};
}

} // namespace attnviz::bench
