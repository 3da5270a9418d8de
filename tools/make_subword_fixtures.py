#!/usr/bin/python3
"""Write tests/data/subword/: the segmentations that subword-nmt's own apply_bpe.py makes, for
the C++ BPE segmenter's tests (engine/src/io/bpe.cpp, tests/engine/tst_bpe.cpp).

    /usr/bin/python3 tools/make_subword_fixtures.py /path/to/subword-nmt

The argument is a checkout of https://github.com/rsennrich/subword-nmt (made with commit
92d6139d07d30e12735a0af9e7f7f925ebe62c54, August 2024); its code is run from there and never
copied. The script also copies subword-nmt's own test data (bpe.ref, corpus.en,
corpus.bpe.ref.en: data, MIT licence) into tests/data/subword-nmt/, so that the C++ test
checks the same reference its authors check.

From data/eng-fra.txt it takes French lines: the first 1500 train the codes (learn_bpe, 300
merges, "#version: 0.2"), the next 60 are the input of every case:
  v02          the codes as learnt
  v01          the same merges without the version line (subword-nmt reads them as 0.1)
  merges100    only the first 100 merges (--merges 100)
  glossaries   --glossaries "Tom" "[0-9]+" "l'"
  vocabulary   --vocabulary vocab.txt --vocabulary-threshold 25, the vocabulary counted by
               get_vocab.py on the training lines segmented with the codes (as Joey NMT does)
  separator    --separator "￭"
cases.json lists each case's options and output file.
"""

import io
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "subword")
REFERENCE_OUT = os.path.join(ROOT, "tests", "data", "subword-nmt")


def main():
    checkout = sys.argv[1]
    sys.path.insert(0, os.path.join(checkout, "subword_nmt"))
    from apply_bpe import BPE, read_vocabulary  # noqa: E402
    from get_vocab import get_vocab  # noqa: E402
    from learn_bpe import learn_bpe  # noqa: E402

    os.makedirs(OUT, exist_ok=True)
    os.makedirs(REFERENCE_OUT, exist_ok=True)
    for name in ("bpe.ref", "corpus.en", "corpus.bpe.ref.en"):
        shutil.copyfile(os.path.join(checkout, "subword_nmt", "tests", "data", name),
                        os.path.join(REFERENCE_OUT, name))

    with open(os.path.join(ROOT, "data", "eng-fra.txt"), encoding="utf-8") as f:
        french = [line.rstrip("\n").split("\t")[1] for line in f]
    train, test = french[:1500], french[1500:1560]
    test[3] = "  " + test[3] + "  "  # leading and trailing spaces are kept
    test[7] = "Tom a 1999 pommes et l'arbre de Tom ."
    test[8] = ""

    codes = io.StringIO()
    learn_bpe(io.StringIO("\n".join(train) + "\n"), codes, 300)
    codes_text = codes.getvalue()
    write("codes.bpe", codes_text)
    write("codes-v01.bpe", codes_text.split("\n", 1)[1])
    write("input.txt", "\n".join(test) + "\n")

    bpe = BPE(io.StringIO(codes_text))
    segmented_train = "".join(bpe.process_line(line + "\n") for line in train)
    vocab = io.StringIO()
    get_vocab(io.StringIO(segmented_train), vocab)
    write("vocab.txt", vocab.getvalue())

    cases = [
        {"name": "v02", "codes": "codes.bpe"},
        {"name": "v01", "codes": "codes-v01.bpe"},
        {"name": "merges100", "codes": "codes.bpe", "merges": 100},
        {"name": "glossaries", "codes": "codes.bpe", "glossaries": ["Tom", "[0-9]+", "l'"]},
        {"name": "vocabulary", "codes": "codes.bpe", "vocabulary": "vocab.txt", "threshold": 25},
        {"name": "separator", "codes": "codes.bpe", "separator": "\uffed"},
    ]
    for case in cases:
        with open(os.path.join(OUT, case["codes"]), encoding="utf-8") as f:
            vocabulary = None
            if "vocabulary" in case:
                with open(os.path.join(OUT, case["vocabulary"]), encoding="utf-8") as v:
                    vocabulary = read_vocabulary(v, case["threshold"])
            segmenter = BPE(f, merges=case.get("merges", -1), separator=case.get("separator", "@@"),
                            vocab=vocabulary, glossaries=case.get("glossaries"))
            output = "".join(segmenter.process_line(line + "\n") for line in test)
        case["expected"] = "expected-%s.txt" % case["name"]
        write(case["expected"], output)
    write("cases.json", json.dumps(cases, indent=1, ensure_ascii=False) + "\n")


def write(name, text):
    with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)


if __name__ == "__main__":
    main()
