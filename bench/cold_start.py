#!/usr/bin/env python3
"""Cold start of attnviz-cli: `attnviz-cli info --model FILE` in a fresh process, against reading
the same file once with `cat`, measured side by side (alternating runs, medians), with the file
in the page cache. Issue #14 asks for under 30 ms on a 50 MB model; the ratio to `cat` is what
stays comparable between machines.

    python3 bench/cold_start.py [FILE] [--cli build/bin/attnviz-cli] [--runs 21]

FILE defaults to build/bench-models/load50-h256-v20k.safetensors (tools/make_bench_models.py).
Prints one JSON line, as bench_engine does, for bench/compare.py's extras.
"""

import argparse
import json
import os
import statistics
import subprocess
import time


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default="build/bench-models/load50-h256-v20k.safetensors")
    parser.add_argument("--cli", default="build/bin/attnviz-cli")
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    commands = {
        "cat": ["cat", args.file],
        "help": [args.cli, "--help"],
        "info": [args.cli, "info", "--model", args.file],
    }
    times = {name: [] for name in commands}
    for name, command in commands.items():  # warm-up: page cache, dynamic loader caches
        timed(command)
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(json.dumps({
        "case": "cold_start/" + os.path.basename(args.file),
        "file_mb": round(os.path.getsize(args.file) / 1e6, 1),
        "info_ms": round(median["info"], 1),
        "help_ms": round(median["help"], 1),
        "cat_ms": round(median["cat"], 1),
        "info_over_cat": round(median["info"] / median["cat"], 2),
        "runs": args.runs,
    }))


if __name__ == "__main__":
    main()
