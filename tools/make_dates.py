#!/usr/bin/python3
"""Generate the synthetic date-rewriting task, whose true alignment is known.

    /usr/bin/python3 tools/make_dates.py --out data/dates

A source is an English date in one of several word orders ("the 3rd of may 1999",
"may 3 , 1999", "3 may 1999", ...); the target is "1999 05 03". Each target word
comes from exactly one source word, so the gold alignment is exact.

Writes <out>-train.txt and <out>-test.txt (source<TAB>target), plus for the test
set <out>-test.src, <out>-test.ref and <out>-test.gold (Pharaoh format: one line
per sentence, links "i-j" = source word i to target word j, from 0).
"""

import argparse
import random

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]


def ordinal(d):
    if d in (11, 12, 13):
        return "%dth" % d
    return "%d%s" % (d, {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th"))


# Each format: a list of parts; "D" day, "M" month, "Y" year, others literal words.
FORMATS = [
    ["the", "D", "of", "M", "Y"],
    ["M", "D", ",", "Y"],
    ["D", "M", "Y"],
    ["M", "D", "Y"],
    ["Y", "M", "D"],
    ["the", "D", "of", "M", ",", "Y"],
]


def make_pair(rng):
    y = rng.randint(1950, 2029)
    m = rng.randint(1, 12)
    d = rng.randint(1, 28 if m == 2 else 30 if m in (4, 6, 9, 11) else 31)
    fmt = rng.choice(FORMATS)
    day_word = ordinal(d) if rng.random() < 0.5 else str(d)
    words, pos = [], {}
    for part in fmt:
        pos[part] = len(words)
        words.append({"D": day_word, "M": MONTHS[m - 1], "Y": str(y)}.get(part, part))
    target = [str(y), "%02d" % m, "%02d" % d]
    links = [(pos["Y"], 0), (pos["M"], 1), (pos["D"], 2)]
    return words, target, links


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="path prefix")
    p.add_argument("--train", type=int, default=20000)
    p.add_argument("--test", type=int, default=500)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    rng = random.Random(args.seed)
    seen = set()
    train, test = [], []
    while len(train) < args.train or len(test) < args.test:
        words, target, links = make_pair(rng)
        key = " ".join(words)
        if key in seen:
            continue
        seen.add(key)
        (train if len(train) < args.train else test).append((words, target, links))
    with open(args.out + "-train.txt", "w") as f:
        for w, t, _ in train:
            f.write("%s\t%s\n" % (" ".join(w), " ".join(t)))
    with open(args.out + "-test.txt", "w") as f, open(args.out + "-test.src", "w") as fs, \
            open(args.out + "-test.ref", "w") as fr, open(args.out + "-test.gold", "w") as fg:
        for w, t, links in test:
            f.write("%s\t%s\n" % (" ".join(w), " ".join(t)))
            fs.write(" ".join(w) + "\n")
            fr.write(" ".join(t) + "\n")
            fg.write(" ".join("%d-%d" % l for l in sorted(links)) + "\n")


if __name__ == "__main__":
    main()
