#!/usr/bin/python3
"""Generate PyTorch golden fixtures for the Transformer blocks of the graphs package.

Makes graphs/testdata/transformer_golden.json, in the format of gen_golden.py:
    {"cases": [{"name", "layer", "args", "tensors": {name: {"shape": [..], "data": [..]}}}]}

Each case stores its inputs ("x", "q", "kv", "src", "tgt", "memory"), key padding masks in
gorgonet's sense (1 real key, 0 padding: "pad", "src_pad", "tgt_pad", "mem_pad"), every
parameter under its state_dict key, a fixed random "upstream" U of the output's shape, the
output "out", and "grad.<name>" = d/d<name> of (out * U).sum() for every input and parameter.
Parameters are drawn at random (not PyTorch's initialisation, which makes LayerNorm weights 1
and biases 0) so that every gradient is exercised. Modules run in train mode with dropout 0,
so that PyTorch takes its reference path, not the fused inference fast path.

Rerun (Debian python3-torch 1.13), from the repository root:
    /usr/bin/python3 graphs/testdata/gen_transformer_golden.py
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.manual_seed(20240611)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "transformer_golden.json")


def enc(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def randomise(module, scale=0.4):
    """Replaces every parameter by N(0, scale²) values (LayerNorm weights around 1)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape) * scale)
        for m in module.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight += 1
    module.train()
    return module


def padding(lengths, width):
    """gorgonet's mask (1 real, 0 padding) and PyTorch's (True for padding)."""
    ours = torch.zeros(len(lengths), width)
    for b, n in enumerate(lengths):
        ours[b, :n] = 1
    return ours, ours == 0


cases = []


def add(name, layer, args, inputs, masks, module, fn):
    """inputs: name -> leaf tensor; masks: name -> gorgonet mask; fn() -> output."""
    out = fn()
    u = torch.randn(out.shape)
    (out * u).sum().backward()
    tensors = {k: enc(v) for k, v in list(inputs.items()) + list(masks.items())}
    tensors["upstream"] = enc(u)
    tensors["out"] = enc(out)
    for k, v in inputs.items():
        tensors["grad." + k] = enc(v.grad)
    if module is not None:
        # state_dict holds exactly the parameters (no buffers), so the Go test's name check
        # against these keys is a check against state_dict
        assert set(module.state_dict()) == {k for k, _ in module.named_parameters()}, name
        for k, p in module.named_parameters():
            tensors[k] = enc(p)
            tensors["grad." + k] = enc(p.grad)
    for k, t in tensors.items():
        assert all(math.isfinite(x) for x in t["data"]), (name, k)
    cases.append({"name": name, "layer": layer, "args": args, "tensors": tensors})


# LayerNorm over the last axis of a 3-D input
ln = randomise(nn.LayerNorm(5, eps=1e-5))
x = leaf(torch.randn(2, 3, 5))
add("layernorm", "layernorm", {"eps": 1e-5}, {"x": x}, {}, ln, lambda: ln(x))

# GELU (exact, erf)
x = leaf(torch.randn(3, 7) * 2)
add("gelu", "gelu", {}, {"x": x}, {}, None, lambda: F.gelu(x))


# Sinusoidal positional encoding, as the PyTorch tutorial builds it
def sinusoids(t, d):
    pos = torch.arange(t).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe = torch.zeros(t, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


x = leaf(torch.randn(2, 7, 6))
add("positional", "positional", {}, {"x": x}, {}, None, lambda: x + sinusoids(7, 6))

# MultiheadAttention: self-attention with key padding
mha = randomise(nn.MultiheadAttention(6, 3, batch_first=True))
x = leaf(torch.randn(2, 4, 6))
pad, kpm = padding([4, 2], 4)
add("mha_self_padding", "mha", {"heads": 3}, {"x": x}, {"pad": pad}, mha,
    lambda: mha(x, x, x, key_padding_mask=kpm)[0])

# self-attention with a causal mask and key padding (key 0 always real: no empty row)
mha = randomise(nn.MultiheadAttention(6, 2, batch_first=True))
x = leaf(torch.randn(2, 5, 6))
pad, kpm = padding([5, 3], 5)
causal = nn.Transformer.generate_square_subsequent_mask(5)
add("mha_causal", "mha", {"heads": 2, "causal": 1}, {"x": x}, {"pad": pad}, mha,
    lambda: mha(x, x, x, key_padding_mask=kpm, attn_mask=causal)[0])

# cross-attention (query and key/value differ) with key padding
mha = randomise(nn.MultiheadAttention(6, 2, batch_first=True))
q = leaf(torch.randn(2, 3, 6))
kv = leaf(torch.randn(2, 5, 6))
pad, kpm = padding([5, 2], 5)
add("mha_cross_padding", "mha", {"heads": 2}, {"q": q, "kv": kv}, {"pad": pad}, mha,
    lambda: mha(q, kv, kv, key_padding_mask=kpm)[0])

D, H, FF = 8, 2, 12


def layer_args(norm_first, activation="relu"):
    return {"dim": D, "heads": H, "ff": FF, "norm_first": int(norm_first), "gelu": int(activation == "gelu")}


# TransformerEncoderLayer: post-norm, pre-norm, GELU
for name, nf, act in [("encoder_layer", False, "relu"), ("encoder_layer_prenorm", True, "relu"),
                      ("encoder_layer_gelu", False, "gelu")]:
    m = randomise(nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation=act,
                                             batch_first=True, norm_first=nf))
    x = leaf(torch.randn(2, 5, D))
    pad, kpm = padding([5, 3], 5)
    add(name, "encoder_layer", layer_args(nf, act), {"x": x}, {"pad": pad}, m,
        lambda: m(x, src_key_padding_mask=kpm))

# TransformerDecoderLayer with a causal target mask and both paddings: post-norm, pre-norm
for name, nf in [("decoder_layer", False), ("decoder_layer_prenorm", True)]:
    m = randomise(nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=nf))
    x = leaf(torch.randn(2, 4, D))
    mem = leaf(torch.randn(2, 5, D))
    tpad, tkpm = padding([4, 3], 4)
    mpad, mkpm = padding([5, 2], 5)
    add(name, "decoder_layer", layer_args(nf), {"x": x, "memory": mem}, {"tgt_pad": tpad, "mem_pad": mpad}, m,
        lambda: m(x, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
                  tgt_key_padding_mask=tkpm, memory_key_padding_mask=mkpm))

# nn.Transformer, 2 + 2 layers, with padding on source and target and a causal target mask
m = randomise(nn.Transformer(D, H, 2, 2, FF, dropout=0.0, batch_first=True), scale=0.3)
src = leaf(torch.randn(2, 5, D))
tgt = leaf(torch.randn(2, 4, D))
spad, skpm = padding([5, 3], 5)
tpad, tkpm = padding([4, 2], 4)
add("transformer", "transformer", {**layer_args(False), "layers": 2}, {"src": src, "tgt": tgt},
    {"src_pad": spad, "tgt_pad": tpad}, m,
    lambda: m(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
              src_key_padding_mask=skpm, tgt_key_padding_mask=tkpm, memory_key_padding_mask=skpm))

with open(OUT, "w") as f:
    json.dump({"cases": cases}, f, indent=None, separators=(",", ":"))
    f.write("\n")
print("wrote", OUT, os.path.getsize(OUT), "bytes,", len(cases), "cases")
