"""ctypes binding of Sources/CFlukeEmbed (libflukeembed.so) and a manifest loader.

The loader parses models/efficientnet-lite0-int8.json exactly the way the Swift daemon is meant
to: read the JSON, map the .bin, and fill one fw_embed_tensor per tensor and one fw_embed_layer
per layer with pointers into the .bin. Nothing here knows about EfficientNet itself.
"""
import ctypes as C
import json
import math
import os

import numpy as np

FW_EMBED_INT8, FW_EMBED_FP32 = 0, 1
OPS = {"conv": 1, "depthwise_conv": 2, "add": 3, "global_avg_pool": 4}
MAX_OUTPUTS = 16


class Error(C.Structure):
    _fields_ = [("message", C.c_char * 512)]


class Tensor(C.Structure):
    _fields_ = [("name", C.c_char_p), ("shape", C.c_uint32 * 4), ("scale", C.c_float), ("zero_point", C.c_int32)]


class Layer(C.Structure):
    _fields_ = [
        ("op", C.c_int),
        ("name", C.c_char_p),
        ("inputs", C.c_uint32 * 2),
        ("output", C.c_uint32),
        ("kernel_h", C.c_uint32), ("kernel_w", C.c_uint32),
        ("stride_h", C.c_uint32), ("stride_w", C.c_uint32),
        ("dilation_h", C.c_uint32), ("dilation_w", C.c_uint32),
        ("pad_top", C.c_uint32), ("pad_right", C.c_uint32), ("pad_bottom", C.c_uint32), ("pad_left", C.c_uint32),
        ("groups", C.c_uint32),
        ("input_channels", C.c_uint32), ("output_channels", C.c_uint32),
        ("output_min", C.c_float), ("output_max", C.c_float),
        ("weights", C.POINTER(C.c_int8)),
        ("bias", C.POINTER(C.c_int32)),
        ("weight_scales", C.POINTER(C.c_float)),
        ("weights_f32", C.POINTER(C.c_float)),
        ("bias_f32", C.POINTER(C.c_float)),
    ]


class ModelDesc(C.Structure):
    _fields_ = [("tensors", C.POINTER(Tensor)), ("tensor_count", C.c_uint32),
                ("layers", C.POINTER(Layer)), ("layer_count", C.c_uint32), ("input_tensor", C.c_uint32)]


class Info(C.Structure):
    _fields_ = [("precision", C.c_int), ("num_threads", C.c_uint32), ("layers_used", C.c_uint32),
                ("layers_total", C.c_uint32), ("xnn_nodes", C.c_uint32), ("weight_bytes", C.c_size_t)]


def load_library(path):
    lib = C.CDLL(path)
    lib.fw_embed_initialize.argtypes = [C.POINTER(Error)]
    lib.fw_embed_create.argtypes = [C.POINTER(ModelDesc), C.POINTER(C.c_uint32), C.c_size_t, C.c_int, C.c_uint32,
                                    C.POINTER(C.c_void_p), C.POINTER(Error)]
    lib.fw_embed_destroy.argtypes = [C.c_void_p]
    lib.fw_embed_destroy.restype = None
    lib.fw_embed_run.argtypes = [C.c_void_p, C.POINTER(C.c_float), C.POINTER(C.POINTER(C.c_float)), C.POINTER(Error)]
    lib.fw_embed_run_rgb8.argtypes = [C.c_void_p, C.POINTER(C.c_uint8), C.POINTER(C.POINTER(C.c_float)),
                                      C.POINTER(Error)]
    lib.fw_embed_input_size.argtypes = [C.c_void_p]
    lib.fw_embed_input_size.restype = C.c_size_t
    lib.fw_embed_output_count.argtypes = [C.c_void_p]
    lib.fw_embed_output_count.restype = C.c_size_t
    lib.fw_embed_output_size.argtypes = [C.c_void_p, C.c_size_t]
    lib.fw_embed_output_size.restype = C.c_size_t
    lib.fw_embed_output_shape.argtypes = [C.c_void_p, C.c_size_t, C.c_uint32 * 4]
    lib.fw_embed_output_shape.restype = None
    lib.fw_embed_output_name.argtypes = [C.c_void_p, C.c_size_t]
    lib.fw_embed_output_name.restype = C.c_char_p
    lib.fw_embed_get_info.argtypes = [C.c_void_p, C.POINTER(Info)]
    lib.fw_embed_get_info.restype = None
    return lib


class EmbedError(RuntimeError):
    pass


