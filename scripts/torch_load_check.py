#!/usr/bin/python3
"""Check that a gorgonet checkpoint loads into the matching PyTorch module and computes the same.

What it checks
  1. The checkpoint (a .safetensors file, or a run directory meaning
     RUN/checkpoints/best.safetensors) is a SafeTensors file whose model tensors, once the
     "optimizer/..." (optimizer buffers) and "state/..." (a language model's carried LSTM
     state) entries are dropped, load with load_state_dict(strict=True) into the PyTorch
     module of its family. The family comes from the metadata "model" (model.kind) and the
     kind of data in the "data" metadata; the sizes come from the embedded "config"
     (model.cnn / model.lstm / model.transformer) and the data description (input shape,
     classes, vocabularies, lengths):
       cnn,         images  MnistCNN of /work/shared/bench/pytorch_reference.py, generalised
                            to the config's channels/kernel/hidden:
                              conv{i}: Conv2d(prev, c, k, padding=k//2) -> ReLU -> MaxPool2d(2)
                              flatten(1); fc{j}: Linear -> ReLU; fc{last}: Linear to classes
       lstm,        images  LSTMClassifier of pytorch_reference.py: nn.LSTM over the image's
                            rows (28 steps of 28 pixels for MNIST), fc on the last step
       lstm,        text    embedding -> nn.LSTM over pack_padded_sequence -> fc(h_n[-1])
       lstm,        chars   the character LM: embedding -> nn.LSTM -> fc at every step
       gru,         any     as lstm, with nn.GRU in place of nn.LSTM (parameters gru.*)
       transformer, pairs   Seq2SeqTransformer of pytorch_reference.py with source and target
                            vocabularies of their own (data vocab / target_vocab), sinusoid
                            tables for data max_len and target_len, nn.Transformer with a
                            causal target mask and the source padding as src_key_padding_mask
                            and memory_key_padding_mask; with model.transformer.share_embeddings
                            one table, src_emb.weight, for both embeddings and out.weight
       transformer, text    TransformerClassifier of pytorch_reference.py with the padding as
                            src_key_padding_mask and the mean over the real tokens only
     Names, layouts and shapes must match exactly: a missing, unexpected, mis-shaped or
     non-F32 tensor is an error. The sinusoid tables and the causal mask are non-persistent
     buffers (pytorch_reference.py registers them persistent, so its own classes would need
     them in the state_dict; gorgonet computes them and does not store them).
  2. Then it runs the loaded module on real inputs:
       images  the 10,000-image test set read from the Go project's embedded MNIST copy
               (datasets/mnist/t10k-*-ubyte.gz in the repository root, the parent of scripts/)
               -- or /usr/share/datasets/fashion-mnist/ when the config's data.name is not
               mnist; a non-empty data.path in the config, or --data-dir, wins -- with pixels
               normalised as (x/255 - Mean)/Std from the "data" metadata. It prints the test
               accuracy and the mean cross-entropy, which should agree with
               `go run ./cmd/eval --checkpoint SAME --json` (accuracy to 0.01 percentage
               points, loss to 1e-4).
       text    the sentences given with --text (default: three examples), tokenised as
               datasets.Tokenize does (exactly for ASCII text), encoded with the checkpoint's
               vocabulary and cut to data.max_len; it prints each one's class probabilities,
               which should agree with `go run ./cmd/predict --checkpoint SAME --json --top N`.
       chars   the test span of the text (datasets/opticks/Isaac.Newton-Opticks.txt, or
               data.path), cut by characters as datasets.NewCharCorpus does (train, val, test
               contiguous, sizes rounded half away from zero) and encoded with the checkpoint's
               vocabulary: the loss and bits per character of the first --lm-chars (2000)
               characters read as one stream from a zero state, and of the whole test span read
               as `go run ./cmd/eval` reads it (train.eval_batch_size parallel streams, each
               from a zero state), which should agree with its loss and bits_per_char.
       pairs   a teacher-forced forward pass (logits shape checked), then greedy decoding of the
               words given with --text (default: three words), as models.Translator decodes with
               beam 1, which should agree with `go run ./cmd/predict --checkpoint SAME --beam 1`.
     Inputs, weights and arithmetic are float32 as on the Go side. The Transformer modules have
     dropout 0 and run in train mode, which keeps PyTorch on its reference path (eval mode
     switches to a fused inference implementation); the others run in eval mode.

SafeTensors reading: if `safetensors.torch` is importable it uses
safetensors.torch.load_file (and safetensors.safe_open for the metadata); otherwise a
small pure-Python reader (struct + json + torch.frombuffer). The one used is printed
(--reader pure forces the built-in one).

Any mismatch or unreadable input exits with status 1 and a one-line message on stderr.

Command (from /work/main, Debian's PyTorch 1.13 under /usr/bin/python3):
    /usr/bin/python3 scripts/torch_load_check.py /tmp/tlc-run --json
    /usr/bin/python3 scripts/torch_load_check.py runs/mnist-cnn/checkpoints/last.safetensors
    /usr/bin/python3 scripts/torch_load_check.py runs/sentiment-lstm --text "The food was great"
    /usr/bin/python3 scripts/torch_load_check.py runs/opticks-charlm
    /usr/bin/python3 scripts/torch_load_check.py runs/cmudict-transformer --text gorgonet
Compare with:
    go run ./cmd/eval --checkpoint /tmp/tlc-run --json
    go run ./cmd/predict --checkpoint runs/sentiment-lstm --json --top 2 "The food was great"
    go run ./cmd/eval --checkpoint runs/opticks-charlm --json
    go run ./cmd/predict --checkpoint runs/cmudict-transformer --beam 1 gorgonet
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import unicodedata

PROG = "torch_load_check"
DROPPED_PREFIXES = ("optimizer/", "state/")  # optimizer buffers, carried LSTM states
FORMATS = ("gorgonet/1", "gorgonet/2")  # 2: the config holds only its model kind's block
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMBEDDED_MNIST = os.path.join(REPO, "datasets", "mnist")
EMBEDDED_OPTICKS = os.path.join(REPO, "datasets", "opticks", "Isaac.Newton-Opticks.txt")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
PAD, UNK, BOS, EOS = 0, 1, 2, 3  # datasets.PadID, UnkID, BosID, EosID
# config.Default()'s model sections: keys present in the checkpoint's config override these.
DEFAULTS = {
    "cnn": {"channels": [32, 64], "kernel": 3, "hidden": [128]},
    "lstm": {"embedding": 64, "hidden": 128, "layers": 1},
    "gru": {"embedding": 64, "hidden": 128, "layers": 1},
    "transformer": {"dim": 64, "heads": 4, "ff": 256, "encoder_layers": 2, "decoder_layers": 2,
                    "activation": "relu", "norm_first": False, "share_embeddings": False},
}
DEFAULT_TEXT = {
    "text": ["The food was great", "Never again.", "I don't think I'd buy this phone twice!"],
    "pairs": ["hello", "world", "gorgonet"],
}


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




def model_config(config, kind):
    """The model.<kind> section over config.Default()'s values, as Go's config.Parse fills it."""
    section = dict(DEFAULTS[kind])
    for k, v in ((config.get("model") or {}).get(kind) or {}).items():
        if k in section and v is not None:
            section[k] = v
    try:
        if kind == "cnn":
            return {"channels": [int(c) for c in section["channels"]], "kernel": int(section["kernel"]),
                    "hidden": [int(h) for h in section["hidden"]]}
        if kind in RNNS:
            return dict({k: int(v) for k, v in section.items()}, kind=kind)
        out = {k: int(section[k]) for k in ("dim", "heads", "ff", "encoder_layers", "decoder_layers")}
        out["activation"] = str(section["activation"] or "relu")
        out["norm_first"] = bool(section["norm_first"])
        out["share_embeddings"] = bool(section["share_embeddings"])
        return out
    except (TypeError, ValueError):
        raise CheckError(f"model.{kind}: cannot read {section!r}") from None


# --------------------------------------------------------------------------- models

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


# The recurrent cells by model.kind; a model's recurrent module is named after its kind, as
# the Go side names the parameters (lstm.weight_ih_l0, gru.weight_ih_l0).
RNNS = {"lstm": nn.LSTM, "gru": nn.GRU}


class Recurrent(nn.Module):
    """The recurrent module of kind `kind` (nn.LSTM or nn.GRU), batch first, as self.<kind>."""

    def add_rnn(self, kind, inp, hidden, layers):
        self.kind = kind
        setattr(self, kind, RNNS[kind](inp, hidden, num_layers=layers, batch_first=True))

    def rnn(self, x):
        """Outputs and the top layer's final h."""
        out, h = getattr(self, self.kind)(x)
        if self.kind == "lstm":
            h = h[0]
        return out, h[-1]


