"""Random-weight models and sentences for the benchmarks (bench/run.sh).

Writes into OUT_DIR (default build/bench-models/, which git ignores):
  <arch>-h<H>-v<V>.safetensors   models with PyTorch's default initialization
  cases.json                     the cases both benchmarks run, with their sentences

Random weights are enough: the time of a step depends on the sizes, not the values, and with
random weights EOS is rarely the best token, so decoding runs to max_length (2 x words + 10),
the slowest case. Both benchmarks read the same files, so they do the same work.

Run with Debian's interpreter: /usr/bin/python3 tools/make_bench_models.py [OUT_DIR] [--small]
(--small writes tiny models for a smoke run).
"""

import json
import os
import random
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402
import family_torch as fam  # noqa: E402
import transformer_torch as tt  # noqa: E402

SOURCE_VOCAB = 5000
LENGTHS = (5, 20, 60)
BATCH_SENTENCES = 1000
BATCH_LENGTHS = (5, 20)  # uniform between these, inclusive


def word(i):
    """Distinct lowercase words that survive the tutorial normalization unchanged."""
    letters = ""
    while True:
        letters = chr(ord("a") + i % 26) + letters
        i //= 26
        if i == 0:
            return "w" + letters


def stem(arch, h, v):
    return "%s-h%d-v%s" % (arch, h, "%dk" % (v // 1000) if v >= 1000 else v)


def onmt_lstm(h, e):
    """OpenNMT-py's RNN default shape: a 2-layer bidirectional LSTM encoder (h/2 a direction,
    concatenated), a 2-layer LSTM decoder of h with input feeding, `general` attention without
    bias, the attentional layer linear_out [c; s] with tanh and no bias, the encoder's final
    states as the initial states (no bridge), no EOS on the source."""
    return {"source_eos": False,
            "encoder": {"cell": "lstm", "layers": 2, "embedding_size": e, "hidden_size": h // 2,
                        "bidirectional": True, "merge": "concat"},
            "decoder": {"cell": "lstm", "layers": 2, "embedding_size": e, "hidden_size": h,
                        "input": "input_feeding", "query": "current", "init": "final", "cell_init": "final",
                        "attentional": "context_state", "attentional_activation": "tanh",
                        "attentional_bias": False, "output_bias": True},
            "attention": {"score": "general", "bias": False}}


def joey_gru(h, e):
    """Joey NMT's recurrent model: a 1-layer bidirectional GRU encoder of h a direction
    (concatenated), a 1-layer GRU decoder of h with input feeding, Bahdanau (additive) attention
    of hidden size h without biases, the bridge tanh(W [fwd; bwd] + b), the attentional vector
    tanh(W [s; c] + b), an output layer without bias, EOS on the source."""
    return {"source_eos": True,
            "encoder": {"cell": "gru", "layers": 1, "embedding_size": e, "hidden_size": h,
                        "bidirectional": True, "merge": "concat"},
            "decoder": {"cell": "gru", "layers": 1, "embedding_size": e, "hidden_size": h,
                        "input": "input_feeding", "query": "current", "init": "bridge",
                        "bridge_activation": "tanh", "bridge_bias": True,
                        "attentional": "state_context", "attentional_activation": "tanh",
                        "attentional_bias": True, "output_bias": False},
            "attention": {"score": "additive", "hidden_size": h, "query_bias": False, "key_bias": False,
                          "energy_bias": False}}


def models(small):
    """(file stem, config keys, H, target vocabulary size) of every model: a version 1
    architecture ({"architecture": ...}, written by attnviz_torch) or a whole version 2 config
    without its tokens (written by family_torch)."""
    sizes = [(16, 50), (32, 100)] if small else [(h, v) for h in (128, 256, 512) for v in (5000, 30000)]
    mid_h, big_v = (32, 100) if small else (256, 30000)
    out = [(stem("bahdanau", h, v), {"architecture": "bahdanau"}, h, v) for h, v in sizes]
    out.append((stem("luong", mid_h, big_v), {"architecture": "luong", "luong_score": "general"}, mid_h, big_v))
    legacy = {"architecture": "tutorial_legacy", "max_length": max(LENGTHS) + 4, "combine_activation": "relu"}
    out.append((stem("legacy", mid_h, big_v), legacy, mid_h, big_v))
    if not small:
        out.append((stem("load50", 256, 20000), {"architecture": "bahdanau"}, 256, 20000))  # ~50 MB on disk
    # Two points of the version 2 family, at the sizes of the toolkits' usual configurations.
    onmt_h, joey_h = (32, 16) if small else (512, 256)
    out.append((stem("onmt-lstm", onmt_h, big_v), onmt_lstm(onmt_h, onmt_h), onmt_h, big_v))
    out.append((stem("joey-gru", joey_h, big_v), joey_gru(joey_h, joey_h), joey_h, big_v))
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    small = "--small" in sys.argv
    out_dir = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "build", "bench-models")
    os.makedirs(out_dir, exist_ok=True)
    source_vocab_size = 200 if small else SOURCE_VOCAB
    source_vocab = ["SOS", "EOS"] + [word(i) for i in range(source_vocab_size - 2)]

    for seed, (name, arch, h, v) in enumerate(models(small)):
        path = os.path.join(out_dir, name + ".safetensors")
        if os.path.exists(path):
            continue
        torch.manual_seed(seed)
        target_vocab = ["SOS", "EOS"] + [word(i) for i in range(v - 2)]
        if "architecture" in arch:
            config = dict(arch, hidden_size=h, sos_token="SOS", eos_token="EOS", name=name)
            model = at.Seq2Seq(config, len(source_vocab), len(target_vocab))
            at.save_model(path, model.encoder, model.decoder, source_vocab, target_vocab, config)
        else:
            config = dict(arch, sos_token="SOS", eos_token="EOS", name=name)
            model = fam.FamilySeq2Seq(config, len(source_vocab), len(target_vocab))
            fam.save_model(path, model, source_vocab, target_vocab)
        print("wrote %s (%.1f MB)" % (path, os.path.getsize(path) / 1e6), flush=True)

    # An opus-mt-shaped transformer (issue #23): 6 + 6 layers, 8 heads, d 512, 30k pieces.
    layers, d, heads, ff, vocab_size = (2, 32, 4, 64, 300) if small else (6, 512, 8, 2048, 30000)
    marian_vocab = ["</s>", "<unk>"] + [word(i) for i in range(vocab_size - 3)] + ["<pad>"]
    marian_path = os.path.join(out_dir, MARIAN_MODEL + ".safetensors")
    if not os.path.exists(marian_path):
        config = dict(tt.marian_config(layers, d, heads, ff), name=MARIAN_MODEL)
        tt.save_model(marian_path, config, tt.random_tensors(config["transformer"], vocab_size, vocab_size, 7),
                      marian_vocab, marian_vocab)
        print("wrote %s (%.1f MB)" % (marian_path, os.path.getsize(marian_path) / 1e6), flush=True)

    # The default model (the sample the window opens), for the attribution cases.
    default = os.path.join(out_dir, DEFAULT_MODEL + ".safetensors")
    if not os.path.exists(default):
        shutil.copyfile(os.path.join(os.path.dirname(__file__), "..", "sample_models", "eng-fra-bahdanau.safetensors"),
                        default)
    _, default_sv, _ = at.load_model(default)

    rng = random.Random(1)
    words = source_vocab[2:]
    single = {n: " ".join(rng.choice(words) for _ in range(n)) for n in LENGTHS}
    batch = [" ".join(rng.choice(words) for _ in range(rng.randint(*BATCH_LENGTHS))) for _ in range(BATCH_SENTENCES)]
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        real = [w for w in default_sv.words if w not in ("SOS", "EOS", "UNK")]
        sentence20 = " ".join(rng.choice(real) for _ in range(20))
        marian = {n: " ".join(rng.choice(marian_vocab[2:-1]) for _ in range(n)) for n in (5, 20)}
        json.dump({"cases": cases(models(small), single, batch) + attribution_cases(sentence20)
                   + transformer_cases(marian) + transformer_attribution_cases()}, f, indent=1)


DEFAULT_MODEL = "default-eng-fra-bahdanau"
MARIAN_MODEL = "marian-d512-v30k"


def transformer_cases(sentences):
    """Loading the Marian-shaped transformer, and its greedy and beam decoding (issue #23)."""
    out = [{"name": "load/" + MARIAN_MODEL, "kind": "load", "model": MARIAN_MODEL, "sentences": []}]
    for kind in ("greedy", "beam5"):
        for n, sentence in sentences.items():
            out.append({"name": "%s/%s/len%d" % (kind, MARIAN_MODEL, n), "kind": kind, "model": MARIAN_MODEL,
                        "sentences": [sentence]})
    return out


def attribution_cases(sentence):
    """Attribution of the default model's own translation of a 20-word sentence: the gradient
    method, and integrated gradients with 50 steps (issue #20)."""
    return [{"name": "attribute-%s/%s/len20" % (kind, DEFAULT_MODEL), "kind": "attribute-" + kind,
             "model": DEFAULT_MODEL, "sentences": [sentence]} for kind in ("gradient", "ig50")]


SAMPLE_MARIAN = "eng-fra-marian"
MARIAN_SENTENCE = "I think that Tom and Mary are going to be very happy when they see the new house tomorrow."


def transformer_attribution_cases():
    """Attribution through a transformer (issues #20, #23): the sample Marian folder (d 96,
    3 + 3 layers, 3751 pieces, trained) attributes its own greedy translation of an 18-word
    sentence (25 source pieces), read in place ("path"); PyTorch runs Hugging Face's
    MarianMTModel on the same folder (tools/make_golden_transformer_attribution.py --bench-folder)."""
    folder = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "sample_models", SAMPLE_MARIAN))
    return [{"name": "attribute-%s/%s/len18" % (kind, SAMPLE_MARIAN), "kind": "attribute-" + kind,
             "model": SAMPLE_MARIAN, "path": folder, "sentences": [MARIAN_SENTENCE]} for kind in ("gradient", "ig50")]


