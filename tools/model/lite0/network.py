"""EfficientNet-Lite0 as a list of layers with batch norm folded in, shared by the numpy, ONNX and
int8 paths, and the numpy fp32 reference forward pass (NHWC) the other two are checked against."""
import numpy as np

INPUT_SIZE = 224
BN_EPS = 1e-3
# EfficientNet-Lite0 = EfficientNet-B0 block layout; strides are not stored in the weights.
BLOCK_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]
# Block index -> public name of its output tensor (last block of each stage we expose).
STAGE_OUTPUTS = {4: "s8_c40", 7: "s16_c80", 10: "s16_c112", 14: "s32_c192", 15: "s32_c320"}
FEATURE_OUTPUTS = ["s8_c40", "s16_c80", "s16_c112", "s32_c192", "s32_c320", "head_1280"]
GRAPH_OUTPUTS = ["pooled"] + FEATURE_OUTPUTS

# A few ImageNet-1k class indices used for the sanity check (no label file is shipped).
IMAGENET_NAMES = {
    2: "great white shark", 3: "tiger shark", 4: "hammerhead", 147: "grey whale",
    148: "killer whale", 149: "dugong", 150: "sea lion", 971: "bubble", 972: "cliff",
    973: "coral reef", 975: "lakeside", 976: "promontory", 977: "sandbar", 978: "seashore",
}
WHALE_CLASSES = (147, 148)


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


# The numpy fp32 reference forward pass (NHWC).

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
