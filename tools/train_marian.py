#!/usr/bin/python3
"""Train the opus-mt-shaped sample: a small Marian transformer (Hugging Face transformers'
own MarianMTModel) on the shared English-French pairs, saved as a Hugging Face opus-mt folder.

    OPENBLAS_NUM_THREADS=1 LD_LIBRARY_PATH=<openblas dir> /usr/bin/python3 tools/train_marian.py \
        --transformers-src /path/to/transformers/src --data data/eng-fra.txt \
        --out-dir sample_models/eng-fra-marian --ckpt-dir ~/attnviz-train/eng-fra-marian --epochs 40

transformers is not part of attnviz: --transformers-src names the `src` directory of a
checkout of a 4.2x release that runs on Debian's torch 1.13 (4.27 was used). The imports that
training and inference never use (huggingface_hub, torch_mlu of the snapshot used) are
stubbed here through sys.modules.

Data, split and held-out BLEU are those of tools/train_subword.py (same pairs, same seed, same
held-out sources, BLEU on tutorial-normalized tokens of the detokenized output), so the
numbers are comparable with sample_models/eng-fra-subword.md.

Tokenization is the opus-mt one: two SentencePiece unigram models trained with Debian's
spm_train on the training side (source.spm on English, target.spm on French) and one joint
vocabulary, vocab.json, as the opus-mt conversion writes it: "</s>" 0, "<unk>" 1, then the
pieces of both models (most frequent in the encoded training data first), "<pad>" last.
The ids are made by transformers' MarianTokenizer itself (source.spm for the input with
</s> appended, target.spm for the labels).

A checkpoint is saved after every epoch (--ckpt-dir); a run started again with the same
arguments resumes after the last finished epoch. --export-only writes the folder, the model
card and nothing else from the last checkpoint, whatever epoch it reached.
"""

import argparse
import collections
import importlib.machinery
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import types

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402
from train import bleu4, save_checkpoint  # noqa: E402
from train_subword import read_raw_pairs, split  # noqa: E402


class _Stub(types.ModuleType):
    """A module whose every attribute is a placeholder: classes for capitalized names and
    errors (so `except X` works), functions that refuse to run otherwise."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name[:1].isupper() or name.endswith("Error"):
            value = type(name, (Exception,), {})
        else:
            def value(*_a, **_k):
                raise RuntimeError("stubbed %s.%s was called" % (self.__name__, name))
        setattr(self, name, value)
        return value


def import_transformers(src):
    """transformers' Marian classes from the checkout at `src`, stubbing what is never used."""
    for name in ("huggingface_hub", "huggingface_hub.utils", "huggingface_hub.file_download",
                 "huggingface_hub.constants", "torch_mlu"):
        if name not in sys.modules:
            m = _Stub(name)
            m.__path__ = []
            m.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
            sys.modules[name] = m
    sys.path.insert(0, os.path.abspath(src))
    import transformers
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer
    return transformers, MarianConfig, MarianMTModel, MarianTokenizer


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--transformers-src", required=True, help="src/ of a transformers 4.2x checkout")
    p.add_argument("--data", required=True, help="pairs file: source<TAB>target per line")
    p.add_argument("--out-dir", required=True, help="opus-mt folder to write")
    p.add_argument("--ckpt-dir", required=True)
    p.add_argument("--pieces", type=int, default=2000, help="SentencePiece pieces per language")
    p.add_argument("--d-model", type=int, default=96)
    p.add_argument("--layers", type=int, default=3, help="encoder layers = decoder layers")
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=256)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1.5e-3, help="peak learning rate (after warmup)")
    p.add_argument("--warmup", type=int, default=800, help="warmup steps, then inverse square root decay")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--held-out", type=float, default=0.05, help="share of source sentences held out")
    p.add_argument("--data-note", default="", help="data source and license, for the model card")
    p.add_argument("--export-only", action="store_true", help="write the folder from the last checkpoint")
    return p


NOT_IN_RESUME_KEY = ("epochs", "ckpt_dir", "threads", "data_note", "export_only", "out_dir", "transformers_src")


