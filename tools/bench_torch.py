"""PyTorch's side of the benchmarks: the cases of cases.json, run the way tools/reference.py
decodes (eager mode, torch.no_grad(), one sentence at a time; version 1 files through
attnviz_torch, version 2 files through family_torch.FamilySeq2Seq), timed like bench/bench_engine.cpp
(one warm-up run, median of repeats) and printed in the same JSON lines. bench/run.sh runs both.

Single-sentence cases run on one thread (torch.set_num_threads(1)); batch cases on the case's
number of threads, which PyTorch uses inside each operation.

    /usr/bin/python3 tools/bench_torch.py build/bench-models [NAME_FILTER]
"""

import json
import os
import statistics
import struct
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402
import family_torch as fam  # noqa: E402
import reference as ref  # noqa: E402
import transformer_torch as tt  # noqa: E402


def file_format(path):
    """The "format" of a safetensors model file's metadata (attnviz-seq2seq/1 or /2)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)).get("__metadata__", {}).get("format")


def load_model(path):
    """Version 1 files as attnviz_torch.Seq2Seq (as before: reference.py sees them as their point
    of the family, sharing the weights), version 2 files as family_torch.FamilySeq2Seq."""
    if file_format(path) == fam.FORMAT_V2:
        return fam.load_model(path)
    return at.load_model(path)


def measure(run):
    """One warm-up run, then at least 5 repeats and 0.5 s (3 when a run takes over 1 s), at most 100;
    the wall time and the process's CPU time of each (see bench/timing.h)."""
    run()
    times, cpu_times = [], []
    while len(times) < 100:
        cpu_start, start = time.process_time(), time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
        cpu_times.append((time.process_time() - cpu_start) * 1e3)
        enough = 3 if times[0] > 1000 else 5
        if len(times) >= enough and sum(times) >= 500:
            break
    return {"median_ms": statistics.median(times), "min_ms": min(times), "repeats": len(times),
            "cpu_median_ms": statistics.median(cpu_times), "cpu_min_ms": min(cpu_times)}


def folder_attribution_case(out, case):
    """A Hugging Face Marian folder (the sample eng-fra-marian) attributed through the real
    MarianMTModel, by tools/make_golden_transformer_attribution.py in its own process (its
    stubs of torch_mlu and the hub stay there); needs ATTNVIZ_HF_CHECKOUT (transformers 4.27.1)
    and, for the command line's shape, Joey NMT and OpenNMT-py checkout paths (unused here)."""
    import subprocess
    hf = os.environ.get("ATTNVIZ_HF_CHECKOUT")
    if not hf:
        print("bench_torch: %s skipped: set ATTNVIZ_HF_CHECKOUT to a transformers 4.27.1 checkout" % case["name"],
              file=sys.stderr)
        return None
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_golden_transformer_attribution.py")
    line = subprocess.run([sys.executable, script, "-", "-", hf, "--bench-folder", case["path"],
                           "--sentence", case["sentences"][0], "--kind", case["kind"]],
                          check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    result = json.loads(line)
    result["case"] = out["case"]
    return result


@torch.no_grad()
def run_case(case, directory):
    out = {"case": case["name"]}
    kind = case["kind"]
    if "path" in case:
        return folder_attribution_case(out, case)
    path = os.path.join(directory, case["model"] + ".safetensors")
    torch.set_num_threads(case.get("threads", 1))
    if tt.is_transformer(path):
        return transformer_case(out, case, path)
    if kind == "load":
        out.update(measure(lambda: load_model(path)))
        return out
    model, sv, tv = load_model(path)
    sentences = case["sentences"]
    if kind.startswith("attribute-"):
        return attribution_case(out, kind, model, sv, tv, sentences[0])
    if kind == "encode":
        out.update(measure(lambda: ref._run_encoder(model, ref.encode_source(model, sv, sentences[0])[0])))
        return out
    tokens = [0]

    def translate(sentence):
        if kind == "beam5":
            return len(ref.beam(model, sv, tv, sentence, 5)[0]["target_ids"])
        return len(ref.greedy(model, sv, tv, sentence)["target_ids"])

    def run():
        tokens[0] = sum(translate(s) for s in sentences)

    out.update(measure(run))
    out["tokens"] = tokens[0]
    return out


def transformer_case(out, case, path):
    """A transformer's cases through transformer_torch: greedy decoding with a key/value cache, as
    the engine decodes (max length 2 x words + 10). Beam search is not timed on this side."""
    kind = case["kind"]
    if kind == "load":
        out.update(measure(lambda: tt.load_model(path)))
        return out
    if kind != "greedy":
        return None  # the engine's beam search is timed alone
    model, sv, tv = tt.load_model(path)
    sos, eos = tv.index[model.config["sos_token"]], tv.index[model.config["eos_token"]]
    never = [tv.index[w] for w in model.config.get("search", {}).get("never_generate", [])]
    tokens = [0]

    def run():
        tokens[0] = 0
        for sentence in case["sentences"]:
            words = sentence.split()
            ids = [sv.index[w] for w in words] + [sv.index[model.config["eos_token"]]]
            tokens[0] += len(tt.greedy(model, ids, 2 * len(words) + 10, sos, eos, never))

    out.update(measure(run))
    out["tokens"] = tokens[0]
    return out


def attribution_case(out, kind, model, sv, tv, sentence):
    """PyTorch autograd doing what attnviz's attribute() does for the model's own translation:
    one backward pass per output token (gradient), or that at 50 scaled inputs (IG)."""
    import make_golden_attribution as mga
    family = fam.as_family(model)
    family.sos_id = tv.index[family.config["sos_token"]]
    ids = ref.encode_source(model, sv, sentence)[0]
    target = ref.greedy(model, sv, tv, sentence)["target_ids"]
    rows = family.encoder.embedding.weight.detach()[torch.tensor(ids)]
    steps = 50 if kind == "attribute-ig50" else 1

    def run():
        with torch.enable_grad():
            for k in range(1, steps + 1):
                mga.gradients(family, rows * (k / steps), target)

    out.update(measure(run))
    out["tokens"] = len(target)
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    directory = sys.argv[1]
    wanted = sys.argv[2] if len(sys.argv) == 3 else ""
    torch.ones(2, 2) @ torch.ones(2, 2)  # make sure the BLAS is loaded, then say which one
    with open("/proc/self/maps") as f:
        blas = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    print("bench_torch: PyTorch %s, BLAS %s" % (torch.__version__, ", ".join(blas) or "none mapped"), file=sys.stderr)
    with open(os.path.join(directory, "cases.json")) as f:
        cases = json.load(f)["cases"]
    for case in cases:
        # PyTorch's batch is one sentence after another, so its rate is what the greedy cases
        # show; a run takes minutes (with the reference BLAS, over three), so it is opt-in:
        # ATTNVIZ_TORCH_BATCH=1, and then only at the engine's largest thread count.
        if case["kind"] == "batch" and (case["threads"] == 1 or os.environ.get("ATTNVIZ_TORCH_BATCH") != "1"):
            continue
        if wanted in case["name"]:
            result = run_case(case, directory)
            if result is not None:
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
