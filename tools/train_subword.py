#!/usr/bin/python3
"""Train the SentencePiece sample model: a model of the attnviz-seq2seq/2 family on raw
(not normalized) text cut into SentencePiece pieces, on the CPU.

    /usr/bin/python3 tools/train_subword.py --data data/eng-fra.txt \
        --out sample_models/eng-fra-subword.safetensors --epochs 14 --threads 2

The architecture is what Joey NMT and OpenNMT-py users train: a bidirectional GRU encoder
(directions concatenated), a GRU decoder started by a tanh bridge, input feeding, Luong's
"general" score and the attentional vector tanh(W [s; c] + b). A SentencePiece unigram model
is trained per language on the training side of the split (Debian's python3-sentencepiece);
piece id = vocabulary index, so the model's vocabularies are the SentencePiece models' own.
Both SentencePiece models are embedded in the model file (metadata "tokenizer"), so the one
file is enough to translate typed text.

The held-out split is the one tools/train.py makes for the word-level samples (the same
sources, found on the tutorial-normalized text with the same seed), and the card reports the
held-out BLEU of this model beside that of sample_models/eng-fra-bahdanau.safetensors, both
computed here on tutorial-normalized tokens (this model's output is detokenized first).

A checkpoint is saved after every epoch (--ckpt-dir) and a run started again with the same
arguments resumes from it.
"""

import argparse
import base64
import collections
import json
import math
import os
import random
import sys
import tempfile
import time

import sentencepiece as spm
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402
import family_torch as fam  # noqa: E402
from reference import greedy  # noqa: E402
from train import bleu4, save_checkpoint  # noqa: E402

UNK, SOS, EOS = "<unk>", "<s>", "</s>"


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="pairs file: source<TAB>target per line")
    p.add_argument("--out", required=True, help="model file to write (.safetensors)")
    p.add_argument("--baseline", default="", help="word-level model to compare with on the same held-out set")
    p.add_argument("--pieces", type=int, default=2000, help="SentencePiece vocabulary size per language")
    p.add_argument("--embedding", type=int, default=128)
    p.add_argument("--encoder-hidden", type=int, default=128, help="per direction")
    p.add_argument("--decoder-hidden", type=int, default=256)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--epochs", type=int, default=14)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--held-out", type=float, default=0.05, help="share of source sentences held out")
    p.add_argument("--dtype", choices=("F32", "F16"), default="F16")
    p.add_argument("--name", default="English-French, SentencePiece, BiGRU + input feeding")
    p.add_argument("--description", default="")
    p.add_argument("--data-note", default="", help="data source and license, for the model card")
    p.add_argument("--ckpt-dir", default="")
    return p


NOT_IN_RESUME_KEY = ("epochs", "ckpt_dir", "threads", "baseline", "name", "description", "data_note")


def resume_key(args):
    return {k: v for k, v in vars(args).items() if k not in NOT_IN_RESUME_KEY}


def read_raw_pairs(path):
    """(raw source, raw target, normalized source tokens, normalized target tokens), keeping
    the lines tools/train.py keeps (both sides non-empty after the tutorial normalization)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            s, t = at.tokenize(parts[0], "tutorial"), at.tokenize(parts[1], "tutorial")
            if s and t:
                out.append((parts[0].strip(), parts[1].strip(), s, t))
    return out


def split(rows, share, seed):
    """train.split_pairs' split, by normalized source, carried over to the raw rows."""
    groups = collections.OrderedDict()
    for row in rows:
        groups.setdefault(tuple(row[2]), []).append(row)
    keys = list(groups)
    random.Random(seed).shuffle(keys)
    n_test = int(round(len(keys) * share))
    test_keys = set(keys[:n_test])
    train = [r for r in rows if tuple(r[2]) not in test_keys]
    test = [groups[k] for k in keys[:n_test]]  # per source: its rows (same normalized source)
    return train, test


