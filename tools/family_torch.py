"""PyTorch reference implementation of the attnviz-seq2seq/2 model family.

docs/model-format.md ("Configuration (attnviz-seq2seq/2)", "Tensors (attnviz-seq2seq/2)") is the
contract; this module is its executable reading, the one the C++ engine's golden files are made
with. ``FamilySeq2Seq(config, Vs, Vt).state_dict()`` has exactly the v2 tensor names and shapes
(checked against ``expected_tensor_shapes()``, an independent transcription of the doc's table).
The numbers come from PyTorch's own kernels: ``nn.GRU`` / ``nn.LSTM`` (``num_layers``,
``bidirectional``) for the encoder, the same multi-layer modules stepped one token at a time for
the decoder, and ``nn.Linear`` for everything else. There is no dropout anywhere (inference).

Also: ``save_model()`` (v2 safetensors, F32, every applicable config key written),
``load_model()`` (v2 and v1 files, safetensors or the plain-JSON container; v1 files open as
their point of the family, see ``config_from_v1()`` and ``V1_RENAMES``), and ``from_v1_module()``
(wraps a live ``attnviz_torch.Seq2Seq`` without copying, for tools/reference.py).

Not a script; used by tools/reference.py, tools/make_golden.py, tools/make_golden_family.py and
tools/check_family_v1.py. Run those with Debian's interpreter, ``/usr/bin/python3``
(python3-torch 1.13); a quick self-test of this module: ``/usr/bin/python3 tools/family_torch.py``.
"""

import json
import math
import os
import struct
import sys
import weakref

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402

FORMAT_V1 = "attnviz-seq2seq/1"
FORMAT_V2 = "attnviz-seq2seq/2"

CELLS = ("gru", "lstm")
MERGES = ("concat", "sum")
INPUTS = ("embedding", "embedding_context", "context_embedding", "input_feeding", "combine")
INPUTS_WITH_CONTEXT = ("embedding_context", "context_embedding", "combine")
COMBINE_ACTIVATIONS = ("relu", "none")
QUERIES = ("previous", "current")
INITS = ("zero", "final", "last", "bridge", "onmt_bridge", "first_layers")
CELL_INITS = INITS + ("hidden",)
BRIDGE_ACTIVATIONS = ("tanh", "identity", "relu")
ATTENTIONALS = ("none", "state_context", "context_state")
ATTENTIONAL_ACTIVATIONS = ("tanh", "identity")
SCORES = ("dot", "general", "bilinear", "additive", "concat", "location")
NORMALIZATIONS = ("tutorial", "none")
TEXT_KEYS = ("name", "description", "source_language", "target_language")


class ConfigError(ValueError):
    pass


# ---------------------------------------------------------------- configuration


def _alternatives(values):
    values = list(values)
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


class _Reader:
    """Reads one JSON object of the configuration, with the doc's error messages."""

    def __init__(self, obj, path):
        if not isinstance(obj, dict):
            raise ConfigError("config: %s: expected an object" % (path or "config"))
        self.obj, self.path = obj, path

    def where(self, key):
        return "config: %s%s" % (self.path + "." if self.path else "", key)

    def _get(self, key, required):
        if key in self.obj:
            return True, self.obj[key]
        if required:
            raise ConfigError("%s: missing" % self.where(key))
        return False, None

    def string(self, key, required=False):
        present, v = self._get(key, required)
        if not present:
            return None
        if not isinstance(v, str):
            raise ConfigError("%s: expected a string" % self.where(key))
        return v

    def enum(self, key, values, default=None):
        present, v = self._get(key, default is None)
        if not present:
            return default
        if not isinstance(v, str) or v not in values:
            raise ConfigError("%s: unknown value %s (expected %s)" % (
                self.where(key), "'%s'" % v if isinstance(v, str) else json.dumps(v), _alternatives(values)))
        return v

    def boolean(self, key, default):
        present, v = self._get(key, False)
        if not present:
            return default
        if not isinstance(v, bool):
            raise ConfigError("%s: expected true or false" % self.where(key))
        return v

    def integer(self, key, default=None):
        present, v = self._get(key, default is None)
        if not present:
            return default
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError("%s: expected an integer >= 1, found %s" % (self.where(key), json.dumps(v)))
        return v

    def child(self, key):
        present, v = self._get(key, True)
        return _Reader(v, (self.path + "." if self.path else "") + key)


