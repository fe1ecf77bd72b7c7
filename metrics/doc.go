// Package metrics scores model outputs: edit distance, word and phoneme error rates, sacrebleu-compatible corpus BLEU, and perplexity.
package metrics