def resume_key(args):
    return {k: v for k, v in vars(args).items() if k not in NOT_IN_RESUME_KEY}


def spm_train(sentences, size, prefix):
    """A unigram model with Debian's spm_train (deterministic: one thread, no sampling)."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(sentences) + "\n")
        text = f.name
    try:
        subprocess.run(["spm_train", "--input=" + text, "--model_prefix=" + prefix, "--vocab_size=%d" % size,
                        "--model_type=unigram", "--character_coverage=1.0", "--unk_piece=<unk>",
                        "--bos_piece=<s>", "--eos_piece=</s>", "--pad_id=-1", "--input_sentence_size=0",
                        "--shuffle_input_sentence=false", "--num_threads=1", "--minloglevel=2"],
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        os.unlink(text)
    return prefix + ".model"


def joint_vocab(src_model, tgt_model, src_sents, tgt_sents):
    """vocab.json as the opus-mt conversion writes it: "</s>" 0, "<unk>" 1, the pieces of both
    models (by frequency in the encoded training data, then those never used), "<pad>" last."""
    import sentencepiece as spm
    counts = collections.Counter()
    models = []
    for path, sents in ((src_model, src_sents), (tgt_model, tgt_sents)):
        sp = spm.SentencePieceProcessor(model_file=path)
        models.append(sp)
        for s in sents:
            counts.update(sp.encode(s, out_type=str))
    special = ("</s>", "<unk>", "<s>", "<pad>")
    pieces = sorted((p for p in counts if p not in special), key=lambda p: (-counts[p], p))
    seen = set(pieces)
    for sp in models:
        for i in range(sp.get_piece_size()):
            p = sp.id_to_piece(i)
            if p not in seen and p not in special:
                pieces.append(p)
                seen.add(p)
    words = ["</s>", "<unk>"] + pieces + ["<pad>"]
    return {w: i for i, w in enumerate(words)}


def write_tokenizer_files(folder, vocab, src_model, tgt_model):
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(src_model, os.path.join(folder, "source.spm"))
    shutil.copyfile(tgt_model, os.path.join(folder, "target.spm"))
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, indent=2)
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        # what transformers' convert_marian_to_pytorch.py writes for opus-mt-en-fr
        json.dump({"target_lang": "fr", "source_lang": "en", "separate_vocabs": False}, f, indent=2)
    with open(os.path.join(folder, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}, f, indent=2)


def marian_config(MarianConfig, args, vocab_size):
    pad = vocab_size - 1
    return MarianConfig(
        vocab_size=vocab_size, decoder_vocab_size=vocab_size, d_model=args.d_model,
        encoder_layers=args.layers, decoder_layers=args.layers,
        encoder_attention_heads=args.heads, decoder_attention_heads=args.heads,
        encoder_ffn_dim=args.ffn, decoder_ffn_dim=args.ffn, activation_function="swish",
        dropout=args.dropout, attention_dropout=0.0, activation_dropout=0.0, init_std=0.02,
        scale_embedding=True, max_position_embeddings=512, share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True, pad_token_id=pad, eos_token_id=0, bos_token_id=0,
        decoder_start_token_id=pad, forced_eos_token_id=0, bad_words_ids=[[pad]], num_beams=4, max_length=512,
        architectures=["MarianMTModel"],
        # keys an opus-mt config.json carries that MarianConfig does not read
        static_position_embeddings=True, normalize_before=False, normalize_embedding=False,
        add_bias_logits=False, add_final_layer_norm=False, extra_pos_embeddings=vocab_size,
        classif_dropout=0.0, classifier_dropout=0.0)


def make_batches(pairs, batch_size, rng):
    """Batches of similar source length (shuffled within a length, then batch order shuffled)."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    order.sort(key=lambda i: (len(pairs[i][0]), len(pairs[i][1])))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(pairs, idx, pad):
    src = [pairs[i][0] for i in idx]
    tgt = [pairs[i][1] for i in idx]
    S, T = max(map(len, src)), max(map(len, tgt))
    input_ids = torch.full((len(idx), S), pad, dtype=torch.long)
    mask = torch.zeros((len(idx), S), dtype=torch.long)
    labels = torch.full((len(idx), T), -100, dtype=torch.long)
    dec_in = torch.full((len(idx), T), pad, dtype=torch.long)  # decoder_start_token_id = pad
    for b, (s, t) in enumerate(zip(src, tgt)):
        input_ids[b, :len(s)] = torch.tensor(s)
        mask[b, :len(s)] = 1
        labels[b, :len(t)] = torch.tensor(t)
        dec_in[b, 1:len(t)] = torch.tensor(t[:-1])
    return input_ids, mask, dec_in, labels


