#!/usr/bin/python3
"""Check that the v2 family code reproduces the committed version 1 golden files.

    /usr/bin/python3 tools/check_family_v1.py [--tolerance 1e-6] [GOLDEN.json ...]

For every tests/golden/tiny-*.json and sample-*.json (or the files named), the model it
names (tests/golden/tiny-*.safetensors, sample_models/*.safetensors: attnviz-seq2seq/1
files) is opened with family_torch.load_model(), i.e. renamed and configured as its point
of the v2 family, and every case is decoded again with tools/reference.py (greedy, forced,
beam 3, both ablations) exactly as tools/make_golden.py does. Every number in the committed
file is compared with the recomputed one (keys the committed file lacks, such as the new
`energies`, are not compared) and every id, token and length must be equal. Prints the
largest absolute difference per file and per field; exits 1 if any exceeds the tolerance or
anything discrete differs. Writes nothing.
"""

import argparse
import glob
import json
import os
import sys
from collections import defaultdict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_torch as fam  # noqa: E402
import make_golden as mg  # noqa: E402

ROOT = mg.ROOT


def case_specs():
    """(sentence, target) -> the case as make_golden.py gives it (was max_length explicit?)."""
    specs = {}
    for c in mg.TINY_CASES + [c for cases in mg.SAMPLE_CASES.values() for c in cases]:
        specs[(c["sentence"], c["target"])] = c
    return specs


def compare(committed, recomputed, path, diffs, problems):
    if isinstance(committed, dict):
        if not isinstance(recomputed, dict):
            problems.append("%s: object expected" % path)
            return
        for k, v in committed.items():
            if k not in recomputed:
                problems.append("%s.%s: missing in the recomputation" % (path, k))
                continue
            compare(v, recomputed[k], path + "." + k, diffs, problems)
    elif isinstance(committed, list):
        if not isinstance(recomputed, list) or len(committed) != len(recomputed):
            problems.append("%s: length %d != %s" % (path, len(committed), len(recomputed)
                                                     if isinstance(recomputed, list) else type(recomputed)))
            return
        for i, (a, b) in enumerate(zip(committed, recomputed)):
            compare(a, b, "%s[%d]" % (path, i), diffs, problems)
    elif isinstance(committed, bool) or isinstance(committed, str) or committed is None:
        if committed != recomputed:
            problems.append("%s: %r != %r" % (path, committed, recomputed))
    elif isinstance(committed, int) and isinstance(recomputed, int):
        if committed != recomputed:
            problems.append("%s: %r != %r" % (path, committed, recomputed))
    else:
        field = path.split(".")[-1].split("[")[0]
        d = abs(float(committed) - float(recomputed))
        diffs[field] = max(diffs[field], d)


def check_file(path, specs):
    with open(path) as f:
        golden = json.load(f)
    model, sv, tv = fam.load_model(os.path.join(ROOT, golden["model"]))
    diffs, problems = defaultdict(float), []
    for i, committed in enumerate(golden["cases"]):
        spec = dict(specs.get((committed["sentence"], committed["forced"]["target"]), {}))
        spec["sentence"] = committed["sentence"]
        spec["target"] = committed["forced"]["target"]
        if "max_length" not in spec and committed["max_length"] != mg.ref.model_max_length(
                model, committed["source_ids"]):
            spec["max_length"] = committed["max_length"]
        recomputed = mg.compute_case(model, sv, tv, spec, with_encoder="encoder_outputs" in committed)
        compare(committed, recomputed, "cases[%d]" % i, diffs, problems)
    return golden["model"], len(golden["cases"]), diffs, problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tolerance", type=float, default=1e-6)
    p.add_argument("files", nargs="*")
    args = p.parse_args()
    torch.set_num_threads(1)
    files = args.files or sorted(glob.glob(os.path.join(mg.OUT, "tiny-*.json")) +
                                 glob.glob(os.path.join(mg.OUT, "sample-*.json")))
    specs = case_specs()
    worst, failed = 0.0, False
    for path in files:
        model, n, diffs, problems = check_file(path, specs)
        m = max(diffs.values()) if diffs else 0.0
        worst = max(worst, m)
        bad = problems or m > args.tolerance
        failed = failed or bad
        fields = ", ".join("%s %.2g" % (k, v) for k, v in sorted(diffs.items(), key=lambda kv: -kv[1]))
        print("%-34s %-44s %d cases  max |diff| %.3g  %s  (%s)" % (
            os.path.basename(path), model, n, m, "FAIL" if bad else "ok", fields))
        for msg in problems[:20]:
            print("    " + msg)
    print("overall max |diff| %.3g over %d files (tolerance %g): %s" % (
        worst, len(files), args.tolerance, "FAIL" if failed else "ok"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
