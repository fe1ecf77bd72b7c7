#!/usr/bin/python3
"""Generate PyTorch golden fixtures for the models package CNN.

Makes models/testdata/cnn_golden.json:
    {"cases": [{"name", "config": {channels, kernel, hidden, input, classes, batch},
                "tensors": {name: {"shape": [..], "data": [..]}}}]}

The CNN family (matches MnistCNN in /work/shared/bench/pytorch_reference.py
for channels [32,64], hidden [128]):
    for c in channels: Conv2d(prev, c, kernel, padding=kernel//2) -> ReLU -> MaxPool2d(2)
    flatten (NCHW, x.flatten(1))
    for h in hidden:   [dropout] -> Linear(prev, h) -> ReLU
    [dropout] -> Linear(prev, classes)
Attributes conv1, conv2, ..., fc1, ..., fc{len(hidden)+1}; dropout is off (eval).

Tensors per case: "x", "labels" (class indices as floats), every state_dict
entry under its name (conv1.weight, conv1.bias, ..., fcN.bias), "logits",
"loss" (F.cross_entropy, mean, scalar, shape []), and "grad.<param name>" =
d loss / d param for every parameter.  Parameters use PyTorch's default
initialisation under a fixed seed.  Everything is float64 and deterministic.

Rerun (Debian python3-torch 1.13), from the repository root:
    /usr/bin/python3 models/testdata/gen_cnn_golden.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cnn_golden.json")


def enc(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


class CNN(nn.Module):
    def __init__(self, channels, kernel, hidden, input, classes, dropout=0.0):
        super().__init__()
        cin, hh, ww = input
        prev = cin
        self.nconv = len(channels)
        for i, c in enumerate(channels):
            setattr(self, "conv%d" % (i + 1), nn.Conv2d(prev, c, kernel, padding=kernel // 2))
            prev = c
            hh, ww = hh // 2, ww // 2
        prev = prev * hh * ww
        self.flat = prev
        self.nfc = len(hidden) + 1
        for i, h in enumerate(hidden):
            setattr(self, "fc%d" % (i + 1), nn.Linear(prev, h))
            prev = h
        setattr(self, "fc%d" % self.nfc, nn.Linear(prev, classes))
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        for i in range(self.nconv):
            x = F.max_pool2d(F.relu(getattr(self, "conv%d" % (i + 1))(x)), 2)
        x = x.flatten(1)
        for i in range(self.nfc - 1):
            x = F.relu(getattr(self, "fc%d" % (i + 1))(self.drop(x)))
        return getattr(self, "fc%d" % self.nfc)(self.drop(x))


def make_case(name, seed, config):
    torch.manual_seed(seed)
    cfg = dict(config)
    batch = cfg.pop("batch")
    model = CNN(**cfg)
    model.eval()  # dropout off
    x = torch.rand(batch, *config["input"])  # pixel-like values in [0, 1)
    labels = torch.randint(0, config["classes"], (batch,))
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    model.zero_grad()
    loss.backward()
    tensors = {"x": enc(x), "labels": enc(labels.to(torch.float64))}
    for k, v in model.state_dict().items():
        tensors[k] = enc(v)
    tensors["logits"] = enc(logits)
    tensors["loss"] = enc(loss)
    for k, p in model.named_parameters():
        tensors["grad." + k] = enc(p.grad)
    for k, t in tensors.items():
        assert all(v == v and abs(v) != float("inf") for v in t["data"]), (name, k)
    print(name, "flatten", model.flat, "loss", loss.item())
    return {"name": name, "config": config, "tensors": tensors}


cases = [
    make_case("small", 1234, {"channels": [4, 8], "kernel": 3, "hidden": [16],
                              "input": [1, 12, 12], "classes": 5, "batch": 3}),
    make_case("mnist_shape_no_hidden", 5678, {"channels": [2, 3], "kernel": 3, "hidden": [],
                                              "input": [1, 28, 28], "classes": 10, "batch": 2}),
]

with open(OUT, "w") as f:
    json.dump({"cases": cases}, f, separators=(",", ":"))
    f.write("\n")
print("wrote", OUT, os.path.getsize(OUT), "bytes")