class LSTMClassifier(Recurrent):
    """pytorch_reference.LSTMClassifier with any number of layers and either cell; images
    (B, C, H, W) are read as H steps of C*W values, the NCHW buffer reshaped as the Go side
    feeds it."""

    def __init__(self, inp=28, hidden=128, layers=1, classes=10, kind="lstm"):
        super().__init__()
        self.add_rnn(kind, inp, hidden, layers)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.rnn(x.reshape(x.shape[0], x.shape[2], -1))
        return self.fc(out[:, -1])


class TextLSTM(Recurrent):
    """models.RecurrentSpec over token ids: the state after each sequence's last real token."""

    def __init__(self, vocab, emb, hidden, layers, classes, kind="lstm"):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.add_rnn(kind, emb, hidden, layers)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, ids, mask):
        lengths = mask.sum(1).long()
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(ids), lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, h = self.rnn(packed)
        return self.fc(h)


class CharLM(Recurrent):
    """models.BuildLanguageModel: logits (B, T, V) at every step."""

    def __init__(self, vocab, emb, hidden, layers, kind="lstm"):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.add_rnn(kind, emb, hidden, layers)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, ids):
        out, _ = self.rnn(self.embedding(ids))
        return self.fc(out)


def sinusoid(seq, d):
    """pytorch_reference.sinusoid, computed in float64 as graphs.PositionalEncoding does."""
    pos = torch.arange(seq, dtype=torch.float64).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
    pe = torch.zeros(seq, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe.float()


class TransformerClassifier(nn.Module):
    """pytorch_reference.TransformerClassifier with padding: src_key_padding_mask, and the mean
    over the real tokens (mask 1) only."""

    def __init__(self, vocab, d, heads, ff, layers, seq, classes, activation="relu", norm_first=False):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.register_buffer("pe", sinusoid(seq, d), persistent=False)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation=activation,
                                           batch_first=True, norm_first=norm_first)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d, classes)

    def forward(self, tok, mask):
        h = self.emb(tok) * math.sqrt(self.emb.embedding_dim) + self.pe
        h = self.enc(h, src_key_padding_mask=mask == 0)
        return self.fc((h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True))