def normalize_config(cfg):
    """Validate a v2 configuration and return it complete: every key that applies to the model
    written out (defaults filled in), keys that do not apply dropped. Raises ConfigError."""
    top = _Reader(cfg, "")
    out = {"sos_token": top.string("sos_token", True), "eos_token": top.string("eos_token", True)}
    unk = top.string("unk_token")
    if unk is not None:
        out["unk_token"] = unk
    out["normalization"] = top.enum("normalization", NORMALIZATIONS, "tutorial")
    out["source_eos"] = top.boolean("source_eos", True)
    for key in TEXT_KEYS:
        v = top.string(key)
        if v is not None:
            out[key] = v

    er = top.child("encoder")
    enc = {"cell": er.enum("cell", CELLS), "layers": er.integer("layers", 1),
           "embedding_size": er.integer("embedding_size"), "hidden_size": er.integer("hidden_size"),
           "bidirectional": er.boolean("bidirectional", False)}
    if enc["bidirectional"]:
        enc["merge"] = er.enum("merge", MERGES, "concat")
    enc["embedding_scale"] = er.boolean("embedding_scale", False)

    dr = top.child("decoder")
    dec = {"cell": dr.enum("cell", CELLS), "layers": dr.integer("layers", 1),
           "embedding_size": dr.integer("embedding_size"), "hidden_size": dr.integer("hidden_size"),
           "embedding_scale": dr.boolean("embedding_scale", False), "input": dr.enum("input", INPUTS)}
    if dec["input"] == "combine":
        dec["combine_activation"] = dr.enum("combine_activation", COMBINE_ACTIVATIONS, "relu")
    dec["query"] = dr.enum("query", QUERIES)
    dec["init"] = dr.enum("init", INITS)
    if dec["cell"] == "lstm":
        dec["cell_init"] = dr.enum("cell_init", CELL_INITS)
    if dec["init"] == "bridge" or dec.get("cell_init") == "bridge":
        dec["bridge_activation"] = dr.enum("bridge_activation", BRIDGE_ACTIVATIONS, "tanh")
        dec["bridge_bias"] = dr.boolean("bridge_bias", True)
    dec["attentional"] = dr.enum("attentional", ATTENTIONALS)
    if dec["attentional"] != "none":
        dec["attentional_activation"] = dr.enum("attentional_activation", ATTENTIONAL_ACTIVATIONS, "tanh")
        dec["attentional_bias"] = dr.boolean("attentional_bias", True)
    dec["output_bias"] = dr.boolean("output_bias", True)

    ar = top.child("attention")
    att = {"score": ar.enum("score", SCORES)}
    s = att["score"]
    if s in ("general", "bilinear"):
        att["bias"] = ar.boolean("bias", False)
    elif s == "additive":
        att["hidden_size"] = ar.integer("hidden_size")
        for k in ("query_bias", "key_bias", "energy_bias"):
            att[k] = ar.boolean(k, True)
    elif s == "concat":
        att["hidden_size"] = ar.integer("hidden_size")
        att["bias"] = ar.boolean("bias", True)
        att["energy_bias"] = ar.boolean("energy_bias", True)
    elif s == "location":
        att["slots"] = ar.integer("slots")

    out["encoder"], out["decoder"], out["attention"] = enc, dec, att
    _check_constraints(out)
    return out


def sizes(cfg):
    """The doc's notation for a normalized config."""
    e, d, a = cfg["encoder"], cfg["decoder"], cfg["attention"]
    D = 2 if e["bidirectional"] else 1
    A = D * e["hidden_size"] if e.get("merge", "concat") == "concat" else e["hidden_size"]
    return {"Ee": e["embedding_size"], "He": e["hidden_size"], "Le": e["layers"], "D": D, "A": A,
            "Ed": d["embedding_size"], "Hd": d["hidden_size"], "Ld": d["layers"],
            "Da": a.get("hidden_size"), "L": a.get("slots"),
            "Ge": 3 if e["cell"] == "gru" else 4, "Gd": 3 if d["cell"] == "gru" else 4}


