"""The network's input: preprocessing, the synthetic sea scenes used for calibration, and the
deterministic choice of calibration / held-out photos from folders."""
import hashlib
import os

import numpy as np

from .common import sha256_file
from .network import INPUT_SIZE

PIXEL_MEAN = 127.0
PIXEL_STD = 128.0
SEED = 20240601


def load_image_uint8(path):
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("RGB").resize((INPUT_SIZE, INPUT_SIZE), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def preprocess(u8_nhwc):
    return (u8_nhwc.astype(np.float32) - PIXEL_MEAN) / PIXEL_STD


def synth_image(seed):
    """Sea/sky scene with a dark, fluke-like silhouette and noise. Deterministic in `seed`."""
    from PIL import Image, ImageDraw, ImageFilter
    rng = np.random.default_rng(seed)
    s = 2 * INPUT_SIZE  # draw at 2x, downsample for anti-aliasing
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    horizon = rng.uniform(0.15, 0.6)
    sky_top = rng.uniform([120, 150, 190], [210, 225, 255])
    sky_bot = rng.uniform([190, 200, 210], [250, 250, 255])
    sea_top = rng.uniform([20, 50, 70], [90, 120, 150])
    sea_bot = rng.uniform([5, 20, 35], [50, 80, 110])
    t_sky = np.clip(yy / max(horizon, 1e-3), 0, 1)[..., None]
    t_sea = np.clip((yy - horizon) / max(1 - horizon, 1e-3), 0, 1)[..., None]
    img = np.where((yy < horizon)[..., None], sky_top * (1 - t_sky) + sky_bot * t_sky,
                   sea_top * (1 - t_sea) + sea_bot * t_sea)
    # waves: a few sinusoids below the horizon, plus foam speckle
    waves = np.zeros_like(yy)
    for _ in range(4):
        f = rng.uniform(8, 40)
        waves += np.sin(2 * np.pi * (f * xx + rng.uniform(0, 1)) + rng.uniform(10, 60) * yy) / 4
    img += ((yy >= horizon) * waves)[..., None] * rng.uniform(5, 25)
    foam = (rng.random((s, s)) < rng.uniform(0.0, 0.01)) & (yy >= horizon)
    img[foam] = 235
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    if rng.random() < 0.85:  # a fluke silhouette: peduncle + two swept lobes with a notch
        cx, base_y = rng.uniform(0.3, 0.7) * s, rng.uniform(max(horizon, 0.5), 0.95) * s
        span = rng.uniform(0.25, 0.8) * s
        rise = rng.uniform(0.15, 0.45) * s
        tilt = rng.uniform(-0.3, 0.3)
        ped_w = span * rng.uniform(0.06, 0.12)
        top_y = base_y - rise
        pts = [(cx - ped_w, base_y), (cx - ped_w * 0.7, top_y + rise * 0.2)]
        for side in (-1, 1):  # left lobe then right lobe, trailing edge with serrations
            sweep = rng.uniform(0.1, 0.4)  # how far the lobes curl upwards

            def edge_y(u, chord):
                return top_y - rise * sweep * u ** 1.5 + chord * rise * (0.25 * (1 - u) + 0.04) + side * tilt * span * u / 2

            lead = [(cx + side * span * u / 2, edge_y(u, 1.0)) for u in np.linspace(0.1, 1.0, 8)]
            trail = [(cx + side * span * u / 2, edge_y(u, 0.0) + rng.uniform(-1, 1) * span * 0.01)
                     for u in np.linspace(1.0, 0.05, 10)]
            if side < 0:
                pts += lead + trail + [(cx, top_y + rise * 0.05)]  # ends at the median notch
            else:
                pts += list(reversed(trail)) + list(reversed(lead))
        pts += [(cx + ped_w * 0.7, top_y + rise * 0.2), (cx + ped_w, base_y)]
        dark = tuple(int(v) for v in rng.uniform(5, 60, 3))
        draw.polygon(pts, fill=dark)
        for _ in range(rng.integers(0, 6)):  # pale underside markings
            r = rng.uniform(0.01, 0.05) * s
            px, py = cx + rng.uniform(-0.4, 0.4) * span, top_y + rng.uniform(-0.1, 0.1) * rise
            draw.ellipse([px - r, py - r / 2, px + r, py + r / 2], fill=tuple(int(v) for v in rng.uniform(170, 240, 3)))
    im = im.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.0, 2.0))))
    im = im.resize((INPUT_SIZE, INPUT_SIZE), Image.BILINEAR)
    arr = np.asarray(im, dtype=np.float32)
    arr += rng.normal(0, rng.uniform(0, 12), arr.shape).astype(np.float32)
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def folder_images(dirs, max_per_dir):
    """Deterministic split of each folder into calibration / held-out lists of paths."""
    calib, held = [], []
    for d in dirs:
        names = sorted(n for n in os.listdir(d) if n.lower().endswith((".jpg", ".jpeg", ".png")))
        want = min(len(names), max_per_dir + max_per_dir // 3)
        if want == 0:
            continue
        idx = np.unique(np.linspace(0, len(names) - 1, want).round().astype(int))
        for j, i in enumerate(idx):
            (held if j % 4 == 3 else calib).append(os.path.join(d, names[i]))
    return calib, held


def display_dir(d, repo_root):
    ad = os.path.abspath(d)
    rel = os.path.relpath(ad, repo_root)
    return rel if not rel.startswith("../../") else ad


def images_fingerprint(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(os.path.basename(p).encode() + b"\0" + sha256_file(p).encode() + b"\n")
    return h.hexdigest()
