#!/usr/bin/python3
"""Random-weight transformer encoder-decoders of Joey NMT, OpenNMT-py and Hugging Face Marian,
saved and run by the toolkits' own code: the fixtures of issue #23.

    /usr/bin/python3 tools/make_transformer_fixtures.py JOEY_CHECKOUT ONMT_CHECKOUT HF_CHECKOUT

JOEY_CHECKOUT holds joeynmt/ (v2.3), ONMT_CHECKOUT onmt/ (v3.5.1), HF_CHECKOUT src/transformers/
(a 4.27.1 release tree). Writes the models under tests/data/transformer/ and the reference numbers
to tests/golden/transformer.json. Every part runs in its own Python process (each toolkit needs its
own stubs), then the main process checks the golden file: every model is loaded again through the
toolkit's own loading code (Joey: load_checkpoint + build_model from config.yaml; OpenNMT-py:
load_test_model; Marian: MarianMTModel.from_pretrained / MarianTokenizer.from_pretrained) and its
forced log-probabilities and attention must equal the golden ones to 1e-6.

The run is deterministic (seeded weights, one thread), so re-running it rewrites the same files.
What is stubbed, the toolkit versions and the rules of each toolkit's search: docs/toolkits.md
("Transformer fixtures") and the "notes" of the golden file.
"""

import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import types
from pathlib import Path

sys.dont_write_bytecode = True  # it imports tools/make_toolkit_fixtures.py: no __pycache__ in tools/
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "transformer"
GOLDEN = ROOT / "tests" / "golden" / "transformer.json"
EPS = 1e-6  # what the self-check allows (relative above 1) between a reloaded model and the golden numbers

JOEY_VERSION, JOEY_COMMIT = "2.3.0", "c19c6c8438263d3ad01054742bf98ab1f1fa61b3"
ONMT_VERSION, ONMT_COMMIT = "3.5.1", "3f0c5f7c24c0a26e7165e054cd8000e18b931799"
HF_VERSION = "4.27.1"
HF_SOURCE = ("github.com/xiaojunjun65/transformers-mlu_4.27.1 206a0dd0c172c20014ba9c0f803706c8620fe6b7 "
             "(a copy of the 4.27.1 release whose files import torch_mlu; on the CPU the Marian model, "
             "tokenizer and generation code are 4.27.1's)")

# word-level sentences of Joey and OpenNMT-py (the vocabularies of tools/make_toolkit_fixtures.py)
SRC_WORDS = "ich du er sie wir haus katze hund ist sind gut klein gross nicht ja das ein".split()
TRG_WORDS = "i you he she we house cat dog is are good small big not yes the a".split()
WORD_CASES = [("das haus ist gross", "the house is big"),
              ("ich bin nicht klein", "i am not small"),  # "bin" and "am" are unknown words
              ("katze", "cat")]
MARIAN_CASES = []  # filled from the shared data in make_marian (English -> French)

NOTES = {
    "log_probs": "forced decoding: per step the full log-softmax row over the target vocabulary "
                 "(the model's, before any search rule bans a token); the target fed is start_id "
                 "then target_ids without the last one",
    "attention": "cross_attention [layer][head][step][source position], decoder_self_attention "
                 "[layer][head][step][step], encoder_self_attention [layer][head][src][src]: the "
                 "softmax outputs of every attention module in the toolkit's forward pass (Joey, "
                 "OpenNMT-py: a forward hook on the modules' nn.Softmax; Marian: "
                 "output_attentions=True)",
    "rounding": "log-probs and scores to 7 significant digits, attention probabilities to 8 "
                "decimals (7 significant digits from 0.1 up); compare to 1e-5",
    "pe_tables": "the Joey and OpenNMT-py files keep only the first 64 positions of their saved "
                 "sinusoid buffers (encoder.pe.pe, decoder.pe.pe; "
                 "*.embeddings.make_embedding.pe.pe); real files hold 5000. Marian files hold none "
                 "(save_pretrained drops model.*.embed_positions.weight): generate them; except "
                 "marian-stored-positions, whose pytorch_model.bin stores both tables (the sinusoid "
                 "plus noise), as files written by older transformers releases may: from_pretrained uses them",
    "eos_bias": "random models rarely stop: the OpenNMT-py generator bias and Marian's "
                "final_logits_bias of </s> got a constant added, Joey's </s> output row (no bias) "
                "a multiple of the decoder's mean final state (eos_boost in the generator); it "
                "is part of the saved weights",
    "greedy.log_probs": "the model's log-softmax (full vocabulary) of each chosen token, from a "
                        "forced pass over the greedy output",
    "tool_attention": {
        "joey": "Model.forward(return_attention=True) / search return the LAST decoder layer's "
                "cross-attention averaged over heads (MultiHeadedAttention return_weights: sum / "
                "num_heads); beam_search returns no attention",
        "onmt": "the decoder's attns['std'] is the LAST layer's cross-attention of head 0 "
                "(TransformerDecoder: attns[:, 0]); -report_align uses attns['align'], the mean "
                "over heads (alignment_heads 0) of layer -alignment_layer (default -3, i.e. the "
                "third layer from the top; with fewer layers Python's negative index wraps)",
        "marian": "output_attentions=True returns every layer and head (encoder_attentions, "
                  "decoder_attentions, cross_attentions: tuples over layers of [batch, heads, q, k])",
    },
    "search": {
        "joey": "start <s> (bos); source = words + </s>. greedy (transformer_greedy): bans <s> "
                "(and sep/lang tags, none here), NOT <pad>; </s> banned while step < "
                "min_output_length (1, i.e. at the first step); max_output_length -1 -> "
                "int(1.5 * source length incl. </s>). beam_search: bans <s> and <pad>; same min "
                "length; score = sum of log-probs / ((5 + length) / 6) ** alpha when alpha > 0 "
                "(length counts the generated tokens incl. </s>), alpha -1 = no penalty; a "
                "hypothesis ending in </s> is finished; n_best best-first; ids exclude <s> and "
                "include </s>; when fewer than n_best hypotheses finish before the search ends "
                "Joey fills the list with [<unk>] scored -1 (see joey-default-norm-swish-"
                "tiedsoftmax 'ich bin nicht klein')",
        "onmt": "start <s>; source = words only (no </s>). max_length = int(min(max_length 250, "
                "source words * max_length_ratio 1.25 + 5)); min_length 0 (</s> set to -65504 while "
                "step < min_length, so </s> may come first); nothing else banned (not <pad>, not "
                "<s>; <unk> only with ban_unk_token). greedy = GreedySearch (random_sampling_topk 1, "
                "temperature 1 = argmax). beam = BeamSearch with GNMTGlobalScorer: length_penalty "
                "'avg', alpha 1 -> each step ranks sum of log-probs / (generated tokens incl. the "
                "current one) ** alpha, the reported score is that normalized value; coverage none, "
                "ratio 0 (stops when the best beam has finished, n_best done); ids exclude <s>, "
                "include </s> when the hypothesis finished",
        "marian": "start = decoder_start_token_id = <pad>; source = pieces + </s>. generate() "
                  "with the config's rules: bad_words_ids [[pad]] (pad banned), "
                  "forced_eos_token_id 0 (at step max_length-1 only </s> allowed), min_length 0. "
                  "greedy: num_beams 1, do_sample false. beam: num_beams 3, "
                  "num_return_sequences 3, early_stopping false, length_penalty 1.0 -> score = "
                  "sum of log-probs / (length ** 1.0) where length counts the sequence INCLUDING "
                  "the start token (HF BeamHypotheses.add: hyp.shape[-1]), the log-probs being "
                  "log_softmax of the raw logits + final_logits_bias, before the bans (the banned "
                  "token gets -inf); ids exclude the start token, include </s>",
    },
}


