package metrics_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/metrics"
)

func ExampleErrorRates() {
	var e metrics.ErrorRates
	// "read" has two CMUdict pronunciations; the second matches exactly.
	e.Add([]string{"R", "EH1", "D"}, [][]string{{"R", "IY1", "D"}, {"R", "EH1", "D"}})
	// "either": one substitution from the first pronunciation, two from the second.
	e.Add([]string{"IY1", "TH", "ER0"}, [][]string{{"IY1", "DH", "ER0"}, {"AY1", "DH", "ER0"}})
	// "cat": one inserted phoneme.
	e.Add([]string{"K", "AE1", "T", "S"}, [][]string{{"K", "AE1", "T"}})

	fmt.Printf("WER %.3f (%d/%d words)\n", e.WER(), e.WordErrors, e.Words)
	fmt.Printf("PER %.3f (%d/%d phonemes)\n", e.PER(), e.TokenErrors, e.Tokens)
	// Output:
	// WER 0.667 (2/3 words)
	// PER 0.222 (2/9 phonemes)
}

func ExampleCorpusBLEU() {
	hyps := []string{"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."}
	refs := []string{"The dog bit the man.", "It was not unexpected.", "The man bit him first."}
	b, err := metrics.CorpusBLEU(hyps, refs)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b)
	// Output:
	// BLEU = 45.07 70.6/42.9/36.4/37.5 (BP = 1.000 ratio = 1.000 hyp_len = 17 ref_len = 17)
}

func ExampleTokenize13a() {
	fmt.Println(metrics.Tokenize13a(`&quot;Hello, world!&quot; It costs $3.50, e.g. today.`))
	// Output:
	// " Hello , world ! " It costs $ 3.50 , e . g . today .
}

func ExampleCorpusCHRFMultiRef() {
	hyps := []string{"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."}
	refs := [][]string{
		{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
		{"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
	}
	c, err := metrics.CorpusCHRFMultiRef(hyps, refs)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	// Output:
	// chrF2 = 59.73
}

func ExampleCorpusROUGE() {
	// rouge-score's README example. Stemmed tokens: the quick brown fox jump over the lazi dog /
	// the quick brown dog jump on the log: ROUGE-1 P 6/8 R 6/9, ROUGE-2 P 2/7 R 2/8, LCS
	// "the quick brown jump the" P 5/8 R 5/9.
	predictions := []string{"The quick brown dog jumps on the log."}
	targets := []string{"The quick brown fox jumps over the lazy dog"}
	r, err := metrics.RougeOptions{Stem: true}.Corpus(predictions, targets)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ROUGE-1 %.4f ROUGE-2 %.4f ROUGE-L %.4f over %d\n", r.Rouge1.F1, r.Rouge2.F1, r.RougeL.F1, r.Examples)
	// Output:
	// ROUGE-1 0.7059 ROUGE-2 0.2667 ROUGE-L 0.5882 over 1
}