def train_spm(sentences, size, prefix):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(sentences) + "\n")
        text = f.name
    try:
        spm.SentencePieceTrainer.train(
            input=text, model_prefix=prefix, vocab_size=size, model_type="unigram", character_coverage=1.0,
            unk_piece=UNK, bos_piece=SOS, eos_piece=EOS, pad_id=-1,
            input_sentence_size=0, shuffle_input_sentence=False, num_threads=1, minloglevel=2)
    finally:
        os.unlink(text)
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def family_config(args):
    return fam.normalize_config({
        "name": args.name,
        "description": args.description or (
            "A bidirectional GRU encoder, a GRU decoder with input feeding and Luong's general attention, "
            "on SentencePiece pieces of raw Tatoeba text (%d per language)." % args.pieces),
        "source_language": "English", "target_language": "French",
        "sos_token": SOS, "eos_token": EOS, "unk_token": UNK, "normalization": "none", "source_eos": True,
        "encoder": {"cell": "gru", "layers": 1, "embedding_size": args.embedding,
                    "hidden_size": args.encoder_hidden, "bidirectional": True, "merge": "concat"},
        "decoder": {"cell": "gru", "layers": 1, "embedding_size": args.embedding,
                    "hidden_size": args.decoder_hidden, "input": "input_feeding", "query": "current",
                    "init": "bridge", "bridge_activation": "tanh", "bridge_bias": True,
                    "attentional": "state_context", "attentional_activation": "tanh",
                    "attentional_bias": True, "output_bias": True},
        "attention": {"score": "general", "bias": False},
    })


def teacher_forward(model, src, tgt_in, dropout):
    """Batched teacher forcing for the configuration above: log-probs [B, U, Vt]. The same
    computation as FamilySeq2Seq.step, one batch of equal-length sources at a time."""
    z = model.z
    enc, dec = model.encoder, model.decoder
    x = F.dropout(enc.embedding(src), dropout, model.training)
    H, h_n = enc.rnn(x)  # [B, T, 2He], [2, B, He]
    B = src.shape[0]
    top = h_n.view(z["Le"], z["D"], B, z["He"])[-1].permute(1, 0, 2).reshape(B, z["D"] * z["He"])
    h = torch.tanh(dec.bridge(top)).unsqueeze(0).repeat(z["Ld"], 1, 1)  # [Ld, B, Hd]
    o = H.new_zeros(B, z["Hd"])
    emb = F.dropout(dec.embedding(tgt_in), dropout, model.training)  # [B, U, Ed]
    keys = H
    out = []
    for t in range(tgt_in.shape[1]):
        _, h = dec.rnn(torch.cat([emb[:, t], o], 1).unsqueeze(1), h)
        s = h[-1]
        e = torch.bmm(keys, dec.attention.linear(s).unsqueeze(2)).squeeze(2)
        alpha = F.softmax(e, dim=-1)
        c = torch.bmm(alpha.unsqueeze(1), H).squeeze(1)
        o = torch.tanh(dec.attentional(torch.cat([s, c], 1)))
        out.append(dec.out(F.dropout(o, dropout, model.training)))
    return F.log_softmax(torch.stack(out, 1), dim=-1)


def make_batches(pairs, batch_size, rng, eos):
    """Batches of equal source length (EOS appended); targets padded, loss masked."""
    by_len = collections.defaultdict(list)
    for s, t in pairs:
        by_len[len(s)].append((s, t))
    batches = []
    for _, group in sorted(by_len.items()):
        rng.shuffle(group)
        for i in range(0, len(group), batch_size):
            chunk = group[i:i + batch_size]
            src = torch.tensor([s + [eos] for s, _ in chunk])
            tgt = [t + [eos] for _, t in chunk]
            U = max(len(x) for x in tgt)
            tgt_in = torch.full((len(chunk), U), eos, dtype=torch.long)
            tgt_out = torch.full((len(chunk), U), -100, dtype=torch.long)
            for b, ids in enumerate(tgt):
                tgt_in[b, 0] = model_sos
                tgt_in[b, 1:len(ids)] = torch.tensor(ids[:-1])
                tgt_out[b, :len(ids)] = torch.tensor(ids)
            batches.append((src, tgt_in, tgt_out))
    rng.shuffle(batches)
    return batches


model_sos = 1


def tokenizer_record(src_model_path, tgt_model_path):
    def side(path):
        with open(path, "rb") as f:
            return {"kind": "sentencepiece", "model_base64": base64.b64encode(f.read()).decode("ascii")}
    return {"source": side(src_model_path), "target": side(tgt_model_path)}