def g7(x):
    """7 significant digits (the golden file stays small; the tests compare to 1e-5)."""
    x = float(x)
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    return float(f"{x:.7g}")


def nested(t, rounding=g7):
    if hasattr(t, "tolist"):
        t = t.tolist()
    if isinstance(t, list):
        return [nested(x, rounding) for x in t]
    return rounding(t)


def p8(x):
    """A probability to 8 decimals: 7 significant digits from 0.1 up, 1e-8 absolute below."""
    x = round(float(x), 8)
    return 0 if x == 0 else x


# --- shared helpers (run inside the toolkit processes) ---------------------------------------

def randomize(model, seed, extra_buffers=()):
    """Weights large enough that attention is far from uniform, layer norms not 1/0."""
    import torch
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not p.requires_grad:  # Marian's sinusoid tables (embed_positions) are parameters
                continue
            if "norm" in name and name.endswith("weight"):
                p.copy_(0.6 + 0.8 * torch.rand(p.shape, generator=gen))
            elif "norm" in name:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.4 * torch.randn(p.shape, generator=gen))
        for b in extra_buffers:
            b.copy_(0.5 * torch.randn(b.shape, generator=gen))


class SoftmaxRecorder:
    """Forward hooks on the nn.Softmax of named attention modules: the last output of each."""

    def __init__(self, modules):
        self.outputs = {}
        self.handles = []
        for name, module in modules.items():
            self.handles.append(module.register_forward_hook(self._hook(name)))

    def _hook(self, name):
        def hook(module, inputs, output):
            self.outputs[name] = output.detach().clone()
        return hook

    def clear(self):
        self.outputs = {}

    def stack(self, names):
        """[layer][head][q][k] of batch item 0."""
        return [self.outputs[n][0].tolist() for n in names]

    def remove(self):
        for h in self.handles:
            h.remove()


PE_ROWS = 64  # positions of the sinusoid tables kept in the Joey / OpenNMT-py files (see shrink_pe)


def pe_keys(state):
    return [k for k in state if k.endswith("pe.pe")]


def shrink_pe(path, key):
    """The one change to a toolkit's file: Joey and OpenNMT-py save their sinusoid tables
    (5000 positions, 640 KB at d=16) as buffers; keep the first PE_ROWS positions."""
    import torch
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt[key]
    for k in pe_keys(state):
        table = state[k]
        state[k] = (table[:, :PE_ROWS] if table.dim() == 3 and table.size(0) == 1 else table[:PE_ROWS]).clone()
    torch.save(ckpt, path)


def restore_pe(path, key, model, scratch):
    """A copy of the file with the tables back at the size the toolkit builds, after checking the
    kept rows equal the toolkit's own; returns its path (for the toolkit's own loader)."""
    import torch
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt[key]
    full = model.state_dict()
    for k in pe_keys(state):
        kept, table = state[k], full[k]
        head = table[:, :kept.size(1)] if table.dim() == 3 and table.size(0) == 1 else table[:kept.size(0)]
        assert torch.equal(head, kept), f"{path}: {k} is not the toolkit's sinusoid table"
        state[k] = table.clone()
    out = Path(scratch) / Path(path).name
    torch.save(ckpt, out)
    return out


def write_part(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)


def add_stubs_path():
    sys.path.insert(0, str(ROOT / "tools"))


def enter_toolkit(root):
    """Joey NMT or OpenNMT-py importable from its checkout, with the stubs of
    tools/make_toolkit_fixtures.py, on one thread."""
    import torch
    sys.path.insert(0, str(root))
    add_stubs_path()
    from make_toolkit_fixtures import install_stubs
    install_stubs()
    torch.set_num_threads(1)


# --- Joey NMT --------------------------------------------------------------------------------

# name -> what the case varies. Joey 2.3: layer_norm pre|post (default: encoder layers "pre",
# decoder layers "post", no final norm in either); activation relu|gelu|swish (its "tanh" does
# not build: build_activation returns torch.tanh, which the layer calls without input);
# embeddings scale; no learned positions (PositionalEncoding only).
JOEY_CASES = {
    "joey-pre-tied-relu-scale": dict(layer_norm="pre", activation="relu", scale=True, tied=True,
                                     layers=(2, 2), covers=["pre-norm", "final-layer-norm", "relu",
                                                            "sinusoidal-interleaved", "scale-sqrt-d",
                                                            "tied-embeddings", "tied-softmax",
                                                            "shared-vocab", "no-output-bias", "eps-1e-6"]),
    "joey-post-untied-gelu-noscale-1x3": dict(layer_norm="post", activation="gelu", scale=False, tied=False,
                                              eos_boost=0.7,
                                              layers=(1, 3), covers=["post-norm", "gelu", "no-scale",
                                                                     "untied", "separate-vocab",
                                                                     "1+3-layers", "eps-1e-6"]),
    "joey-default-norm-swish-tiedsoftmax": dict(layer_norm=None, activation="swish", scale=True,
                                                tied_softmax_only=True, layers=(2, 2), eos_boost=1.0,
                                                covers=["joey-default-layer-norm", "swish",
                                                        "tied-softmax", "separate-vocab", "scale-sqrt-d"]),
}


def joey_config(name, case, model_dir):
    def side(layers):
        d = {"type": "transformer", "num_layers": layers, "num_heads": 4, "hidden_size": 16,
             "ff_size": 32, "dropout": 0.0,
             "embeddings": {"embedding_dim": 16, "scale": case["scale"], "dropout": 0.0},
             "activation": case["activation"]}
        if case["layer_norm"] is not None:
            d["layer_norm"] = case["layer_norm"]
        return d
    enc, dec = side(case["layers"][0]), side(case["layers"][1])
    return {
        "name": name, "joeynmt_version": JOEY_VERSION, "model_dir": str(model_dir), "use_cuda": False,
        "data": {"src": {"lang": "de", "level": "word", "lowercase": False},
                 "trg": {"lang": "en", "level": "word", "lowercase": False}, "dataset_type": "plain"},
        "testing": {"beam_size": 3, "beam_alpha": 1.0, "batch_size": 1, "batch_type": "sentence",
                    "n_best": 3},
        "training": {"optimizer": "adam", "learning_rate": 0.001, "scheduling": "plateau",
                     "batch_size": 2, "batch_type": "sentence", "epochs": 1, "keep_best_ckpts": 2,
                     "model_dir": str(model_dir)},
        "model": {"initializer": "xavier_uniform", "embed_initializer": "normal",
                  "tied_embeddings": bool(case.get("tied")),
                  "tied_softmax": bool(case.get("tied") or case.get("tied_softmax_only")),
                  "encoder": enc, "decoder": dec},
    }


