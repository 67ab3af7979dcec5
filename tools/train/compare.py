#!/usr/bin/env python3
"""Markdown table from `flukewatch evaluate --json` outputs: compare.py A.json B.json ..."""
import json
import os
import sys

ROWS = [("MAP@5", "map5"), ("top-1", "top1"), ("top-5", "top5"), ("MAP@5 known", "map5Known"),
        ("MAP@5 new", "map5New"), ("new precision", "newPrecision"), ("new recall", "newRecall")]


def main():
    runs = []
    for p in sys.argv[1:]:
        with open(p) as f:
            runs.append((os.path.splitext(os.path.basename(p))[0], json.load(f)))
    print("| | " + " | ".join(n for n, _ in runs) + " |")
    print("|---" * (len(runs) + 1) + "|")
    for label, key in ROWS:
        print(f"| {label} | " + " | ".join(f"{r['metrics'][key]:.3f}" for _, r in runs) + " |")
    for label, key in (("match threshold", "threshold_match"), ("new threshold", "threshold_new")):
        print(f"| {label} | " + " | ".join(f"{r[key]:.3f}" for _, r in runs) + " |")
    print("| queries (known / new) | " + " | ".join(
        f"{r['metrics']['knownQueries']} / {r['metrics']['newQueries']}" for _, r in runs) + " |")
    print("| model | " + " | ".join(r["model_version"] for _, r in runs) + " |")


if __name__ == "__main__":
    main()
