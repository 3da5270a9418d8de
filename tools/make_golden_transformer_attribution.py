#!/usr/bin/python3
"""PyTorch references for attribution through transformers (issues #20, #23): float64 autograd
through the toolkits' own modules (Joey NMT 2.3, OpenNMT-py 3.5.1, Hugging Face MarianMTModel
of transformers 4.27.1) on every tiny fixture of tests/golden/transformer.json.

    /usr/bin/python3 tools/make_golden_transformer_attribution.py JOEY_CHECKOUT ONMT_CHECKOUT HF_CHECKOUT
    # writes tests/golden/transformer_attribution.json
    ... --bench-folder DIR --sentence TEXT --kind attribute-gradient|attribute-ig50
        # one Hugging Face Marian folder's own greedy translation attributed, timed like
        # bench/bench_engine (tools/bench_torch.py runs it for the bench's eng-fra-marian cases)

Each toolkit loads its fixture as tools/make_transformer_fixtures.py verifies it, converted to
float64. The source embeddings e_j are the output of the source nn.Embedding lookup (the rows of
the table, before the toolkit's sqrt(d) scale and its positions): a forward hook on that module
replaces its first output in a pass (the encoder's lookup; tied and shared tables use the same
module for the target afterwards, which is left alone) by a leaf, or by the rows an attribution
method needs. The forced output is the first golden case's target (start token, then the target
without its last token, fed as the toolkits feed it in training). For each step i
torch.autograd.grad gives d log p_i / d e_j, and from those and forward passes:

    occlusion             log p_i - log p_i(e_j = 0)
    leave-one-out         log p_i - log p_i(token j removed from the source ids)
    gradient              || d log p_i / d e_j ||_2
    input-x-gradient      (d log p_i / d e_j) . e_j
    integrated-gradients  e_j . (1/m) sum_{k=1..m} d log p_i / d e_j at (k/m) e   (m = STEPS)

plus the gradient rows of step 0 and the IG completeness terms. tst_transformer_attribution
compares the engine's double tape with them to 1e-6.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_transformer_fixtures as fx  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "transformer_attribution.json"
STEPS = 8


class SourceHook:
    """On the source embedding module: the first lookup of a pass returns replace(output)."""

    def __init__(self, module):
        self.replace = None
        self.armed = False
        self.captured = None
        module.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output):
        if not self.armed:
            return None
        self.armed = False
        self.captured = output.detach().clone()
        if self.replace is None:
            return None
        return self.replace(output)


def joey_load(joey_root, m):
    import torch
    fx.enter_toolkit(joey_root)
    model, _, _ = fx.load_joey_fixture(ROOT / m["path"])
    model.double()
    hook = SourceHook(model.src_embed.lut)

    def forced(src_ids, trg_ids):
        src = torch.tensor([src_ids])
        src_mask = torch.ones(1, 1, len(src_ids), dtype=torch.bool)
        trg_input = torch.tensor([[m["cases"][0]["start_id"]] + trg_ids[:-1]])
        hook.armed = True
        encoder_output, encoder_hidden, _, _ = model(return_type="encode", src=src,
                                                     src_length=torch.tensor([len(src_ids)]), src_mask=src_mask)
        outputs, _, _, _ = model(return_type="decode", trg_input=trg_input, encoder_output=encoder_output,
                                 encoder_hidden=encoder_hidden, src_mask=src_mask, unroll_steps=trg_input.size(1),
                                 trg_mask=torch.ones_like(trg_input, dtype=torch.bool).unsqueeze(1))
        return torch.log_softmax(outputs, dim=-1)[0]
    return forced, hook, model


def onmt_load(onmt_root, m):
    import torch
    fx.enter_toolkit(onmt_root)
    vocabs, model = fx.load_onmt_fixture(ROOT / m["path"])
    model.double()
    hook = SourceHook(model.encoder.embeddings.word_lut)
    start = vocabs["tgt"][vocabs["decoder_start_token"]]

    def forced(src_ids, trg_ids):
        src = torch.tensor([src_ids]).unsqueeze(-1)
        tgt = torch.tensor([[start] + trg_ids[:-1]]).unsqueeze(-1)
        src_len = torch.tensor([len(src_ids)])
        hook.armed = True
        enc_out, enc_final_hs, src_len = model.encoder(src, src_len)
        model.decoder.init_state(src, enc_out, enc_final_hs)
        dec_out, _ = model.decoder(tgt, enc_out, src_len=src_len, step=None)
        return torch.log_softmax(model.generator(dec_out), dim=-1)[0]
    return forced, hook, model


def marian_load(hf_root, m):
    import torch
    sys.path.insert(0, str(hf_root / "src"))
    fx.install_hf_stubs()
    torch.set_num_threads(1)
    model = fx.load_marian_fixture(ROOT / m["path"])
    model.double()
    hook = SourceHook(model.model.encoder.embed_tokens)
    start = m["cases"][0].get("start_id", model.config.decoder_start_token_id)

    def forced(src_ids, trg_ids):
        hook.armed = True
        out = model(input_ids=torch.tensor([src_ids]), attention_mask=torch.ones(1, len(src_ids), dtype=torch.long),
                    decoder_input_ids=torch.tensor([[start] + trg_ids[:-1]]), return_dict=True, use_cache=False)
        return torch.log_softmax(out.logits, dim=-1)[0]
    return forced, hook, model


LOADERS = {"joey": joey_load, "onmt": onmt_load, "marian": marian_load}


class Forced:
    def __init__(self, forced, hook, src_ids, trg_ids):
        self.forced, self.hook, self.src, self.trg = forced, hook, src_ids, trg_ids

    def log_probs(self, rows=None, src_ids=None):
        """log p_i of the forced target [I], with the source lookup replaced by rows [T, d]."""
        import torch
        self.hook.replace = None if rows is None else (lambda out: rows.reshape(out.shape))
        lp = self.forced(src_ids or self.src, self.trg)
        self.hook.replace = None
        return lp[torch.arange(len(self.trg)), torch.tensor(self.trg)]

    def gradients(self, rows):
        import torch
        leaf = rows.clone().requires_grad_(True)
        lp = self.log_probs(leaf)
        grads = [torch.autograd.grad(lp[i], leaf, retain_graph=i + 1 < len(self.trg))[0] for i in range(len(self.trg))]
        return lp.detach(), torch.stack(grads)  # [I], [I, T, d]


def attribute(f):
    import torch
    with torch.no_grad():
        base = f.log_probs()
        rows = f.hook.captured[0]  # the lookup's own output: the table rows
    lp, grads = f.gradients(rows)
    assert torch.allclose(lp, base, rtol=0, atol=1e-12)
    I, T = grads.shape[0], grads.shape[1]
    out = {"log_probs": base.tolist(),
           "gradient": grads.norm(dim=2).tolist(),
           "input-x-gradient": (grads * rows).sum(2).tolist(),
           "gradient_rows_step0": grads[0].tolist()}
    with torch.no_grad():
        occ = []
        for j in range(T):
            r = rows.clone()
            r[j] = 0
            occ.append((base - f.log_probs(r)).tolist())
        out["occlusion"] = [list(x) for x in zip(*occ)]
        loo = []
        for j in range(T):
            ids = f.src[:j] + f.src[j + 1:]
            loo.append((base - f.log_probs(src_ids=ids)).tolist() if ids else [float("nan")] * I)
        out["leave-one-out"] = [list(x) for x in zip(*loo)]
    total = torch.zeros_like(grads)
    for k in range(1, STEPS + 1):
        total += f.gradients(rows * (k / STEPS))[1]
    ig = (total * rows).sum(2) / STEPS
    with torch.no_grad():
        zero = f.log_probs(torch.zeros_like(rows))
    out["integrated-gradients"] = ig.tolist()
    out["completeness_sum"] = ig.sum(1).tolist()
    out["completeness_target"] = (base - zero).tolist()
    return out


def part(toolkit, root, models, out_path):
    import torch
    torch.set_num_threads(1)
    results = []
    for m in models:
        forced, hook, _ = LOADERS[toolkit](root, m)
        c = m["cases"][0]
        f = Forced(forced, hook, c["source_ids"], c["target_ids"])
        golden = attribute(f)
        # the float64 pass reproduces the float32 golden log-probs of the fixture
        ref = [row[y] for row, y in zip(c["log_probs"], c["target_ids"])]
        worst = max(abs(a - b) for a, b in zip(golden["log_probs"], ref))
        assert worst < 1e-4, (m["name"], worst)
        results.append({"name": m["name"], "toolkit": toolkit, "path": m["path"], "source": c["source"],
                        "source_ids": c["source_ids"], "target_ids": c["target_ids"], **golden})
    Path(out_path).write_text(json.dumps(results))


def bench_folder(hf_root, folder, sentence, kind):
    """PyTorch autograd doing what the engine's attribute() does for a Marian folder's own greedy
    translation: one torch.autograd.grad per output token at each of 1 (gradient) or 50 (IG)
    scaled inputs, float64 as the engine's tape; the median as tools/bench_torch.py measures."""
    import torch
    sys.path.insert(0, str(hf_root / "src"))
    fx.install_hf_stubs()
    from transformers import MarianTokenizer
    import bench_torch
    tokenizer = MarianTokenizer.from_pretrained(str(folder))
    source_ids = tokenizer(sentence).input_ids
    forced, hook, model = marian_load(hf_root, {"path": str(Path(folder).resolve()), "cases": [{}]})
    with torch.no_grad():
        generated = model.generate(torch.tensor([source_ids]), num_beams=1, max_length=64)[0].tolist()
    f = Forced(forced, hook, source_ids, generated[1:])  # without the start token
    with torch.no_grad():
        f.log_probs()
    rows = hook.captured[0]
    steps = 50 if kind == "attribute-ig50" else 1

    def run():
        for k in range(1, steps + 1):
            f.gradients(rows * (k / steps))
    out = {"case": None, **bench_torch.measure(run), "tokens": len(f.trg)}
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("joey", type=Path)
    parser.add_argument("onmt", type=Path)
    parser.add_argument("hf", type=Path)
    parser.add_argument("--bench-folder", type=Path, help="time one Marian folder's attribution instead")
    parser.add_argument("--sentence", help="with --bench-folder: the sentence")
    parser.add_argument("--kind", choices=["attribute-gradient", "attribute-ig50"], default="attribute-gradient")
    parser.add_argument("--part", choices=list(LOADERS), help=argparse.SUPPRESS)
    parser.add_argument("--out-part", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    roots = {"joey": args.joey.resolve(), "onmt": args.onmt.resolve(), "marian": args.hf.resolve()}
    if args.bench_folder:
        bench_folder(roots["marian"], args.bench_folder, args.sentence, args.kind)
        return
    models = json.loads(fx.GOLDEN.read_text())["models"]
    if args.part:
        part(args.part, roots[args.part], [m for m in models if m["toolkit"] == args.part], args.out_part)
        return
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for toolkit in LOADERS:  # one process per toolkit: their stubs and imports do not mix
            out = Path(scratch) / f"{toolkit}.json"
            subprocess.run([sys.executable, __file__, *map(str, roots.values()), "--part", toolkit,
                            "--out-part", str(out)], check=True)
            results += json.loads(out.read_text())
    golden = {"generator": "tools/make_golden_transformer_attribution.py",
              "steps": STEPS,
              "notes": "float64 autograd through each toolkit's modules; e_j = the source nn.Embedding "
                       "lookup's output (before the sqrt(d) scale); values [step][source position]; "
                       "gradient_rows_step0 [source position][d]; leave-one-out of a one-token source is null",
              "models": results}
    text = json.dumps(golden, separators=(",", ":")).replace("NaN", "null")
    GOLDEN.write_text(text + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)}: {len(results)} models, {len(text)} bytes")


if __name__ == "__main__":
    main()