class Seq2SeqTransformer(nn.Module):
    """pytorch_reference.Seq2SeqTransformer with source and target vocabularies and lengths of
    their own, and the source padding mask on the encoder and on the memory."""

    def __init__(self, src_vocab, tgt_vocab, d, heads, ff, enc_layers, dec_layers, src_len, tgt_len,
                 activation="relu", norm_first=False, shared=False):
        super().__init__()
        self.shared = shared
        self.src_emb = nn.Embedding(src_vocab, d)
        if not shared:
            self.tgt_emb = nn.Embedding(tgt_vocab, d)
        self.register_buffer("src_pe", sinusoid(src_len, d), persistent=False)
        self.register_buffer("tgt_pe", sinusoid(tgt_len, d), persistent=False)
        self.register_buffer("causal", nn.Transformer.generate_square_subsequent_mask(tgt_len), persistent=False)
        self.tf = nn.Transformer(d, heads, enc_layers, dec_layers, ff, dropout=0.0, activation=activation,
                                 batch_first=True, norm_first=norm_first)
        self.out = nn.Linear(d, tgt_vocab)
        if shared:  # share_embeddings: one table, src_emb.weight, is also tgt_emb's and out.weight
            del self.out.weight
        self.scale = math.sqrt(d)

    def encode(self, src, src_mask):
        return self.tf.encoder(self.src_emb(src) * self.scale + self.src_pe, src_key_padding_mask=src_mask == 0)

    def decode(self, memory, src_mask, tgt_in):
        table = self.src_emb.weight if self.shared else self.tgt_emb.weight
        t = F.embedding(tgt_in, table) * self.scale + self.tgt_pe
        h = self.tf.decoder(t, memory, tgt_mask=self.causal, memory_key_padding_mask=src_mask == 0)
        return F.linear(h, table if self.shared else self.out.weight, self.out.bias)

    def forward(self, src, src_mask, tgt_in):
        return self.decode(self.encode(src, src_mask), src_mask, tgt_in)


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