def joey_modules(model):
    enc = {f"enc{i}": l.src_src_att.softmax for i, l in enumerate(model.encoder.layers)}
    dself = {f"dself{i}": l.trg_trg_att.softmax for i, l in enumerate(model.decoder.layers)}
    cross = {f"cross{i}": l.src_trg_att.softmax for i, l in enumerate(model.decoder.layers)}
    return enc, dself, cross


def joey_batch(src_vocab, trg_vocab, src_tokens, trg_tokens):
    import torch
    from joeynmt.batch import Batch
    src, src_length, _ = src_vocab.sentences_to_ids([src_tokens], bos=False, eos=True)
    trg = None
    if trg_tokens is not None:
        trg, _, _ = trg_vocab.sentences_to_ids([trg_tokens], bos=True, eos=True)
        trg = torch.tensor(trg)
    return Batch(torch.tensor(src), torch.tensor(src_length), None, trg, None, torch.tensor([0]),
                 torch.device("cpu"), src_vocab.pad_index, src_vocab.eos_index, is_train=False)


def joey_forced(model, src_vocab, trg_vocab, src_tokens, trg_ids):
    """Model.forward encode + decode of start + trg_ids[:-1]; full log-softmax rows and attention."""
    import torch
    trg_tokens = [trg_vocab._itos[i] for i in trg_ids[:-1]]
    batch = joey_batch(src_vocab, trg_vocab, src_tokens, trg_tokens)
    enc, dself, cross = joey_modules(model)
    rec = SoftmaxRecorder({**enc, **dself, **cross})
    with torch.no_grad():
        encoder_output, encoder_hidden, _, _ = model(return_type="encode", **vars(batch))
        trg_input = batch.trg_input  # <s> + the target without its last token (</s>)
        trg_mask = torch.ones_like(trg_input, dtype=torch.bool).unsqueeze(1)
        outputs, _, att, _ = model(return_type="decode", trg_input=trg_input,
                                   encoder_output=encoder_output, encoder_hidden=encoder_hidden,
                                   src_mask=batch.src_mask, unroll_steps=trg_input.size(1),
                                   trg_mask=trg_mask, return_attention=True)
        log_probs = torch.log_softmax(outputs, dim=-1)[0]
    out = {"log_probs": log_probs.tolist(),
           "cross_attention": rec.stack(list(cross)),
           "decoder_self_attention": rec.stack(list(dself)),
           "encoder_self_attention": rec.stack(list(enc)),
           "tool_attention": att[0].tolist()}
    rec.remove()
    return out, batch


def joey_boost_eos(model, src_vocab, trg_vocab, boost):
    """Joey's output layer has no bias: random models rarely stop, so the </s> row of the output
    matrix gets `boost` times the unit mean of the decoder's final states on the sentences."""
    import torch
    states = []
    for source, target in WORD_CASES:
        batch = joey_batch(src_vocab, trg_vocab, source.split(), target.split())
        with torch.no_grad():
            encoder_output, encoder_hidden, _, _ = model(return_type="encode", **vars(batch))
            _, hidden, _, _ = model(return_type="decode", trg_input=batch.trg_input,
                                    encoder_output=encoder_output, encoder_hidden=encoder_hidden,
                                    src_mask=batch.src_mask, unroll_steps=batch.trg_input.size(1),
                                    trg_mask=torch.ones_like(batch.trg_input, dtype=torch.bool).unsqueeze(1))
        states.append(hidden[0])
    u = torch.cat(states).mean(0)
    with torch.no_grad():
        model.decoder.output_layer.weight[trg_vocab.eos_index] += boost * u / u.norm()


def make_joey(joey_root, part):
    import torch
    enter_toolkit(joey_root)
    from make_toolkit_fixtures import save_joey_model
    from joeynmt.config import _check_special_symbols
    from joeynmt.model import build_model
    from joeynmt.search import search
    from joeynmt.vocabulary import Vocabulary

    models = []
    for index, (name, case) in enumerate(JOEY_CASES.items()):
        model_dir = OUT / name
        shutil.rmtree(model_dir, ignore_errors=True)
        model_dir.mkdir(parents=True)
        cfg = joey_config(name, case, model_dir)
        specials = types.SimpleNamespace(**_check_special_symbols({}))
        if case.get("tied"):
            src_words = trg_words = SRC_WORDS + TRG_WORDS
        else:
            src_words, trg_words = SRC_WORDS, TRG_WORDS
        src_vocab, trg_vocab = Vocabulary(src_words, specials), Vocabulary(trg_words, specials)
        src_vocab.to_file(model_dir / "src_vocab.txt")
        trg_vocab.to_file(model_dir / "trg_vocab.txt")
        torch.manual_seed(3000 + index)
        model = build_model(cfg["model"], src_vocab=src_vocab, trg_vocab=trg_vocab)
        randomize(model, 3000 + index)
        model.eval()
        if case.get("eos_boost"):
            joey_boost_eos(model, src_vocab, trg_vocab, case["eos_boost"])
        save_joey_model(model, cfg, model_dir, index)
        shrink_pe(model_dir / f"{100 * (index + 1)}.ckpt", "model_state")

        cases = []
        for source, target in WORD_CASES:
            src_tokens, trg_tokens = source.split(), target.split()
            trg_ids = trg_vocab.sentences_to_ids([trg_tokens], bos=False, eos=True)[0][0]
            trg_ids = [i for i in trg_ids if i != trg_vocab.pad_index]
            forced, batch = joey_forced(model, src_vocab, trg_vocab, src_tokens, trg_ids)
            src_ids = batch.src[0].tolist()
            # greedy (Joey's transformer_greedy through search)
            out, scores, _ = search(model, batch, max_output_length=-1, beam_size=1, beam_alpha=-1,
                                    return_prob="hyp", min_output_length=1)
            max_len = int(len(src_ids) * 1.5)
            ids = [int(i) for i in out[0].tolist()]
            if trg_vocab.eos_index in ids:
                ids = ids[:ids.index(trg_vocab.eos_index) + 1]
            greedy_forced, _ = joey_forced(model, src_vocab, trg_vocab, src_tokens, ids)
            glp = [greedy_forced["log_probs"][t][i] for t, i in enumerate(ids)]
            hyp_lp = [float(x) for x in scores[0].tolist()][:len(ids)]
            assert all(abs(a - b) < 1e-5 for a, b in zip(glp, hyp_lp)), (name, glp, hyp_lp)
            # beam
            bout, bscores, _ = search(model, batch, max_output_length=-1, beam_size=3, beam_alpha=1.0,
                                      n_best=3, return_prob="hyp", min_output_length=1)
            beams = []
            for row in bout.tolist():
                row = [int(i) for i in row]
                if trg_vocab.eos_index in row:
                    row = row[:row.index(trg_vocab.eos_index) + 1]
                else:
                    row = [i for i in row if i != trg_vocab.pad_index]
                beams.append(row)
            cases.append({
                "source": source, "source_tokens": [src_vocab._itos[i] for i in src_ids],
                "source_ids": src_ids, "target": target,
                "target_ids": trg_ids, "start_id": trg_vocab.bos_index,
                "log_probs": forced["log_probs"], "cross_attention": forced["cross_attention"],
                "decoder_self_attention": forced["decoder_self_attention"],
                "encoder_self_attention": forced["encoder_self_attention"],
                "tool_attention": forced["tool_attention"],
                "greedy": {"max_length": max_len, "ids": ids, "log_probs": glp},
                "beam": {"width": 3, "ids": beams, "scores": [float(s) for s in bscores.reshape(-1).tolist()],
                         "settings": {"beam_alpha": 1.0, "n_best": 3, "min_output_length": 1,
                                      "max_output_length": max_len, "return_prob": "hyp",
                                      "generate_unk": True}}})
        models.append({"name": name, "toolkit": "joey", "path": f"tests/data/transformer/{name}",
                       "covers": case["covers"],
                       "vocab": {"src": src_vocab._itos, "trg": trg_vocab._itos,
                                 "bos": trg_vocab.bos_index, "eos": trg_vocab.eos_index,
                                 "pad": trg_vocab.pad_index, "unk": trg_vocab.unk_index},
                       "checkpoint": sorted(f.name for f in model_dir.iterdir()),
                       "cases": cases})
        print("joey", name, [c["greedy"]["ids"] for c in cases], flush=True)
    write_part(part, models)