def _check_constraints(cfg):
    z = sizes(cfg)
    d = cfg["decoder"]

    def need(cond, key, why):
        if not cond:
            raise ConfigError("config: %s: %s" % (key, why))

    rules = [("decoder.init", d["init"])]
    if "cell_init" in d:
        rules.append(("decoder.cell_init", d["cell_init"]))
        need(d["cell_init"] in ("zero", "hidden") or cfg["encoder"]["cell"] == "lstm", "decoder.cell_init",
             "'%s' needs an LSTM encoder (its cell states)" % d["cell_init"])
    for key, rule in rules:
        if rule in ("final", "onmt_bridge"):
            need(z["Ld"] == z["Le"], key, "'%s' needs decoder.layers = encoder.layers (%d != %d)"
                 % (rule, z["Ld"], z["Le"]))
            need(z["Hd"] == z["D"] * z["He"], key, "'%s' needs decoder.hidden_size = %d (directions x "
                 "encoder.hidden_size), found %d" % (rule, z["D"] * z["He"], z["Hd"]))
        elif rule == "last":
            need(z["D"] * z["He"] >= z["Hd"], key, "'last' needs decoder.hidden_size <= %d, found %d"
                 % (z["D"] * z["He"], z["Hd"]))
        elif rule == "first_layers":
            need(z["Ld"] <= z["Le"] * z["D"], key, "'first_layers' needs decoder.layers <= %d, found %d"
                 % (z["Le"] * z["D"], z["Ld"]))
            need(z["Hd"] == z["He"], key, "'first_layers' needs decoder.hidden_size = encoder.hidden_size "
                 "(%d != %d)" % (z["Hd"], z["He"]))
    if d["input"] in INPUTS_WITH_CONTEXT:
        need(d["query"] == "previous", "decoder.query", "input '%s' contains c_t, so the query must be "
             "'previous'" % d["input"])
    s = cfg["attention"]["score"]
    if s == "dot":
        need(z["Hd"] == z["A"], "attention.score", "'dot' needs decoder.hidden_size = the annotation "
             "size %d, found %d" % (z["A"], z["Hd"]))
    if s == "location":
        need(d["query"] == "previous", "decoder.query", "score 'location' needs query 'previous'")


def expected_tensor_shapes(cfg, Vs, Vt):
    """The doc's table "Tensors (attnviz-seq2seq/2)", transcribed (independently of the modules)."""
    z = sizes(cfg)
    d, a = cfg["decoder"], cfg["attention"]
    Ee, He, Le, D, A, Ed, Hd, Ld = (z[k] for k in ("Ee", "He", "Le", "D", "A", "Ed", "Hd", "Ld"))
    t = {"encoder.embedding.weight": [Vs, Ee], "decoder.embedding.weight": [Vt, Ed]}
    for k in range(Le):
        for suffix in ([""] + (["_reverse"] if D == 2 else [])):
            t["encoder.rnn.weight_ih_l%d%s" % (k, suffix)] = [z["Ge"] * He, Ee if k == 0 else D * He]
            t["encoder.rnn.weight_hh_l%d%s" % (k, suffix)] = [z["Ge"] * He, He]
            t["encoder.rnn.bias_ih_l%d%s" % (k, suffix)] = [z["Ge"] * He]
            t["encoder.rnn.bias_hh_l%d%s" % (k, suffix)] = [z["Ge"] * He]
    I = {"embedding": Ed, "embedding_context": Ed + A, "context_embedding": Ed + A,
         "input_feeding": Ed + Hd, "combine": Hd}[d["input"]]
    for k in range(Ld):
        t["decoder.rnn.weight_ih_l%d" % k] = [z["Gd"] * Hd, I if k == 0 else Hd]
        t["decoder.rnn.weight_hh_l%d" % k] = [z["Gd"] * Hd, Hd]
        t["decoder.rnn.bias_ih_l%d" % k] = [z["Gd"] * Hd]
        t["decoder.rnn.bias_hh_l%d" % k] = [z["Gd"] * Hd]
    if d["input"] == "combine":
        t["decoder.combine.weight"], t["decoder.combine.bias"] = [Hd, Ed + A], [Hd]

    def bridge(name, rule):
        if rule == "bridge":
            t[name + ".weight"] = [Hd, D * He]
            if d["bridge_bias"]:
                t[name + ".bias"] = [Hd]
        elif rule == "onmt_bridge":
            n = Le * D * He
            t[name + ".weight"], t[name + ".bias"] = [n, n], [n]

    bridge("decoder.bridge", d["init"])
    if "cell_init" in d:
        bridge("decoder.bridge_cell", d["cell_init"])
    p = "decoder.attention."
    s = a["score"]
    if s in ("general", "bilinear"):
        out_, in_ = (A, Hd) if s == "general" else (Hd, A)
        t[p + "linear.weight"] = [out_, in_]
        if a["bias"]:
            t[p + "linear.bias"] = [out_]
    elif s == "additive":
        Da = z["Da"]
        t[p + "query_layer.weight"], t[p + "key_layer.weight"] = [Da, Hd], [Da, A]
        t[p + "energy_layer.weight"] = [1, Da]
        for layer, flag in (("query_layer", "query_bias"), ("key_layer", "key_bias"), ("energy_layer", "energy_bias")):
            if a[flag]:
                t[p + layer + ".bias"] = [1] if layer == "energy_layer" else [Da]
    elif s == "concat":
        Da = z["Da"]
        t[p + "concat.weight"], t[p + "energy_layer.weight"] = [Da, Hd + A], [1, Da]
        if a["bias"]:
            t[p + "concat.bias"] = [Da]
        if a["energy_bias"]:
            t[p + "energy_layer.bias"] = [1]
    elif s == "location":
        t[p + "location.weight"], t[p + "location.bias"] = [z["L"], Ed + Hd], [z["L"]]
    if d["attentional"] != "none":
        t["decoder.attentional.weight"] = [Hd, Hd + A]
        if d["attentional_bias"]:
            t["decoder.attentional.bias"] = [Hd]
    t["decoder.out.weight"] = [Vt, Hd]
    if d["output_bias"]:
        t["decoder.out.bias"] = [Vt]
    return t


