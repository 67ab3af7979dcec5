#!/usr/bin/env python3
"""Split a labelled photo set (CSV `file,individual`) by INDIVIDUAL into a training pool and an
evaluation set. No individual ever appears on both sides.

Rule (deterministic, no RNG state): every distinct individual gets the key
sha256(f"{seed}:{individual}") (hex); individuals are ordered by that key (ties impossible in
practice, broken by name) and the first `train_fraction` of them (rounded down) form the training
pool, the rest the evaluation set. The training pool is split again the same way (key prefixed
with "val:") into individuals used for gradient steps and a few held-out individuals used only
for early stopping / model choice.

`--half second` swaps the two halves: the training pool is the individuals after the cut and the
evaluation set those before it. Two packages trained on the two halves let every photo of the set be
scored by a network that never saw its individual (`flukewatch evaluate --fine-tuned A --fine-tuned B`).

`--folds K --fold I` (I = 1..K) generalises the halves: the ordered individuals are cut into K
contiguous runs of near-equal size, run I is the evaluation set and the other K-1 runs are the
training pool. K packages, one per fold, again give every photo a network that never saw its
whale, each trained on (K-1)/K of the individuals instead of half (a station trains on every
whale it has, so the larger pool is the nearer measurement).

Writes, under OUT_DIR (default tools/train/.cache/<dataset name>/):
  train-labels.csv   training pool (fit + val individuals), absolute image paths
  fit-labels.csv     the part trained on
  val-labels.csv     held-out TRAIN individuals for model choice
  eval-labels.csv    evaluation individuals only (never trained on)
  split.json         the rule, the seed and the counts
"""
import argparse
import csv
import hashlib
import json
import os
import sys


def ordered(individuals, seed, prefix=""):
    key = lambda ind: (hashlib.sha256(f"{prefix}{seed}:{ind}".encode()).hexdigest(), ind)
    return sorted(individuals, key=key)


def cut(order, args):
    """(training-pool individuals, evaluation individuals, the cut in words for the model card,
    the output folder's suffix): the halves or, with --folds, fold I = order[floor((I-1)N/K) :
    floor(IN/K)] held out."""
    if args.folds is not None:
        lo, hi = (len(order) * (args.fold - 1)) // args.folds, (len(order) * args.fold) // args.folds
        return (set(order[:lo] + order[hi:]), set(order[lo:hi]),
                f"fold {args.fold} of {args.folds} held out", f"-fold{args.fold}of{args.folds}")
    n_train = int(len(order) * args.train_fraction)
    before, after = set(order[:n_train]), set(order[n_train:])
    if args.half == "first":
        return before, after, "half first", ""
    return after, before, "half second", "-second-half"


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "individual"])
        for r in rows:
            w.writerow(r)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("labels", help="CSV with columns file,individual (paths relative to the CSV)")
    ap.add_argument("--seed", default="flukewatch-train-1")
    ap.add_argument("--train-fraction", type=float, default=0.5)
    ap.add_argument("--val-fraction", type=float, default=0.15,
                    help="fraction of the training-pool individuals held out for model choice")
    ap.add_argument("--half", choices=["first", "second"], default="first",
                    help="which side of the cut is the training pool (second: the complement of the default)")
    ap.add_argument("--folds", type=int, default=None,
                    help="cut the individuals into this many folds (replaces --train-fraction/--half)")
    ap.add_argument("--fold", type=int, default=None, help="with --folds: the fold (1..K) held out for evaluation")
    ap.add_argument("--out-dir", default=None)
    args = ap.parse_args()
    if (args.folds is None) != (args.fold is None):
        ap.error("--folds and --fold go together")
    if args.folds is not None and not (args.folds >= 2 and 1 <= args.fold <= args.folds):
        ap.error(f"--fold must be 1..{args.folds} and --folds at least 2")
    if args.folds is not None and args.half != "first":
        ap.error("--half cuts in two; with --folds, --fold says which part is held out")

    labels = os.path.abspath(args.labels)
    base = os.path.dirname(labels)
    dataset = os.path.basename(base)
    rows = []
    with open(labels, newline="") as f:
        for r in csv.DictReader(f):
            p = os.path.join(base, r["file"])  # no-op for absolute paths
            if not os.path.exists(p):  # the reid-real sets keep their photos in images/
                p = os.path.join(base, "images", r["file"])
            if not os.path.exists(p):
                sys.exit(f"image not found: {p}")
            rows.append((os.path.abspath(p), r["individual"]))
    inds = sorted({ind for _, ind in rows})
    order = ordered(inds, args.seed)
    train_inds, eval_inds, part, suffix = cut(order, args)
    out = args.out_dir or os.path.join(here, ".cache", dataset + suffix)
    os.makedirs(out, exist_ok=True)
    val_order = ordered(sorted(train_inds), args.seed, prefix="val:")
    n_val = int(len(val_order) * args.val_fraction)
    val_inds = set(val_order[:n_val])
    fit_inds = train_inds - val_inds
    assert not (train_inds & eval_inds)

    parts = {
        "train": [r for r in rows if r[1] in train_inds],
        "fit": [r for r in rows if r[1] in fit_inds],
        "val": [r for r in rows if r[1] in val_inds],
        "eval": [r for r in rows if r[1] in eval_inds],
    }
    for name, rs in parts.items():
        write_csv(os.path.join(out, f"{name}-labels.csv"), rs)
    summary = {
        "labels": labels, "seed": args.seed, "train_fraction": args.train_fraction, "half": args.half,
        "folds": args.folds, "fold": args.fold, "part": part,
        "val_fraction": args.val_fraction,
        "rule": "individuals ordered by sha256('<seed>:<individual>'); first floor(train_fraction*N) -> "
                "training pool; training pool ordered by sha256('val:<seed>:<individual>'), first "
                "floor(val_fraction*n_train) -> val (model choice only); half 'second' swaps training pool and evaluation set; "
                "with folds K, fold I: order[floor((I-1)N/K):floor(IN/K)] -> evaluation set, the rest -> training pool",
        "counts": {name: {"images": len(rs), "individuals": len({i for _, i in rs})}
                   for name, rs in parts.items()},
    }
    with open(os.path.join(out, "split.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary["counts"]))
    print(out)


if __name__ == "__main__":
    main()