def cases(all_models, single, batch):
    """The one list of benchmark cases; bench_engine and tools/bench_torch.py both run it.

    Each case: name (the key that pairs the two results), kind, model (file stem), and
    sentences; threads for batch cases (every other case runs on one thread)."""
    out = [{"name": "load/" + m[0], "kind": "load", "model": m[0], "sentences": []} for m in all_models]
    bahdanau = [m[0] for m in all_models if m[0].startswith("bahdanau")]
    others = [m[0] for m in all_models if m[0].startswith(("luong", "legacy", "onmt", "joey"))]
    small_vocab = [m for m in bahdanau if m.endswith(("-v5k", "-v50"))]
    for kind, names in (("encode", small_vocab), ("greedy", bahdanau + others), ("beam5", bahdanau + others)):
        for model in names:
            for n, sentence in single.items():
                out.append({"name": "%s/%s/len%d" % (kind, model, n), "kind": kind, "model": model,
                            "sentences": [sentence]})
    for threads in (1, 2):
        model = small_vocab[1] if len(small_vocab) > 1 else small_vocab[0]
        out.append({"name": "batch/%s/threads%d" % (model, threads), "kind": "batch", "model": model,
                    "threads": threads, "sentences": batch})
    return out

if __name__ == "__main__":
    main()
