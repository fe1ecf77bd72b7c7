#!/usr/bin/python3
"""Generate PyTorch golden fixtures for the graphs package layers.

Makes graphs/testdata/golden.json:
    {"cases": [{"name", "layer", "args", "tensors": {name: {"shape": [..], "data": [..]}}}]}

Each case stores its inputs ("x", "logits", "labels", "mask"), parameters under
their PyTorch names ("weight", "bias"), a fixed random "upstream" tensor U of the
output's shape, the forward output "out", and "grad.<name>" = d/d<name> of
loss = (out * upstream).sum().  For the cross_entropy cases the output is the
(mean) loss itself: there is no "upstream" and grads are of "out" directly.
Tensors are row-major flat lists; a scalar has shape [].  Everything is float64
and deterministic (torch.manual_seed / fixed generators).

Rerun (Debian python3-torch 1.13), from the repository root:
    /usr/bin/python3 graphs/testdata/gen_golden.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.manual_seed(20240601)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json")


def enc(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def randn(*shape):
    return torch.randn(*shape)


cases = []


def add(name, layer, args, inputs, params, fn, upstream=True):
    """inputs/params: ordered dicts name -> leaf tensor (requires_grad or not)."""
    out = fn()
    tensors = {}
    for k, v in inputs.items():
        tensors[k] = enc(v)
    for k, v in params.items():
        tensors[k] = enc(v)
    if upstream:
        u = randn(*out.shape)
        loss = (out * u).sum()
        tensors["upstream"] = enc(u)
    else:
        loss = out
    tensors["out"] = enc(out)
    loss.backward()
    for k, v in list(inputs.items()) + list(params.items()):
        if v.requires_grad:
            assert v.grad is not None, (name, k)
            tensors["grad." + k] = enc(v.grad)
    for t in tensors.values():
        assert all(x == x and abs(x) != float("inf") for x in t["data"]), name
    cases.append({"name": name, "layer": layer, "args": args, "tensors": tensors})


# linear
lin = nn.Linear(5, 3)
x = leaf(randn(4, 5))
w, b = leaf(lin.weight), leaf(lin.bias)
add("linear", "linear", {"in": 5, "out": 3}, {"x": x}, {"weight": w, "bias": b},
    lambda: F.linear(x, w, b))

# conv2d
conv = nn.Conv2d(3, 4, 3, stride=1, padding=1)
x1 = leaf(randn(2, 3, 6, 6))
w1, b1 = leaf(conv.weight), leaf(conv.bias)
add("conv2d", "conv2d", {"in": 3, "out": 4, "kernel": 3, "stride": 1, "pad": 1},
    {"x": x1}, {"weight": w1, "bias": b1},
    lambda: F.conv2d(x1, w1, b1, stride=1, padding=1))

# conv2d stride 2, no padding
conv2 = nn.Conv2d(2, 3, 3, stride=2, padding=0)
x2 = leaf(randn(2, 2, 7, 7))
w2, b2 = leaf(conv2.weight), leaf(conv2.bias)
add("conv2d_stride2", "conv2d", {"in": 2, "out": 3, "kernel": 3, "stride": 2, "pad": 0},
    {"x": x2}, {"weight": w2, "bias": b2},
    lambda: F.conv2d(x2, w2, b2, stride=2, padding=0))


def distinct(*shape):
    n = 1
    for s in shape:
        n *= s
    # random permutation of 0..n-1, centred and scaled: all values distinct (no ties)
    return ((torch.randperm(n).to(torch.float64) - n / 2) * 0.1).reshape(*shape)


# maxpool2d
x3 = leaf(distinct(2, 3, 6, 6))
add("maxpool2d", "maxpool2d", {"kernel": 2, "stride": 2}, {"x": x3}, {},
    lambda: F.max_pool2d(x3, 2, 2))

# maxpool2d on odd size (floor mode -> 3x3, last row/col dropped)
x4 = leaf(distinct(1, 2, 7, 7))
add("maxpool2d_odd", "maxpool2d", {"kernel": 2, "stride": 2}, {"x": x4}, {},
    lambda: F.max_pool2d(x4, 2, 2))

# relu, values kept away from 0
r = randn(3, 4)
r = torch.where(r.abs() < 0.1, torch.sign(r + 1e-12) * (0.1 + r.abs()), r)
x5 = leaf(r)
assert (x5.abs() > 0.05).all()
add("relu", "relu", {}, {"x": x5}, {}, lambda: F.relu(x5))

# dropout with a fixed mask (3 of 12 zeros)
p = 0.25
mask = torch.ones(12)
mask[torch.randperm(12)[:3]] = 0.0
mask = mask.reshape(3, 4)
x6 = leaf(randn(3, 4))
add("dropout", "dropout", {"p": p}, {"x": x6, "mask": mask}, {},
    lambda: x6 * mask / (1.0 - p))

# flatten
x7 = leaf(randn(2, 3, 2, 2))
add("flatten", "flatten", {}, {"x": x7}, {}, lambda: x7.flatten(1))

# cross entropy (mean over all 5 rows)
lg = leaf(randn(5, 4))
lb = torch.randint(0, 4, (5,))
add("cross_entropy", "cross_entropy", {"valid": 5},
    {"logits": lg, "labels": lb.to(torch.float64)}, {},
    lambda: F.cross_entropy(lg, lb), upstream=False)

# cross entropy, padded last batch: only first 3 rows count; grad rows 3,4 are zero
lg2 = leaf(randn(5, 4))
lb2 = torch.randint(0, 4, (5,))
add("cross_entropy_padded", "cross_entropy", {"valid": 3},
    {"logits": lg2, "labels": lb2.to(torch.float64)}, {},
    lambda: F.cross_entropy(lg2[:3], lb2[:3]), upstream=False)
assert (lg2.grad[3:] == 0).all()

# log_softmax
x8 = leaf(randn(3, 5))
add("log_softmax", "log_softmax", {}, {"x": x8}, {}, lambda: F.log_softmax(x8, dim=1))

with open(OUT, "w") as f:
    json.dump({"cases": cases}, f, indent=None, separators=(",", ":"))
    f.write("\n")
print("wrote", OUT, os.path.getsize(OUT), "bytes,", len(cases), "cases")
