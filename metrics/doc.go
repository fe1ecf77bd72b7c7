// Package metrics scores model outputs: edit distance, word and phoneme error rates, sacrebleu-compatible corpus BLEU and chrF, rouge-score-compatible ROUGE-1/2/L with its Porter stemmer, and perplexity.
package metrics
