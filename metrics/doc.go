// Package metrics scores model outputs: edit distance, word and phoneme error rates, sacrebleu-compatible corpus BLEU and chrF, and perplexity.
package metrics
