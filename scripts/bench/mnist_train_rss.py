#!/usr/bin/python3
"""The default experiment (configs/mnist-cnn.yaml) trained by PyTorch, for its peak RSS.

The same run as `go run ./cmd/train` (mnist-cnn): MnistCNN of pytorch_reference.py (conv 3x3
32 -> ReLU -> max-pool 2, conv 3x3 64 -> ReLU -> max-pool 2, fc 3136->128 -> ReLU, fc 128->10)
with dropout 0.25 before each fully connected layer, as gorgonet's model.cnn.dropout puts it;
the 60,000 MNIST training images of this repository's embedded copy (datasets/mnist), 54,000
for training and 6,000 held out for validation, pixels (x/255 - 0.1307)/0.3081; batch 64,
Adam lr 1e-3 with 100 warm-up steps and a cosine schedule to 1e-5 over 3 epochs, validation
at every epoch with batches of 100, a checkpoint (torch.save of the model and the optimizer)
every 500 steps and at every epoch, then the 10,000 test images.

The images stay uint8 in memory and are normalised a batch at a time, as torchvision's
MNIST dataset keeps them, so neither side holds a float copy of the data set.

Prints the test accuracy, the wall time and the peak RSS of the process (getrusage
ru_maxrss), to compare with `/usr/bin/time -v go run ./cmd/train` ("Maximum resident set
size"). Threads: one per core (torch.set_num_threads, and OMP_NUM_THREADS for Debian's
OpenBLAS), as gorgonet uses both cores.

Usage (from the repository root; PyTorch 1.13 from Debian: apt-get install -y python3-torch):
    /usr/bin/python3 scripts/bench/mnist_train_rss.py [--out DIR] [--epochs 3]
"""
import argparse
import gzip
import math
import os
import resource
import struct
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))
import torch  # noqa: E402 (after OMP_NUM_THREADS)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MNIST = os.path.join(ROOT, "datasets", "mnist")
MEAN, STD = 0.1307, 0.3081


def idx(path):
    """An IDX file (gzip) as a uint8 tensor of its shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, kind, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise SystemExit(f"{path}: not an IDX file of unsigned bytes")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


class MnistCNN(nn.Module):
    def __init__(self, dropout=0.25):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(self.drop(x.flatten(1))))
        return self.fc2(self.drop(x))


def pixels(images):
    return ((images.float() / 255 - MEAN) / STD).unsqueeze(1)


def evaluate(model, images, labels, batch):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), batch):
            correct += (model(pixels(images[i:i + batch])).argmax(1) == labels[i:i + batch]).sum().item()
    model.train()
    return correct / len(labels)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=None, help="checkpoint directory (default: a temporary one)")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="mnist-torch-")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(os.cpu_count())
    start = time.time()
    torch.manual_seed(1)
    images, labels = idx(os.path.join(MNIST, "train-images-idx3-ubyte.gz")), idx(os.path.join(MNIST, "train-labels-idx1-ubyte.gz")).long()
    order = torch.randperm(len(labels))
    val, train = order[:6000], order[6000:]
    tr_x, tr_y, va_x, va_y = images[train], labels[train], images[val], labels[val]
    del images, labels
    te_x, te_y = idx(os.path.join(MNIST, "t10k-images-idx3-ubyte.gz")), idx(os.path.join(MNIST, "t10k-labels-idx1-ubyte.gz")).long()

    model = MnistCNN().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps_per_epoch = math.ceil(len(tr_y) / 64)
    total, warmup = args.epochs * steps_per_epoch, 100

    def lr_at(step):  # gorgonet's cosine schedule: linear warm-up, then cosine to min_lr
        if step < warmup:
            return 1e-3 * (step + 1) / warmup
        p = (step - warmup) / max(total - warmup, 1)
        return 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + math.cos(math.pi * p))

    step = 0
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(len(tr_y))
        for i in range(0, len(tr_y), 64):
            b = perm[i:i + 64]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            loss = F.cross_entropy(model(pixels(tr_x[b])), tr_y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step % 500 == 0:
                torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, os.path.join(out, "last.pt"))
        acc = evaluate(model, va_x, va_y, 100)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, os.path.join(out, "last.pt"))
        print(f"epoch {epoch}/{args.epochs}: val accuracy {100 * acc:.2f}%  ({time.time() - start:.0f} s)", flush=True)
    acc = evaluate(model, te_x, te_y, 100)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"test accuracy {100 * acc:.2f}%  wall {time.time() - start:.1f} s  threads {torch.get_num_threads()}  "
          f"peak RSS {rss:.0f} MB  (torch {torch.__version__})")


if __name__ == "__main__":
    main()
