#!/usr/bin/python3
"""Writes golden.json: PyTorch 1.13 reference values for package optim's tests.

Rerun from the repository root (needs PyTorch 1.13, e.g. Debian's python3-torch):

    /usr/bin/python3 optim/testdata/gen_golden.py

The Go tests only read golden.json; they never run this script.

Every optimizer case starts from the same two parameters ("fc.weight" 3x2,
"fc.bias" 5) and applies the same 6 gradients (set via p.grad before each
opt.step()). The learning rate of each step comes from a torch scheduler and is
recorded, as is the gradient norm when the case clips with clip_grad_norm_.
"""
import json
import math
import os

import torch

STEPS = 6
PARAM_SHAPES = [("fc.weight", (3, 2)), ("fc.bias", (5,))]
# Per-step gradient scales, chosen so that clipping at max_norm 2 happens on some steps only.
GRAD_SCALES = [1.0, 0.3, 1.5, 0.05, 2.0, 0.5]


def flat(t):
    return t.detach().reshape(-1).tolist()


def make_params():
    g = torch.Generator().manual_seed(1234)
    return [(name, torch.randn(shape, generator=g)) for name, shape in PARAM_SHAPES]


def make_grads():
    g = torch.Generator().manual_seed(5678)
    steps = []
    for k in range(STEPS):
        grads = []
        for _, shape in PARAM_SHAPES:
            t = torch.randn(shape, generator=g) * GRAD_SCALES[k]
            # A few tiny entries so that Adam's eps and the sqrt matter.
            t.view(-1)[0] *= 1e-4
            grads.append(t)
        steps.append(grads)
    return steps


def warmup_step_lambda(warmup, step_size, gamma):
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        return gamma ** ((step - warmup) // step_size)
    return f


def warmup_cosine_lambda(warmup, total, base_lr, min_lr):
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / (total - warmup))
        lr = min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
        return lr / base_lr
    return f


def make_scheduler(opt, sched, base_lr, total):
    name = sched["name"]
    warmup = sched.get("warmup_steps", 0)
    if name == "constant":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: (s + 1) / warmup if s < warmup else 1.0)
    if name == "step" and warmup == 0:
        return torch.optim.lr_scheduler.StepLR(opt, step_size=sched["step_size"], gamma=sched["gamma"])
    if name == "step":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, warmup_step_lambda(warmup, sched["step_size"], sched["gamma"]))
    if name == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, warmup_cosine_lambda(warmup, total, base_lr, sched.get("min_lr", 0.0)))
    raise ValueError(name)


def make_optimizer(cfg, params):
    kw = {"lr": cfg["lr"], "weight_decay": cfg.get("weight_decay", 0.0)}
    if cfg["name"] == "sgd":
        return torch.optim.SGD(params, momentum=cfg.get("momentum", 0.0),
                               nesterov=cfg.get("nesterov", False), **kw)
    betas = (cfg.get("beta1") or 0.9, cfg.get("beta2") or 0.999)
    eps = cfg.get("eps") or 1e-8
    if cfg["name"] == "adam":
        return torch.optim.Adam(params, betas=betas, eps=eps, **kw)
    if cfg["name"] == "adamw":
        return torch.optim.AdamW(params, betas=betas, eps=eps, **kw)
    raise ValueError(cfg["name"])


STATE_KEYS = {"sgd": ["momentum_buffer"], "adam": ["exp_avg", "exp_avg_sq"],
              "adamw": ["exp_avg", "exp_avg_sq"]}


def run_case(name, cfg, sched, clip_max_norm, init, grads):
    params = [torch.nn.Parameter(t.clone()) for _, t in init]
    opt = make_optimizer(cfg, params)
    scheduler = make_scheduler(opt, sched, cfg["lr"], STEPS)
    lrs, norms, values = [], [], []
    for k in range(STEPS):
        for p, g in zip(params, grads[k]):
            p.grad = g.clone()
        if clip_max_norm > 0:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip_max_norm)))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
        values.append([flat(p) for p in params])
    state = {}
    if not (cfg["name"] == "sgd" and cfg.get("momentum", 0.0) == 0):
        for key in STATE_KEYS[cfg["name"]]:
            for (pname, _), p in zip(init, params):
                state[f"{key}/{pname}"] = flat(opt.state[p][key])
    return {"name": name, "config": cfg, "schedule": sched, "clip_max_norm": clip_max_norm,
            "lrs": lrs, "grad_norms": norms, "values": values, "state": state}