def load_joey_fixture(d):
    """A Joey fixture directory as Joey loads it (its sinusoid tables back at full size); Joey
    importable (enter_toolkit). Returns the model in eval mode and the two vocabularies."""
    import torch
    import yaml
    from joeynmt.config import _check_special_symbols
    from joeynmt.helpers import load_checkpoint
    from joeynmt.model import build_model
    from joeynmt.vocabulary import build_vocab
    cfg = yaml.safe_load((d / "config.yaml").read_text())
    cfg["data"]["src"]["voc_file"] = str(d / "src_vocab.txt")
    cfg["data"]["trg"]["voc_file"] = str(d / "trg_vocab.txt")
    # what joeynmt.config.parse_global_args makes of the data section
    cfg["data"]["special_symbols"] = types.SimpleNamespace(
        **_check_special_symbols(dict(cfg["data"].get("special_symbols", {}))))
    src_vocab, trg_vocab = build_vocab(cfg["data"])
    model = build_model(cfg["model"], src_vocab=src_vocab, trg_vocab=trg_vocab)
    with tempfile.TemporaryDirectory() as scratch:
        ckpt = load_checkpoint(restore_pe((d / "best.ckpt").resolve(), "model_state", model, scratch),
                               torch.device("cpu"))
    model.load_state_dict(ckpt["model_state"])
    model.eval()
    return model, src_vocab, trg_vocab


def verify_joey(joey_root, models):
    enter_toolkit(joey_root)
    worst = 0.0
    for m in models:
        model, src_vocab, trg_vocab = load_joey_fixture(ROOT / m["path"])
        for c in m["cases"]:
            forced, batch = joey_forced(model, src_vocab, trg_vocab, c["source"].split(), c["target_ids"])
            assert batch.src[0].tolist() == c["source_ids"], (m["name"], c["source"])
            worst = max(worst, compare(m["name"], c, forced))
    return worst


# --- OpenNMT-py ------------------------------------------------------------------------------

ONMT_CASES = {
    "onmt-relu-bias-shared-vocab": dict(
        opts=["-add_qkvbias", "-add_ffnbias", "-pos_ffn_activation_fn", "relu", "-norm_eps", "1e-6",
              "-position_encoding_type", "SinusoidalInterleaved", "-share_vocab", "-share_embeddings",
              "-share_decoder_embeddings", "-layers", "2"],
        shared=True, eos_boost=2.5,
        covers=["pre-norm", "final-layer-norm", "qkv-bias", "ffn-bias", "relu", "eps-1e-6",
                "sinusoidal-interleaved", "scale-sqrt-d", "shared-vocab", "tied-embeddings",
                "tied-softmax", "output-bias"]),
    "onmt-gelu-nobias-concat-eps1e-5-1x3": dict(
        opts=["-pos_ffn_activation_fn", "gelu", "-norm_eps", "1e-5",
              "-position_encoding_type", "SinusoidalConcat", "-enc_layers", "1", "-dec_layers", "3"],
        shared=False, eos_boost=3.0,
        covers=["pre-norm", "no-qkv-bias", "no-ffn-bias", "gelu", "eps-1e-5", "sinusoidal-halves",
                "separate-vocab", "untied", "output-bias", "1+3-layers"]),
    "onmt-silu-qkvbias-only-tiedsoftmax": dict(
        opts=["-add_qkvbias", "-pos_ffn_activation_fn", "silu", "-norm_eps", "1e-6",
              "-position_encoding_type", "SinusoidalInterleaved", "-share_decoder_embeddings",
              "-layers", "2"],
        shared=False, eos_boost=1.0,
        covers=["pre-norm", "qkv-bias", "no-ffn-bias", "swish", "sinusoidal-interleaved",
                "separate-vocab", "tied-softmax", "output-bias"]),
}


def onmt_modules(model):
    enc = {f"enc{i}": l.self_attn.softmax for i, l in enumerate(model.encoder.transformer)}
    dself = {f"dself{i}": l.self_attn.softmax for i, l in enumerate(model.decoder.transformer_layers)}
    cross = {f"cross{i}": l.context_attn.softmax for i, l in enumerate(model.decoder.transformer_layers)}
    return enc, dself, cross


def onmt_forced(model, vocabs, src_ids, trg_ids):
    import torch
    start = vocabs["tgt"][vocabs["decoder_start_token"]]
    tgt_in = [start] + trg_ids[:-1]
    src = torch.tensor([src_ids]).unsqueeze(-1)
    tgt = torch.tensor([tgt_in]).unsqueeze(-1)
    src_len = torch.tensor([len(src_ids)])
    enc, dself, cross = onmt_modules(model)
    rec = SoftmaxRecorder({**enc, **dself, **cross})
    with torch.no_grad():
        enc_out, enc_final_hs, src_len = model.encoder(src, src_len)
        model.decoder.init_state(src, enc_out, enc_final_hs)
        dec_out, attns = model.decoder(tgt, enc_out, src_len=src_len, step=None, return_attn=True)
        log_probs = torch.log_softmax(model.generator(dec_out), dim=-1)[0]
    out = {"log_probs": log_probs.tolist(), "cross_attention": rec.stack(list(cross)),
           "decoder_self_attention": rec.stack(list(dself)),
           "encoder_self_attention": rec.stack(list(enc)),
           "tool_attention": attns["std"][0].tolist()}
    rec.remove()
    return out