def main(argv=None):
    global model_sos
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ckpt_dir = args.ckpt_dir or args.out + ".ckpt"
    os.makedirs(ckpt_dir, exist_ok=True)
    ckpt_path = os.path.join(ckpt_dir, "last.pt")

    rows = read_raw_pairs(args.data)
    train_rows, test = split(rows, args.held_out, args.seed)
    sp_src = train_spm([r[0] for r in train_rows], args.pieces, os.path.join(ckpt_dir, "source"))
    sp_tgt = train_spm([r[1] for r in train_rows], args.pieces, os.path.join(ckpt_dir, "target"))
    sv = at.Vocab([sp_src.id_to_piece(i) for i in range(sp_src.get_piece_size())])
    tv = at.Vocab([sp_tgt.id_to_piece(i) for i in range(sp_tgt.get_piece_size())])
    assert (sv.index[SOS], sv.index[EOS], tv.index[SOS], tv.index[EOS]) == (1, 2, 1, 2)
    model_sos = tv.index[SOS]
    train = [(sp_src.encode(r[0]), sp_tgt.encode(r[1])) for r in train_rows]
    config = family_config(args)
    print("pairs %d: train %d, held-out %d sources; pieces %d / %d; mean source pieces %.1f" % (
        len(rows), len(train), len(test), len(sv), len(tv), sum(len(s) for s, _ in train) / len(train)), flush=True)

    model = fam.FamilySeq2Seq(config, len(sv), len(tv))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    start_epoch, history = 0, []
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        if state["args"] != resume_key(args):
            sys.exit("checkpoint %s was made with other arguments; remove it to start again" % ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start_epoch, history = state["epoch"], state["history"]
        print("resumed after epoch %d" % start_epoch, flush=True)

    for epoch in range(start_epoch, args.epochs):
        model.train()
        rng = random.Random(args.seed * 1000 + epoch)
        torch.manual_seed(args.seed * 1000 + epoch)
        batches = make_batches(train, args.batch, rng, tv.index[EOS])
        t0 = time.time()
        loss_sum = tokens = 0
        for bi, (src, tgt_in, tgt_out) in enumerate(batches):
            logp = teacher_forward(model, src, tgt_in, args.dropout)
            loss = F.nll_loss(logp.reshape(-1, logp.shape[-1]), tgt_out.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            n = int((tgt_out != -100).sum())
            loss_sum += float(loss) * n
            tokens += n
            if bi % 50 == 0:
                print("epoch %d batch %d/%d loss %.4f (%.0fs)" % (
                    epoch + 1, bi, len(batches), loss_sum / tokens, time.time() - t0), flush=True)
        history.append(loss_sum / tokens)
        print("epoch %d done: loss %.4f in %.0fs" % (epoch + 1, history[-1], time.time() - t0), flush=True)
        save_checkpoint(ckpt_path, {"args": resume_key(args), "model": model.state_dict(),
                                    "optimizer": opt.state_dict(), "epoch": epoch + 1, "history": history})

    model.eval()
    at.round_to_dtype_(model, args.dtype)
    hyps, refs, shown = [], [], []
    with torch.no_grad():
        for group in test:
            out = greedy(model, sv, tv, [sp_src.id_to_piece(i) for i in sp_src.encode(group[0][0])])
            pieces = [w for w in out["target_tokens"] if w != EOS]
            text = sp_tgt.decode_pieces(pieces)
            hyps.append(at.tokenize(text, "tutorial"))
            refs.append([r[3] for r in group])
            shown.append((group[0][0], text, [r[1] for r in group]))
    score = bleu4(hyps, refs)
    exact = sum(h in r for h, r in zip(hyps, refs)) / max(len(hyps), 1)
    print("held-out BLEU-4 %.4f, exact match %.4f" % (score, exact), flush=True)
    baseline = None
    if args.baseline:
        bmodel, bsv, btv = fam.load_model(args.baseline)
        bhyps = []
        with torch.no_grad():
            for group in test:
                out = greedy(bmodel, bsv, btv, group[0][2])
                bhyps.append([w for w in out["target_tokens"] if w != bmodel.config["eos_token"]])
        baseline = (bleu4(bhyps, refs), sum(h in r for h, r in zip(bhyps, refs)) / max(len(bhyps), 1))
        print("baseline %s: held-out BLEU-4 %.4f, exact match %.4f" % (args.baseline, *baseline), flush=True)

    tensors = {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()}
    assert {k: list(v.shape) for k, v in tensors.items()} == fam.expected_tensor_shapes(config, len(sv), len(tv))
    at.write_safetensors(args.out, tensors, {
        "format": fam.FORMAT_V2,
        "config": json.dumps(config, sort_keys=True, ensure_ascii=False),
        "source_vocab": json.dumps(sv.words, ensure_ascii=False),
        "target_vocab": json.dumps(tv.words, ensure_ascii=False),
        "tokenizer": json.dumps(tokenizer_record(os.path.join(ckpt_dir, "source.model"),
                                                 os.path.join(ckpt_dir, "target.model")), sort_keys=True),
    }, args.dtype)
    write_card(args, config, rows, train, test, sv, tv, model, history, (score, exact), baseline, shown)
    print("wrote %s (%d bytes)" % (args.out, os.path.getsize(args.out)), flush=True)


def write_card(args, config, rows, train, test, sv, tv, model, history, scores, baseline, shown):
    score, exact = scores
    n_params = sum(p.numel() for p in model.parameters())
    lines = [
        "# %s" % config["name"], "",
        "Written by `tools/train_subword.py`; every number below was computed by that script.", "",
        "## Data", "",
        "- File: `%s`, %d usable pairs, raw text (case, accents and punctuation kept)." % (
            os.path.basename(args.data), len(rows)),
        "- %s" % (args.data_note or "See the data file's README for its source and license."),
        "- Split (seed %d): %d training pairs; %d held-out source sentences with all %d of their reference "
        "translations, never seen in training: the same held-out sources as the word-level samples "
        "(`tools/train.py`, the split made on tutorial-normalized text)." % (
            args.seed, len(train), len(test), sum(len(g) for g in test)),
        "- Vocabularies: one SentencePiece unigram model per language, %d pieces each, trained on the "
        "training side only; both are embedded in the model file, which therefore reads typed text as it is." % args.pieces,
        "", "## Model", "",
        "- Bidirectional GRU encoder (%d per direction, concatenated), GRU decoder (%d) started by a tanh "
        "bridge, input feeding, general attention, attentional vector tanh(W [s; c] + b); embeddings %d. "
        "%d parameters, stored as %s." % (args.encoder_hidden, args.decoder_hidden, args.embedding, n_params, args.dtype),
        "- Config: `%s`" % json.dumps({k: v for k, v in config.items() if k not in ("name", "description")}, sort_keys=True),
        "", "## Training", "",
        "- Adam, learning rate %g, batch %d (batches of equal source length), teacher forcing, dropout %g on "
        "embeddings and on the attentional vector, gradient norm clipped at 5, seed %d, %d CPU thread(s)." % (
            args.lr, args.batch, args.dropout, args.seed, args.threads),
        "- Epochs: %d. Training loss (mean NLL per target piece) by epoch: %s." % (
            len(history), ", ".join("%.3f" % h for h in history)),
        "", "## Held-out quality", "",
        "- BLEU-4 %.2f (corpus BLEU, greedy decoding, all reference translations of a source used together; "
        "the output is detokenized, then it and the references are tutorial-normalized, as for the "
        "word-level samples)." % (100 * score),
        "- Exact match: %.2f%% of held-out sources translated exactly as one of their references "
        "(after normalization)." % (100 * exact),
    ]
    if baseline is not None:
        lines.append("- The word-level Bahdanau sample (`%s`), measured by this script on the same held-out "
                     "sources: BLEU-4 %.2f, exact match %.2f%%." % (
                         os.path.basename(args.baseline), 100 * baseline[0], 100 * baseline[1]))
    lines += ["", "Three held-out examples (greedy, detokenized):", "",
              "| source | model | references |", "|---|---|---|"]
    for src, text, targets in shown[:3]:
        lines.append("| %s | %s | %s |" % (src, text, " / ".join(targets)))
    lines.append("")
    with open(os.path.splitext(args.out)[0] + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