# ---------------------------------------------------------------- version 1


V1_RENAMES = [  # prefix in a v1 file -> prefix in v2 (applied in this order, first match wins)
    ("encoder.gru.", "encoder.rnn."),
    ("decoder.gru.", "decoder.rnn."),
    ("decoder.attention.Wa.", "decoder.attention.query_layer."),
    ("decoder.attention.Ua.", "decoder.attention.key_layer."),
    ("decoder.attention.Va.", "decoder.attention.energy_layer."),
    ("decoder.attention.W.", "decoder.attention.linear."),
    ("decoder.concat.", "decoder.attentional."),
    ("decoder.attn_combine.", "decoder.combine."),
    ("decoder.attn.", "decoder.attention.location."),
]


def rename_v1_tensor(name):
    for old, new in V1_RENAMES:
        if name.startswith(old):
            return new + name[len(old):]
    return name


def config_from_v1(cfg):
    """An attnviz-seq2seq/1 configuration as its point of the family (docs/model-format.md, "The
    three architectures of version 1 as points of the family"); the result is normalized."""
    arch = cfg["architecture"]
    H = cfg["hidden_size"]
    out = {"sos_token": cfg["sos_token"], "eos_token": cfg["eos_token"],
           "normalization": cfg.get("normalization", "tutorial"), "source_eos": True}
    if cfg.get("unk_token") is not None:
        out["unk_token"] = cfg["unk_token"]
    for key in TEXT_KEYS:
        if key in cfg:
            out[key] = cfg[key]
    out["encoder"] = {"cell": "gru", "layers": 1, "embedding_size": H, "hidden_size": H,
                      "bidirectional": False, "embedding_scale": False}
    dec = {"cell": "gru", "layers": 1, "embedding_size": H, "hidden_size": H, "embedding_scale": False,
           "init": "final", "output_bias": True}
    if arch == "bahdanau":
        dec.update(input="embedding_context", query="previous", attentional="none")
        att = {"score": "additive", "hidden_size": H, "query_bias": True, "key_bias": True, "energy_bias": True}
    elif arch == "luong":
        dec.update(input="embedding", query="current", attentional="context_state",
                   attentional_activation="tanh", attentional_bias=True)
        att = {"score": cfg["luong_score"], "bias": False}
    elif arch == "tutorial_legacy":
        dec.update(input="combine", combine_activation=cfg.get("combine_activation", "relu"),
                   query="previous", attentional="none")
        att = {"score": "location", "slots": cfg["max_length"]}
    else:
        raise ConfigError("config: architecture: unknown value '%s' (expected bahdanau, luong or "
                          "tutorial_legacy)" % arch)
    out["decoder"], out["attention"] = dec, att
    return normalize_config(out)


# ---------------------------------------------------------------- modules


def _rnn(cell, input_size, hidden_size, layers, bidirectional=False):
    cls = nn.GRU if cell == "gru" else nn.LSTM
    return cls(input_size, hidden_size, num_layers=layers, bidirectional=bidirectional, batch_first=True)


