#!/usr/bin/env python3
"""card.py MODEL_DIR SPLIT_DIR TRAINED.pth [RESULTS.json ...]

Appends the fine-tuning to the MODEL_CARD.md that build_model.py wrote for a fine-tuned package:
which individuals the trunk was trained on (the split's rule and counts), how it was trained, and,
when given, the station's evaluation on individuals it never saw. Without this section the card
would describe the package as plain ImageNet weights.

Also writes MODEL_DIR/trained-individuals.txt: every individual of the training pool (those trained
on and those that chose the epoch), one per line. `flukewatch evaluate` reads it and never scores a
photo of one of them with this package.
"""
import csv
import json
import os
import sys


def write_trained_individuals(model_dir, split_dir):
    """The training pool's individuals, sorted, one per line; returns how many."""
    with open(os.path.join(split_dir, "train-labels.csv"), newline="") as f:
        individuals = sorted({row["individual"] for row in csv.DictReader(f)})
    with open(os.path.join(model_dir, "trained-individuals.txt"), "w") as f:
        f.write("# individuals this network was trained on or chose its epoch with (tools/train/split.py);\n"
                "# flukewatch evaluate never scores their photos with it\n")
        f.write("".join(f"{i}\n" for i in individuals))
    return len(individuals)


def held_out(counts):
    held = counts["eval"]
    return (f"**{held['individuals']} individuals ({held['images']} photos) were held out** and are the only ones "
            "any evaluation of this package may use (`eval-labels.csv`). The int8 calibration photos are "
            "training-pool photos.")


def trained_on(training, counts, part):
    """Which individuals the gradient steps saw and what chose the epoch (ends mid-sentence)."""
    args = training["args"]
    fit, val = counts["fit"], counts["val"]
    if args.get("no_holdout"):
        other_half = (" (that run trained on the first half: validation individuals that chose its epoch are among "
                      "this package's held-out ones, so one number, the epoch, was chosen with them)") if part != "half first" else ""
        return (f"- Trained on the whole training pool, {fit['individuals'] + val['individuals']} individuals "
                f"({fit['images'] + val['images']} photos); {held_out(counts)}\n"
                f"- No model choice in this run: the schedule of a validated run ({args['epochs']} epochs of cosine) "
                f"stopped after epoch {args['stop_after_epoch']}, the epoch that run's validation individuals chose{other_half}; ")
    return (f"- Trained on {fit['individuals']} individuals ({fit['images']} photos); "
            f"{val['individuals']} more ({val['images']} photos) chose the epoch; {held_out(counts)}\n"
            f"- Best epoch {training['best_epoch']} of the run (station-like top-1 {training['best_val_lda_top1']:.3f} "
            "on the epoch-choice individuals), ")


def souped(training, counts):
    """The runs a soup.py average was made of, each in one line (ends mid-sentence)."""
    lines = [f"- **The average of {len(training['soup'])} runs' weights** (soup.py, equal weights, nothing chosen); "
             f"between them they trained on training-pool individuals only. {held_out(counts)}"]
    for run in training["soup"]:
        a = run["args"]
        kept = (f"stopped after epoch {a['stop_after_epoch']} of a {a['epochs']}-epoch schedule, validation individuals "
                "trained on too" if a.get("no_holdout") else
                f"epoch {run['best_epoch']} chosen on the validation individuals")
        lines.append(f"  - `{os.path.basename(run['run'])}`: {kept}, seed {a['seed']}.")
    return "\n".join(lines) + "\n- Together "


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    model_dir, split_dir, weights = sys.argv[1:4]
    results = sys.argv[4:]
    with open(os.path.join(split_dir, "split.json")) as f:
        split = json.load(f)
    with open(weights + ".json") as f:
        training = json.load(f)
    # a.get(option, value): records written before the option existed, when value was fixed
    a, c = training["args"], split["counts"]
    part = split.get("part", f"half {split.get('half', 'first')}")
    listed = write_trained_individuals(model_dir, split_dir)
    lines = [
        "",
        "## Fine-tuning (tools/train)",
        "",
        "These are **not** the plain ImageNet weights: blocks "
        f"{a['first_block']}–7 (up to `s16_c80`, the map the station pools) were fine-tuned on labelled photos of "
        f"`{os.path.basename(os.path.dirname(split['labels']))}` with sub-center ArcFace "
        f"({a['subcenters']} sub-centres, s {a['scale']}, m {a['margin']}, {a['emb']}-d head on the map average-pooled to "
        f"{a.get('head_grid', 7)}×{a.get('head_grid', 7)}, dropped at export) and live "
        f"augmentation (rotation ±{a.get('max_rotation', 15.0):g}°, zoom 0.85–{a.get('max_zoom', 1.15):g} and shift, blur, light, glare, noise"
        + (f", a random rectangle of noise with probability {a['erase']}" if a.get("erase") else "")
        + "; never a horizontal flip).",
        "",
        f"- Split by individual, seed `{split['seed']}`, {part}: {split['rule']}. "
        f"`trained-individuals.txt` lists the {listed} training-pool individuals.",
        (souped(training, c) if "soup" in training else trained_on(training, c, part)) +
        f"{training['train_seconds'] / 60:.0f} min of training; batch {a['batch']}, "
        f"learning rate {a['lr']} (head ×10), seed {a['seed']}.",
    ]
    blend = training.get("interpolation")
    if blend:
        tried = ", ".join(f"{s['blend']:g}: {s['top1']:.3f}" for s in blend["scores"])
        lines.append(f"- Blended back toward the ImageNet weights (interpolate.py): w = w0 + {blend['blend']:g}·(w1 − w0), "
                     f"the blend the epoch-choice individuals ranked best (every-photo top-1, five views; {tried}).")
    if results:
        lines += ["", "Station evaluation on the held-out individuals (`flukewatch evaluate eval-labels.csv --crop none`):", "",
                  "| package | MAP@5 | top-1 | top-5 | new P | new R |", "|---|---|---|---|---|---|"]
        for path in results:
            with open(path) as f:
                r = json.load(f)
            m = r["metrics"]
            lines.append(f"| `{r['model_version']}` (seed {r['seed']}) | {m['map5']:.3f} | {m['top1']:.3f} | {m['top5']:.3f} | "
                         f"{m['newPrecision']:.3f} | {m['newRecall']:.3f} |")
    with open(os.path.join(model_dir, "MODEL_CARD.md"), "a") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
