package metrics

import "math"

// Perplexity is exp(meanNLL), where meanNLL is the mean negative
// log-likelihood per token in nats.
func Perplexity(meanNLL float64) float64 { return math.Exp(meanNLL) }

// BitsPerToken converts a mean negative log-likelihood in nats to bits:
// meanNLL / ln 2.
func BitsPerToken(meanNLL float64) float64 { return meanNLL / math.Ln2 }