class FamilyEncoder(nn.Module):
    def __init__(self, cfg, vocab_size):
        super().__init__()
        e = cfg["encoder"]
        self.cfg = e
        self.embedding = nn.Embedding(vocab_size, e["embedding_size"])
        self.rnn = _rnn(e["cell"], e["embedding_size"], e["hidden_size"], e["layers"], e["bidirectional"])

    def forward(self, src):
        """src [B, T] -> annotations [B, T, A], h_n [Le*D, B, He], c_n [Le*D, B, He] or None."""
        x = self.embedding(src)
        if self.cfg["embedding_scale"]:
            x = x * math.sqrt(self.cfg["embedding_size"])
        out, final = self.rnn(x)
        h_n, c_n = final if isinstance(final, tuple) else (final, None)
        if self.cfg["bidirectional"] and self.cfg["merge"] == "sum":
            He = self.cfg["hidden_size"]
            out = out[:, :, :He] + out[:, :, He:]
        return out, h_n, c_n


class DecoderState:
    """h [Ld, 1, Hd]; c [Ld, 1, Hd] (LSTM) or None; o [1, Hd] (input feeding: õ_{t-1}) or None."""
    __slots__ = ("h", "c", "o")

    def __init__(self, h, c=None, o=None):
        self.h, self.c, self.o = h, c, o


class FamilyDecoder(nn.Module):
    def __init__(self, cfg, vocab_size):
        super().__init__()
        z = sizes(cfg)
        d, a = cfg["decoder"], cfg["attention"]
        self.cfg, self.z = cfg, z
        Ed, Hd, A, D, He, Le = z["Ed"], z["Hd"], z["A"], z["D"], z["He"], z["Le"]
        self.embedding = nn.Embedding(vocab_size, Ed)
        I = {"embedding": Ed, "embedding_context": Ed + A, "context_embedding": Ed + A,
             "input_feeding": Ed + Hd, "combine": Hd}[d["input"]]
        self.rnn = _rnn(d["cell"], I, Hd, d["layers"])
        if d["input"] == "combine":
            self.combine = nn.Linear(Ed + A, Hd)

        def bridge(rule):
            if rule == "bridge":
                return nn.Linear(D * He, Hd, bias=d["bridge_bias"])
            if rule == "onmt_bridge":
                return nn.Linear(Le * D * He, Le * D * He, bias=True)
            return None

        if d["init"] in ("bridge", "onmt_bridge"):
            self.bridge = bridge(d["init"])
        if d.get("cell_init") in ("bridge", "onmt_bridge"):
            self.bridge_cell = bridge(d["cell_init"])
        self.attention = nn.Module()
        s = a["score"]
        if s == "general":
            self.attention.linear = nn.Linear(Hd, A, bias=a["bias"])
        elif s == "bilinear":
            self.attention.linear = nn.Linear(A, Hd, bias=a["bias"])
        elif s == "additive":
            self.attention.query_layer = nn.Linear(Hd, z["Da"], bias=a["query_bias"])
            self.attention.key_layer = nn.Linear(A, z["Da"], bias=a["key_bias"])
            self.attention.energy_layer = nn.Linear(z["Da"], 1, bias=a["energy_bias"])
        elif s == "concat":
            self.attention.concat = nn.Linear(Hd + A, z["Da"], bias=a["bias"])
            self.attention.energy_layer = nn.Linear(z["Da"], 1, bias=a["energy_bias"])
        elif s == "location":
            self.attention.location = nn.Linear(Ed + Hd, z["L"])
        if d["attentional"] != "none":
            self.attentional = nn.Linear(Hd + A, Hd, bias=d["attentional_bias"])
        self.out = nn.Linear(Hd, vocab_size, bias=d["output_bias"])


_BRIDGE_ACT = {"tanh": torch.tanh, "relu": F.relu, "identity": lambda x: x}


