// The timing rule both benchmark programs (and tools/bench_torch.py) follow: one warm-up run,
// then repeats until there are at least 5 and 0.5 s have passed (3 when a run takes over a
// second), at most 100; the median is what the tables show. Each repeat's process CPU time is
// kept too (cpu_median_ms): on a machine shared with other work the wall time includes the
// time spent waiting for a core, the CPU time does not (it still includes the stalls on memory).
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace attnviz::bench {

struct Timing
{
    double medianMs = 0, minMs = 0;
    int repeats = 0;
    double cpuMedianMs = 0, cpuMinMs = 0;
};

inline double processCpuMs()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

inline double median(std::vector<double> values) // of a non-empty list
{
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

inline Timing measure(const std::function<void()> &run)
{
    using Clock = std::chrono::steady_clock;
    run();
    std::vector<double> times, cpuTimes;
    double total = 0;
    while (times.size() < 100) {
        const double cpuStart = processCpuMs();
        const auto start = Clock::now();
        run();
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        cpuTimes.push_back(processCpuMs() - cpuStart);
        total += times.back();
        const size_t enough = times.front() > 1000 ? 3 : 5;
        if (times.size() >= enough && total >= 500)
            break;
    }
    return {median(times), *std::min_element(times.begin(), times.end()), static_cast<int>(times.size()),
            median(cpuTimes), *std::min_element(cpuTimes.begin(), cpuTimes.end())};
}

// {"case": name, "median_ms": ..., "min_ms": ..., "repeats": ...}: one line of a result file.
inline nlohmann::json toJson(const std::string &name, const Timing &timing)
{
    return {{"case", name},         {"median_ms", timing.medianMs},         {"min_ms", timing.minMs},
            {"repeats", timing.repeats}, {"cpu_median_ms", timing.cpuMedianMs}, {"cpu_min_ms", timing.cpuMinMs}};
}

} // namespace attnviz::bench