def go_round(x):
    """Go's math.Round: half away from zero (Python's round is half to even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def is_word_rune(r):
    cat = unicodedata.category(r)
    return cat[0] in "LM" or cat == "Nd"  # unicode.IsLetter, IsMark, IsDigit


def is_space(r):
    if ord(r) <= 0xFF:
        return r in "\t\n\v\f\r \x85\xa0"
    return r.isspace()


def go_lower(r):
    low = r.lower()
    return low if len(low) == 1 else r  # unicode.ToLower maps one rune to one rune


def tokenize(s):
    """datasets.Tokenize: lower-case runs of letters, digits and marks (an apostrophe between two
    of them stays inside), every other non-space character a token of its own."""
    toks, word = [], []

    def flush():
        if word:
            toks.append("".join(word))
            word.clear()

    for i, r in enumerate(s):
        apostrophe = r in "'\u2019"
        if is_word_rune(r):
            word.append(go_lower(r))
        elif apostrophe and word and i + 1 < len(s) and is_word_rune(s[i + 1]):
            word.append("'")
        elif is_space(r):
            flush()
        elif apostrophe:
            flush()
            toks.append("'")
        else:
            flush()
            toks.append(go_lower(r))
    flush()
    return toks


def encode(tokens, index, max_len):
    """experiment.EncodeText / EncodeSource: unknown tokens are <unk>, cut to max_len, never empty."""
    ids = [index.get(t, UNK) for t in tokens][:max_len]
    return ids or [UNK]


def padded(rows, width):
    """(B, width) ids and the mask (1 real, 0 padding), float32 as the Go inputs."""
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.float32)
    for r, row in enumerate(rows):
        ids[r, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[r, :len(row)] = 1
    return ids, mask


def read_text(config):
    """The text of a character corpus: data.path, or the copy the Go binary embeds. Like
    datasets.LoadOpticks it must be UTF-8."""
    data_path = (config.get("data") or {}).get("path") or EMBEDDED_OPTICKS
    try:
        with open(data_path, "rb") as f:
            return data_path, f.read().decode("utf-8")
    except OSError as e:
        raise CheckError(f"cannot read {data_path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise CheckError(f"{data_path}: not UTF-8 text (byte {e.start})") from None


def char_test_span(text, config):
    """The test span of datasets.NewCharCorpus: train, val, test cut by characters."""
    data = config.get("data") or {}
    val_frac, test_frac = float(data.get("val_fraction", 0.1)), float(data.get("test_fraction", 0.1))
    n = len(text)
    n_val = go_round(val_frac * n)
    n_test = min(go_round(test_frac * n), n - n_val)
    return text[n - n_test:]


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


# --------------------------------------------------------------------------- families

class Family:
    """One kind of checkpoint: how to build its module from the config and data description,
    and how to run it."""

    def __init__(self, name, section, build, check):
        self.name, self.section, self.build, self.check = name, section, build, check


def vocab_tokens(info, key, path):
    try:
        tokens = [str(t) for t in info[key]["tokens"]]
    except (KeyError, TypeError):
        raise CheckError(f"{path}: the data description has no {key}.tokens") from None
    if tokens[:4] != ["<pad>", "<unk>", "<bos>", "<eos>"]:
        raise CheckError(f"{path}: {key} does not start with the special tokens")
    return tokens


def info_int(info, key, path):
    try:
        return int(info[key])
    except (KeyError, TypeError, ValueError):
        raise CheckError(f"{path}: the data description has no {key}") from None


def classes_of(info, path):
    classes = info.get("classes")
    if not classes:
        raise CheckError(f"{path}: the data description has no classes")
    return [str(c) for c in classes]


def build_cnn(c, info, path):
    input_shape = [int(d) for d in info["input"]]
    m = CNN(input_shape, len(classes_of(info, path)), c["channels"], c["kernel"], c["hidden"])
    return m, f"channels {c['channels']} kernel {c['kernel']} hidden {c['hidden']} classes {len(info['classes'])}"


def build_image_lstm(c, info, path):
    ch, h, w = [int(d) for d in info["input"]]
    classes = len(classes_of(info, path))
    m = LSTMClassifier(ch * w, c["hidden"], c["layers"], classes, c["kind"])
    return m, f"{c['kind']} classifier: {h} steps of {ch * w} values, hidden {c['hidden']}, layers {c['layers']}, classes {classes}"


def build_text_lstm(c, info, path):
    vocab, classes = len(vocab_tokens(info, "vocab", path)), len(classes_of(info, path))
    m = TextLSTM(vocab, c["embedding"], c["hidden"], c["layers"], classes, c["kind"])
    return m, (f"text {c['kind']}: vocabulary {vocab}, embedding {c['embedding']}, hidden {c['hidden']}, "
               f"layers {c['layers']}, classes {classes}, max_len {info_int(info, 'max_len', path)}")


def build_char_lm(c, info, path):
    vocab = len(vocab_tokens(info, "vocab", path))
    m = CharLM(vocab, c["embedding"], c["hidden"], c["layers"], c["kind"])
    return m, f"character {c['kind']} LM: vocabulary {vocab}, embedding {c['embedding']}, hidden {c['hidden']}, layers {c['layers']}"


def transformer_desc(c):
    return (f"dim {c['dim']} heads {c['heads']} ff {c['ff']} {c['activation']}"
            f"{' pre-norm' if c['norm_first'] else ''}")


def build_seq2seq(c, info, path):
    sv, tv = len(vocab_tokens(info, "vocab", path)), len(vocab_tokens(info, "target_vocab", path))
    s, t = info_int(info, "max_len", path), info_int(info, "target_len", path)
    m = Seq2SeqTransformer(sv, tv, c["dim"], c["heads"], c["ff"], c["encoder_layers"], c["decoder_layers"], s, t,
                           c["activation"], c["norm_first"], c.get("share_embeddings", False))
    return m, (f"Seq2SeqTransformer: {c['encoder_layers']}+{c['decoder_layers']} layers, {transformer_desc(c)}, "
               f"vocabularies {sv} -> {tv}{' (shared embeddings)' if m.shared else ''}, lengths {s} -> {t}")


def build_text_transformer(c, info, path):
    vocab, classes = len(vocab_tokens(info, "vocab", path)), len(classes_of(info, path))
    s = info_int(info, "max_len", path)
    m = TransformerClassifier(vocab, c["dim"], c["heads"], c["ff"], c["encoder_layers"], s, classes,
                              c["activation"], c["norm_first"])
    return m, (f"TransformerClassifier: {c['encoder_layers']} layers, {transformer_desc(c)}, vocabulary {vocab}, "
               f"max_len {s}, classes {classes}")


def check_images(model, config, info, args, path):
    name, data_dir, images, labels = test_set(config, args.data_dir)
    input_shape = [int(d) for d in info["input"]]
    classes = len(info["classes"])
    try:
        mean = float(info["normalization"]["Mean"])
        std = float(info["normalization"]["Std"]) or 1.0  # Go treats Std 0 as 1
    except (KeyError, TypeError, ValueError) as e:
        raise CheckError(f"{path}: bad normalization metadata ({type(e).__name__}: {e})") from None
    if list(images.shape[1:]) != input_shape[1:] or input_shape[0] != 1:
        raise CheckError(f"{data_dir}: images are {list(images.shape[1:])}, the checkpoint expects {input_shape}")
    if int(labels.max()) >= classes:
        raise CheckError(f"{data_dir}: label {int(labels.max())} is out of range for {classes} classes")
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
    lines = [f"data        {name} test set, {data_dir}, normalization mean {mean} std {std}",
             f"examples    {n}", f"loss        {loss:.6f}", f"accuracy    {100 * accuracy:.2f}%  ({correct}/{n})"]
    return lines, {"accuracy": accuracy, "loss": loss, "examples": n}


def check_text(model, config, info, args, path):
    tokens, classes = vocab_tokens(info, "vocab", path), classes_of(info, path)
    index = {t: i for i, t in enumerate(tokens)}
    max_len = info_int(info, "max_len", path)
    texts = args.text or DEFAULT_TEXT["text"]
    ids, mask = padded([encode(tokenize(t), index, max_len) for t in texts], max_len)
    with torch.no_grad():
        logits = model(ids, mask)
    if tuple(logits.shape) != (len(texts), len(classes)):
        raise CheckError(f"{path}: logits have shape {list(logits.shape)}, want [{len(texts)}, {len(classes)}]")
    probs = F.softmax(logits.double(), 1)
    lines, out = [f"forward     {len(texts)} sentences -> logits {list(logits.shape)}"], []
    for text, p in zip(texts, probs):
        ranked = sorted(zip(classes, p.tolist()), key=lambda cp: -cp[1])
        lines.append(f"  {text!r}: " + ", ".join(f"{c} {q:.6f}" for c, q in ranked))
        out.append({"input": text, "top": [{"class": c, "probability": q} for c, q in ranked]})
    return lines, {"predictions": out}


def stream_loss(model, ids, streams):
    """Mean cross-entropy of predicting ids[p+1] from ids[..p], the sequence read as `streams`
    parallel rows of n = ceil((len-1)/streams) characters, each from a zero state: what
    experiment.LMEvaluator computes, its chunks of max_len steps carrying the state, in one pass."""
    n = (len(ids) - 1 + streams - 1) // streams
    x = torch.zeros(streams, n, dtype=torch.long)
    y = torch.full((streams, n), -100, dtype=torch.long)
    for r in range(streams):
        row = ids[r * n:r * n + n]
        x[r, :len(row)] = torch.tensor(row, dtype=torch.long)
        nxt = ids[r * n + 1:r * n + n + 1]
        y[r, :len(nxt)] = torch.tensor(nxt, dtype=torch.long)
    with torch.no_grad():
        logits = model(x)
    if tuple(logits.shape) != (streams, n, model.fc.out_features):
        raise CheckError(f"logits have shape {list(logits.shape)}, want [{streams}, {n}, {model.fc.out_features}]")
    y = y.reshape(-1)
    loss = float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), y, ignore_index=-100, reduction="sum"))
    count = int((y != -100).sum())
    return loss / count, count


def check_chars(model, config, info, args, path):
    tokens = vocab_tokens(info, "vocab", path)
    index = {t: i for i, t in enumerate(tokens)}
    data_path, text = read_text(config)
    test = [index.get(ch, UNK) for ch in char_test_span(text, config)]
    if len(test) < 2:
        raise CheckError(f"{data_path}: the test span has {len(test)} characters, too few to score")
    unknown = sum(1 for i in test if i == UNK)
    first, count = stream_loss(model, test[:args.lm_chars], 1)
    streams = int((config.get("train") or {}).get("eval_batch_size") or 100)
    full, full_count = stream_loss(model, test, streams)
    lines = [f"data        {data_path}: test span {len(test)} characters ({unknown} unknown)",
             f"first {args.lm_chars:<5} loss {first:.6f}  {first / math.log(2):.4f} bits/char  "
             f"({count} predictions, one stream from a zero state)",
             f"test span   loss {full:.6f}  {full / math.log(2):.4f} bits/char  "
             f"({full_count} predictions, {streams} streams as cmd/eval reads them)"]
    return lines, {"first_chars": args.lm_chars, "first_loss": first, "first_bits_per_char": first / math.log(2),
                   "loss": full, "bits_per_char": full / math.log(2), "examples": full_count}


def source_tokens(info, text):
    """experiment.SourceTokens: a word's lower-case characters (pronunciations), or word tokens."""
    if info.get("tokens") != "phonemes":
        return tokenize(text)
    return [go_lower(r) for r in text.strip()]