def make_onmt(onmt_root, part):
    import torch
    enter_toolkit(onmt_root)
    import onmt.opts as opts
    from onmt.inputters.inputter import build_vocab
    from onmt.model_builder import build_model
    from onmt.models.model_saver import build_model_saver
    from onmt.translate import GNMTGlobalScorer, Translator
    from onmt.utils.optimizers import Optimizer
    from onmt.utils.parse import ArgumentParser

    models = []
    for index, (name, case) in enumerate(ONMT_CASES.items()):
        case_dir = OUT / name
        shutil.rmtree(case_dir, ignore_errors=True)
        case_dir.mkdir(parents=True)
        # a fixed scratch directory: the checkpoint's opt records the vocabulary and corpus paths
        scratch = Path(tempfile.gettempdir()) / "attnviz-transformer-fixtures-onmt"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        src_words = SRC_WORDS + TRG_WORDS if case["shared"] else SRC_WORDS
        trg_words = src_words if case["shared"] else TRG_WORDS
        (scratch / "src.vocab").write_text("".join(f"{w} 1\n" for w in src_words), encoding="utf-8")
        (scratch / "tgt.vocab").write_text("".join(f"{w} 1\n" for w in trg_words), encoding="utf-8")
        (scratch / "train.src").write_text(" ".join(SRC_WORDS) + "\n", encoding="utf-8")
        (scratch / "train.tgt").write_text(" ".join(TRG_WORDS) + "\n", encoding="utf-8")
        data = json.dumps({"corpus_1": {"path_src": str(scratch / "train.src"),
                                        "path_tgt": str(scratch / "train.tgt")}})
        parser = ArgumentParser(description="train")
        opts.train_opts(parser)
        args = ["-data", data, "-save_model", str(case_dir / "model"),
                "-src_vocab", str(scratch / "src.vocab"), "-tgt_vocab", str(scratch / "tgt.vocab"),
                "-encoder_type", "transformer", "-decoder_type", "transformer",
                "-word_vec_size", "16", "-hidden_size", "16", "-transformer_ff", "32", "-heads", "4",
                "-position_encoding", "-dropout", "0.0", "-attention_dropout", "0.0",
                "-param_init", "0", "-param_init_glorot", "-gpu_ranks"] + case["opts"]
        opt = parser.parse_args(args)
        ArgumentParser.validate_prepare_opts(opt)
        ArgumentParser.validate_train_opts(opt)
        ArgumentParser.update_model_opts(opt)
        ArgumentParser.validate_model_opts(opt)
        vocabs = build_vocab(opt, {"src": [], "tgt": []})
        torch.manual_seed(4000 + index)
        model = build_model(opt, opt, vocabs, None, 0)
        randomize(model, 4000 + index)
        with torch.no_grad():  # random models rarely stop: make </s> likelier (the output bias)
            model.generator.bias[vocabs["tgt"]["</s>"]] += case["eos_boost"]
        model.eval()
        optim = Optimizer.from_opt(model, opt, checkpoint=None)
        saver = build_model_saver(opt, opt, model, vocabs, optim, 0)
        saver.save(100 * (index + 1))
        ckpt_name = f"model_step_{100 * (index + 1)}.pt"
        shrink_pe(case_dir / ckpt_name, "model")

        def translator_for(beam):
            tparser = ArgumentParser(description="translate")
            opts.translate_opts(tparser)
            targs = ["-model", "x.pt", "-src", "x", "-beam_size", str(beam), "-n_best", str(beam)]
            if beam == 1:
                targs += ["-random_sampling_topk", "1"]
            topt = tparser.parse_args(targs)
            return topt, Translator.from_opt(model, vocabs, topt, opt,
                                             global_scorer=GNMTGlobalScorer.from_opt(topt),
                                             out_file=open(os.devnull, "w"), report_score=False)
        gopt, greedy_tr = translator_for(1)
        bopt, beam_tr = translator_for(3)
        src_v, tgt_v = vocabs["src"], vocabs["tgt"]
        eos = tgt_v["</s>"]
        cases = []
        for source, target in WORD_CASES:
            src_ids = src_v(source.split(" "))
            trg_ids = tgt_v(target.split(" ") + ["</s>"])
            forced = onmt_forced(model, vocabs, src_ids, trg_ids)
            batch = {"src": torch.tensor([src_ids]).unsqueeze(-1), "srclen": torch.tensor([len(src_ids)]),
                     "indices": torch.tensor([0])}
            max_len = int(min(gopt.max_length, len(src_ids) * gopt.max_length_ratio + 5))
            res = greedy_tr.translate_batch(batch, attn_debug=True)
            ids = [int(i) for i in res["predictions"][0][0].tolist()]
            gforced = onmt_forced(model, vocabs, src_ids, ids)
            glp = [gforced["log_probs"][t][i] for t, i in enumerate(ids)]
            bres = beam_tr.translate_batch(batch, attn_debug=False)
            beams = [[int(i) for i in p.tolist()] for p in bres["predictions"][0]]
            bscores = [float(s) for s in bres["scores"][0]]
            cases.append({
                "source": source, "source_tokens": [src_v.lookup_index(i) for i in src_ids],
                "source_ids": src_ids, "target": target, "target_ids": trg_ids,
                "start_id": tgt_v[vocabs["decoder_start_token"]],
                "log_probs": forced["log_probs"], "cross_attention": forced["cross_attention"],
                "decoder_self_attention": forced["decoder_self_attention"],
                "encoder_self_attention": forced["encoder_self_attention"],
                "tool_attention": forced["tool_attention"],
                "greedy": {"max_length": max_len, "ids": ids, "log_probs": glp,
                           "ends_with_eos": bool(ids and ids[-1] == eos)},
                "beam": {"width": 3, "ids": beams, "scores": bscores,
                         "settings": {"length_penalty": bopt.length_penalty, "alpha": bopt.alpha,
                                      "beta": bopt.beta, "coverage_penalty": bopt.coverage_penalty,
                                      "min_length": bopt.min_length, "max_length": max_len,
                                      "max_length_ratio": bopt.max_length_ratio, "ratio": bopt.ratio,
                                      "ban_unk_token": bopt.ban_unk_token, "n_best": 3,
                                      "block_ngram_repeat": bopt.block_ngram_repeat}}})
        models.append({"name": name, "toolkit": "onmt", "path": f"tests/data/transformer/{name}/{ckpt_name}",
                       "options": case["opts"], "covers": case["covers"],
                       "vocab": {"src": list(src_v.ids_to_tokens), "trg": list(tgt_v.ids_to_tokens),
                                 "bos": tgt_v["<s>"], "eos": eos, "pad": tgt_v["<blank>"],
                                 "unk": tgt_v["<unk>"]},
                       "cases": cases})
        print("onmt", name, [c["greedy"]["ids"] for c in cases], flush=True)
    write_part(part, models)