def schedule_case(name, sched, base_lr, total, steps):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    scheduler = make_scheduler(opt, sched, base_lr, total)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return {"name": name, "schedule": sched, "base_lr": base_lr, "total_steps": total, "lrs": lrs}


def clip_case(name, grads, max_norm):
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
    return {"name": name, "max_norm": max_norm, "grads": [flat(g) for g in grads],
            "norm": norm, "clipped": [flat(p.grad) for p in params]}


def main():
    torch.set_num_threads(1)
    init = make_params()
    grads = make_grads()
    cases = [
        run_case("sgd_plain", {"name": "sgd", "lr": 0.1}, {"name": "constant"}, 0, init, grads),
        run_case("sgd_momentum_steplr", {"name": "sgd", "lr": 0.1, "momentum": 0.9},
                 {"name": "step", "step_size": 2, "gamma": 0.5}, 0, init, grads),
        run_case("sgd_momentum_wd", {"name": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 0.01},
                 {"name": "constant", "warmup_steps": 2}, 0, init, grads),
        run_case("sgd_nesterov_wd", {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True,
                                     "weight_decay": 0.01},
                 {"name": "step", "warmup_steps": 1, "step_size": 2, "gamma": 0.3}, 0, init, grads),
        run_case("sgd_nesterov_clip", {"name": "sgd", "lr": 0.1, "momentum": 0.5, "nesterov": True},
                 {"name": "constant"}, 2.0, init, grads),
        run_case("adam", {"name": "adam", "lr": 0.01},
                 {"name": "cosine", "warmup_steps": 2, "min_lr": 0.0001}, 0, init, grads),
        run_case("adam_wd_betas", {"name": "adam", "lr": 0.05, "weight_decay": 0.1, "beta1": 0.8,
                                   "beta2": 0.99, "eps": 1e-6},
                 {"name": "step", "step_size": 3, "gamma": 0.1}, 0, init, grads),
        run_case("adamw", {"name": "adamw", "lr": 0.05, "weight_decay": 0.01},
                 {"name": "cosine", "warmup_steps": 1}, 0, init, grads),
        run_case("adamw_clip", {"name": "adamw", "lr": 0.02, "weight_decay": 0.1, "eps": 1e-6},
                 {"name": "constant"}, 2.0, init, grads),
    ]
    schedules = [
        schedule_case("steplr", {"name": "step", "step_size": 3, "gamma": 0.5}, 0.1, 12, 12),
        schedule_case("step_warmup", {"name": "step", "warmup_steps": 2, "step_size": 3, "gamma": 0.1},
                      0.1, 12, 12),
        schedule_case("constant_warmup", {"name": "constant", "warmup_steps": 4}, 0.3, 8, 8),
        schedule_case("cosine_warmup", {"name": "cosine", "warmup_steps": 3, "min_lr": 0.001},
                      0.1, 12, 15),
        schedule_case("cosine", {"name": "cosine"}, 0.5, 10, 11),
    ]
    g = torch.Generator().manual_seed(42)
    big = [torch.randn(4, generator=g) * 3, torch.randn(2, 3, generator=g) * 3]
    small = [torch.randn(4, generator=g) * 0.01, torch.randn(2, 3, generator=g) * 0.01]
    clips = [
        clip_case("clipped", big, 1.0),
        clip_case("under_max_norm", small, 1.0),
        clip_case("float_max_norm", big, 0.25),
    ]
    out = {
        "generator": "optim/testdata/gen_golden.py, torch " + torch.__version__,
        "params": [{"name": n, "shape": list(t.shape), "value": flat(t)} for n, t in init],
        "grads": [[flat(g) for g in step] for step in grads],
        "optimizers": cases,
        "schedules": schedules,
        "clip": clips,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