def greedy(model, src, smask, tgt_len):
    """models.Translator with beam 1: at each position the most likely token other than <pad>
    and <bos>; <eos> or the last position ends a row."""
    memory = model.encode(src, smask)
    out = [[] for _ in range(src.shape[0])]
    live = set(range(src.shape[0]))
    for pos in range(tgt_len):
        if not live:
            break
        tgt_in = torch.zeros(src.shape[0], tgt_len, dtype=torch.long)
        for r, ids in enumerate(out):
            tgt_in[r, 0] = BOS
            tgt_in[r, 1:len(ids) + 1] = torch.tensor(ids, dtype=torch.long)
        logits = model.decode(memory, smask, tgt_in)[:, pos].clone()
        logits[:, [PAD, BOS]] = -math.inf
        best = logits.argmax(1).tolist()
        for r in sorted(live):
            if best[r] == EOS:
                live.discard(r)
                continue
            out[r].append(best[r])
            if pos == tgt_len - 1:
                live.discard(r)
    return out


def check_pairs(model, config, info, args, path):
    src_tokens, tgt_tokens = vocab_tokens(info, "vocab", path), vocab_tokens(info, "target_vocab", path)
    index = {t: i for i, t in enumerate(src_tokens)}
    s, t = info_int(info, "max_len", path), info_int(info, "target_len", path)
    words = [w for w in (args.text or DEFAULT_TEXT["pairs"]) if source_tokens(info, w)]
    if not words:
        raise CheckError("--text: every input is empty")
    src, smask = padded([encode(source_tokens(info, w), index, s) for w in words], s)
    with torch.no_grad():
        tgt_in = torch.full((len(words), t), PAD, dtype=torch.long)
        tgt_in[:, 0] = BOS
        logits = model(src, smask, tgt_in)
        if tuple(logits.shape) != (len(words), t, len(tgt_tokens)):
            raise CheckError(f"{path}: logits have shape {list(logits.shape)}, want [{len(words)}, {t}, {len(tgt_tokens)}]")
        outputs = greedy(model, src, smask, t)
    lines = [f"forward     {len(words)} sources -> teacher-forced logits {list(logits.shape)}",
             "greedy      (as cmd/predict --beam 1)"]
    out = []
    for w, ids in zip(words, outputs):
        text = " ".join(tgt_tokens[i] for i in ids)
        lines.append(f"  {w} -> {text}")
        out.append({"input": w, "output": text})
    return lines, {"conversions": out}


