"""Pairs bench_engine's and bench_torch.py's JSON lines by case and prints Markdown tables:
medians, and the ratio PyTorch / attnviz (above 1: attnviz is faster).

    python3 bench/compare.py OURS.jsonl OURS_NATIVE.jsonl TORCH.jsonl [EXTRAS.jsonl]

OURS is the engine built for the x86-64 baseline, OURS_NATIVE with -march=native. EXTRAS holds
bench_engine's other lines (load_rss/, roofline/) and bench_gui's (gui/).
"""

import json
import sys


def read(path):
    with open(path) as f:
        return {r["case"]: r for r in map(json.loads, filter(str.strip, f))}


def ms(value):
    return "%.3g" % value if value < 100 else "%.0f" % value


def main():
    ours, native, torch = read(sys.argv[1]), read(sys.argv[2]), read(sys.argv[3])
    extras = read(sys.argv[4]) if len(sys.argv) > 4 else {}

    def ratio(t, o):
        return "%.1fx" % (t["median_ms"] / o["median_ms"]) if t and o else "-"

    print("| case | attnviz ms | attnviz native ms | PyTorch ms | PyTorch / attnviz | PyTorch / native | tokens |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, o in ours.items():
        n, t = native.get(name), torch.get(name)
        tokens = str(o.get("tokens", ""))
        if t and t.get("tokens", o.get("tokens")) != o.get("tokens"):
            tokens += " (PyTorch %s)" % t["tokens"]
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, ms(o["median_ms"]), ms(n["median_ms"]) if n else "-", ms(t["median_ms"]) if t else "-",
            ratio(t, o), ratio(t, n), tokens))

    rss = [r for n, r in extras.items() if n.startswith("load_rss/")]
    if rss:
        print()
        print("| model file | weights MB | peak RSS of loading MB | copies |")
        print("| --- | ---: | ---: | ---: |")
        for r in rss:
            print("| %s | %.1f | %.1f | %.2f |" % (r["case"][len("load_rss/"):], r["weights_mb"], r["peak_mb"],
                                                  r["peak_mb"] / r["weights_mb"]))

    roof = [r for n, r in extras.items() if n.startswith("roofline/")]
    if roof:
        print()
        print("| greedy step (len20) | MFLOP / token | step us | step GFLOP/s | Eigen GEMVs us | GEMV GFLOP/s "
              "| step / GEMV bound |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in roof:
            print("| %s | %.2f | %.1f | %.1f | %.1f | %.1f | %.0f%% |" % (
                r["case"][len("roofline/"):], r["mflop_per_token"], r["step_us"], r["step_gflops"], r["gemv_us"],
                r["gemv_gflops"], r["percent_of_gemv"]))

    gui = [r for n, r in extras.items() if n.startswith("gui/")]
    if gui:
        print()
        print("| GUI case | median ms | repeats |")
        print("| --- | ---: | ---: |")
        for r in gui:
            print("| %s | %s | %d |" % (r["case"], ms(r["median_ms"]), r["repeats"]))


if __name__ == "__main__":
    main()