def load_onmt_fixture(path):
    """An OpenNMT-py fixture checkpoint through its own load_test_model (the sinusoid tables at
    full size: its loader is strict); OpenNMT-py importable. Returns its vocabs and the model."""
    import torch
    import onmt.opts as opts
    from onmt.model_builder import load_test_model
    from onmt.modules.embeddings import PositionalEncoding
    from onmt.utils.parse import ArgumentParser
    tparser = ArgumentParser(description="translate")
    opts.translate_opts(tparser)
    with tempfile.TemporaryDirectory() as scratch:
        ckpt = torch.load(path, map_location="cpu")
        model_opt = ArgumentParser.ckpt_model_opts(ckpt["opt"])
        full = {}
        for k in pe_keys(ckpt["model"]):
            pe = PositionalEncoding(ckpt["model"][k].size(-1), enc_type=model_opt.position_encoding_type)
            full[k] = pe.pe
        holder = types.SimpleNamespace(state_dict=lambda: full)
        restored = restore_pe(path, "model", holder, scratch)
        topt = tparser.parse_args(["-model", str(restored), "-src", "x"])
        vocabs, model, _ = load_test_model(topt, device_id=0)
    model.eval()
    return vocabs, model


def verify_onmt(onmt_root, models):
    enter_toolkit(onmt_root)
    worst = 0.0
    for m in models:
        vocabs, model = load_onmt_fixture(ROOT / m["path"])
        model.float()
        for c in m["cases"]:
            forced = onmt_forced(model, vocabs, c["source_ids"], c["target_ids"])
            worst = max(worst, compare(m["name"], c, forced))
    return worst


# --- Hugging Face Marian ---------------------------------------------------------------------

def install_hf_stubs():
    """What inference of a local Marian folder never uses: torch_mlu (the source copy imports it),
    huggingface_hub (downloads), tokenizers (fast tokenizers); the dependency check."""
    sys.path.insert(0, str(ROOT / "tools"))
    from make_toolkit_fixtures import _StubFinder, _Anything
    import torch
    mlu = types.ModuleType("torch_mlu")
    sys.modules["torch_mlu"] = mlu
    torch.mlu = types.SimpleNamespace(is_available=lambda: False, device_count=lambda: 0)

    class _Hub(_Anything):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            if name.endswith("Error") or name.endswith("Exception"):
                value = type(name, (Exception,), {})
            elif name[:1].islower():
                value = lambda *a, **k: None  # noqa: E731
            else:
                value = type(name, (), {"__init__": lambda self, *a, **k: None})
            setattr(self, name, value)
            return value

    class _HubFinder(_StubFinder):
        def create_module(self, spec):
            module = _Hub(spec.name)
            module.__path__ = []
            module.__version__ = "0.13.0"
            return module

    sys.meta_path.insert(0, _HubFinder(["huggingface_hub", "tokenizers", "torch_mlu"]))
    check = types.ModuleType("transformers.dependency_versions_check")
    check.dep_version_check = lambda *a, **k: None
    sys.modules["transformers.dependency_versions_check"] = check


def save_safetensors(tensors, path):
    """The safetensors layout: 8-byte little-endian header length, JSON header, raw data."""
    import torch
    names = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def load_safetensors(path):
    import numpy as np
    import torch
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    dt = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dt[h["dtype"]]).copy()
                                     ).reshape(h["shape"])
    return out


MARIAN_CASES_SPEC = {
    "marian-opus-swish": dict(activation="swish", scale=True, layers=(2, 2), weights="bin", separate=False, eos_boost=4.0,
                              covers=["post-norm", "no-final-layer-norm", "swish", "scale-sqrt-d",
                                      "sinusoidal-halves-generated", "tied-embeddings", "tied-softmax",
                                      "final-logits-bias", "shared-vocab", "start-pad", "ban-pad",
                                      "eps-1e-5", "qkv-bias", "ffn-bias", "pytorch_model.bin"]),
    "marian-gelu-noscale-safetensors-1x3": dict(activation="gelu", scale=False, layers=(1, 3), weights="safetensors",
                                                separate=False, eos_boost=2.5,
                                                covers=["post-norm", "gelu", "no-scale", "final-logits-bias",
                                                        "model.safetensors", "1+3-layers", "shared-vocab"]),
    "marian-separate-vocabs": dict(activation="swish", scale=True, layers=(2, 2), weights="bin", separate=True, eos_boost=-1.0,
                                   covers=["post-norm", "swish", "separate-vocab", "untied-encoder-decoder",
                                           "tied-softmax", "final-logits-bias", "target_vocab.json"]),
    # Files written by older transformers releases may store model.*.embed_positions.weight; from_pretrained uses
    # what is stored: tables other than the sinusoid, read back by MarianMTModel itself.
    "marian-stored-positions": dict(activation="gelu", scale=True, layers=(1, 2), weights="bin", separate=False,
                                    eos_boost=3.0, stored_positions=True,
                                    covers=["post-norm", "stored-position-tables", "learned-positions",
                                            "pytorch_model.bin", "1+2-layers"]),
}

MARIAN_SENTENCES = [("Hello!", "Salut !"), ("I am cold.", "J'ai froid."),
                    ("Tom is sad.", "Tom est triste.")]


def train_spm(lines, prefix, size):
    """spm_train in the prefix's directory with relative names: the model records its input's
    name and prefix, which stay the same from run to run."""
    prefix = Path(prefix)
    name = prefix.name + ".txt"
    (prefix.parent / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run(["spm_train", f"--input={name}", f"--model_prefix={prefix.name}", f"--vocab_size={size}",
                    "--model_type=unigram", "--character_coverage=1.0", "--seed_sentencepiece_size=10000",
                    "--num_threads=1", "--minloglevel=2", "--normalization_rule_name=identity"], check=True, cwd=prefix.parent)


def marian_pieces(spm_path):
    import sentencepiece
    sp = sentencepiece.SentencePieceProcessor(model_file=str(spm_path))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())
            if not (sp.is_control(i) or sp.is_unknown(i))]


def opus_vocab(pieces):
    """opus-mt's vocab.json: </s> 0, <unk> 1, the pieces, <pad> last (= pad/decoder start)."""
    vocab = {"</s>": 0, "<unk>": 1}
    for p in pieces:
        if p not in vocab:
            vocab[p] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab


def opus_config(name, spec, vocab_size, decoder_vocab_size):
    pad = vocab_size - 1
    return {
        "_name_or_path": f"attnviz/{name}", "activation_dropout": 0.0,
        "activation_function": spec["activation"], "add_bias_logits": False, "add_final_layer_norm": False,
        "architectures": ["MarianMTModel"], "attention_dropout": 0.0, "bad_words_ids": [[pad]],
        "bos_token_id": 0, "classif_dropout": 0.0, "classifier_dropout": 0.0, "d_model": 16,
        "decoder_attention_heads": 4, "decoder_ffn_dim": 32, "decoder_layerdrop": 0.0,
        "decoder_layers": spec["layers"][1], "decoder_start_token_id": pad,
        "decoder_vocab_size": decoder_vocab_size, "dropout": 0.0, "encoder_attention_heads": 4,
        "encoder_ffn_dim": 32, "encoder_layerdrop": 0.0, "encoder_layers": spec["layers"][0],
        "eos_token_id": 0, "forced_eos_token_id": 0, "gradient_checkpointing": False,
        "id2label": {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}, "init_std": 0.02,
        "is_encoder_decoder": True, "label2id": {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2},
        "max_length": 64, "max_position_embeddings": 64, "model_type": "marian",
        "normalize_before": False, "normalize_embedding": False, "num_beams": 4,
        "num_hidden_layers": spec["layers"][0], "pad_token_id": pad,
        "scale_embedding": spec["scale"], "share_encoder_decoder_embeddings": not spec["separate"],
        "static_position_embeddings": True, "torch_dtype": "float32",
        "transformers_version": HF_VERSION, "use_cache": True, "vocab_size": vocab_size,
    }


