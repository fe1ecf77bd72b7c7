#!/usr/bin/python3
"""Check that a gorgonet checkpoint loads into the PyTorch reference CNN and scores the same.

What it checks
  1. The checkpoint (a .safetensors file, or a run directory meaning
     RUN/checkpoints/best.safetensors) is a SafeTensors file whose model tensors,
     once the "optimizer/..." entries are dropped, load with
     load_state_dict(strict=True) into the MnistCNN-family module described by the
     checkpoint's own "config" metadata (model.cnn.channels, kernel, hidden; with the
     defaults [32, 64], 3, [128] this is exactly MnistCNN of
     /work/shared/bench/pytorch_reference.py):
         conv{i}: Conv2d(prev, c, k, padding=k//2) -> ReLU -> MaxPool2d(2)   for each channel c
         flatten(1)
         fc{j}:   Linear -> ReLU                                             for each hidden size
         fc{last}: Linear to len(classes)
     Names, layouts (PyTorch's [out, in, kh, kw] and [out, in]) and shapes must match
     exactly: a missing, unexpected, mis-shaped or non-F32 tensor is an error.
  2. The loaded module, in eval mode, classifies the 10,000-image test set read from the
     Go project's embedded MNIST copy (datasets/mnist/t10k-*-ubyte.gz in the repository
     root, the parent of scripts/) -- or /usr/share/datasets/fashion-mnist/ when the config's
     data.name is not mnist; a non-empty data.path in the config, or --data-dir, wins --
     with pixels normalised as (x/255 - Mean)/Std taken from the "data" metadata.
     It prints the test accuracy and the mean cross-entropy, which should agree with
     `go run ./cmd/eval --checkpoint SAME --json` (accuracy to 0.01 percentage points,
     loss to 1e-4).

SafeTensors reading: if `safetensors.torch` is importable it uses
safetensors.torch.load_file (and safetensors.safe_open for the metadata); otherwise a
small pure-Python reader (struct + json + torch.frombuffer). The one used is printed
(--reader pure forces the built-in one).

Any mismatch or unreadable input exits with status 1 and a one-line message on stderr.

Command (from /work/main, Debian's PyTorch 1.13 under /usr/bin/python3):
    /usr/bin/python3 scripts/torch_load_check.py /tmp/tlc-run --json
    /usr/bin/python3 scripts/torch_load_check.py runs/mnist-cnn/checkpoints/last.safetensors
Compare with:
    go run ./cmd/eval --checkpoint /tmp/tlc-run --json
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys

PROG = "torch_load_check"
OPTIMIZER_PREFIX = "optimizer/"
FORMAT = "gorgonet/1"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMBEDDED_MNIST = os.path.join(REPO, "datasets", "mnist")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
DEFAULT_CNN = {"channels": [32, 64], "kernel": 3, "hidden": [128]}


class CheckError(Exception):
    """A mismatch or unreadable input; reported as one line, exit status 1."""


try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"{PROG}: error: cannot import torch ({e}); run it with /usr/bin/python3", file=sys.stderr)
    sys.exit(1)


# --------------------------------------------------------------------------- SafeTensors

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def read_header(path):
    """Return (header dict without __metadata__, metadata dict, data section offset)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) != 8:
                raise CheckError(f"{path}: too short for a SafeTensors file ({len(head)} bytes)")
            (n,) = struct.unpack("<Q", head)
            size = os.fstat(f.fileno()).st_size
            if n > size - 8:
                raise CheckError(f"{path}: header length {n} exceeds the file size {size}")
            raw = f.read(n)
    except OSError as e:
        raise CheckError(f"cannot read {path}: {e.strerror}") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckError(f"{path}: bad SafeTensors header: {e}") from None
    if not isinstance(header, dict):
        raise CheckError(f"{path}: SafeTensors header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    return header, metadata, 8 + n


def load_pure(path):
    """Pure-Python SafeTensors reader: {name: tensor}, {metadata}."""
    header, metadata, start = read_header(path)
    with open(path, "rb") as f:
        f.seek(start)
        data = bytearray(f.read())  # writable, so torch.frombuffer does not warn
    tensors = {}
    for name, entry in header.items():
        try:
            dtype = _DTYPES[entry["dtype"]]
            shape = [int(d) for d in entry["shape"]]
            begin, end = (int(o) for o in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise CheckError(f"{path}: tensor {name!r}: bad or unsupported header entry {entry!r}") from None
        count = math.prod(shape)
        itemsize = torch.empty((), dtype=dtype).element_size()
        if not 0 <= begin <= end <= len(data) or end - begin != count * itemsize:
            raise CheckError(f"{path}: tensor {name!r}: data_offsets [{begin}, {end}] do not fit "
                             f"{entry['dtype']} {shape} in a {len(data)}-byte data section")
        if count == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            t = torch.frombuffer(data, dtype=dtype, count=count, offset=begin).clone()
            if sys.byteorder != "little" and itemsize > 1:
                t = torch.from_numpy(t.numpy().byteswap())  # file is little-endian
            t = t.reshape(shape)
        tensors[name] = t
    return tensors, metadata


def load_checkpoint(path, reader):
    """Returns (tensors, metadata, reader name)."""
    if reader == "auto":
        try:
            import safetensors
            import safetensors.torch
        except ImportError:
            reader = "pure"
        else:
            try:
                tensors = safetensors.torch.load_file(path, device="cpu")
                with safetensors.safe_open(path, framework="pt") as f:
                    metadata = f.metadata() or {}
            except Exception as e:  # safetensors raises its own error types
                raise CheckError(f"{path}: safetensors cannot read it: {e}".replace("\n", " ")) from None
            return tensors, metadata, "safetensors.torch.load_file"
    tensors, metadata = load_pure(path)
    return tensors, metadata, "pure-python (struct+json+torch.frombuffer)"


# --------------------------------------------------------------------------- config

def _scalar(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        return [_scalar(p) for p in inner.split(",")] if inner else []
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "~", ""):
        return None
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    return s


def _strip_comment(line):
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def parse_yaml(text):
    """Minimal YAML: nested block mappings, scalars, flow lists [a, b] and block lists '- a'.

    Enough for the config gorgonet writes into its checkpoints."""
    lines = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).rstrip()
        if line.strip() and line.strip() not in ("---", "..."):
            lines.append((len(line) - len(line.lstrip(" ")), line.strip(), lineno))

    def is_item(body):
        return body == "-" or body.startswith("- ")

    def block(i, indent):
        """Parses the block of lines[i:] at exactly indent; returns (value, next index)."""
        if is_item(lines[i][1]):
            out = []
            while i < len(lines) and lines[i][0] == indent and is_item(lines[i][1]):
                out.append(_scalar(lines[i][1][1:]))
                i += 1
            return out, i
        out = {}
        while i < len(lines) and lines[i][0] == indent and not is_item(lines[i][1]):
            _, body, lineno = lines[i]
            if ":" not in body:
                raise CheckError(f"config line {lineno}: cannot parse {body!r}")
            key, _, value = body.partition(":")
            key, i = _scalar(key), i + 1
            if value.strip():
                out[key] = _scalar(value)
            elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and is_item(lines[i][1]))):
                out[key], i = block(i, lines[i][0])
            else:
                out[key] = None
        return out, i

    if not lines:
        return {}
    root, i = block(0, lines[0][0])
    if i != len(lines) or not isinstance(root, dict):
        raise CheckError(f"config line {lines[min(i, len(lines) - 1)][2]}: unexpected indentation")
    return root