class FamilySeq2Seq(nn.Module):
    """One model of the v2 family. Batch size 1 throughout (one sentence, one hypothesis)."""

    def __init__(self, config, src_vocab_size, tgt_vocab_size):
        super().__init__()
        self.config = normalize_config(config)
        self.z = sizes(self.config)
        self.encoder = FamilyEncoder(self.config, src_vocab_size)
        self.decoder = FamilyDecoder(self.config, tgt_vocab_size)

    # ---- encoder

    def encode(self, ids):
        """ids (list of int) -> annotations [T, A], (h_n [Le*D, He], c_n [Le*D, He] or None)."""
        if len(ids) == 0:
            raise ValueError("empty source: nothing to attend to")
        out, h_n, c_n = self.encoder(torch.tensor([list(ids)]))
        return out[0], (h_n[:, 0], None if c_n is None else c_n[:, 0])

    def prepare(self, annotations):
        """Per-sentence precomputation from the annotations [T, A]."""
        a = self.config["attention"]
        att = self.decoder.attention
        H = annotations.unsqueeze(0)  # [1, T, A]
        prep = {"values": H}
        if a["score"] == "additive":
            prep["keys"] = att.key_layer(H)  # [1, T, Da]: W_k h_j + b_k
        elif a["score"] == "bilinear":
            prep["keys"] = att.linear(H)  # [1, T, Hd]: W h_j + b
        elif a["score"] == "location":
            T, L = H.shape[1], self.z["L"]
            if T > L:
                raise ValueError("input of %d tokens is longer than the %d attention slots" % (T, L))
            padded = H.new_zeros(1, L, H.shape[2])
            padded[:, :T] = H
            prep["values"] = padded  # slots past the input hold zero vectors
        return prep

    # ---- initial state

    def _init_rule(self, rule, states, bridge):
        """The decoder's initial [Ld, Hd] from the encoder's final states [Le*D, He] (h_n order)."""
        z = self.z
        Ld, Hd, Le, D, He = z["Ld"], z["Hd"], z["Le"], z["D"], z["He"]
        d = self.config["decoder"]
        if rule == "zero":
            return states.new_zeros(Ld, Hd)
        per_layer = states.reshape(Le, D * He)  # row l = [h_{l,0}; h_{l,1}]
        top = per_layer[Le - 1]
        if rule == "final":
            return per_layer.clone()
        if rule == "last":
            return top[:Hd].unsqueeze(0).repeat(Ld, 1)
        if rule == "bridge":
            y = _BRIDGE_ACT[d["bridge_activation"]](bridge(top.unsqueeze(0)))  # [1, Hd]
            return y.repeat(Ld, 1)
        if rule == "onmt_bridge":
            y = F.relu(bridge(states.reshape(1, Le * D * He)))  # all final states stacked in h_n order
            return y.reshape(Le, D * He)  # cut back into Le*D states, each layer's directions concatenated
        if rule == "first_layers":
            return states[:Ld].clone()
        raise AssertionError(rule)

    def initial_state(self, final):
        h_n, c_n = final
        d = self.config["decoder"]
        h0 = self._init_rule(d["init"], h_n, getattr(self.decoder, "bridge", None))
        c0 = None
        if d["cell"] == "lstm":
            rule = d["cell_init"]
            if rule == "hidden":
                c0 = h0.clone()
            elif rule == "zero":
                c0 = h0.new_zeros(h0.shape)
            else:
                c0 = self._init_rule(rule, c_n, getattr(self.decoder, "bridge_cell", None))
        o0 = h0.new_zeros(1, self.z["Hd"]) if d["input"] == "input_feeding" else None
        return DecoderState(h0.unsqueeze(1), None if c0 is None else c0.unsqueeze(1), o0)

    # ---- one step

    def _attend(self, q, emb, prep):
        """q [1, Hd], emb [1, Ed] -> energies [1, T or L], alpha, context [1, A]."""
        a = self.config["attention"]
        att = self.decoder.attention
        H = prep["values"]  # [1, T, A] (location: [1, L, A])
        s = a["score"]
        if s == "dot":
            e = torch.bmm(H, q.unsqueeze(2)).squeeze(2)
        elif s == "general":
            e = torch.bmm(H, att.linear(q).unsqueeze(2)).squeeze(2)
        elif s == "bilinear":
            e = torch.bmm(prep["keys"], q.unsqueeze(2)).squeeze(2)
        elif s == "additive":
            e = att.energy_layer(torch.tanh(att.query_layer(q).unsqueeze(1) + prep["keys"])).squeeze(2)
        elif s == "concat":
            T = H.shape[1]
            e = att.energy_layer(torch.tanh(att.concat(torch.cat([q.unsqueeze(1).expand(1, T, q.shape[1]), H], 2))))
            e = e.squeeze(2)
        else:  # location
            e = att.location(torch.cat([emb, q], 1))
        alpha = F.softmax(e, dim=-1)
        c = torch.bmm(alpha.unsqueeze(1), H).squeeze(1)
        return e, alpha, c

    def step(self, y_prev, state, annotations, prep, context_override=None):
        """One decoder step for the previous token y_prev (int).

        Returns (log_probs [Vt], new_state, alpha [T or L], energies [T or L], context [A]).
        context_override [A]: used instead of the attention's c_t wherever c_t is used
        (RNN input, combine, attentional vector); alpha and energies are still computed.
        """
        d = self.config["decoder"]
        dec = self.decoder
        emb = dec.embedding(torch.tensor([int(y_prev)]))  # [1, Ed]
        if d["embedding_scale"]:
            emb = emb * math.sqrt(d["embedding_size"])
        override = None if context_override is None else context_override.reshape(1, -1)

        def attend(q):
            e, alpha, c = self._attend(q, emb, prep)
            return e, alpha, c, (c if override is None else override)

        if d["query"] == "previous":
            e, alpha, c_att, c = attend(state.h[-1])  # s_{t-1}: the top layer before the step
        inp = d["input"]
        if inp == "embedding":
            x = emb
        elif inp == "embedding_context":
            x = torch.cat([emb, c], 1)
        elif inp == "context_embedding":
            x = torch.cat([c, emb], 1)
        elif inp == "input_feeding":
            x = torch.cat([emb, state.o], 1)
        else:  # combine
            x = dec.combine(torch.cat([emb, c], 1))
            if d["combine_activation"] == "relu":
                x = F.relu(x)
        if d["cell"] == "lstm":
            _, (h, cell) = dec.rnn(x.unsqueeze(1), (state.h, state.c))
        else:
            _, h = dec.rnn(x.unsqueeze(1), state.h)
            cell = None
        s = h[-1]  # [1, Hd]: s_t, the top layer after the step
        if d["query"] == "current":
            e, alpha, c_att, c = attend(s)
        if d["attentional"] == "none":
            o = s
        else:
            pair = [s, c] if d["attentional"] == "state_context" else [c, s]
            o = dec.attentional(torch.cat(pair, 1))
            if d["attentional_activation"] == "tanh":
                o = torch.tanh(o)
        logp = F.log_softmax(dec.out(o), dim=-1)
        new_state = DecoderState(h, cell, o if inp == "input_feeding" else None)
        return logp[0], new_state, alpha[0], e[0], c[0]


