"""views.py LABELS.csv [--seed S ...]

The "several views" measurement: each photo is also embedded rotated and zoomed about its centre
(PIL, bilinear), the 7×7-pooled `s16_c80` vectors of the views are L2-normalised and averaged with
the photo's own, and the recommended and compact recipes are fitted and ranked on those averages.
Extraction (onnxruntime, fp32) is cached in .cache/<dataset>/views-s16_c80.npy; the first run takes
about 10 minutes per 4 500 photos on two cores. FlukeWatch runs the chosen set (`ViewTransform.standard`, ±10°, ±20°)
with OpenCV's warpAffine on the int8 network: `flukewatch evaluate … --ablation` measures it end to end.
"""
import argparse
import os
import time

import numpy as np
from PIL import Image

import fluke_research as fr

MODEL = os.path.join(fr.HERE, "..", "..", "models", "efficientnet-lite0-fp32.onnx")
# (degrees counter-clockwise, zoom: enough that a turned square keeps no empty corner).
VIEWS = [(7, 1.12), (-7, 1.12), (10, 1.18), (-10, 1.18), (3.5, 1.06), (-3.5, 1.06), (14, 1.25), (-14, 1.25),
         (20, 1.35), (-20, 1.35), (30, 1.4), (-30, 1.4), (45, 1.45), (-45, 1.45)]
SETS = {
    "crop alone": [],
    "crop + ±3.5°": [4, 5],
    "crop + ±7°, ±10°": [0, 1, 2, 3],
    "crop + ±10°, ±20° (FlukeWatch)": [2, 3, 8, 9],
    "crop + ±10°, ±20°, ±30°": [2, 3, 8, 9, 10, 11],
    "crop + ±7° … ±30° (10 views)": [0, 1, 2, 3, 6, 7, 8, 9, 10, 11],
    "crop + ±7° … ±45° (12 views)": [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13],
}


def view(im, degrees, zoom):
    w, h = im.size
    r = im.rotate(degrees, resample=Image.BILINEAR)
    cw, ch = w / zoom, h / zoom
    return r.resize((224, 224), Image.BILINEAR, box=((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2))


def photos(labels_csv):
    """(folder the photo paths are relative to, photo paths) of a labelled set."""
    files, _ = fr.read_labels(labels_csv)
    root = os.path.dirname(os.path.abspath(labels_csv))
    if not os.path.exists(os.path.join(root, files[0])):
        root = os.path.join(root, "images")
    return root, files


def session(model=MODEL, threads=1):
    import onnxruntime as ort  # here, so the torch-only scripts (backbones.py) can use the rest

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def load(root, f):
    return Image.open(os.path.join(root, f)).convert("RGB").resize((224, 224), Image.BILINEAR)


def network_input(im):
    """The station's input tensor: (RGB − 127) / 128, channels first, batch of one."""
    return ((np.asarray(im, dtype=np.float32) - 127.0) / 128.0).transpose(2, 0, 1)[None]


def s16_c80_pooled(sess, im, cell=2):
    """`s16_c80` average-pooled on the 7×7 grid (cells of cell×cell map positions), flattened."""
    m = sess.run(["s16_c80"], {"input": network_input(im)})[0][0]
    return m.reshape(80, 7, cell, 7, cell).mean(axis=(2, 4)).reshape(-1)


def cached_rows(out, labels_csv, row_of, shape=(3920,)):
    """One row per photo of the set, `row_of(224×224 RGB image)`, computed once and kept in `out`."""
    if os.path.exists(out):
        return np.load(out)
    root, files = photos(labels_csv)
    rows = np.zeros((len(files),) + shape, np.float32)
    start = time.time()
    for i, f in enumerate(files):
        rows[i] = row_of(load(root, f))
        if i % 1000 == 0:
            print(f"{os.path.basename(out)}: {i}/{len(files)} {time.time() - start:.0f}s", flush=True)
    print(f"{os.path.basename(out)}: {(time.time() - start) / len(files) * 1000:.1f} ms per photo", flush=True)
    np.save(out, rows)
    return rows


def extract(labels_csv, dataset):
    sess = session(threads=2)
    return cached_rows(os.path.join(fr.CACHE, dataset, "views-s16_c80.npy"), labels_csv,
                       lambda im: np.stack([s16_c80_pooled(sess, view(im, d, z)) for d, z in VIEWS]),
                       shape=(len(VIEWS), 3920))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2, 3])
    a = ap.parse_args()
    dataset = fr.dataset_of(a.labels)
    _, labels = fr.read_labels(os.path.join(fr.CACHE, dataset, "labels.csv"))
    lab = np.asarray(labels)
    crop = fr.features(dataset, {"parts": [("s16_c80", 7)]})
    views = extract(a.labels, dataset)
    n, k, d = views.shape
    views = fr.l2n(views.reshape(-1, d)).reshape(n, k, d)
    recipes = {name: fr.PROJECTIONS[name] for name in ("recommended", "compact")}
    for seed in a.seed:
        cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
        known = ~is_new
        for name, ks in SETS.items():
            x = fr.l2n(crop + views[:, ks].sum(1)) if ks else crop
            for rname, params in recipes.items():
                proj = fr.fit_projection(x[cat], lab[cat], **params)
                s, names = fr.individual_scores(fr.apply_projection(proj, x[qry]), fr.apply_projection(proj, x[cat]),
                                                lab[cat], "max+centroid")
                top = names[np.argsort(-s, axis=1, kind="stable")[:, :5]]
                truth = lab[qry]
                top1 = np.mean(top[known, 0] == truth[known])
                top5 = np.mean([truth[i] in top[i] for i in np.where(known)[0]])
                print(f"seed {seed}  {name:32s} {rname:12s} top-1 {top1:.3f}  top-5 {top5:.3f}", flush=True)


if __name__ == "__main__":
    main()
