"""Small helpers every build step uses."""
import hashlib


def log(*args):
    print(*args, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def batched(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]
