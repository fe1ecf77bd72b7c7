#!/usr/bin/python3
"""Generate PyTorch golden fixtures for the graphs package's LSTM, Embedding and fused
cross-entropy.

Makes graphs/testdata/lstm_golden.json, in the format of gen_golden.py:
    {"cases": [{"name", "layer", "args", "tensors": {name: {"shape": [..], "data": [..]}}}]}

LSTM cases (torch.nn.LSTM, batch_first=True) store the input "x", the initial state
"h0" and "c0" (layers, B, H), every parameter under its PyTorch name (weight_ih_l0, ...),
a random "upstream" U of the output's shape, the output "out", the final state "h_n" and
"c_n", and "grad.<name>" = d/d<name> of (out * U).sum() for x and every parameter. The
variable-length case runs pack_padded_sequence / pad_packed_sequence and also stores the
"mask" (B, T): 1 on real steps, 0 on padding; its U is zero on padding, so only real
steps count (PyTorch's padded outputs are zeros, ours carry the last real h).

"embedding" stores "ids" (B, T, as floats), "weight", "upstream", "out" and
"grad.weight". "cross_entropy_smoothed" stores "logits", "labels" and, as gen_golden.py's
cross-entropy cases, the mean loss "out" of F.cross_entropy(label_smoothing=eps) and
"grad.logits" (no upstream).

Everything is float64 and deterministic. Rerun (Debian python3-torch 1.13), from the
repository root:
    /usr/bin/python3 graphs/testdata/gen_lstm_golden.py
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from golden_io import case, enc, leaf, setup, write

OUT = setup(20240602, "lstm_golden.json")

cases = []


def finish(name, layer, args, tensors):
    cases.append(case(name, layer, args, tensors))


def lstm_case(name, layers, batch, steps, inp, hidden, lengths=None):
    lstm = nn.LSTM(inp, hidden, num_layers=layers, batch_first=True)
    x = leaf(torch.randn(batch, steps, inp))
    h0 = torch.randn(layers, batch, hidden)
    c0 = torch.randn(layers, batch, hidden)
    mask = torch.ones(batch, steps)
    if lengths is None:
        out, (hn, cn) = lstm(x, (h0, c0))
    else:
        for b, n in enumerate(lengths):
            mask[b, n:] = 0
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, (hn, cn) = lstm(packed, (h0, c0))
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)
    u = torch.randn(batch, steps, hidden) * mask.unsqueeze(-1)
    (out * u).sum().backward()
    tensors = {"x": enc(x), "h0": enc(h0), "c0": enc(c0), "upstream": enc(u),
               "out": enc(out), "h_n": enc(hn), "c_n": enc(cn), "grad.x": enc(x.grad)}
    if lengths is not None:
        tensors["mask"] = enc(mask)
    for pname, p in lstm.named_parameters():
        tensors[pname] = enc(p)
        tensors["grad." + pname] = enc(p.grad)
    args = {"layers": layers, "hidden": hidden}
    finish(name, "lstm", args, tensors)


lstm_case("lstm_1layer", 1, batch=3, steps=4, inp=5, hidden=6)
lstm_case("lstm_2layer", 2, batch=3, steps=5, inp=4, hidden=3)
lstm_case("lstm_packed", 2, batch=4, steps=5, inp=3, hidden=4, lengths=[5, 1, 3, 4])

# embedding, with repeated ids so that the weight gradient adds rows up
emb = nn.Embedding(7, 4)
ids = torch.tensor([[1, 3, 3, 0, 6], [3, 1, 5, 5, 5]])
out = emb(ids)
u = torch.randn(*out.shape)
(out * u).sum().backward()
finish("embedding", "embedding", {"vocab": 7, "dim": 4},
       {"ids": enc(ids.to(torch.float64)), "weight": enc(emb.weight), "upstream": enc(u),
        "out": enc(out), "grad.weight": enc(emb.weight.grad)})

# cross entropy with label smoothing (mean over rows): targets (1-eps)*onehot + eps/C, / N
eps = 0.1
lg = leaf(torch.randn(6, 5) * 3)
lb = torch.randint(0, 5, (6,))
loss = F.cross_entropy(lg, lb, label_smoothing=eps)
loss.backward()
finish("cross_entropy_smoothed", "cross_entropy", {"smoothing": eps},
       {"logits": enc(lg), "labels": enc(lb.to(torch.float64)), "out": enc(loss),
        "grad.logits": enc(lg.grad)})

write(OUT, cases)
