"""The engine's transformer (config family "transformer", docs/model-format.md) in PyTorch eager
mode, for the benchmarks only: bench_torch.py times its greedy decoding against the engine's on
the same file. What the engine must reproduce comes from the toolkits' own code
(tools/make_transformer_fixtures.py); this module is checked against the engine, not the other
way round.

    model, src, tgt = load_model("build/bench-models/marian-d512-v30k.safetensors")
    ids = greedy(model, [src.index[w] for w in sentence.split()] + [src.index["</s>"]], 50)
"""

import json
import math
import os

import torch
import torch.nn.functional as F

import attnviz_torch as at
import family_torch as fam


def expected_tensor_shapes(t, Vs, Vt):
    """The engine's tensor table of a transformer (engine/src/io/tensor_table.cpp)."""
    d, ff = t["model_size"], t["feed_forward_size"]
    shapes = {}

    def linear(prefix, out, inp, bias):
        shapes[prefix + ".weight"] = [out, inp]
        if bias:
            shapes[prefix + ".bias"] = [out]

    def norm(prefix):
        shapes[prefix + ".weight"] = [d]
        shapes[prefix + ".bias"] = [d]

    def attention(prefix):
        for name in ("query", "key", "value", "output"):
            linear(prefix + "." + name, d, d, t["attention_bias"])
        norm(prefix + "_norm")

    def feed_forward(prefix):
        linear(prefix + ".feed_forward.input", ff, d, t["feed_forward_bias"])
        if t.get("gated_feed_forward"):
            linear(prefix + ".feed_forward.gate", ff, d, t["feed_forward_bias"])
        linear(prefix + ".feed_forward.output", d, ff, t["feed_forward_bias"])
        norm(prefix + ".feed_forward_norm")

    shapes["encoder.embedding.weight"] = [Vs, d]
    if not t["shared_embeddings"]:
        shapes["decoder.embedding.weight"] = [Vt, d]
    for l in range(t["encoder_layers"]):
        attention("encoder.layers.%d.self_attention" % l)
        feed_forward("encoder.layers.%d" % l)
    for l in range(t["decoder_layers"]):
        attention("decoder.layers.%d.self_attention" % l)
        attention("decoder.layers.%d.cross_attention" % l)
        feed_forward("decoder.layers.%d" % l)
    if t.get("encoder_final_norm", t.get("norm") == "pre"):
        norm("encoder.final_norm")
    if t.get("decoder_final_norm", t.get("norm") == "pre"):
        norm("decoder.final_norm")
    if not t["tied_output"]:
        shapes["decoder.output.weight"] = [Vt, d]
    if t["output_bias"]:
        shapes["decoder.output.bias"] = [Vt]
    return shapes


def random_tensors(t, Vs, Vt, seed):
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in expected_tensor_shapes(t, Vs, Vt).items():
        if name.endswith("norm.weight"):
            out[name] = torch.ones(shape)
        elif name.endswith(".bias"):
            out[name] = torch.zeros(shape)
        else:
            out[name] = torch.randn(shape, generator=g) * (1.0 / math.sqrt(shape[-1]))
    return out


def save_model(path, config, tensors, src_words, tgt_words):
    at.write_safetensors(path, {k: v.numpy() for k, v in tensors.items()}, {
        "format": fam.FORMAT_V2,
        "config": json.dumps(config, sort_keys=True, ensure_ascii=False),
        "source_vocab": json.dumps(list(src_words), ensure_ascii=False),
        "target_vocab": json.dumps(list(tgt_words), ensure_ascii=False),
    }, "F32")


