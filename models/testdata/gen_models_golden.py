#!/usr/bin/python3
"""Generate PyTorch golden fixtures for the models package: whole models, not layers.

Makes models/testdata/models_golden.json:
    {"cases": [{"name", "config": {...}, "tensors": {name: {"shape": [..], "data": [..]}}}]}

Cases (float64, dropout 0, small sizes, fixed seeds):
  lstm_rows        LSTMClassifier of /work/shared/bench/pytorch_reference.py (copied below):
                   nn.LSTM over feature rows, 2 layers, fc on the last step.
  lstm_tokens      nn.Embedding -> nn.LSTM (2 layers) over pack_padded_sequence -> fc(h_n[-1]);
                   the last row of the batch is empty (a padded last batch): PyTorch cannot pack
                   it, so it is left out and its logits are fc.bias (zero state), with no loss.
  gru_rows         lstm_rows with nn.GRU (RNNClassifier below): fc on the last step.
  gru_tokens       lstm_tokens with nn.GRU: fc(h_n[-1]) over pack_padded_sequence, an empty
                   last row.
  lm_zero_state    character LM: embedding -> nn.LSTM (2 layers) -> fc over the vocabulary at
                   every step, from a zero state; the last positions of one row have no next
                   token (the end of the stream) and are ignored.
  lm_carried_state the same from a random (h0, c0), also storing the final (h_n, c_n).
  gru_lm_carried_state  the same with nn.GRU, from a random h0, storing the final h_n.
  tfenc_full       TransformerClassifier of pytorch_reference.py (emb*sqrt(d) + sinusoids,
                   nn.TransformerEncoder, mean over all steps, fc), no padding.
  tfenc_padded     the same module with src_key_padding_mask and the mean over real tokens
                   only; the last row is empty (logits fc.bias, no loss), as above.
  seq2seq          Seq2SeqTransformer of pytorch_reference.py (2+2 layers; the smoothed case
  seq2seq_smoothed 1+2) with separate source/target vocabularies and lengths: nn.Transformer with a causal tgt_mask, the source
                   padding as src_key_padding_mask and memory_key_padding_mask, no target
                   padding mask; loss F.cross_entropy over the real target tokens (ignore_index
                   for the rest), label_smoothing 0 and 0.1.
  seq2seq_shared   seq2seq (2+2, smoothing 0.1) with one vocabulary and one table for the source
                   and target embeddings and the output layer's weight (out.weight deleted,
                   F.linear with src_emb.weight): the gradient of src_emb.weight sums all three.

Tensors per case: the inputs ("x"; "ids" and "mask" (1 real, 0 padding); "labels" (class
indices as floats); for the LM "targets" (next ids, -100 = none); for seq2seq "source",
"source_mask", "target" (the target tokens y1..yn, padded with 0) and "target_len", and for
checking "target_in" (<bos> y1..yn, padded) and "target_out" (y1..yn <eos>, -100 after)),
every state_dict entry under its name, "logits" (rows, classes), "loss" (shape []), and
"grad.<name>" = d loss / d parameter for every parameter. config["state_dict"] lists the
module's state_dict keys: buffers (the sinusoid table, the causal mask) are registered
non-persistent so the keys are exactly the learnable parameters, as in gorgonet's
checkpoints. The sinusoid table is computed in float64 (pytorch_reference.py makes it in
float32, which would be ~1e-7 off). Parameters are PyTorch's initialisation except in the
Transformer cases, where every parameter is drawn N(0, 0.4^2) (LayerNorm weights around 1)
so that the zero-initialised biases and unit norms exercise their gradients too. Modules run
in train mode with dropout 0, so that PyTorch takes its reference (not fast) path.

Rerun (Debian python3-torch 1.13), from the repository root:
    /usr/bin/python3 models/testdata/gen_models_golden.py
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models_golden.json")
PAD, UNK, BOS, EOS = 0, 1, 2, 3  # datasets.PadID, UnkID, BosID, EosID
IGNORE = -100


def enc(t):
    t = torch.as_tensor(t).detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def sinusoid(seq, d):
    """pytorch_reference.sinusoid in float64."""
    pos = torch.arange(seq, dtype=torch.float64).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
    pe = torch.zeros(seq, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


def padding(lengths, width):
    """gorgonet's mask (1 real, 0 padding) and PyTorch's key padding mask (True = padding)."""
    ours = torch.zeros(len(lengths), width)
    for b, n in enumerate(lengths):
        ours[b, :n] = 1
    return ours, ours == 0


def randomise(module, scale=0.4):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape) * scale)
        for m in module.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight += 1
    return module


# --------------------------------------------------------------------------- modules

class LSTMClassifier(nn.Module):
    """pytorch_reference.LSTMClassifier, verbatim."""

    def __init__(self, inp=28, hidden=128, layers=1, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(inp, hidden, num_layers=layers, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RNNClassifier(nn.Module):
    """models.RecurrentSpec: the cell ("lstm", "gru", also the module's name, so the keys
    are lstm.weight_ih_l0 or gru.weight_ih_l0) over feature rows, fc on the last step; or,
    with a vocabulary, over embedded ids, fc on the state after each sequence's last real
    token."""

    def __init__(self, cell, inp, hidden, layers, classes, vocab=None):
        super().__init__()
        self.cell = cell
        if vocab is not None:
            self.embedding = nn.Embedding(vocab, inp)
        setattr(self, cell, CELLS[cell](inp, hidden, num_layers=layers, batch_first=True))
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x, lengths=None):
        rnn = getattr(self, self.cell)
        if lengths is None:
            out, _ = rnn(x)
            return self.fc(out[:, -1])
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(x), lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, h = rnn(packed)
        if isinstance(h, tuple):  # the LSTM's (h, c)
            h = h[0]
        return self.fc(h[-1])


class CharLM(nn.Module):
    """models.BuildLanguageModel: logits (B*T, V) at every step."""

    def __init__(self, vocab, emb, hidden, layers, cell="lstm"):
        super().__init__()
        self.cell = cell
        self.embedding = nn.Embedding(vocab, emb)
        setattr(self, cell, CELLS[cell](emb, hidden, num_layers=layers, batch_first=True))
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, ids, state=None):
        out, state = getattr(self, self.cell)(self.embedding(ids), state)
        return self.fc(out.reshape(-1, out.shape[-1])), state


class TransformerClassifier(nn.Module):
    """pytorch_reference.TransformerClassifier (pe non-persistent, float64), plus an optional
    padding mask: attention ignores padded keys and the mean is over real tokens only."""

    def __init__(self, vocab=1000, d=64, heads=4, ff=256, layers=2, seq=32, classes=10, dropout=0.0):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.register_buffer("pe", sinusoid(seq, d), persistent=False)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=dropout, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d, classes)

    def forward(self, tok, mask=None):
        h = self.emb(tok) * math.sqrt(self.emb.embedding_dim) + self.pe
        if mask is None:
            return self.fc(self.enc(h).mean(dim=1))
        h = self.enc(h, src_key_padding_mask=mask == 0)
        return self.fc((h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True))


class Seq2SeqTransformer(nn.Module):
    """pytorch_reference.Seq2SeqTransformer with source and target vocabularies and lengths
    of their own, and the source padding mask on the encoder and on the memory."""

    def __init__(self, src_vocab, tgt_vocab, d, heads, ff, enc_layers, dec_layers, src_len, tgt_len, dropout=0.0,
                 shared=False):
        super().__init__()
        self.shared = shared
        self.src_emb = nn.Embedding(src_vocab, d)
        if not shared:
            self.tgt_emb = nn.Embedding(tgt_vocab, d)
        self.register_buffer("src_pe", sinusoid(src_len, d), persistent=False)
        self.register_buffer("tgt_pe", sinusoid(tgt_len, d), persistent=False)
        self.register_buffer("causal", nn.Transformer.generate_square_subsequent_mask(tgt_len), persistent=False)
        self.tf = nn.Transformer(d, heads, enc_layers, dec_layers, ff, dropout=dropout, batch_first=True)
        self.out = nn.Linear(d, tgt_vocab)
        if shared:  # one table for both embeddings and the output layer: out.weight is src_emb.weight
            del self.out.weight
        self.scale = math.sqrt(d)

    def forward(self, src, src_mask, tgt_in):
        tgt_table = self.src_emb.weight if self.shared else self.tgt_emb.weight
        s = self.src_emb(src) * self.scale + self.src_pe
        t = F.embedding(tgt_in, tgt_table) * self.scale + self.tgt_pe
        pad = src_mask == 0
        h = self.tf(s, t, tgt_mask=self.causal, src_key_padding_mask=pad, memory_key_padding_mask=pad)
        out_weight = self.src_emb.weight if self.shared else self.out.weight
        return F.linear(h, out_weight, self.out.bias).reshape(-1, self.out.out_features)


# --------------------------------------------------------------------------- cases

def finish(name, config, model, tensors, logits, loss):
    model.zero_grad()
    loss.backward()
    config["state_dict"] = list(model.state_dict().keys())
    assert sorted(config["state_dict"]) == sorted(k for k, _ in model.named_parameters()), name
    for k, v in model.state_dict().items():
        tensors[k] = enc(v)
    tensors["logits"] = enc(logits)
    tensors["loss"] = enc(loss)
    for k, p in model.named_parameters():
        tensors["grad." + k] = enc(p.grad)
    for k, t in tensors.items():
        assert all(v == v and abs(v) != float("inf") for v in t["data"]), (name, k)
    print(f"{name:18} loss {loss.item():.6f}")
    return {"name": name, "config": config, "tensors": tensors}


def rows(name, seed, module):
    """module(features, hidden, layers, classes) over feature rows."""
    torch.manual_seed(seed)
    cfg = {"steps": 4, "features": 5, "hidden": 6, "layers": 2, "classes": 4, "batch": 3}
    m = module(cfg["features"], cfg["hidden"], cfg["layers"], cfg["classes"]).train()
    x = torch.randn(cfg["batch"], cfg["steps"], cfg["features"])
    labels = torch.randint(0, cfg["classes"], (cfg["batch"],))
    logits = m(x)
    loss = F.cross_entropy(logits, labels)
    return finish(name, cfg, m, {"x": enc(x), "labels": enc(labels)}, logits, loss)


def tokens(name, seed, cell):
    torch.manual_seed(seed)
    lengths = [6, 3, 1, 4]  # a fifth row is empty: the padding of a short last batch
    cfg = {"steps": 6, "vocab": 11, "embedding": 5, "hidden": 6, "layers": 2, "classes": 3,
           "batch": len(lengths) + 1, "valid": len(lengths)}
    m = RNNClassifier(cell, cfg["embedding"], cfg["hidden"], cfg["layers"], cfg["classes"], vocab=cfg["vocab"]).train()
    mask, _ = padding(lengths + [0], cfg["steps"])
    ids = torch.randint(1, cfg["vocab"], (cfg["batch"], cfg["steps"])) * mask.long()  # padding is PAD
    labels = torch.randint(0, cfg["classes"], (cfg["valid"],))
    real = m(ids[:cfg["valid"]], torch.tensor(lengths))
    loss = F.cross_entropy(real, labels)
    logits = torch.cat([real, m.fc.bias.unsqueeze(0)])  # the empty row: zero state
    labels = torch.cat([labels, torch.zeros(1, dtype=labels.dtype)])
    return finish(name, cfg, m, {"ids": enc(ids), "mask": enc(mask), "labels": enc(labels)}, logits, loss)


def gru_rows(features, hidden, layers, classes):
    return RNNClassifier("gru", features, hidden, layers, classes)


def lm(name, seed, carried, cell="lstm"):
    torch.manual_seed(seed)
    cfg = {"steps": 5, "vocab": 9, "embedding": 4, "hidden": 5, "layers": 2, "batch": 3}
    B, T, V, H, L = cfg["batch"], cfg["steps"], cfg["vocab"], cfg["hidden"], cfg["layers"]
    m = CharLM(V, cfg["embedding"], H, L, cell).train()
    ids = torch.randint(1, V, (B, T))
    targets = torch.randint(1, V, (B, T))
    ids[B - 1, T - 2:] = 0  # the stream ends: inputs zero, as streams.fill leaves them
    targets[B - 1, T - 3:] = IGNORE  # positions without a next token
    tensors = {"ids": enc(ids), "targets": enc(targets)}
    parts = 2 if cell == "lstm" else 1  # the LSTM's state is (h, c), the GRU's h
    state = None
    if carried:
        state = tuple(torch.randn(L, B, H) * 0.5 for _ in range(parts))
    init = state if state is None or parts == 2 else state[0]  # nn.GRU takes h0 alone
    logits, final = m(ids, init)
    final = final if parts == 2 else (final,)
    loss = F.cross_entropy(logits, targets.reshape(-1), ignore_index=IGNORE)
    for k in range(L):  # as the carried states hold them: (parts, B, H), h first
        if carried:
            tensors[f"initial.{cell}.state_l{k}"] = enc(torch.stack([p[k] for p in state]))
        tensors[f"final.{cell}.state_l{k}"] = enc(torch.stack([p[k] for p in final]))
    return finish(name, cfg, m, tensors, logits, loss)


def tfenc(name, seed, lengths):
    torch.manual_seed(seed)
    cfg = {"steps": 5, "vocab": 13, "dim": 8, "heads": 2, "ff": 16, "layers": 2, "classes": 3,
           "batch": len(lengths), "valid": sum(1 for n in lengths if n > 0)}
    m = randomise(TransformerClassifier(cfg["vocab"], cfg["dim"], cfg["heads"], cfg["ff"], cfg["layers"],
                                        cfg["steps"], cfg["classes"])).train()
    mask, _ = padding(lengths, cfg["steps"])
    ids = torch.randint(1, cfg["vocab"], (cfg["batch"], cfg["steps"])) * mask.long()
    labels = torch.randint(0, cfg["classes"], (cfg["valid"],))
    v = cfg["valid"]
    if all(n == cfg["steps"] for n in lengths):
        real = m(ids)  # exactly the reference forward
    else:
        real = m(ids[:v], mask[:v])
    loss = F.cross_entropy(real, labels)
    logits = torch.cat([real, m.fc.bias.expand(cfg["batch"] - v, -1)])
    labels = torch.cat([labels, torch.zeros(cfg["batch"] - v, dtype=labels.dtype)])
    return finish(name, cfg, m, {"ids": enc(ids), "mask": enc(mask), "labels": enc(labels)}, logits, loss)


def seq2seq(name, seed, smoothing, enc_layers, dec_layers, shared=False):
    torch.manual_seed(seed)
    src_len, tgt_lens = [5, 3, 2], [4, 1, 2]  # target tokens without <bos>/<eos>
    cfg = {"source_vocab": 9 if shared else 10, "target_vocab": 9, "shared_embeddings": shared, "source_len": 5, "target_len": 6, "dim": 8, "heads": 2,
           "ff": 16, "encoder_layers": enc_layers, "decoder_layers": dec_layers, "batch": len(src_len), "label_smoothing": smoothing}
    B, S, T, V = cfg["batch"], cfg["source_len"], cfg["target_len"], cfg["target_vocab"]
    m = randomise(Seq2SeqTransformer(cfg["source_vocab"], V, cfg["dim"], cfg["heads"], cfg["ff"],
                                     cfg["encoder_layers"], cfg["decoder_layers"], S, T, shared=shared)).train()
    smask, _ = padding(src_len, S)
    src = torch.randint(EOS + 1, cfg["source_vocab"], (B, S)) * smask.long()
    target = torch.zeros(B, T - 1, dtype=torch.long)
    tgt_in = torch.zeros(B, T, dtype=torch.long)
    tgt_out = torch.full((B, T), IGNORE, dtype=torch.long)
    for b, n in enumerate(tgt_lens):
        y = torch.randint(EOS + 1, V, (n,))
        target[b, :n] = y
        tgt_in[b, 0] = BOS
        tgt_in[b, 1:n + 1] = y
        tgt_out[b, :n] = y
        tgt_out[b, n] = EOS
    logits = m(src, smask, tgt_in)
    loss = F.cross_entropy(logits, tgt_out.reshape(-1), ignore_index=IGNORE, label_smoothing=smoothing)
    # label_smoothing with ignore_index is recent (1.10+): check it against the formula.
    logp = F.log_softmax(logits, 1)
    keep = tgt_out.reshape(-1) != IGNORE
    nll = -logp[keep].gather(1, tgt_out.reshape(-1)[keep].unsqueeze(1)).squeeze(1)
    manual = ((1 - smoothing) * nll - smoothing * logp[keep].mean(1)).mean()
    assert abs(manual.item() - loss.item()) < 1e-12, (manual.item(), loss.item())
    tensors = {"source": enc(src), "source_mask": enc(smask), "target": enc(target),
               "target_len": enc(torch.tensor(tgt_lens)), "target_in": enc(tgt_in), "target_out": enc(tgt_out)}
    return finish(name, cfg, m, tensors, logits, loss)


cases = [
    rows("lstm_rows", 101, LSTMClassifier),
    tokens("lstm_tokens", 202, "lstm"),
    rows("gru_rows", 909, gru_rows),
    tokens("gru_tokens", 1010, "gru"),
    lm("lm_zero_state", 303, carried=False),
    lm("lm_carried_state", 404, carried=True),
    lm("gru_lm_carried_state", 1111, carried=True, cell="gru"),
    tfenc("tfenc_full", 505, [5, 5, 5]),
    tfenc("tfenc_padded", 606, [5, 2, 3, 1, 0]),
    seq2seq("seq2seq", 707, 0.0, 2, 2),
    seq2seq("seq2seq_smoothed", 808, 0.1, 1, 2),
    seq2seq("seq2seq_shared", 1212, 0.1, 2, 2, shared=True),
]

with open(OUT, "w") as f:
    json.dump({"cases": cases}, f, separators=(",", ":"))
    f.write("\n")
print("wrote", OUT, os.path.getsize(OUT), "bytes")
