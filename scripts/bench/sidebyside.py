#!/usr/bin/python3
"""gorgonet's training steps side by side with PyTorch's, interleaved on one machine.

Builds train's step benchmarks (plain `go test -c`, the default build unless --tags), then,
for each round and each model, runs one Go process and one PyTorch process in turn (Go,
PyTorch, Go, PyTorch, ...), each after waiting for a quiet machine, and prints per model the
median steps/s of each side over the rounds, their spread (min-max), the ratio of the
medians, Go's allocations per step, and each side's peak RSS (of the whole process, from
wait4). PyTorch's side is scripts/bench/pytorch_reference.py, this repository's copy of the
five reference models.

Usage (from the repository root; PyTorch 1.13 from Debian: apt-get install -y python3-torch):
    /usr/bin/python3 scripts/bench/sidebyside.py                    # 3 rounds, all five models
    /usr/bin/python3 scripts/bench/sidebyside.py --rounds 5 --models cnn,lstm1
    /usr/bin/python3 scripts/bench/sidebyside.py --tags openblas    # the OpenBLAS yardstick
    /usr/bin/python3 scripts/bench/sidebyside.py --json out.json    # also write every sample

Do not run anything else meanwhile: on 2 cores one busy neighbour changes both sides' figures.
A sample taken while other processes used more than --max-other cores is retried (up to
--retries times) and marked NOISY if it never got a quiet machine.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# model -> the Go benchmark that runs the same model and batch.
BENCHES = {
    "cnn": "^BenchmarkCNNStep$",
    "lstm1": "^BenchmarkLSTMStep$/^lstm1$",
    "lstm2": "^BenchmarkLSTMStep$/^lstm2$",
    "tfenc": "^BenchmarkTransformerStep$/^tfenc$",
    "seq2seq": "^BenchmarkTransformerStep$/^seq2seq$",
}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(BENCHES))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30, help="timed steps per sample, both sides")
    ap.add_argument("--tags", default="", help="go build tags for the Go side (e.g. openblas)")
    ap.add_argument("--max-other", type=float, default=0.15, help="cores other processes may use during a sample")
    ap.add_argument("--retries", type=int, default=4)
    ap.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine (smoke tests only)")
    ap.add_argument("--json", help="write every sample to this file")
    return ap.parse_args()


def busy_jiffies():
    """All CPU time the machine has spent busy, in clock ticks (from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle


def other_cores(run):
    """Runs run() (which returns the child's rusage) and returns (result, cores used by others)."""
    tick = os.sysconf("SC_CLK_TCK")
    t0, b0 = time.monotonic(), busy_jiffies()
    result, usage = run()
    busy = (busy_jiffies() - b0) / tick
    own = usage.ru_utime + usage.ru_stime
    wall = time.monotonic() - t0
    return result, max(0.0, (busy - own) / wall)


def wait_quiet(args, label, window=3.0, max_wait=600):
    if args.no_wait:
        return
    end = time.monotonic() + max_wait
    while True:
        tick = os.sysconf("SC_CLK_TCK")
        b0 = busy_jiffies()
        time.sleep(window)
        load = (busy_jiffies() - b0) / tick / window
        if load <= args.max_other or time.monotonic() > end:
            return
        print(f"#   {label}: waiting for a quiet machine (others use {load:.2f} cores)", flush=True)


def run_child(cmd, env=None):
    """Runs cmd; returns (stdout, rusage). Fails loudly with the child's stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{err.read().decode()}")
        return out.read().decode(), usage


GO_LINE = re.compile(r"^Benchmark\S+\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) steps/s(?:\s+(\d+) B/op\s+(\d+) allocs/op)?")


def go_sample(binary, model, args):
    cmd = [binary, "-test.run", "^$", "-test.bench", BENCHES[model], "-test.benchtime", f"{args.steps}x",
           "-test.benchmem", "-test.count", "1"]

    def run():
        env = dict(os.environ, GOMAXPROCS="2")
        if "openblas" in args.tags:  # one BLAS thread inside the fused ops' workers, as the reference runs
            env.update(OPENBLAS_NUM_THREADS="1", OPENBLAS_CORETYPE="Cooperlake")
        out, usage = run_child(cmd, env=env)
        for line in out.splitlines():
            m = GO_LINE.match(line)
            if m:
                return {"steps_per_s": float(m.group(2)), "allocs_per_step": int(m.group(4) or -1),
                        "peak_rss_mb": usage.ru_maxrss / 1024}, usage
        sys.exit(f"no benchmark line for {model} in:\n{out}")
    return run


def torch_sample(model, args):
    def run():
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            cmd = ["/usr/bin/python3", os.path.join(HERE, "pytorch_reference.py"), "--models", model,
                   "--steps", str(args.steps), "--max-other", "1e9", "--json", f.name]
            # Not --no-mm: PyTorch's steps are 2-3x slower (cnn 21 against 69 steps/s) when
            # its torch.mm measurement has not run first and warmed its BLAS and thread pools.
            _, usage = run_child(cmd)
            r = json.load(open(f.name))["models"][0]
        return {"steps_per_s": 1e3 / r["step_ms_median"], "peak_rss_mb": usage.ru_maxrss / 1024}, usage
    return run


def sample(run, args, label):
    """One quiet sample of run: retried while other processes loaded the machine."""
    best = None
    for _ in range(args.retries + 1):
        wait_quiet(args, label)
        r, other = other_cores(run)
        r["other_cores"] = other
        if best is None or other < best["other_cores"]:
            best = r
        if args.no_wait or other <= args.max_other:
            return best
        print(f"#   {label}: others used {other:.2f} cores, retrying", flush=True)
    best["noisy"] = True
    return best


def spread(xs):
    return f"{min(xs):.1f}-{max(xs):.1f}"


def report(models, samples):
    print(f"{'model':8} {'Go steps/s':>10} {'range':>11} {'PyTorch':>8} {'range':>11} {'Go/PyTorch':>10} "
          f"{'per round':>17} {'allocs':>6} {'Go RSS':>7} {'PT RSS':>7}")
    for m in models:
        go = [s["steps_per_s"] for s in samples[m]["go"]]
        pt = [s["steps_per_s"] for s in samples[m]["torch"]]
        rounds = " ".join(f"{g / p:.2f}" for g, p in zip(go, pt))
        allocs = max(s["allocs_per_step"] for s in samples[m]["go"])
        rss = lambda side: statistics.median(s["peak_rss_mb"] for s in samples[m][side])
        noisy = any(s.get("noisy") for side in ("go", "torch") for s in samples[m][side])
        print(f"{m:8} {statistics.median(go):10.1f} {spread(go):>11} {statistics.median(pt):8.1f} {spread(pt):>11} "
              f"{statistics.median(go) / statistics.median(pt):9.2f}x {rounds:>17} {allocs:6d} "
              f"{rss('go'):5.0f}MB {rss('torch'):5.0f}MB{' NOISY' if noisy else ''}")


def main():
    args = parse_args()
    models = args.models.split(",")
    for m in models:
        if m not in BENCHES:
            sys.exit(f"--models: unknown model {m!r} (known: {', '.join(BENCHES)})")
    binary = os.path.join(tempfile.mkdtemp(), "train.test")
    build = ["go", "test", "-c", "-o", binary] + (["-tags", args.tags] if args.tags else []) + ["./train"]
    print("# " + " ".join(build), flush=True)
    run_child(build)
    samples = {m: {"go": [], "torch": []} for m in models}
    for rnd in range(1, args.rounds + 1):
        for m in models:
            for side, run in (("go", go_sample(binary, m, args)), ("torch", torch_sample(m, args))):
                s = sample(run, args, f"round {rnd} {m} {side}")
                samples[m][side].append(s)
                print(f"# round {rnd} {m:8} {side:5} {s['steps_per_s']:7.1f} steps/s "
                      f"(others {s['other_cores']:.2f} cores){' NOISY' if s.get('noisy') else ''}", flush=True)
    report(models, samples)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "samples": samples}, f, indent=1)


if __name__ == "__main__":
    main()
