#!/usr/bin/python3
"""Train an attnviz seq2seq model on a tab-separated pairs file, on the CPU.

    /usr/bin/python3 tools/train.py --data data/eng-fra.txt --arch bahdanau \
        --out sample_models/eng-fra-bahdanau.safetensors --epochs 30

Writes the model file and a model card (<model>.md) beside it. A checkpoint is
saved after every epoch (``--ckpt-dir``, default ``<out>.ckpt/``) and a run
started again with the same arguments resumes from it.

With ``--save-every N``, an attnviz model file is also written before training,
after every N batches and after the last, ``model_step_<batches>.safetensors`` in ``--run-dir``
(default ``<out without .safetensors>.run/``): a training run that attnviz opens
(File > Open training run..., ``attnviz-cli timeline --run DIR``).
"""

import argparse
import collections
import copy
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402
from reference import forced, greedy  # noqa: E402

SOS, EOS, UNK = "SOS", "EOS", "UNK"


def parse_args(argv=None):
    return build_parser().parse_args(argv)


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="pairs file: source<TAB>target per line")
    p.add_argument("--arch", required=True, choices=at.ARCHITECTURES)
    p.add_argument("--out", required=True, help="model file to write (.safetensors)")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--held-out", type=float, default=0.05, help="share of source sentences held out")
    p.add_argument("--min-count", type=int, default=2, help="rarer training words become UNK")
    p.add_argument("--normalization", choices=("tutorial", "none"), default="tutorial")
    p.add_argument("--luong-score", choices=("dot", "general"), default="general")
    p.add_argument("--max-length", type=int, default=0, help="tutorial_legacy: attention slots (default: hidden size)")
    p.add_argument("--combine-activation", choices=("relu", "none"), default="none")
    p.add_argument("--dtype", choices=("F32", "F16"), default="F16")
    p.add_argument("--name", default="")
    p.add_argument("--description", default="")
    p.add_argument("--source-language", default="")
    p.add_argument("--target-language", default="")
    p.add_argument("--data-note", default="", help="data source and license, for the model card")
    p.add_argument("--ckpt-dir", default="")
    p.add_argument("--save-every", type=int, default=0,
                   help="also write an attnviz model file every N batches (and before the first) into --run-dir")
    p.add_argument("--run-dir", default="", help="where --save-every writes (default: <out>.run/)")
    p.add_argument("--test-data", default="", help="held-out pairs file (instead of splitting --data)")
    p.add_argument("--test-gold", default="", help="Pharaoh gold alignments of --test-data, one line per pair: "
                   "the card then reports how often the attention argmax hits the gold source word")
    return p


def read_pairs(path, mode):
    pairs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            s, t = at.tokenize(parts[0], mode), at.tokenize(parts[1], mode)
            if s and t:
                pairs.append((s, t))
    return pairs


def split_pairs(pairs, share, seed):
    """Hold out whole source sentences, so no held-out source was seen in training."""
    groups = collections.OrderedDict()
    for s, t in pairs:
        groups.setdefault(tuple(s), []).append(t)
    keys = list(groups)
    random.Random(seed).shuffle(keys)
    n_test = int(round(len(keys) * share))
    test_keys = set(keys[:n_test])
    train = [(s, t) for s, t in pairs if tuple(s) not in test_keys]
    test = [(list(k), groups[k]) for k in keys[:n_test]]  # (source, [references])
    return train, test


