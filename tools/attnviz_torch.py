"""PyTorch reference modules for the attnviz-seq2seq/1 model format.

The three architectures here define what the C++ engine must reproduce (see
docs/model-format.md). Parameter names are chosen so that ``state_dict()`` of
``Seq2Seq`` gives exactly the tensor names of the format (``encoder.*``,
``decoder.*``).

Run with Debian's interpreter: ``/usr/bin/python3`` (python3-torch).
"""

import json
import os
import re
import struct
import tempfile
import unicodedata

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "attnviz-seq2seq/1"
ARCHITECTURES = ("bahdanau", "luong", "tutorial_legacy")


# ---------------------------------------------------------------- text


def unicode_to_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def normalize_tutorial(s):
    """The tutorial's rule: lowercase, trim, NFD without combining marks,
    a space before . ! ?, every other run of non-letters to one space, trim."""
    s = unicode_to_ascii(s.lower().strip())
    s = re.sub(r"([.!?])", r" \1", s)
    s = re.sub(r"[^a-zA-Z.!?]+", " ", s)
    return s.strip()


def normalize(s, mode):
    return normalize_tutorial(s) if mode == "tutorial" else s.strip()


def tokenize(s, mode):
    return [w for w in normalize(s, mode).split(" ") if w]


class Vocab:
    """Words in order of first appearance after the special tokens (the tutorial's Lang)."""

    def __init__(self, words):
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("duplicate word in vocabulary")

    def __len__(self):
        return len(self.words)

    @classmethod
    def build(cls, sentences, specials, min_count=1):
        counts = {}
        order = []
        for toks in sentences:
            for w in toks:
                if w not in counts:
                    counts[w] = 0
                    order.append(w)
                counts[w] += 1
        words = list(specials) + [w for w in order if counts[w] >= min_count and w not in specials]
        return cls(words)


# ---------------------------------------------------------------- modules


class Encoder(nn.Module):
    def __init__(self, vocab_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(0.1)

    def forward(self, src):  # src [B, T] -> outputs [B, T, H], hidden [1, B, H]
        return self.gru(self.dropout(self.embedding(src)))


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)


class LuongAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.W = nn.Linear(hidden_size, hidden_size, bias=False)


def masked_softmax(scores, mask):
    # scores [B, T]; mask [B, T] bool (True = real position) or None
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return F.softmax(scores, dim=-1)


class Decoder(nn.Module):
    """One class for the three decoders; which submodules exist depends on the architecture."""

    def __init__(self, config, vocab_size):
        super().__init__()
        H = config["hidden_size"]
        self.arch = config["architecture"]
        self.config = config
        self.embedding = nn.Embedding(vocab_size, H)
        self.dropout = nn.Dropout(0.1)
        if self.arch == "bahdanau":
            self.attention = BahdanauAttention(H)
            self.gru = nn.GRU(2 * H, H, batch_first=True)
        elif self.arch == "luong":
            if config["luong_score"] == "general":
                self.attention = LuongAttention(H)
            self.gru = nn.GRU(H, H, batch_first=True)
            self.concat = nn.Linear(2 * H, H)
        elif self.arch == "tutorial_legacy":
            L = config["max_length"]
            self.attn = nn.Linear(2 * H, L)
            self.attn_combine = nn.Linear(2 * H, H)
            self.gru = nn.GRU(H, H, batch_first=True)
        else:
            raise ValueError("unknown architecture %r" % self.arch)
        self.out = nn.Linear(H, vocab_size)

    def prepare(self, enc_out, src_mask):
        """Per-sentence precomputation. enc_out [B, T, H]."""
        if self.arch == "bahdanau":
            return self.attention.Ua(enc_out)  # keys [B, T, H]
        if self.arch == "tutorial_legacy":
            B, T, H = enc_out.shape
            L = self.config["max_length"]
            if T > L:
                raise ValueError("input of %d tokens is longer than max_length %d" % (T, L))
            padded = enc_out.new_zeros(B, L, H)
            padded[:, :T] = enc_out
            return padded
        return None

    def step(self, y_prev, s_prev, enc_out, prep, src_mask, context_override=None):
        """One decoder step.

        y_prev [B] token ids; s_prev [B, H]; enc_out [B, T, H].
        context_override [B, H]: use this context instead of the attention's
        (the no-attention ablation).
        Returns logp [B, V], s [B, H], alpha [B, T or L], context [B, H].
        """
        emb = self.dropout(self.embedding(y_prev))  # [B, H]
        if self.arch == "bahdanau":
            a = self.attention
            e = a.Va(torch.tanh(a.Wa(s_prev).unsqueeze(1) + prep)).squeeze(2)  # [B, T]
            alpha = masked_softmax(e, src_mask)
            c = torch.bmm(alpha.unsqueeze(1), enc_out).squeeze(1)
            if context_override is not None:
                c = context_override
            _, h = self.gru(torch.cat([emb, c], 1).unsqueeze(1), s_prev.unsqueeze(0))
            s = h[0]
            logits = self.out(s)
        elif self.arch == "luong":
            _, h = self.gru(emb.unsqueeze(1), s_prev.unsqueeze(0))
            s = h[0]
            q = self.attention.W(s) if self.config["luong_score"] == "general" else s
            e = torch.bmm(enc_out, q.unsqueeze(2)).squeeze(2)  # [B, T]
            alpha = masked_softmax(e, src_mask)
            c = torch.bmm(alpha.unsqueeze(1), enc_out).squeeze(1)
            if context_override is not None:
                c = context_override
            ht = torch.tanh(self.concat(torch.cat([c, s], 1)))
            logits = self.out(ht)
        else:
            alpha = F.softmax(self.attn(torch.cat([emb, s_prev], 1)), dim=1)  # [B, L]
            c = torch.bmm(alpha.unsqueeze(1), prep).squeeze(1)
            if context_override is not None:
                c = context_override
            u = self.attn_combine(torch.cat([emb, c], 1))
            if self.config.get("combine_activation", "relu") == "relu":
                u = F.relu(u)
            _, h = self.gru(u.unsqueeze(1), s_prev.unsqueeze(0))
            s = h[0]
            logits = self.out(s)
        return F.log_softmax(logits, dim=-1), s, alpha, c