FAMILIES = {
    ("cnn", "images"): Family("cnn", "cnn", build_cnn, check_images),
    ("lstm", "images"): Family("lstm-images", "lstm", build_image_lstm, check_images),
    ("lstm", "text"): Family("lstm-text", "lstm", build_text_lstm, check_text),
    ("lstm", "chars"): Family("lstm-chars", "lstm", build_char_lm, check_chars),
    ("gru", "images"): Family("gru-images", "gru", build_image_lstm, check_images),
    ("gru", "text"): Family("gru-text", "gru", build_text_lstm, check_text),
    ("gru", "chars"): Family("gru-chars", "gru", build_char_lm, check_chars),
    ("transformer", "pairs"): Family("transformer-pairs", "transformer", build_seq2seq, check_pairs),
    ("transformer", "text"): Family("transformer-text", "transformer", build_text_transformer, check_text),
}


# --------------------------------------------------------------------------- main

def resolve(path):
    if os.path.isdir(path):
        path = os.path.join(path, "checkpoints", "best.safetensors")
    if not os.path.isfile(path):
        raise CheckError(f"no checkpoint at {path}")
    return path


def family_of(metadata, config, info, path):
    kind = metadata.get("model") or (config.get("model") or {}).get("kind") or "cnn"
    data_kind = info.get("kind") or "images"  # DataInfo.Kind "" means images
    family = FAMILIES.get((kind, data_kind))
    if family is None:
        known = ", ".join(f"{k} on {d}" for k, d in FAMILIES)
        raise CheckError(f"{path}: no PyTorch module for model {kind!r} on {data_kind} data (known: {known})")
    return family


