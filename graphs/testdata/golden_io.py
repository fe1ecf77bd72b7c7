"""What the graphs package's golden generators share: setup, tensors as JSON, leaves, the file.

The file format (as gen_golden.py's):
    {"cases": [{"name", "layer", "args", "tensors": {name: {"shape": [..], "data": [..]}}}]}
"""
import json
import os

import torch


def setup(seed, name):
    """Float64 and seeded; returns the path of the fixture name next to the scripts."""
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(seed)
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name)


def enc(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def case(name, layer, args, tensors):
    """One case, its tensors checked finite."""
    for t in tensors.values():
        assert all(x == x and abs(x) != float("inf") for x in t["data"]), name
    return {"name": name, "layer": layer, "args": args, "tensors": tensors}


def write(path, cases):
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes,", len(cases), "cases")