def marian_forced(model, src_ids, trg_ids, start):
    import torch
    with torch.no_grad():
        out = model(input_ids=torch.tensor([src_ids]), attention_mask=torch.ones(1, len(src_ids), dtype=torch.long),
                    decoder_input_ids=torch.tensor([[start] + trg_ids[:-1]]), output_attentions=True,
                    return_dict=True)
    return {"log_probs": torch.log_softmax(out.logits, dim=-1)[0].tolist(),
            "cross_attention": [a[0].tolist() for a in out.cross_attentions],
            "decoder_self_attention": [a[0].tolist() for a in out.decoder_attentions],
            "encoder_self_attention": [a[0].tolist() for a in out.encoder_attentions]}


def store_position_tables(model, d, seed):
    """Adds the two position tables to pytorch_model.bin (the sinusoid plus noise, so that using
    them shows) and returns the model as MarianMTModel.from_pretrained reads the folder again."""
    import torch
    from transformers import MarianMTModel
    gen = torch.Generator().manual_seed(seed)
    sd = torch.load(d / "pytorch_model.bin")
    for side in ("encoder", "decoder"):
        table = getattr(model.model, side).embed_positions.weight.detach()
        sd[f"model.{side}.embed_positions.weight"] = table + 0.5 * torch.randn(table.shape, generator=gen)
    torch.save(sd, d / "pytorch_model.bin")
    reread = MarianMTModel.from_pretrained(str(d))
    reread.eval()
    for side in ("encoder", "decoder"):
        assert torch.equal(getattr(reread.model, side).embed_positions.weight, sd[f"model.{side}.embed_positions.weight"]), \
            "from_pretrained did not use the stored position table"
    return reread