def make_batches(pairs, sv, tv, batch_size, rng):
    """Batches of equal source length (no encoder padding); targets padded, loss masked."""
    by_len = collections.defaultdict(list)
    for s, t in pairs:
        by_len[len(s)].append((s, t))
    batches = []
    for _, group in sorted(by_len.items()):
        rng.shuffle(group)
        for i in range(0, len(group), batch_size):
            chunk = group[i:i + batch_size]
            src = torch.tensor([[sv.index.get(w, sv.index[UNK]) for w in s] + [sv.index[EOS]] for s, _ in chunk])
            tgt_ids = [[tv.index.get(w, tv.index[UNK]) for w in t] + [tv.index[EOS]] for _, t in chunk]
            U = max(len(x) for x in tgt_ids)
            tgt_in = torch.full((len(chunk), U), tv.index[EOS], dtype=torch.long)
            tgt_out = torch.full((len(chunk), U), -100, dtype=torch.long)
            for b, ids in enumerate(tgt_ids):
                tgt_in[b, 0] = tv.index[SOS]
                tgt_in[b, 1:len(ids)] = torch.tensor(ids[:-1])
                tgt_out[b, :len(ids)] = torch.tensor(ids)
            batches.append((src, tgt_in, tgt_out))
    rng.shuffle(batches)
    return batches


def bleu4(hypotheses, references):
    """Corpus BLEU-4 (Papineni et al. 2002) with several references per sentence,
    clipped n-gram counts and the brevity penalty against the closest reference length."""
    match = [0] * 4
    total = [0] * 4
    hyp_len = ref_len = 0
    for hyp, refs in zip(hypotheses, references):
        hyp_len += len(hyp)
        ref_len += min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]
        for n in range(1, 5):
            counts = collections.Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
            max_ref = collections.Counter()
            for r in refs:
                for g, c in collections.Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1)).items():
                    max_ref[g] = max(max_ref[g], c)
            match[n - 1] += sum(min(c, max_ref[g]) for g, c in counts.items())
            total[n - 1] += max(len(hyp) - n + 1, 0)
    if min(match) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(match, total)) / 4
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / max(hyp_len, 1))
    return bp * math.exp(log_p)


NOT_IN_RESUME_KEY = ("epochs", "ckpt_dir", "threads", "save_every", "run_dir")


def resume_key(args):
    """The arguments a checkpoint must agree with to be resumed (more epochs may be asked for)."""
    return {k: v for k, v in vars(args).items() if k not in NOT_IN_RESUME_KEY}


def resume_mismatch(saved, args):
    """Names of the arguments in which a checkpoint differs from this run. An argument the
    checkpoint does not mention (it was added later) counts as its default."""
    parser = build_parser()
    current = resume_key(args)
    saved = {k: v for k, v in saved.items() if k not in NOT_IN_RESUME_KEY}
    return sorted(k for k in set(saved) | set(current)
                  if saved.get(k, parser.get_default(k)) != current.get(k, parser.get_default(k)))