class Seq2Seq(nn.Module):
    def __init__(self, config, src_vocab_size, tgt_vocab_size):
        super().__init__()
        self.config = dict(config)
        self.encoder = Encoder(src_vocab_size, config["hidden_size"])
        self.decoder = Decoder(self.config, tgt_vocab_size)

    def forward_teacher(self, src, tgt_in, src_mask=None):
        """Teacher-forced log-probs. src [B, T]; tgt_in [B, U] (SOS first) -> [B, U, V]."""
        enc_out, h = self.encoder(src)
        prep = self.decoder.prepare(enc_out, src_mask)
        s = h[0]
        outs = []
        for i in range(tgt_in.shape[1]):
            logp, s, _, _ = self.decoder.step(tgt_in[:, i], s, enc_out, prep, src_mask)
            outs.append(logp)
        return torch.stack(outs, 1)


# ---------------------------------------------------------------- safetensors

_DTYPES = {"F32": np.float32, "F16": np.float16}


def save_model(path, encoder, decoder, source_vocab, target_vocab, config, dtype="F32"):
    """Write an attnviz-seq2seq/1 safetensors file (atomically: temp file + rename)."""
    tensors = {}
    for prefix, module in (("encoder.", encoder), ("decoder.", decoder)):
        for name, t in module.state_dict().items():
            tensors[prefix + name] = t.detach().cpu().float().numpy()
    write_safetensors(path, tensors, {
        "format": FORMAT,
        "config": json.dumps(config, sort_keys=True),
        "source_vocab": json.dumps(list(source_vocab), ensure_ascii=False),
        "target_vocab": json.dumps(list(target_vocab), ensure_ascii=False),
    }, dtype)


def write_safetensors(path, tensors, metadata, dtype="F32"):
    np_dtype = _DTYPES[dtype]
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype=np_dtype)
        raw = arr.astype("<" + arr.dtype.str[1:]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)  # keep the data 8-byte aligned
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".safetensors")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hjson)))
            f.write(hjson)
            for b in blobs:
                f.write(b)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_safetensors(path):
    """Read back (tensors as float32 numpy, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, en = e["data_offsets"]
        dt = {"F32": "<f4", "F16": "<f2"}[e["dtype"]]
        out[name] = np.frombuffer(data[base + b:base + en], dtype=dt).reshape(e["shape"]).astype(np.float32)
    return out, meta


def load_model(path):
    """Load an attnviz-seq2seq/1 safetensors file into (Seq2Seq, src Vocab, tgt Vocab)."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != FORMAT:
        raise ValueError("%s: not an %s file" % (path, FORMAT))
    config = json.loads(meta["config"])
    sv = Vocab(json.loads(meta["source_vocab"]))
    tv = Vocab(json.loads(meta["target_vocab"]))
    model = Seq2Seq(config, len(sv), len(tv))
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    model.eval()
    return model, sv, tv


def round_to_dtype_(model, dtype):
    """Round the weights in place to what a file of this dtype stores, so that
    references computed from this model match what the engine loads."""
    if dtype == "F16":
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