# ---------------------------------------------------------------- files


def _read_container(path):
    """(tensors name -> float32 numpy, metadata-like dict with config/vocabs as Python objects)."""
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        tensors = {name: np.asarray(t["data"], dtype=np.float32).reshape(t["shape"])
                   for name, t in doc["tensors"].items()}
        return tensors, doc["format"], doc["config"], doc["source_vocab"], doc["target_vocab"]
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        b, en = e["data_offsets"]
        raw = data[base + b:base + en]
        if e["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype={"F32": "<f4", "F16": "<f2"}[e["dtype"]]).astype(np.float32)
        tensors[name] = arr.reshape(e["shape"])
    return (tensors, meta.get("format"), json.loads(meta["config"]), json.loads(meta["source_vocab"]),
            json.loads(meta["target_vocab"]))


def check_vocabularies(config, src_words, tgt_words):
    sv, tv = set(src_words), set(tgt_words)
    for key, where in (("sos_token", tv), ("eos_token", tv)):
        if config[key] not in where:
            raise ConfigError("config: %s: '%s' is not in the target vocabulary" % (key, config[key]))
    if config["source_eos"] and config["eos_token"] not in sv:
        raise ConfigError("config: eos_token: '%s' is not in the source vocabulary" % config["eos_token"])
    if "unk_token" in config and config["unk_token"] not in sv:
        raise ConfigError("config: unk_token: '%s' is not in the source vocabulary" % config["unk_token"])


def load_model(path):
    """Read an attnviz-seq2seq/2 or /1 file -> (FamilySeq2Seq in eval mode, src Vocab, tgt Vocab)."""
    tensors, fmt, config, src_words, tgt_words = _read_container(path)
    if fmt == FORMAT_V1:
        config = config_from_v1(config)
        tensors = {rename_v1_tensor(k): v for k, v in tensors.items()}
    elif fmt == FORMAT_V2:
        config = normalize_config(config)
    else:
        raise ValueError("%s: format %r is neither %s nor %s" % (path, fmt, FORMAT_V2, FORMAT_V1))
    check_vocabularies(config, src_words, tgt_words)
    model = FamilySeq2Seq(config, len(src_words), len(tgt_words))
    expected = {k: list(v.shape) for k, v in model.state_dict().items()}
    found = {k: list(v.shape) for k, v in tensors.items()}
    if expected != found:
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        wrong = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
        raise ValueError("%s: tensors do not match the configuration: missing %s, extra %s, wrong shape %s"
                         % (path, missing, extra, [(k, found[k], expected[k]) for k in wrong]))
    model.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in tensors.items()})
    model.eval()
    return model, at.Vocab(src_words), at.Vocab(tgt_words)