class Transformer:
    def __init__(self, config, tensors):
        self.config = config
        t = self.t = config["transformer"]
        self.w = {k: torch.as_tensor(v) for k, v in tensors.items()}
        self.d, self.h = t["model_size"], t["heads"]
        self.dh = self.d // self.h
        self.pre = t.get("norm", t.get("decoder_norm")) == "pre"
        self.eps = t["norm_epsilon"]
        self.scale = math.sqrt(self.d) if t["embedding_scale"] else 1.0
        self.act = {"relu": F.relu, "gelu": F.gelu, "swish": F.silu}[t["activation"]]
        self.src_emb = self.w["encoder.embedding.weight"]
        self.tgt_emb = self.src_emb if t["shared_embeddings"] else self.w["decoder.embedding.weight"]
        self.out_w = self.tgt_emb if t["tied_output"] else self.w["decoder.output.weight"]
        self.out_b = self.w.get("decoder.output.bias")
        self.pe = self.positions(1100)

    def positions(self, n):
        d = self.d
        if self.t["positions"] == "halves":
            pos = torch.arange(n, dtype=torch.float64).unsqueeze(1)
            angle = pos / torch.pow(10000.0, 2.0 * torch.arange(d // 2, dtype=torch.float64) / d)
            return torch.cat([torch.sin(angle), torch.cos(angle)], 1).float()
        pe = torch.zeros(n, d)
        pos = torch.arange(n).unsqueeze(1).float()
        div = torch.exp(torch.arange(0, d, 2, dtype=torch.float) * -(math.log(10000.0) / d))
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        return pe

    def linear(self, x, prefix):
        return F.linear(x, self.w[prefix + ".weight"], self.w.get(prefix + ".bias"))

    def norm(self, x, prefix):
        return F.layer_norm(x, (self.d,), self.w[prefix + ".weight"], self.w[prefix + ".bias"], self.eps)

    def heads(self, x):  # [n, d] -> [h, n, dh]
        return x.view(-1, self.h, self.dh).transpose(0, 1)

    def attend(self, q, k, v):  # q [h, m, dh], k/v [h, n, dh]
        w = torch.softmax(torch.matmul(q / math.sqrt(self.dh), k.transpose(1, 2)), -1)
        return torch.matmul(w, v).transpose(0, 1).reshape(-1, self.d)

    def sublayer(self, x, prefix, run):
        y = self.norm(x, prefix + "_norm") if self.pre else x
        x = x + run(y)
        return x if self.pre else self.norm(x, prefix + "_norm")

    def feed_forward(self, x, prefix):
        y = self.norm(x, prefix + ".feed_forward_norm") if self.pre else x
        x = x + self.linear(self.act(self.linear(y, prefix + ".feed_forward.input")), prefix + ".feed_forward.output")
        return x if self.pre else self.norm(x, prefix + ".feed_forward_norm")

    def encode(self, ids):
        x = self.src_emb[torch.tensor(ids)] * self.scale + self.pe[:len(ids)]
        for l in range(self.t["encoder_layers"]):
            p = "encoder.layers.%d" % l

            def self_attention(y, p=p):
                a = p + ".self_attention"
                return self.linear(self.attend(self.heads(self.linear(y, a + ".query")),
                                               self.heads(self.linear(y, a + ".key")),
                                               self.heads(self.linear(y, a + ".value"))), a + ".output")
            x = self.sublayer(x, p + ".self_attention", self_attention)
            x = self.feed_forward(x, p)
        return self.norm(x, "encoder.final_norm") if self.pre else x


@torch.no_grad()
def greedy(model, source_ids, max_length, sos, eos, never=()):
    """Greedy decoding with a key/value cache per layer, the encoder's keys and values once;
    `never`: ids never picked (the config's search.never_generate)."""
    memory = model.encode(source_ids)
    L = model.t["decoder_layers"]
    cross = []
    for l in range(L):
        a = "decoder.layers.%d.cross_attention" % l
        cross.append((model.heads(model.linear(memory, a + ".key")), model.heads(model.linear(memory, a + ".value"))))
    cache = [None] * L
    out, previous = [], sos
    for step in range(max_length):
        x = model.tgt_emb[previous:previous + 1] * model.scale + model.pe[step:step + 1]
        for l in range(L):
            p = "decoder.layers.%d" % l

            def self_attention(y, l=l, p=p):
                a = p + ".self_attention"
                k, v = model.heads(model.linear(y, a + ".key")), model.heads(model.linear(y, a + ".value"))
                if cache[l] is not None:
                    k, v = torch.cat([cache[l][0], k], 1), torch.cat([cache[l][1], v], 1)
                cache[l] = (k, v)
                return model.linear(model.attend(model.heads(model.linear(y, a + ".query")), k, v), a + ".output")

            def cross_attention(y, l=l, p=p):
                a = p + ".cross_attention"
                return model.linear(model.attend(model.heads(model.linear(y, a + ".query")), *cross[l]), a + ".output")
            x = model.sublayer(x, p + ".self_attention", self_attention)
            x = model.sublayer(x, p + ".cross_attention", cross_attention)
            x = model.feed_forward(x, p)
        if model.pre:
            x = model.norm(x, "decoder.final_norm")
        logits = torch.log_softmax(F.linear(x, model.out_w, model.out_b), -1)
        for banned in never:
            logits[0, banned] = -math.inf
        token = int(logits.argmax())
        out.append(token)
        if token == eos:
            break
        previous = token
    return out


def load_model(path):
    tensors, _fmt, config, src_words, tgt_words = fam._read_container(path)
    return Transformer(config, {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}), \
        at.Vocab(src_words), at.Vocab(tgt_words)


def is_transformer(path):
    """Whether a safetensors model file's config is a transformer (its header only is read)."""
    import struct
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        meta = json.loads(f.read(n)).get("__metadata__", {})
    return json.loads(meta.get("config", "{}")).get("family") == "transformer"


def marian_config(layers, d, heads, ff):
    """An opus-mt-shaped transformer in the engine's terms (post-norm, swish, sinusoidal halves,
    one vocabulary and embedding, tied output with a bias, the pad token as the start)."""
    return {"family": "transformer", "source_eos": True, "sos_token": "<pad>", "eos_token": "</s>",
            "unk_token": "<unk>", "normalization": "none",
            "search": {"never_generate": ["<pad>"]},
            "transformer": {"encoder_layers": layers, "decoder_layers": layers, "model_size": d, "heads": heads,
                            "feed_forward_size": ff, "norm": "post", "norm_epsilon": 1e-5, "positions": "halves",
                            "embedding_scale": True, "attention_bias": True, "feed_forward_bias": True,
                            "activation": "swish", "shared_embeddings": True, "tied_output": True,
                            "output_bias": True, "toolkit": "marian"}}


def write_json_model(path, config, tensors, src_words, tgt_words):
    """The JSON variant of the format (docs/model-format.md), values rounded to 6 digits."""
    doc = {"format": fam.FORMAT_V2, "config": config, "source_vocab": list(src_words),
           "target_vocab": list(tgt_words),
           "tensors": {k: {"shape": list(v.shape), "data": [round(float(x), 6) for x in v.reshape(-1).tolist()]}
                       for k, v in sorted(tensors.items())}}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


def write_fuzz_seeds(directory):
    """Two tiny transformers for fuzz/corpus/fuzz_model_json: Marian-shaped (post-norm, halves,
    shared and tied, gated off) and OpenNMT-shaped (pre-norm, concat positions, gated silu)."""
    words = ["</s>", "<unk>", "a", "b", "c", "<pad>"]
    marian = marian_config(1, 4, 2, 4)
    onmt = {"family": "transformer", "source_eos": False, "sos_token": "<pad>", "eos_token": "</s>",
            "unk_token": "<unk>", "normalization": "none",
            "search": {"beam_rule": "onmt", "length_penalty": 1.0},
            "transformer": dict(marian["transformer"], encoder_norm="pre", decoder_norm="pre",
                                encoder_final_norm=True, decoder_final_norm=True, positions="concat",
                                activation="swish", gated_feed_forward=True, shared_embeddings=False,
                                tied_output=False, toolkit="onmt")}
    del onmt["transformer"]["norm"]
    for name, config in (("transformer-marian.json", marian), ("transformer-onmt.json", onmt)):
        write_json_model(os.path.join(directory, name), config,
                         random_tensors(config["transformer"], len(words), len(words), 3), words, words)


if __name__ == "__main__":
    import os
    import sys
    write_fuzz_seeds(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/fuzz_model_json")
