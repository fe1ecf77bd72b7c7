package experiment

import (
	"fmt"
	"io"
	"strings"
)

// The evaluators' text reports, which eval prints below the split, loss and accuracy. Each
// kind of model writes the figures it has.

// WriteReport writes the confusion matrix of a classifier whose classes are named classes.
func (e *ClassifierEvaluator) WriteReport(w io.Writer, m Metrics, classes []string) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "confusion matrix (rows: true class, columns: predicted class)")
	width := 6
	for _, c := range classes {
		width = max(width, len(c)+1)
	}
	fmt.Fprintf(w, "%*s", width, "")
	for i := range classes {
		fmt.Fprintf(w, "%6d", i)
	}
	fmt.Fprintln(w)
	for i, row := range m.Confusion {
		fmt.Fprintf(w, "%*s", width, classes[i])
		for _, n := range row {
			fmt.Fprintf(w, "%6d", n)
		}
		fmt.Fprintln(w)
	}
	if len(classes) > 0 && !strings.EqualFold(classes[0], "0") {
		fmt.Fprintln(w, "\ncolumns:", strings.Join(indexed(classes), ", "))
	}
}

func indexed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%d=%s", i, n)
	}
	return out
}

// WriteReport writes a language model's perplexity and bits per character.
func (e *LMEvaluator) WriteReport(w io.Writer, m Metrics, _ []string) {
	fmt.Fprintf(w, "perplexity %.3f\nbits/char  %.3f\n", m.Perplexity, m.BitsPerChar)
}

// WriteReport writes the error rates, BLEU and chrF, or ROUGE and the lead baseline's, of
// decoded outputs, and the samples.
func (e *pairEvaluator) WriteReport(w io.Writer, m Metrics, _ []string) {
	if m.WER != nil {
		fmt.Fprintf(w, "WER        %.2f%%\n", 100**m.WER)
	}
	if m.PER != nil {
		fmt.Fprintf(w, "PER        %.2f%%\n", 100**m.PER)
	}
	if m.BLEU != nil {
		fmt.Fprintf(w, "BLEU       %.2f\n", *m.BLEU)
	}
	if m.CHRF != nil {
		fmt.Fprintf(w, "chrF       %.2f\n", *m.CHRF)
	}
	if m.RougeL != nil {
		fmt.Fprintf(w, "ROUGE F1   R1 %.2f  R2 %.2f  RL %.2f (Porter-stemmed)\n", *m.Rouge1, *m.Rouge2, *m.RougeL)
		fmt.Fprintf(w, "lead       R1 %.2f  R2 %.2f  RL %.2f (first sentence, cut to %d words)\n", *m.LeadRouge1, *m.LeadRouge2, *m.LeadRougeL, e.task.leadWords)
	}
	if len(m.Samples) > 0 {
		fmt.Fprintln(w, "\nexamples (source → hypothesis; reference)")
	}
	for _, s := range m.Samples {
		fmt.Fprintf(w, "  %s → %s; %s\n", opening(s.Source), s.Hypothesis, s.Reference)
	}
}

// opening is a sample's source on one line, cut to 100 characters: a description to
// summarise runs to paragraphs.
func opening(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 100 {
		return string(r[:100]) + "…"
	}
	return s
}
