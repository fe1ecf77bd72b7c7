"""Writes porter_golden.txt: "word stem" per line, the stems NLTK's PorterStemmer (default
NLTK_EXTENSIONS mode) gives every distinct ROUGE token of Newton's Opticks (the copy embedded in
datasets/opticks) plus words that exercise NLTK's extensions, for PorterStem's golden test.

    apt-get install -y python3-nltk        # Debian's NLTK 3.8
    /usr/bin/python3 metrics/testdata/gen_porter_golden.py > metrics/testdata/porter_golden.txt
"""
import gzip
import os
import re

from nltk.stem.porter import PorterStemmer

EXTRA = """
caresses flies dies mules denied died agreed owned humbled sized meeting stating siezing
itemization sensational traditional reference colonizer plotted sky skies dying lying tying
news innings inning outings outing cannings canning howe proceed exceed succeed spied happy
enjoy spy fly try generously geology theology archaeology hopefully conditionally radically
feed plastered bled motoring sing conflated troubled sized hopping tanned falling hissing
fizzed failing filing are eve ice ore use oed ties ponies cats relational rational valenci
hesitanci digitizer conformabli radicalli differentli vileli analogousli vietnamization
predication operator feudalism decisiveness hopefulness callousness formaliti sensitiviti
sensibiliti triplicate formative formalize electriciti electrical hopeful goodness revival
allowance inference airliner gyroscopic adjustable defensible irritant replacement
adjustment dependent adoption homologou communism activate angulariti homologous effective
bowdlerize probate rate cease controll roll
""".split()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "datasets", "opticks")
    text = ""
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if name.endswith(".gz"):
            text += gzip.open(full, "rt", encoding="utf-8").read()
        elif name.endswith(".txt"):
            text += open(full, encoding="utf-8").read()
    words = set(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) | set(EXTRA)
    stemmer = PorterStemmer()
    for w in sorted(words):
        print(w, stemmer.stem(w))


main()