def lr_at(step, args):
    step = max(step, 1)
    return args.lr * min(step / args.warmup, math.sqrt(args.warmup / step))


def main(argv=None):
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    transformers, MarianConfig, MarianMTModel, MarianTokenizer = import_transformers(args.transformers_src)
    os.makedirs(args.ckpt_dir, exist_ok=True)
    ckpt_path = os.path.join(args.ckpt_dir, "last.pt")
    tok_dir = os.path.join(args.ckpt_dir, "tokenizer")

    rows = read_raw_pairs(args.data)
    train_rows, test = split(rows, args.held_out, args.seed)
    if not os.path.exists(os.path.join(tok_dir, "vocab.json")):
        src_model = spm_train([r[0] for r in train_rows], args.pieces, os.path.join(args.ckpt_dir, "source"))
        tgt_model = spm_train([r[1] for r in train_rows], args.pieces, os.path.join(args.ckpt_dir, "target"))
        vocab = joint_vocab(src_model, tgt_model, [r[0] for r in train_rows], [r[1] for r in train_rows])
        write_tokenizer_files(tok_dir, vocab, src_model, tgt_model)
    tok = MarianTokenizer(vocab=os.path.join(tok_dir, "vocab.json"), source_spm=os.path.join(tok_dir, "source.spm"),
                          target_spm=os.path.join(tok_dir, "target.spm"), source_lang="en", target_lang="fr",
                          model_max_length=512)
    V = len(tok.encoder)
    assert (tok.eos_token_id, tok.unk_token_id, tok.pad_token_id) == (0, 1, V - 1), \
        (tok.eos_token_id, tok.unk_token_id, tok.pad_token_id)
    src_ids = tok([r[0] for r in train_rows])["input_ids"]
    tgt_ids = tok(text_target=[r[1] for r in train_rows])["input_ids"]
    train = list(zip(src_ids, tgt_ids))
    unk = sum(x.count(1) for s, t in train for x in (s, t))
    print("pairs %d: train %d, held-out %d sources; joint vocabulary %d; mean source ids %.1f, target %.1f; "
          "unk %d" % (len(rows), len(train), len(test), V, sum(len(s) for s, _ in train) / len(train),
                      sum(len(t) for _, t in train) / len(train), unk), flush=True)

    config = marian_config(MarianConfig, args, V)
    model = MarianMTModel(config)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print("parameters %d (trainable)" % n_params, flush=True)
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-9)
    start_epoch, history, step, seconds = 0, [], 0, 0.0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        if state["args"] != resume_key(args):
            sys.exit("checkpoint %s was made with other arguments; remove it to start again" % ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start_epoch, history, step, seconds = state["epoch"], state["history"], state["step"], state["seconds"]
        print("resumed after epoch %d (step %d)" % (start_epoch, step), flush=True)

    pad = V - 1
    if not args.export_only:
        for epoch in range(start_epoch, args.epochs):
            model.train()
            rng = random.Random(args.seed * 1000 + epoch)
            torch.manual_seed(args.seed * 1000 + epoch)
            batches = make_batches(train, args.batch, rng)
            t0 = time.time()
            loss_sum = nll_sum = tokens = 0.0
            for bi, idx in enumerate(batches):
                input_ids, mask, dec_in, labels = collate(train, idx, pad)
                step += 1
                for g in opt.param_groups:
                    g["lr"] = lr_at(step, args)
                logits = model(input_ids=input_ids, attention_mask=mask, decoder_input_ids=dec_in).logits
                flat, gold = logits.reshape(-1, V), labels.reshape(-1)
                loss = F.cross_entropy(flat, gold, ignore_index=-100, label_smoothing=args.label_smoothing)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                n = int((gold != -100).sum())
                with torch.no_grad():
                    nll_sum += float(F.cross_entropy(flat, gold, ignore_index=-100, reduction="sum"))
                loss_sum += float(loss) * n
                tokens += n
                if bi % 50 == 0:
                    print("epoch %d batch %d/%d loss %.4f nll %.4f lr %.2e (%.0fs)" % (
                        epoch + 1, bi, len(batches), loss_sum / tokens, nll_sum / tokens, lr_at(step, args),
                        time.time() - t0), flush=True)
            seconds += time.time() - t0
            history.append(nll_sum / tokens)
            print("epoch %d done: loss %.4f nll %.4f in %.0fs" % (
                epoch + 1, loss_sum / tokens, history[-1], time.time() - t0), flush=True)
            save_checkpoint(ckpt_path, {"args": resume_key(args), "model": model.state_dict(),
                                        "optimizer": opt.state_dict(), "epoch": epoch + 1, "history": history,
                                        "step": step, "seconds": seconds})
    export(args, transformers, model, tok, tok_dir, rows, train, test, history, seconds, n_params)


def export(args, transformers, model, tok, tok_dir, rows, train, test, history, seconds, n_params):
    model.eval()
    out = args.out_dir
    if os.path.isdir(out):
        shutil.rmtree(out)
    model.save_pretrained(out)
    for name in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(os.path.join(tok_dir, name), os.path.join(out, name))
    hyps, refs, shown = [], [], []
    groups = list(test)
    t0 = time.time()
    with torch.no_grad():
        for i in range(0, len(groups), 32):
            chunk = groups[i:i + 32]
            enc = tok([g[0][0] for g in chunk], return_tensors="pt", padding=True)
            gen = model.generate(**enc, num_beams=1, do_sample=False, max_length=64)
            for g, ids in zip(chunk, gen):
                text = tok.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
                hyps.append(at.tokenize(text, "tutorial"))
                refs.append([r[3] for r in g])
                shown.append((g[0][0], text, [r[1] for r in g]))
    score = bleu4(hyps, refs)
    exact = sum(h in r for h, r in zip(hyps, refs)) / max(len(hyps), 1)
    print("held-out BLEU-4 %.4f, exact match %.4f (%.0fs)" % (score, exact, time.time() - t0), flush=True)
    beam_hyps = []
    with torch.no_grad():  # the opus-mt default: num_beams 4 from config.json
        for i in range(0, len(groups), 32):
            enc = tok([g[0][0] for g in groups[i:i + 32]], return_tensors="pt", padding=True)
            for ids in model.generate(**enc, max_length=64):
                beam_hyps.append(at.tokenize(tok.decode(ids, skip_special_tokens=True,
                                                        clean_up_tokenization_spaces=False), "tutorial"))
    beam_score = bleu4(beam_hyps, refs)
    print("held-out BLEU-4 with beam 4: %.4f" % beam_score, flush=True)
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    write_card(args, transformers.__version__, model.config, rows, train, test, history, seconds, n_params,
               (score, exact, beam_score), shown, size)
    print("wrote %s (%d bytes)" % (out, size), flush=True)


def write_card(args, version, config, rows, train, test, history, seconds, n_params, scores, shown, size):
    score, exact, beam_score = scores
    lines = [
        "# English-French, opus-mt-shaped Marian transformer (Hugging Face folder)",
        "",
        "Written by `tools/train_marian.py` with Hugging Face transformers %s's own `MarianMTModel` and "
        "`MarianTokenizer`; every number below was computed by that script." % version,
        "",
        "## Data",
        "",
        "- File: `eng-fra.txt`, %d usable pairs, raw text (case, accents and punctuation kept)." % len(rows),
        "- " + (args.data_note or "Tatoeba pairs via manythings.org/anki."),
        "- Split (seed %d): %d training pairs; %d held-out source sentences with all %d of their reference "
        "translations, never seen in training: the same held-out sources as the other English-French samples "
        "(`tools/train_subword.py`)." % (args.seed, len(train), len(test), sum(len(g) for g in test)),
        "- Tokenization as opus-mt: `source.spm` and `target.spm`, one SentencePiece unigram model per "
        "language, %d pieces each, trained with Debian's `spm_train` on the training side; one joint "
        "vocabulary `vocab.json` (%d entries: `</s>` 0, `<unk>` 1, the pieces of both models, `<pad>` %d "
        "last), the ids of which the model uses (not the SentencePiece ids). Input: source.spm pieces + `</s>`; "
        "labels: target.spm pieces + `</s>` (sacremoses was not installed, so MarianTokenizer applied no Moses "
        "punctuation normalization)." % (args.pieces, config.vocab_size, config.vocab_size - 1),
        "",
        "## Model",
        "",
        "- The folder is a Hugging Face opus-mt folder: `config.json`, `generation_config.json`, "
        "`pytorch_model.bin`, `source.spm`, `target.spm`, `vocab.json`, `tokenizer_config.json`, "
        "`special_tokens_map.json`; %d bytes in all. `MarianMTModel.from_pretrained` opens it "
        "(tools/make_golden_marian.py), and MarianTokenizer reads its tokenizer files." % size,
        "- Post-norm transformer (normalize_before false, no final layer norm), %d encoder and %d decoder "
        "layers, d_model %d, %d heads, feed-forward %d, swish, embeddings scaled by sqrt(d_model), sinusoidal "
        "positions in halves (not saved), source, target and output embeddings tied, `final_logits_bias` (zero). "
        "%d trainable parameters, F32." % (config.encoder_layers, config.decoder_layers, config.d_model,
                                           config.encoder_attention_heads, config.encoder_ffn_dim, n_params),
        "- Special ids: eos 0, unk 1, pad %d = decoder_start_token_id, bad_words_ids [[%d]]; generation "
        "defaults as opus-mt: num_beams %d, max_length %d." % (
            config.pad_token_id, config.pad_token_id, config.num_beams, config.max_length),
        "",
        "## Training",
        "",
        "- AdamW (betas 0.9/0.98, weight decay 0.01 on matrices), peak learning rate %g after %d warmup steps, "
        "then inverse square root decay; batch %d (batches of similar source length), label smoothing %g, "
        "dropout %g, gradient norm clipped at 1, seed %d, %d CPU thread(s)." % (
            args.lr, args.warmup, args.batch, args.label_smoothing, args.dropout, args.seed, args.threads),
        "- Epochs: %d of the %d asked for (%.0f minutes of training). Training NLL per target id by epoch: %s." % (
            len(history), args.epochs, seconds / 60, ", ".join("%.3f" % h for h in history)),
    ]
    if len(history) < args.epochs:
        lines.append("- Training was stopped before the planned epochs (time); the model is the last finished "
                     "epoch's. The run resumes from its checkpoint with the same command.")
    lines += [
        "",
        "## Held-out quality",
        "",
        "- BLEU-4 %.2f (corpus BLEU, greedy decoding with `model.generate(num_beams=1, max_length=64)`, all "
        "reference translations of a source used together; the output is decoded by MarianTokenizer (skip_special_tokens, no clean-up of spaces, as the translation pipeline does), then it "
        "and the references are tutorial-normalized, as for the other samples)." % (100 * score),
        "- Exact match: %.2f%% of held-out sources translated exactly as one of their references (after "
        "normalization)." % (100 * exact),
        "- BLEU-4 with the folder's own generation settings (beam 4 from config.json, max_length 64): %.2f." % (
            100 * beam_score),
        "- For comparison (same held-out sources, same BLEU): `eng-fra-subword` (BiGRU + input feeding) 32.95.",
        "",
        "Three held-out examples (greedy, detokenized):",
        "",
        "| source | model | references |",
        "|---|---|---|",
    ]
    for src, hyp, rs in shown[:3]:
        lines.append("| %s | %s | %s |" % (src, hyp, " / ".join(rs)))
    with open(args.out_dir.rstrip("/") + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
