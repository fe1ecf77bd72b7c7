"""Writes sacrebleu_golden.json: 13a tokenizations and corpus BLEU scores
computed by sacrebleu 2.x with its defaults, for metrics' golden tests.

    pip install 'sacrebleu>=2,<3'
    python3 metrics/testdata/gen_sacrebleu_golden.py > metrics/testdata/sacrebleu_golden.json

The cases are fixed hand-written strings plus seeded random ones, so the
output is deterministic.
"""
import json
import random

from sacrebleu.metrics import BLEU
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

TOKENIZE_CASES = [
    "Hello, world!",
    "3.5 and 3,5 and 1,000.50 and .5 and 5. and ,5",
    "e.g. i.e. U.S.A. etc.",
    "&quot;Quoted&quot; &amp; &lt;tag&gt; &amp;lt; &apos;",
    "It wasn't surprising.",
    "1-2 a-b 1 - 2 -3 x-1 2--3",
    "$5,000.00 (approx.) 50% [sic] {x} a/b a|b ~ ^ _ ` @ # * + = ? ; :",
    "line one-\nline two\nline three",
    "<skipped> kept <skipped>",
    "  leading and trailing\t\tspaces  ",
    "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;",
    "中文，标点。 x.中 中.x 中,5 5,中",
    "nbsp\u00a0thin\u2009ideo\u3000fs\x1cus\x1fzwsp\u200bend",
    "emoji 😀. 😀,😀",
    "...,,,---",
    "",
    "-\n",
]

PIECES = (
    list("abcXYZ0123456789 .,-'\"!?;:()[]{}<>/\\|&$%#@*+=^_`~\t\n")
    + ["&quot;", "&amp;", "&lt;", "&gt;", "&amp;quot;", "<skipped>", "-\n",
       "é", "ţ", "中", "😀", "\u00a0", "\u2009", "\u3000", "\u200b", "\x1c",
       "\x1f", "\x85", "\u2028", " 3.5", "1,000", "e.g.", "U.S."]
)


def random_text(rng, n):
    return "".join(rng.choice(PIECES) for _ in range(n))


WORDS = ["the", "cat", "dog", "sat", "on", "mat", "a", "bit", "man", "it",
         "was", "not", "3.5", "1,000", "New-York", "don't", "é", "中"]
PUNCT = ["", "", "", ".", ",", "!", "?", " -", "&quot;"]


def random_sentence(rng, lo, hi):
    words = [rng.choice(WORDS) + rng.choice(PUNCT) for _ in range(rng.randint(lo, hi))]
    return " ".join(words) + rng.choice(["", "", " ", "\n", "\t "])


def noisy_copy(rng, sentence):
    """A hypothesis that shares most n-grams with sentence: words are kept,
    dropped, replaced or duplicated at random."""
    out = []
    for w in sentence.split():
        r = rng.random()
        if r < 0.7:
            out.append(w)
        elif r < 0.8:
            out.append(rng.choice(WORDS))
        elif r < 0.9:
            out += [w, w]
    return " ".join(out) + rng.choice(["", " ", "\n"])


README_REFS = [
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
]
README_HYPS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]

BLEU_CASES = [
    ("sacrebleu README (test_bleu.py)", README_HYPS, README_REFS),
    ("sacrebleu README first refs only", README_HYPS, README_REFS[:1]),
    ("sacrebleu #98 (test_sentence_bleu.py)",
     ["Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;"],
     [["producţia de zahăr brut se exprimă în zahăr alb;"]]),
    ("sacrebleu #141 zero matches", ["this is a cat"], [["okay thanks"]]),
    ("empty hypotheses", ["", "", ""], README_REFS),
    ("cat on the mat", ["the cat sat on the mat"], [["the cat is on the mat"]]),
    ("brevity penalty", ["the cat sat on"], [["the cat sat on the mat"]]),
    ("no 4-grams in corpus", ["the cat", "a dog sat"], [["the cat", "a dog sat"]]),
    ("missing second reference", ["the cat sat on the mat", "a b c d"],
     [["the cat is on the mat", "a b c d e"], ["", "a b x d"]]),
]


def main():
    rng = random.Random(13)
    tok = Tokenizer13a()
    texts = TOKENIZE_CASES + [random_text(rng, rng.randint(1, 40)) for _ in range(300)]
    tokenize = [{"in": t, "out": tok(t)} for t in texts]

    cases = list(BLEU_CASES)
    for i in range(40):
        n = rng.randint(1, 6)
        nrefs = rng.choice([1, 1, 2, 3])
        refs = [[random_sentence(rng, 1, 12) for _ in range(n)] for _ in range(nrefs)]
        hyps = [noisy_copy(rng, r) if rng.random() < 0.8 else random_sentence(rng, 0, 12)
                for r in refs[0]]
        for stream in refs[1:]:  # occasionally drop a non-first reference
            for j in range(n):
                if rng.random() < 0.2:
                    stream[j] = ""
        cases.append((f"random {i}", hyps, refs))

    bleu = []
    for name, hyps, refs in cases:
        s = BLEU().corpus_score(hyps, refs)
        bleu.append({
            "name": name, "hyps": hyps, "refs": refs,
            "score": s.score, "precisions": list(s.precisions), "bp": s.bp,
            "hyp_len": s.sys_len, "ref_len": s.ref_len,
            "correct": list(s.counts), "total": list(s.totals),
        })
    print(json.dumps({"tokenize": tokenize, "bleu": bleu}, indent=1))


if __name__ == "__main__":
    main()