def cnn_config(config):
    model = config.get("model") or {}
    kind = model.get("kind", "cnn")
    if kind != "cnn":
        raise CheckError(f"model.kind is {kind!r}; this check knows only the cnn (MnistCNN family)")
    cnn = dict(DEFAULT_CNN)  # like Go's config.Parse: keys present override the defaults
    for k, v in (model.get("cnn") or {}).items():
        if k in cnn and v is not None:
            cnn[k] = v
    try:
        channels = [int(c) for c in cnn["channels"]]
        hidden = [int(h) for h in cnn["hidden"]]
        kernel = int(cnn["kernel"])
    except (TypeError, ValueError):
        raise CheckError(f"model.cnn: cannot read channels/kernel/hidden from {model.get('cnn')!r}") from None
    return channels, kernel, hidden


# --------------------------------------------------------------------------- model

class CNN(nn.Module):
    """MnistCNN generalised; MnistCNN() == CNN((1, 28, 28), 10, [32, 64], 3, [128])."""

    def __init__(self, input_shape, classes, channels, kernel, hidden):
        super().__init__()
        c, h, w = input_shape
        self.n_conv, self.n_fc = len(channels), len(hidden) + 1
        for i, out in enumerate(channels, 1):
            setattr(self, f"conv{i}", nn.Conv2d(c, out, kernel, padding=kernel // 2))
            c, h, w = out, h // 2, w // 2
        features = c * h * w
        for j, size in enumerate(list(hidden) + [classes], 1):
            setattr(self, f"fc{j}", nn.Linear(features, size))
            features = size

    def forward(self, x):
        for i in range(1, self.n_conv + 1):
            x = F.max_pool2d(F.relu(getattr(self, f"conv{i}")(x)), 2)
        x = x.flatten(1)
        for j in range(1, self.n_fc):
            x = F.relu(getattr(self, f"fc{j}")(x))
        return getattr(self, f"fc{self.n_fc}")(x)


def load_model(model, state, path):
    want = model.state_dict()
    missing = sorted(set(want) - set(state))
    unexpected = sorted(set(state) - set(want))
    if missing or unexpected:
        parts = ([f"missing keys {missing}"] if missing else []) + ([f"unexpected keys {unexpected}"] if unexpected else [])
        raise CheckError(f"{path}: state_dict mismatch: " + ", ".join(parts))
    for name, t in want.items():
        got = state[name]
        if tuple(got.shape) != tuple(t.shape):
            raise CheckError(f"{path}: tensor {name!r} has shape {list(got.shape)}, the module needs {list(t.shape)}")
        if got.dtype != t.dtype:
            raise CheckError(f"{path}: tensor {name!r} is {got.dtype}, the module needs {t.dtype}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:  # should not happen after the checks above
        raise CheckError(f"{path}: load_state_dict(strict=True) failed: " + " ".join(str(e).split())) from None


# --------------------------------------------------------------------------- data

def read_idx(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as e:
        raise CheckError(f"cannot read {path}: {e}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise CheckError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    start = 4 + 4 * ndim
    count = math.prod(dims)
    if len(raw) - start != count:
        raise CheckError(f"{path}: IDX shape {list(dims)} needs {count} bytes, found {len(raw) - start}")
    return torch.frombuffer(bytearray(raw[start:]), dtype=torch.uint8).reshape(dims)


def test_set(config, data_dir):
    data = config.get("data") or {}
    name = data.get("name") or "mnist"
    if data_dir is None:
        data_dir = data.get("path") or (EMBEDDED_MNIST if name == "mnist" else FASHION_MNIST)
    images = read_idx(os.path.join(data_dir, TEST_FILES[0]))
    labels = read_idx(os.path.join(data_dir, TEST_FILES[1]))
    if images.dim() != 3 or labels.dim() != 1 or images.shape[0] != labels.shape[0]:
        raise CheckError(f"{data_dir}: images {list(images.shape)} and labels {list(labels.shape)} do not match")
    return name, data_dir, images, labels.long()


# --------------------------------------------------------------------------- main

def resolve(path):
    if os.path.isdir(path):
        path = os.path.join(path, "checkpoints", "best.safetensors")
    if not os.path.isfile(path):
        raise CheckError(f"no checkpoint at {path}")
    return path


def run(args):
    path = resolve(args.checkpoint)
    tensors, metadata, reader = load_checkpoint(path, args.reader)
    if not args.json:
        print(f"reader      {reader}")
    if metadata.get("format") != FORMAT:
        raise CheckError(f"{path}: metadata format is {metadata.get('format')!r}, want {FORMAT!r}")
    try:
        config = parse_yaml(metadata["config"])
        info = json.loads(metadata["data"])
        input_shape = [int(d) for d in info["input"]]
        classes = len(info["classes"])
        mean = float(info["normalization"]["Mean"])
        std = float(info["normalization"]["Std"]) or 1.0  # Go treats Std 0 as 1
    except (KeyError, TypeError, ValueError) as e:
        raise CheckError(f"{path}: bad metadata ({type(e).__name__}: {e})") from None
    channels, kernel, hidden = cnn_config(config)

    state = {k: v for k, v in tensors.items() if not k.startswith(OPTIMIZER_PREFIX)}
    model = CNN(input_shape, classes, channels, kernel, hidden)
    load_model(model, state, path)
    model.eval()

    name, data_dir, images, labels = test_set(config, args.data_dir)
    if list(images.shape[1:]) != input_shape[1:] or input_shape[0] != 1:
        raise CheckError(f"{data_dir}: images are {list(images.shape[1:])}, the checkpoint expects {input_shape}")
    if int(labels.max()) >= classes:
        raise CheckError(f"{data_dir}: label {int(labels.max())} is out of range for {classes} classes")
    if not args.json:
        print(f"checkpoint  {path}")
        print(f"model       channels {channels} kernel {kernel} hidden {hidden} classes {classes}, "
              f"{len(state)} tensors loaded strictly ({len(tensors) - len(state)} optimizer tensors dropped)")
        print(f"data        {name} test set, {data_dir}, normalization mean {mean} std {std}")

    # Same arithmetic as the Go side: float32 (p/255 - mean)/std, float32 forward pass,
    # cross-entropy of the float32 logits accumulated in float64.
    mean32 = torch.tensor(mean, dtype=torch.float32)
    std32 = torch.tensor(std, dtype=torch.float32)
    correct, loss = 0, 0.0
    n = images.shape[0]
    with torch.no_grad():
        for start in range(0, n, args.batch_size):
            x = images[start:start + args.batch_size].to(torch.float32).unsqueeze(1)
            x = (x / 255 - mean32) / std32
            y = labels[start:start + args.batch_size]
            logits = model(x)
            correct += int((logits.argmax(1) == y).sum())
            loss += float(F.cross_entropy(logits.double(), y, reduction="sum"))
    accuracy, loss = correct / n, loss / n
    if args.json:
        print(json.dumps({"checkpoint": path, "reader": reader, "accuracy": accuracy, "loss": loss, "examples": n}))
    else:
        print(f"examples    {n}")
        print(f"loss        {loss:.6f}")
        print(f"accuracy    {100 * accuracy:.2f}%  ({correct}/{n})")


def main():
    ap = argparse.ArgumentParser(description="Load a gorgonet checkpoint into the PyTorch MnistCNN (strict) "
                                             "and report its test accuracy and loss.")
    ap.add_argument("checkpoint", help="a .safetensors file, or a run directory (RUN/checkpoints/best.safetensors)")
    ap.add_argument("--json", action="store_true",
                    help='print one JSON object {"checkpoint","reader","accuracy","loss","examples"}')
    ap.add_argument("--reader", choices=("auto", "pure"), default="auto",
                    help="auto: safetensors.torch if importable, else the built-in reader; pure: always built-in")
    ap.add_argument("--data-dir", help="directory with the t10k-*-ubyte.gz files (default: from the config)")
    ap.add_argument("--batch-size", type=int, default=1000, help="examples per forward pass (default 1000)")
    args = ap.parse_args()
    try:
        run(args)
    except CheckError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
