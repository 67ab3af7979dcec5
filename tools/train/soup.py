#!/usr/bin/env python3
"""Average the weights of several fine-tuning runs of the same trunk into one network.

    soup.py --out SOUP.pth RUN_A.pth RUN_B.pth [...]

Why: two runs of train.py from the same ImageNet start (another seed, another set of training
individuals, the validation individuals added) end in nearby points of weight space, and their
plain average often ranks better than either ("model soup", uniform). It is still one network, so
the station's embedding costs exactly what it did. Nothing is chosen here: every run given is
averaged with the same weight, so no evaluation individual can have steered the result.

Only the trained blocks differ between the runs; the BN running statistics are the ImageNet ones
in all of them (train.py keeps them frozen), so the average folds exactly. Writes SOUP.pth in the
legacy format build_model.py reads, and SOUP.pth.json: the first run's arguments plus every run's
record, for card.py.
"""
import argparse
import json
import os

import torch

from network import load_original_state_dict, save_legacy


def average(states):
    first = states[0]
    for path_index, s in enumerate(states[1:], start=1):
        if set(s) != set(first):
            raise SystemExit(f"run {path_index + 1} is not the same network as run 1 (key layout differs)")
    return {k: (sum(s[k] for s in states) / len(states)) if v.is_floating_point() else v.clone()
            for k, v in first.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="train.py outputs (each with its .json beside it)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if len(args.runs) < 2:
        raise SystemExit("a soup needs at least two runs")
    records = []
    for path in args.runs:
        with open(path + ".json") as f:
            records.append({"run": os.path.abspath(path), **json.load(f)})
    save_legacy(average([load_original_state_dict(p) for p in args.runs]), args.out)
    soup = {"args": records[0]["args"], "train_seconds": sum(r["train_seconds"] for r in records),
            "soup": records}
    with open(args.out + ".json", "w") as f:
        json.dump(soup, f, indent=2)
    print(f"averaged {len(records)} runs into {args.out}")


if __name__ == "__main__":
    main()