def make_marian(hf_root, part):
    import torch
    sys.path.insert(0, str(hf_root / "src"))
    install_hf_stubs()
    torch.set_num_threads(1)
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    pairs = [l.split("\t")[:2] for l in Path("/work/shared/data/eng-fra.txt").read_text(encoding="utf-8").splitlines()]
    pairs = pairs[1000:2500]
    models = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        train_spm([p[0] for p in pairs], scratch / "source", 100)
        train_spm([p[1] for p in pairs], scratch / "target", 100)
        src_pieces, trg_pieces = marian_pieces(scratch / "source.model"), marian_pieces(scratch / "target.model")
        for index, (name, spec) in enumerate(MARIAN_CASES_SPEC.items()):
            d = OUT / name
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            shutil.copy(scratch / "source.model", d / "source.spm")
            shutil.copy(scratch / "target.model", d / "target.spm")
            if spec["separate"]:
                src_vocab, trg_vocab = opus_vocab(src_pieces), opus_vocab(trg_pieces)
                # one pad id for both sides (config.pad_token_id): the same size
                assert len(src_vocab) == len(trg_vocab)
                (d / "vocab.json").write_text(json.dumps(src_vocab, ensure_ascii=False, indent=2), encoding="utf-8")
                (d / "target_vocab.json").write_text(json.dumps(trg_vocab, ensure_ascii=False, indent=2),
                                                     encoding="utf-8")
                tok_cfg = {"separate_vocabs": True}
            else:
                src_vocab = trg_vocab = opus_vocab(src_pieces + trg_pieces)
                (d / "vocab.json").write_text(json.dumps(src_vocab, ensure_ascii=False, indent=2), encoding="utf-8")
                tok_cfg = {}
            tok_cfg.update({"source_lang": "en", "target_lang": "fr", "model_max_length": 512,
                            "sp_model_kwargs": {}, "tokenizer_class": "MarianTokenizer",
                            "unk_token": "<unk>", "eos_token": "</s>", "pad_token": "<pad>"})
            (d / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=2) + "\n", encoding="utf-8")
            (d / "special_tokens_map.json").write_text(json.dumps(
                {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}) + "\n", encoding="utf-8")
            cfg = opus_config(name, spec, len(src_vocab), len(trg_vocab))
            config = MarianConfig(**cfg)
            torch.manual_seed(5000 + index)
            model = MarianMTModel(config)
            randomize(model, 5000 + index, extra_buffers=[model.final_logits_bias])
            model.final_logits_bias[0, 0] += spec["eos_boost"]  # </s> = 0: random models rarely stop
            model.eval()
            model.save_pretrained(d)
            # config.json as opus-mt's: every key (save_pretrained writes only the non-defaults)
            (d / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            for junk in ("generation_config.json",):
                if (d / junk).exists():
                    (d / junk).unlink()
            if spec["weights"] == "safetensors":
                sd = torch.load(d / "pytorch_model.bin")
                save_safetensors(sd, d / "model.safetensors")
                (d / "pytorch_model.bin").unlink()
            if spec.get("stored_positions"):
                model = store_position_tables(model, d, 7000 + index)
            tokenizer = MarianTokenizer.from_pretrained(str(d))
            start = config.decoder_start_token_id
            cases = []
            for source, target in MARIAN_SENTENCES:
                src_ids = tokenizer(source).input_ids
                trg_ids = tokenizer(text_target=target).input_ids
                forced = marian_forced(model, src_ids, trg_ids, start)
                max_len = 2 * len(src_ids) + 2
                inputs = {"input_ids": torch.tensor([src_ids]),
                          "attention_mask": torch.ones(1, len(src_ids), dtype=torch.long)}
                with torch.no_grad():
                    g = model.generate(**inputs, num_beams=1, do_sample=False, max_length=max_len)
                ids = g[0].tolist()[1:]
                gforced = marian_forced(model, src_ids, ids, start)
                glp = [gforced["log_probs"][t][i] for t, i in enumerate(ids)]
                with torch.no_grad():
                    b = model.generate(**inputs, num_beams=3, num_return_sequences=3, do_sample=False,
                                       max_length=max_len, output_scores=True, return_dict_in_generate=True)
                beams = []
                for row in b.sequences.tolist():
                    row = row[1:]
                    while row and row[-1] == config.pad_token_id:
                        row.pop()
                    beams.append(row)
                # (MarianTokenizer's convert_ids_to_tokens reads the target vocabulary)
                src_names = {v: k for k, v in src_vocab.items()}
                src_tokens = [src_names[i] for i in src_ids]
                cases.append({
                    "source": source, "source_tokens": src_tokens, "source_ids": src_ids,
                    "target": target, "target_tokens": tokenizer.convert_ids_to_tokens(trg_ids),
                    "target_ids": trg_ids, "start_id": start,
                    "log_probs": forced["log_probs"], "cross_attention": forced["cross_attention"],
                    "decoder_self_attention": forced["decoder_self_attention"],
                    "encoder_self_attention": forced["encoder_self_attention"],
                    "greedy": {"max_length": max_len, "ids": ids, "log_probs": glp,
                               "settings": {"num_beams": 1, "do_sample": False, "max_length": max_len,
                                            "note": "max_length counts the start token"}},
                    "beam": {"width": 3, "ids": beams, "scores": [float(s) for s in b.sequences_scores.tolist()],
                             "settings": {"num_beams": 3, "num_return_sequences": 3, "length_penalty": 1.0,
                                          "early_stopping": False, "max_length": max_len, "min_length": 0,
                                          "bad_words_ids": [[config.pad_token_id]], "forced_eos_token_id": 0,
                                          "no_repeat_ngram_size": 0}}})
            models.append({"name": name, "toolkit": "marian", "path": f"tests/data/transformer/{name}",
                           "covers": spec["covers"],
                           "vocab": {"eos": 0, "unk": 1, "pad": config.pad_token_id,
                                     "size": len(src_vocab), "decoder_size": len(trg_vocab)},
                           "files": sorted(f.name for f in d.iterdir()),
                           "cases": cases})
            print("marian", name, [c["greedy"]["ids"] for c in cases], flush=True)
    write_part(part, models)


def load_marian_fixture(d):
    """A Marian folder through MarianMTModel.from_pretrained (transformers importable), in eval mode."""
    from transformers import MarianConfig, MarianMTModel
    if (d / "model.safetensors").exists():
        # transformers 4.27 reads safetensors only through the safetensors package (not on
        # Debian): the file is read by load_safetensors above and given to from_pretrained
        config = MarianConfig.from_pretrained(str(d))
        model = MarianMTModel.from_pretrained(None, config=config, state_dict=load_safetensors(d / "model.safetensors"))
    else:
        model = MarianMTModel.from_pretrained(str(d))
    model.eval()
    return model


def verify_marian(hf_root, models):
    import torch
    sys.path.insert(0, str(hf_root / "src"))
    install_hf_stubs()
    torch.set_num_threads(1)
    from transformers import MarianTokenizer
    worst = 0.0
    for m in models:
        d = ROOT / m["path"]
        tokenizer = MarianTokenizer.from_pretrained(str(d))
        model = load_marian_fixture(d)
        for c in m["cases"]:
            assert tokenizer(c["source"]).input_ids == c["source_ids"], (m["name"], c["source"])
            forced = marian_forced(model, c["source_ids"], c["target_ids"], c["start_id"])
            worst = max(worst, compare(m["name"], c, forced))
    return worst


# --- checks, the golden file -----------------------------------------------------------------

def compare(name, case, forced):
    worst = 0.0
    for key in ("log_probs", "cross_attention", "decoder_self_attention", "encoder_self_attention"):
        a, b = flat(case[key]), flat(forced[key])
        assert len(a) == len(b), (name, key, len(a), len(b))
        d = max(abs(x - y) / max(1.0, abs(y)) for x, y in zip(a, b))
        assert d < EPS, f"{name} {case['source']!r} {key}: reloaded model differs by {d}"
        worst = max(worst, d)
    return worst


def flat(x):
    if isinstance(x, list):
        return [y for z in x for y in flat(z)]
    return [float(x)]


def sanity(models):
    """No NaN, attention not uniform, and what notes.tool_attention says about each toolkit."""
    for m in models:
        for c in m["cases"]:
            if m["toolkit"] in ("joey", "onmt"):
                last = c["cross_attention"][-1]
                heads = len(last)
                if m["toolkit"] == "joey":  # mean over the heads of the last layer
                    expect = [[sum(last[h][t][s] for h in range(heads)) / heads for s in range(len(last[0][t]))]
                              for t in range(len(last[0]))]
                else:  # head 0 of the last layer
                    expect = last[0]
                d = max(abs(a - b) for a, b in zip(flat(expect), flat(c["tool_attention"])))
                assert d < 1e-6, (m["name"], c["source"], "tool_attention is not what the notes say", d)
            values = flat(c["log_probs"]) + flat(c["cross_attention"])
            assert all(math.isfinite(v) for v in values), (m["name"], c["source"], "NaN/inf")
            # attention not uniform: some row's max clearly above 1/len
            cross = c["cross_attention"]
            peak = max(max(row) for layer in cross for head in layer for row in head)
            assert peak > 1.5 / len(c["source_ids"]) or len(c["source_ids"]) == 1, (m["name"], "uniform attention")


def round_all(models):
    for m in models:
        for c in m["cases"]:
            c["log_probs"] = nested(c["log_probs"])
            for key in ("cross_attention", "decoder_self_attention", "encoder_self_attention", "tool_attention"):
                if key in c:
                    c[key] = nested(c[key], p8)
            c["greedy"]["log_probs"] = nested(c["greedy"]["log_probs"])
            c["beam"]["scores"] = nested(c["beam"]["scores"])
    return models


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("joey", type=Path)
    parser.add_argument("onmt", type=Path)
    parser.add_argument("hf", type=Path)
    parser.add_argument("--part", choices=["joey", "onmt", "marian"], help=argparse.SUPPRESS)
    parser.add_argument("--verify", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out-part", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    roots = {"joey": args.joey.resolve(), "onmt": args.onmt.resolve(), "marian": args.hf.resolve()}
    if args.part and args.verify:
        models = [m for m in json.loads(args.verify.read_text())["models"] if m["toolkit"] == args.part]
        worst = {"joey": verify_joey, "onmt": verify_onmt, "marian": verify_marian}[args.part](roots[args.part], models)
        print(f"verified {args.part}: {len(models)} models reloaded, largest difference {worst:.2e}")
        return
    if args.part:
        {"joey": make_joey, "onmt": make_onmt, "marian": make_marian}[args.part](roots[args.part], args.out_part)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    models = []
    with tempfile.TemporaryDirectory() as scratch:
        for part in ("joey", "onmt", "marian"):
            out = Path(scratch) / f"{part}.json"
            subprocess.run([sys.executable, __file__, *map(str, roots.values()), "--part", part,
                            "--out-part", str(out)], check=True)
            models += json.loads(out.read_text())
    sanity(models)
    golden = {"generator": "tools/make_transformer_fixtures.py",
              "toolkits": {"joey": {"version": JOEY_VERSION, "commit": JOEY_COMMIT,
                                    "source": "github.com/joeynmt/joeynmt tag v2.3"},
                           "onmt": {"version": ONMT_VERSION, "commit": ONMT_COMMIT,
                                    "source": "github.com/OpenNMT/OpenNMT-py tag v3.5.1"},
                           "marian": {"version": HF_VERSION, "source": HF_SOURCE},
                           "torch": "1.13 (Debian python3-torch)"},
              "notes": NOTES, "models": round_all(models)}
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    with open(GOLDEN, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    for part in ("joey", "onmt", "marian"):
        subprocess.run([sys.executable, __file__, *map(str, roots.values()), "--part", part,
                        "--verify", str(GOLDEN)], check=True)


if __name__ == "__main__":
    main()
