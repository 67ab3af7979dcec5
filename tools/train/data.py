"""Labelled photos for training: reading the split's CSVs, the network's input tensor, and the
live augmentation (rotation, scale and shift, blur, light, glare, noise, optional erasing; never
a mirror image: the marks that identify a whale are not symmetric)."""
import csv
import math

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageFilter

from network import SIZE

# ------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------

def read_labels(path):
    with open(path, newline="") as f:
        return [(r["file"], r["individual"]) for r in csv.DictReader(f)]


def to_tensor(im):
    a = np.asarray(im.convert("RGB").resize((SIZE, SIZE), Image.BILINEAR), dtype=np.float32)
    return torch.from_numpy((a - 127.0) / 128.0).permute(2, 0, 1)


# The augmentation's geometric ranges by default (train.py's --max-rotation / --max-zoom).
MAX_ROTATION = 15.0
MAX_ZOOM = 1.15


def augment(im, rng, erase=0.0, max_rotation=MAX_ROTATION, max_zoom=MAX_ZOOM):
    """Rotation up to +-max_rotation deg, zoom 0.85..max_zoom with shift jitter, blur,
    brightness/contrast, glare, noise, and with probability `erase` one rectangle of noise (a
    splash or a wave over part of the whale). Never mirrored."""
    im = im.convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
    fill = tuple(int(v) for v in np.asarray(im).reshape(-1, 3).mean(0))
    ang = math.radians(rng.uniform(-max_rotation, max_rotation))
    sc = rng.uniform(0.85, max_zoom)
    tx, ty = rng.uniform(-0.08, 0.08) * SIZE, rng.uniform(-0.08, 0.08) * SIZE
    # inverse map output -> input around the centre
    c = SIZE / 2
    ca, sa = math.cos(ang) / sc, math.sin(ang) / sc
    a, b, d, e = ca, sa, -sa, ca
    cx = c - a * (c + tx) - b * (c + ty)
    cy = c - d * (c + tx) - e * (c + ty)
    im = im.transform((SIZE, SIZE), Image.AFFINE, (a, b, cx, d, e, cy), Image.BILINEAR, fillcolor=fill)
    if rng.random() < 0.3:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.6)))
    im = ImageEnhance.Brightness(im).enhance(rng.uniform(0.7, 1.3))
    im = ImageEnhance.Contrast(im).enhance(rng.uniform(0.7, 1.3))
    if rng.random() < 0.3:
        im = ImageEnhance.Color(im).enhance(rng.uniform(0.6, 1.4))
    x = np.asarray(im, dtype=np.float32)
    if rng.random() < 0.3:  # glare: a soft bright blob
        yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
        gx, gy, r = rng.uniform(0, SIZE), rng.uniform(0, SIZE), rng.uniform(15, 60)
        blob = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))[..., None]
        x = x + blob * rng.uniform(60, 160)
    if rng.random() < 0.2:
        x = x + np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(2, 8), x.shape).astype(np.float32)
    x = np.clip(x, 0, 255)
    if erase and rng.random() < erase:  # no draw when off: the default runs' random stream is as before
        x = erase_rectangle(x, rng)
    return torch.from_numpy((x - 127.0) / 128.0).permute(2, 0, 1)


def erase_rectangle(x, rng):
    """Covers 2-20 % of the photo (in place), aspect ratio 1:3 to 3:1, with uniform noise: the
    network must then identify the whale from the marks left visible, as when water hides part of
    it. The rectangle always fits: its longer side is at most sqrt(0.2 * 3) = 0.78 of the photo."""
    area = rng.uniform(0.02, 0.2) * SIZE * SIZE
    aspect = math.exp(rng.uniform(math.log(1 / 3), math.log(3)))
    h, w = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
    top, left = rng.randrange(SIZE - h), rng.randrange(SIZE - w)
    x[top:top + h, left:left + w] = np.random.default_rng(rng.getrandbits(32)).uniform(0, 255, (h, w, 3))
    return x


class Images:
    def __init__(self, rows):
        self.cache = {}
        self.rows = rows

    def get(self, path):
        im = self.cache.get(path)
        if im is None:
            with Image.open(path) as f:
                im = f.convert("RGB").copy()
            self.cache[path] = im
        return im
