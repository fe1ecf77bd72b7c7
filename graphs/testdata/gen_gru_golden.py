#!/usr/bin/python3
"""Generate PyTorch golden fixtures for the graphs package's GRU.

Makes graphs/testdata/gru_golden.json, in the format of gen_golden.py:
    {"cases": [{"name", "layer", "args", "tensors": {name: {"shape": [..], "data": [..]}}}]}

Every case (torch.nn.GRU, batch_first=True) stores the input "x", the initial state "h0"
(layers, B, H), every parameter under its PyTorch name (weight_ih_l0, ...), a random
"upstream" U of the output's shape, the output "out", the final state "h_n", and
"grad.<name>" = d/d<name> of (out * U).sum() for x and every parameter. The
variable-length case runs pack_padded_sequence / pad_packed_sequence and also stores the
"mask" (B, T): 1 on real steps, 0 on padding; its U is zero on padding, so only real
steps count (PyTorch's padded outputs are zeros, ours carry the last real h).

"gru_carry" runs the GRU twice, over the two halves of a sequence, the second run starting
from the first's final state (detached, as a carried state is: no gradient flows between
runs). It stores "x" and "out" of the first half as "x1", "out1", "h_n1", and of the second
as "x", "out", "h_n" with "upstream" and the gradients of the second run only.

Everything is float64 and deterministic. Rerun (Debian python3-torch 1.13), from the
repository root:
    /usr/bin/python3 graphs/testdata/gen_gru_golden.py
"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from golden_io import case, enc, leaf, setup, write

OUT = setup(20261203, "gru_golden.json")
cases = []


def run(gru, x, h0, lengths):
    """Output, final state and mask of gru over x from h0; lengths None = all steps real."""
    batch, steps = x.shape[0], x.shape[1]
    mask = torch.ones(batch, steps)
    if lengths is None:
        out, hn = gru(x, h0)
        return out, hn, mask
    for b, n in enumerate(lengths):
        mask[b, n:] = 0
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out, hn = gru(packed, h0)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)
    return out, hn, mask


def backward(gru, x, out, mask, tensors):
    """Stores upstream, out and the gradients of (out * U).sum() in tensors."""
    u = torch.randn(*out.shape) * mask.unsqueeze(-1)
    gru.zero_grad()
    (out * u).sum().backward()
    tensors.update({"upstream": enc(u), "out": enc(out), "grad.x": enc(x.grad)})
    for pname, p in gru.named_parameters():
        tensors[pname] = enc(p)
        tensors["grad." + pname] = enc(p.grad)


def gru_case(name, layers, batch, steps, inp, hidden, lengths=None):
    gru = nn.GRU(inp, hidden, num_layers=layers, batch_first=True)
    x = leaf(torch.randn(batch, steps, inp))
    h0 = torch.randn(layers, batch, hidden)
    out, hn, mask = run(gru, x, h0, lengths)
    tensors = {"x": enc(x), "h0": enc(h0), "h_n": enc(hn)}
    if lengths is not None:
        tensors["mask"] = enc(mask)
    backward(gru, x, out, mask, tensors)
    cases.append(case(name, "gru", {"layers": layers, "hidden": hidden}, tensors))


def gru_carry_case(name, layers, batch, steps, inp, hidden):
    gru = nn.GRU(inp, hidden, num_layers=layers, batch_first=True)
    x1 = torch.randn(batch, steps, inp)
    h0 = torch.randn(layers, batch, hidden)
    with torch.no_grad():
        out1, hn1 = gru(x1, h0)
    x = leaf(torch.randn(batch, steps, inp))
    out, hn, mask = run(gru, x, hn1.detach(), None)
    tensors = {"x1": enc(x1), "out1": enc(out1), "h_n1": enc(hn1), "x": enc(x), "h0": enc(h0), "h_n": enc(hn)}
    backward(gru, x, out, mask, tensors)
    cases.append(case(name, "gru", {"layers": layers, "hidden": hidden}, tensors))


gru_case("gru_1layer", 1, batch=3, steps=4, inp=5, hidden=6)
gru_case("gru_2layer", 2, batch=3, steps=5, inp=4, hidden=3)
gru_case("gru_packed", 2, batch=4, steps=5, inp=3, hidden=4, lengths=[5, 1, 3, 4])
gru_carry_case("gru_carry", 2, batch=2, steps=3, inp=3, hidden=4)

write(OUT, cases)