def run(args):
    path = resolve(args.checkpoint)
    tensors, metadata, reader = load_checkpoint(path, args.reader)
    if metadata.get("format") not in FORMATS:
        raise CheckError(f"{path}: metadata format is {metadata.get('format')!r}, want one of {FORMATS}")
    try:
        config = parse_yaml(metadata["config"])
        info = json.loads(metadata["data"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckError(f"{path}: bad metadata ({type(e).__name__}: {e})") from None
    if not isinstance(info, dict):
        raise CheckError(f"{path}: the data metadata is not a JSON object")
    family = family_of(metadata, config, info, path)
    try:
        model, desc = family.build(model_config(config, family.section), info, path)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckError(f"{path}: bad metadata ({type(e).__name__}: {e})") from None

    state = {k: v for k, v in tensors.items() if not k.startswith(DROPPED_PREFIXES)}
    dropped = {p: sum(1 for k in tensors if k.startswith(p)) for p in DROPPED_PREFIXES}
    load_model(model, state, path)
    # Transformers: dropout 0 and train mode keep PyTorch on its reference path.
    model.train(family.section == "transformer")
    header = [f"reader      {reader}",
              f"checkpoint  {path}",
              f"family      {family.name}",
              f"model       {desc}",
              f"loaded      {len(state)} tensors with load_state_dict(strict=True) "
              f"({dropped['optimizer/']} optimizer/ and {dropped['state/']} state/ tensors dropped)"]
    lines, result = family.check(model, config, info, args, path)
    if args.json:
        print(json.dumps({"checkpoint": path, "reader": reader, "family": family.name, "tensors": len(state), **result}))
    else:
        print("\n".join(header + lines))


def main():
    ap = argparse.ArgumentParser(description="Load a gorgonet checkpoint into the matching PyTorch module "
                                             "(strict) and run it: test accuracy and loss for image classifiers, "
                                             "class probabilities for text classifiers, bits per character for "
                                             "language models, greedy outputs for sequence-to-sequence models.")
    ap.add_argument("checkpoint", help="a .safetensors file, or a run directory (RUN/checkpoints/best.safetensors)")
    ap.add_argument("--json", action="store_true",
                    help='print one JSON object: {"checkpoint","reader","family","tensors", and the results}')
    ap.add_argument("--reader", choices=("auto", "pure"), default="auto",
                    help="auto: safetensors.torch if importable, else the built-in reader; pure: always built-in")
    ap.add_argument("--data-dir", help="image classifiers: directory with the t10k-*-ubyte.gz files "
                                       "(default: from the config)")
    ap.add_argument("--batch-size", type=int, default=1000, help="image classifiers: examples per forward pass "
                                                                 "(default 1000)")
    ap.add_argument("--text", action="append", help="text classifiers: a sentence; sequence-to-sequence models: a "
                                                    "word or phrase (repeatable; default: three examples)")
    ap.add_argument("--lm-chars", type=int, default=2000,
                    help="language models: test characters read as one stream (default 2000)")
    args = ap.parse_args()
    if args.lm_chars < 2:
        ap.error("--lm-chars must be at least 2")
    try:
        run(args)
    except CheckError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