class Manifest:
    """The int8 package as plain C structs. Keeps the .bin bytes (and optional fp32 arrays) alive."""

    def __init__(self, models_dir, fp32_weights=None):
        with open(os.path.join(models_dir, "efficientnet-lite0-int8.json")) as f:
            self.json = man = json.load(f)
        with open(os.path.join(models_dir, man["bin"]["file"]), "rb") as f:
            self.blob = np.frombuffer(f.read(), dtype=np.uint8)  # read-only, like a mapping
        if self.blob.size != man["bin"]["nbytes"]:
            raise ValueError("bin size does not match the manifest")
        base = self.blob.ctypes.data
        self._keep = [self.blob]
        self.tensor_ids = {t["name"]: t["id"] for t in man["tensors"]}
        self.outputs = dict(man["outputs"])  # public name -> tensor id

        tensors = (Tensor * len(man["tensors"]))()
        for t in man["tensors"]:
            if t["id"] >= len(tensors):
                raise ValueError("tensor ids must be 0..n-1")
            name = t["name"].encode()
            self._keep.append(name)
            tensors[t["id"]] = Tensor(name, (C.c_uint32 * 4)(*t["shape_nhwc"]), t["scale"], t["zero_point"])

        layers = (Layer * len(man["layers"]))()
        for i, L in enumerate(man["layers"]):
            c = layers[i]
            c.op = OPS[L["type"]]
            c.name = L["name"].encode()
            self._keep.append(c.name)
            c.inputs[0] = L["inputs"][0]
            if len(L["inputs"]) > 1:
                c.inputs[1] = L["inputs"][1]
            c.output = L["output"]
            lo, hi = L.get("output_min"), L.get("output_max")
            c.output_min = -math.inf if lo is None else lo
            c.output_max = math.inf if hi is None else hi
            if L["type"] in ("conv", "depthwise_conv"):
                c.kernel_h, c.kernel_w = L["kernel"]
                c.stride_h, c.stride_w = L["stride"]
                c.dilation_h, c.dilation_w = L["dilation"]
                if L.get("padding_order", "top,right,bottom,left") != "top,right,bottom,left":
                    raise ValueError("unexpected padding order")
                c.pad_top, c.pad_right, c.pad_bottom, c.pad_left = L["padding"]
                c.groups = L["groups"]
                c.input_channels, c.output_channels = L["input_channels"], L["output_channels"]
                c.weights = C.cast(base + L["weights"]["offset"], C.POINTER(C.c_int8))
                c.bias = C.cast(base + L["bias"]["offset"], C.POINTER(C.c_int32))
                c.weight_scales = C.cast(base + L["weight_scales_f32"]["offset"], C.POINTER(C.c_float))
                if fp32_weights is not None:
                    w, b = fp32_weights[L["name"]]
                    w = np.ascontiguousarray(w, dtype=np.float32)
                    b = np.ascontiguousarray(b, dtype=np.float32)
                    self._keep += [w, b]
                    c.weights_f32 = w.ctypes.data_as(C.POINTER(C.c_float))
                    c.bias_f32 = b.ctypes.data_as(C.POINTER(C.c_float))
        self.tensors, self.layers = tensors, layers
        self.desc = ModelDesc(tensors, len(tensors), layers, len(layers), man["input"]["tensor"])


def onnx_weights(onnx_path, manifest_json):
    """fp32 weights of each conv layer from the ONNX initializers (`<layer>_w` OIHW, `<layer>_b`),
    rearranged to the manifest's layouts (conv OHWI, depthwise [1, kh, kw, C])."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(onnx_path)
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    out = {}
    for L in manifest_json["layers"]:
        if L["type"] == "conv":
            out[L["name"]] = (init[L["name"] + "_w"].transpose(0, 2, 3, 1), init[L["name"] + "_b"])
        elif L["type"] == "depthwise_conv":
            w = init[L["name"] + "_w"]  # (C, 1, kh, kw)
            out[L["name"]] = (w[:, 0].transpose(1, 2, 0)[None], init[L["name"] + "_b"])
    return out


class Model:
    def __init__(self, lib, manifest, output_names, precision=FW_EMBED_INT8, threads=1):
        self.h = None
        self.lib = lib
        ids = [manifest.outputs.get(n, manifest.tensor_ids.get(n)) for n in output_names]
        arr = (C.c_uint32 * len(ids))(*ids)
        err = Error()
        h = C.c_void_p()
        st = lib.fw_embed_create(C.byref(manifest.desc), arr, len(ids), precision, threads, C.byref(h), C.byref(err))
        if st != 0:
            raise EmbedError(f"fw_embed_create -> {st}: {err.message.decode()}")
        self.h = h
        self.names = list(output_names)
        self.shapes = []
        for i in range(len(ids)):
            s = (C.c_uint32 * 4)()
            lib.fw_embed_output_shape(h, i, s)
            self.shapes.append(tuple(s))
            assert lib.fw_embed_output_size(h, i) == int(np.prod(self.shapes[-1]))
            assert lib.fw_embed_output_name(h, i).decode() == manifest.json["tensors"][ids[i]]["name"]
        self.outs = [np.zeros(s, dtype=np.float32) for s in self.shapes]
        self.out_ptrs = (C.POINTER(C.c_float) * len(ids))(*[o.ctypes.data_as(C.POINTER(C.c_float)) for o in self.outs])
        self.err = Error()

    def info(self):
        i = Info()
        self.lib.fw_embed_get_info(self.h, C.byref(i))
        return i

    def run(self, x_nhwc_f32):
        x = np.ascontiguousarray(x_nhwc_f32, dtype=np.float32)
        assert x.size == self.lib.fw_embed_input_size(self.h)
        st = self.lib.fw_embed_run(self.h, x.ctypes.data_as(C.POINTER(C.c_float)), self.out_ptrs, C.byref(self.err))
        if st != 0:
            raise EmbedError(f"fw_embed_run -> {st}: {self.err.message.decode()}")
        return {n: o.copy() for n, o in zip(self.names, self.outs)}

    def run_rgb8(self, rgb_u8):
        x = np.ascontiguousarray(rgb_u8, dtype=np.uint8)
        st = self.lib.fw_embed_run_rgb8(self.h, x.ctypes.data_as(C.POINTER(C.c_uint8)), self.out_ptrs,
                                        C.byref(self.err))
        if st != 0:
            raise EmbedError(f"fw_embed_run_rgb8 -> {st}: {self.err.message.decode()}")
        return {n: o.copy() for n, o in zip(self.names, self.outs)}

    def run_ptr(self, x_ptr):
        """Bare call for timing: no allocation, no copies on the Python side."""
        return self.lib.fw_embed_run(self.h, x_ptr, self.out_ptrs, C.byref(self.err))

    def close(self):
        if self.h:
            self.lib.fw_embed_destroy(self.h)
            self.h = None

    def __del__(self):
        self.close()
