"""Pairs bench_engine's and bench_torch.py's JSON lines by case and prints Markdown tables:
medians, and the ratio PyTorch / attnviz for every pair of runs (above 1: attnviz is faster).

    python3 bench/compare.py ours:LABEL=FILE... torch:LABEL=FILE... [extras=FILE]

ours: runs of bench_engine (for example the x86-64 baseline build and the -march=native one);
torch: runs of tools/bench_torch.py (for example with the installed BLAS and with OpenBLAS);
extras: bench_engine's other lines (load_rss/, roofline/) and bench_gui's (gui/).
--cpu: compare the CPU times (cpu_median_ms) instead of the wall times, for runs on a machine
shared with other work (see bench/timing.h).
"""

import json
import sys


def read(path):
    with open(path) as f:
        return {r["case"]: r for r in map(json.loads, filter(str.strip, f))}


def ms(value):
    return "%.3g" % value if value < 100 else "%.0f" % value


def gemv_parts(parts):
    """The GEMVs of a step's matrices: [[name, us], ...] (older runs: {name: us})."""
    items = parts.items() if isinstance(parts, dict) else parts
    return ", ".join("%s %.1f" % (name, us) for name, us in items)


def main():
    ours, torch, extras = [], [], {}
    key = "median_ms"
    for arg in sys.argv[1:]:
        kind, _, rest = arg.partition(":")
        if arg == "--cpu":
            key = "cpu_median_ms"
        elif arg.startswith("extras="):
            extras = read(arg[len("extras="):])
        elif kind in ("ours", "torch") and "=" in rest:
            label, path = rest.split("=", 1)
            (ours if kind == "ours" else torch).append((label, read(path)))
        else:
            sys.exit(__doc__)

    pairs = [(t, o) for t in torch for o in ours]
    unit = "ms" if key == "median_ms" else "CPU ms"
    print("| case | " + " | ".join("%s %s" % (label, unit) for label, _ in ours + torch) + " | "
          + " | ".join("%s / %s" % (t[0], o[0]) for t, o in pairs) + " | tokens |")
    print("| --- |" + " ---: |" * (len(ours) + len(torch) + len(pairs) + 1))
    for name, first in ours[0][1].items():
        def has(run):
            return name in run and key in run[name]

        cells = [ms(run[name][key]) if has(run) else "-" for _, run in ours + torch]
        ratios = ["%.1fx" % (t[1][name][key] / o[1][name][key]) if has(t[1]) and has(o[1]) else "-"
                  for t, o in pairs]
        tokens = str(first.get("tokens", ""))
        for label, run in torch:
            if name in run and run[name].get("tokens", first.get("tokens")) != first.get("tokens"):
                tokens += " (%s: %s)" % (label, run[name]["tokens"])
        print("| %s | %s | %s | %s |" % (name, " | ".join(cells), " | ".join(ratios), tokens))

    # The other tables: (case prefix, header, one row's cells from a result).
    tables = [
        ("load_rss/", ["model file", "weights MB", "peak RSS of loading MB", "copies"],
         lambda r: ["%.1f" % r["weights_mb"], "%.1f" % r["peak_mb"], "%.2f" % (r["peak_mb"] / r["weights_mb"])]),
        ("roofline/", ["greedy step (len20)", "MFLOP / token", "step us", "step GFLOP/s", "Eigen GEMVs us",
                       "of which (largest first)", "GEMV GFLOP/s", "GEMV time / step time",
                       "weights MB / token", "step GB/s", "stream GB/s", "step / stream",
                       "output passes / token", "read MB / token", "read GB/s", "read / stream"],
         lambda r: ["%.2f" % r["mflop_per_token"], "%.1f" % r["step_us"], "%.1f" % r["step_gflops"],
                    "%.1f" % r["gemv_us"], gemv_parts(r["gemv_us_by_matrix"]),
                    "%.1f" % r["gemv_gflops"], "%.0f%%" % r["percent_of_gemv"],
                    "%.1f" % r["weight_mb_per_token"], "%.1f" % r["step_gb_per_s"],
                    "%.1f" % r["stream_gb_per_s"], "%.0f%%" % r["percent_of_stream"],
                    "%.2f" % r.get("output_passes_per_token", 1.0),
                    "%.1f" % r.get("read_mb_per_token", r["weight_mb_per_token"]),
                    "%.1f" % r.get("read_gb_per_s", r["step_gb_per_s"]),
                    "%.0f%%" % r.get("read_percent_of_stream", r["percent_of_stream"])]),
        ("gui/", ["GUI case", "median ms", "repeats"], lambda r: [ms(r["median_ms"]), str(r["repeats"])]),
    ]
    for prefix, header, cells in tables:
        rows = [r for name, r in extras.items() if name.startswith(prefix)]
        if not rows:
            continue
        print()
        print("| " + " | ".join(header) + " |")
        print("| --- |" + " ---: |" * (len(header) - 1))
        for r in rows:
            print("| " + " | ".join([r["case"][len(prefix):]] + cells(r)) + " |")

if __name__ == "__main__":
    main()
