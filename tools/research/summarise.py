"""Markdown tables of .cache/results.jsonl (written by run_all.sh): per run, and means over seeds."""
import collections
import json
import sys

import numpy as np

KEYS = ["top1", "top5", "map5", "map5_oracle", "map5_known", "map5_if_all_new", "new_precision", "new_recall",
        "t_new", "t_oracle", "t_match", "match_precision", "match_rate", "simulated_map5"]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else ".cache/results.jsonl"
    rows = [json.loads(l) for l in open(path)]
    print("| set | recipe | calibration | seed | dim | top-1 | top-5 | MAP@5 | MAP@5 oracle t | known MAP@5 | "
          "all-new MAP@5 | new P | new R | t_new | t_oracle | t_match | match precision | match rate | sim. MAP@5 |")
    print("|" + "---|" * 20)
    for d in rows:
        print(f"| {d['dataset']} | {d['recipe']} | {d.get('calibrate', 'individual')} | {d['seed']} | {d['dim']} | "
              + " | ".join(f"{d[k]:.3f}" for k in KEYS) + " |")
    print()
    groups = collections.defaultdict(list)
    for d in rows:
        groups[(d["dataset"], d["recipe"], d.get("calibrate", "individual"))].append(d)
    print("| set | recipe | calibration | seeds | top-1 | top-5 | MAP@5 | MAP@5 oracle t | known MAP@5 | "
          "mean abs(t_new - t_oracle) | fit s | calibration s | rank ms/query |")
    print("|" + "---|" * 13)
    for (ds, rec, cal), v in groups.items():
        m = {k: np.mean([d[k] for d in v]) for k in ["top1", "top5", "map5", "map5_oracle", "map5_known", "fit_s",
                                                     "calibration_s", "rank_ms_per_query"]}
        dt = np.mean([abs(d["t_new"] - d["t_oracle"]) for d in v])
        print(f"| {ds} | {rec} | {cal} | {len(v)} | {m['top1']:.3f} | {m['top5']:.3f} | {m['map5']:.3f} | "
              f"{m['map5_oracle']:.3f} | {m['map5_known']:.3f} | {dt:.4f} | {m['fit_s']:.1f} | {m['calibration_s']:.1f} | "
              f"{m['rank_ms_per_query']:.2f} |")


if __name__ == "__main__":
    main()