def save_checkpoint(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def save_run_step(run_dir, step, model, sv, tv, config, dtype):
    """One checkpoint of the run as an attnviz model file, rounded as the final model is."""
    snapshot = copy.deepcopy(model)
    snapshot.eval()
    at.round_to_dtype_(snapshot, dtype)
    at.save_model(os.path.join(run_dir, "model_step_%d.safetensors" % step), snapshot.encoder, snapshot.decoder,
                  sv.words, tv.words, config, dtype)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ckpt_dir = args.ckpt_dir or args.out + ".ckpt"
    os.makedirs(ckpt_dir, exist_ok=True)
    ckpt_path = os.path.join(ckpt_dir, "last.pt")

    pairs = read_pairs(args.data, args.normalization)
    if args.test_data:
        train = pairs
        test_pairs = read_pairs(args.test_data, args.normalization)
        groups = collections.OrderedDict()
        for src, tgt in test_pairs:
            groups.setdefault(tuple(src), []).append(tgt)
        test = [(list(k), v) for k, v in groups.items()]
    else:
        train, test = split_pairs(pairs, args.held_out, args.seed)
    sv = at.Vocab.build([s for s, _ in train], [SOS, EOS, UNK], args.min_count)
    tv = at.Vocab.build([t for _, t in train], [SOS, EOS, UNK], args.min_count)
    config = {
        "architecture": args.arch,
        "hidden_size": args.hidden,
        "sos_token": SOS,
        "eos_token": EOS,
        "unk_token": UNK,
        "normalization": args.normalization,
    }
    if args.arch == "luong":
        config["luong_score"] = args.luong_score
    if args.arch == "tutorial_legacy":
        config["max_length"] = args.max_length or args.hidden
        config["combine_activation"] = args.combine_activation
    for key, value in (("name", args.name), ("description", args.description),
                       ("source_language", args.source_language), ("target_language", args.target_language)):
        if value:
            config[key] = value
    print("pairs %d: train %d, held-out %d sources; vocab %d / %d" % (
        len(pairs), len(train), len(test), len(sv), len(tv)), flush=True)

    model = at.Seq2Seq(config, len(sv), len(tv))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    start_epoch, history = 0, []
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        mismatch = resume_mismatch(state["args"], args)
        if mismatch:
            sys.exit("checkpoint %s was made with other values of %s; remove it to start again"
                     % (ckpt_path, ", ".join("--" + k.replace("_", "-") for k in mismatch)))
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start_epoch, history = state["epoch"], state["history"]
        print("resumed after epoch %d" % start_epoch, flush=True)

    run_dir = ""
    if args.save_every > 0:
        run_dir = args.run_dir or (args.out[:-len(".safetensors")] if args.out.endswith(".safetensors")
                                   else args.out) + ".run"
        os.makedirs(run_dir, exist_ok=True)
    steps_done = None  # batches trained before this epoch; known once the first epoch's batches are made
    for epoch in range(start_epoch, args.epochs):
        model.train()
        rng = random.Random(args.seed * 1000 + epoch)
        torch.manual_seed(args.seed * 1000 + epoch)
        batches = make_batches(train, sv, tv, args.batch, rng)
        t0 = time.time()
        loss_sum = tokens = 0
        if steps_done is None:
            steps_done = epoch * len(batches)  # the batches of an epoch do not depend on the epoch
            if run_dir and steps_done == 0:
                save_run_step(run_dir, 0, model, sv, tv, config, args.dtype)
        for bi, (src, tgt_in, tgt_out) in enumerate(batches):
            logp = model.forward_teacher(src, tgt_in)
            loss = F.nll_loss(logp.reshape(-1, logp.shape[-1]), tgt_out.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            steps_done += 1
            if run_dir and steps_done % args.save_every == 0:
                save_run_step(run_dir, steps_done, model, sv, tv, config, args.dtype)
            n = int((tgt_out != -100).sum())
            loss_sum += float(loss) * n
            tokens += n
            if bi % 50 == 0:
                print("epoch %d batch %d/%d loss %.4f (%.0fs)" % (
                    epoch + 1, bi, len(batches), loss_sum / tokens, time.time() - t0), flush=True)
        history.append(loss_sum / tokens)
        print("epoch %d done: loss %.4f in %.0fs" % (epoch + 1, history[-1], time.time() - t0), flush=True)
        save_checkpoint(ckpt_path, {
            "args": resume_key(args),
            "model": model.state_dict(), "optimizer": opt.state_dict(),
            "epoch": epoch + 1, "history": history,
        })

    if run_dir and steps_done and steps_done % args.save_every != 0:
        save_run_step(run_dir, steps_done, model, sv, tv, config, args.dtype)  # the run ends with the model
    model.eval()
    at.round_to_dtype_(model, args.dtype)
    hyps, refs = [], []
    with torch.no_grad():
        for src, targets in test:
            out = greedy(model, sv, tv, src)
            hyps.append([w for w in out["target_tokens"] if w != EOS])
            refs.append(targets)
    score = bleu4(hyps, refs)
    exact = sum(h in r for h, r in zip(hyps, refs)) / max(len(hyps), 1)
    print("held-out BLEU-4 %.4f, exact match %.4f" % (score, exact), flush=True)
    accuracy = alignment_accuracy(model, sv, tv, args) if args.test_gold else None
    if accuracy is not None:
        print("attention argmax hits the gold source word for %.2f%% of target words" % (100 * accuracy), flush=True)
    at.save_model(args.out, model.encoder, model.decoder, sv.words, tv.words, config, args.dtype)
    write_card(args, config, pairs, train, test, sv, tv, model, history, (score, exact), hyps, accuracy)
    print("wrote %s (%d bytes)" % (args.out, os.path.getsize(args.out)), flush=True)


def split_line(args, train, test):
    if args.test_data:
        return "- %d training pairs; %d test source sentences from `%s`." % (
            len(train), len(test), os.path.basename(args.test_data))
    return ("- Split (seed %d): %d training pairs; %d held-out source sentences (%.0f%% of sources, "
            "with all %d of their reference translations), never seen in training." % (
                args.seed, len(train), len(test), args.held_out * 100, sum(len(r) for _, r in test)))


def alignment_accuracy(model, sv, tv, args):
    """Share of target words (EOS excluded) whose attention argmax, under forced decoding
    of the reference, is the gold source word."""
    hits = total = 0
    test_pairs = read_pairs(args.test_data, args.normalization)
    with open(args.test_gold) as f:
        gold = [dict((int(j), int(i)) for i, j in (link.split("-") for link in line.split())) for line in f]
    with torch.no_grad():
        for (src, tgt), links in zip(test_pairs, gold):
            r = forced(model, sv, tv, src, tgt)
            for j, row in enumerate(r["attention"][:len(tgt)]):
                if j in links:
                    total += 1
                    hits += int(max(range(len(row)), key=row.__getitem__) == links[j])
    return hits / max(total, 1)


def write_card(args, config, pairs, train, test, sv, tv, model, history, scores, hyps, accuracy=None):
    score, exact = scores
    n_params = sum(p.numel() for p in model.parameters())
    lines = [
        "# %s" % (config.get("name") or os.path.basename(args.out)),
        "",
        "Written by `tools/train.py`; every number below was computed by that script.",
        "",
        "## Data",
        "",
        "- File: `%s`, %d usable pairs (`%s` normalization)." % (os.path.basename(args.data), len(pairs), args.normalization),
        "- %s" % (args.data_note or "See the data file's README for its source and license."),
        split_line(args, train, test),
        "- Vocabularies from the training pairs only: %d source and %d target words (words seen fewer "
        "than %d times become `UNK`)." % (len(sv), len(tv), args.min_count),
        "",
        "## Model",
        "",
        "- Architecture `%s`, hidden size %d, %d parameters, stored as %s." % (
            args.arch, args.hidden, n_params, args.dtype),
        "- Config: `%s`" % json.dumps(config, sort_keys=True),
        "",
        "## Training",
        "",
        "- Adam, learning rate %g, batch %d (batches of equal source length), teacher forcing, "
        "dropout 0.1 on embeddings, gradient norm clipped at 5, seed %d, %d CPU thread(s)." % (
            args.lr, args.batch, args.seed, args.threads),
        "- Epochs: %d. Training loss (mean NLL per target token) by epoch: %s." % (
            len(history), ", ".join("%.3f" % h for h in history)),
        "- Final training loss: %.4f." % history[-1],
        "",
        "## Held-out quality",
        "",
        "- BLEU-4 %.2f (corpus BLEU, greedy decoding, all reference translations of a source "
        "sentence used together, on normalized tokens).%s" % (
            100 * score, " BLEU-4 is 0 by definition when targets are shorter than 4 words." if score == 0 else ""),
        "- Exact match: %.2f%% of held-out sources translated exactly as one of their references." % (100 * exact),
    ]
    if accuracy is not None:
        lines += [
            "- Attention argmax on the gold source word (forced decoding of the reference, EOS excluded): "
            "%.2f%% of %d test sentences' target words (gold: `%s`)." % (100 * accuracy, len(test), os.path.basename(args.test_gold)),
        ]
    lines += [
        "",
        "Three held-out examples (greedy):",
        "",
        "| source | model | references |",
        "|---|---|---|",
    ]
    for (src, targets), hyp in list(zip(test, hyps))[:3]:
        lines.append("| %s | %s | %s |" % (" ".join(src), " ".join(hyp), " / ".join(" ".join(t) for t in targets)))
    lines.append("")
    with open(os.path.splitext(args.out)[0] + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