def save_model(path, model, src_words, tgt_words, config=None):
    """Write an attnviz-seq2seq/2 safetensors file, F32, every applicable config key explicit."""
    config = normalize_config(config if config is not None else model.config)
    check_vocabularies(config, src_words, tgt_words)
    tensors = {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()}
    expected = expected_tensor_shapes(config, len(src_words), len(tgt_words))
    found = {k: list(v.shape) for k, v in tensors.items()}
    if found != expected:
        raise AssertionError("state_dict does not match the v2 tensor table:\n  found    %s\n  expected %s"
                             % (sorted(found.items()), sorted(expected.items())))
    at.write_safetensors(path, tensors, {
        "format": FORMAT_V2,
        "config": json.dumps(config, sort_keys=True, ensure_ascii=False),
        "source_vocab": json.dumps(list(src_words), ensure_ascii=False),
        "target_vocab": json.dumps(list(tgt_words), ensure_ascii=False),
    }, "F32")


# ---------------------------------------------------------------- live v1 modules

_WRAPPED = weakref.WeakKeyDictionary()


def from_v1_module(v1):
    """An attnviz_torch.Seq2Seq seen as a FamilySeq2Seq that shares its submodules (no copy:
    training updates show through). Cached per v1 module."""
    fam = _WRAPPED.get(v1)
    if fam is not None:
        return fam
    cfg = config_from_v1(v1.config)
    H = v1.config["hidden_size"]
    fam = FamilySeq2Seq(cfg, v1.encoder.embedding.num_embeddings, v1.decoder.embedding.num_embeddings)
    fam.encoder.embedding, fam.encoder.rnn = v1.encoder.embedding, v1.encoder.gru
    d, vd = fam.decoder, v1.decoder
    d.embedding, d.rnn, d.out = vd.embedding, vd.gru, vd.out
    arch = v1.config["architecture"]
    if arch == "bahdanau":
        d.attention.query_layer, d.attention.key_layer = vd.attention.Wa, vd.attention.Ua
        d.attention.energy_layer = vd.attention.Va
    elif arch == "luong":
        d.attentional = vd.concat
        if v1.config["luong_score"] == "general":
            d.attention.linear = vd.attention.W
    else:
        d.attention.location, d.combine = vd.attn, vd.attn_combine
    assert H == fam.z["Hd"]
    _WRAPPED[v1] = fam
    return fam


def as_family(model):
    return model if isinstance(model, FamilySeq2Seq) else from_v1_module(model)


if __name__ == "__main__":
    torch.set_num_threads(1)
    for arch, extra in (("bahdanau", {}), ("luong", {"luong_score": "general"}),
                        ("tutorial_legacy", {"max_length": 5})):
        c = dict({"architecture": arch, "hidden_size": 3, "sos_token": "S", "eos_token": "E"}, **extra)
        m = FamilySeq2Seq(config_from_v1(c), 4, 5)
        v1 = at.Seq2Seq(c, 4, 5)
        assert {rename_v1_tensor(k): list(v.shape) for k, v in v1.state_dict().items()} == \
            {k: list(v.shape) for k, v in m.state_dict().items()}, arch
        assert expected_tensor_shapes(m.config, 4, 5) == {k: list(v.shape) for k, v in m.state_dict().items()}
    bad = config_from_v1({"architecture": "bahdanau", "hidden_size": 3, "sos_token": "S", "eos_token": "E"})
    bad["decoder"]["init"] = "brige"
    try:
        normalize_config(bad)
        raise AssertionError("accepted a bad config")
    except ConfigError as err:
        assert str(err) == ("config: decoder.init: unknown value 'brige' (expected zero, final, last, bridge, "
                            "onmt_bridge or first_layers)"), err
    print("family_torch: self-test passed")
