package experiment

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gorgonet/gorgonet/metrics"
)

// scoreText scores decoded texts against their references (refStreams[k][i] is the k-th
// reference of hyps[i]; keys[i] is the source of hyps[i]): BLEU and chrF for translations;
// ROUGE for summaries, with the lead baseline of the same sources beside it. An empty split
// has none of them.
func (t *pairTask) scoreText(m *Metrics, keys, hyps []string, refStreams [][]string) error {
	if len(hyps) == 0 {
		return nil
	}
	if t.leadWords > 0 {
		return t.scoreSummaries(m, keys, hyps, refStreams[0])
	}
	b, err := metrics.CorpusBLEUMultiRef(hyps, refStreams)
	if err != nil {
		return err
	}
	c, err := metrics.CorpusCHRFMultiRef(hyps, refStreams)
	if err != nil {
		return err
	}
	m.BLEU, m.CHRF = &b.Score, &c.Score
	return nil
}

// summaryRouge is how summaries are scored: rouge-score's tokenizer with its Porter stemmer
// (use_stemmer=True), as summarisation papers usually report it.
var summaryRouge = metrics.RougeOptions{Stem: true}

// scoreSummaries sets the ROUGE F1 figures of hyps and of the lead baseline against refs (the
// first reference of each source: a description has one synopsis).
func (t *pairTask) scoreSummaries(m *Metrics, keys, hyps, refs []string) error {
	r, err := summaryRouge.Corpus(hyps, refs)
	if err != nil {
		return err
	}
	leads := make([]string, len(keys))
	for i, k := range keys {
		leads[i] = Lead(k, t.leadWords)
	}
	l, err := summaryRouge.Corpus(leads, refs)
	if err != nil {
		return err
	}
	m.Rouge1, m.Rouge2, m.RougeL = percent(r.Rouge1.F1), percent(r.Rouge2.F1), percent(r.RougeL.F1)
	m.LeadRouge1, m.LeadRouge2, m.LeadRougeL = percent(l.Rouge1.F1), percent(l.Rouge2.F1), percent(l.RougeL.F1)
	return nil
}

func percent(f float64) *float64 {
	p := 100 * f
	return &p
}

// Lead is the lead baseline of a summary of text: its first sentence (up to the first '.', '!'
// or '?' followed by white space or the end, or the end of the first line), cut to at most
// words words.
func Lead(text string, words int) string {
	text = strings.TrimSpace(text)
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	for i, r := range text {
		if strings.ContainsRune(".!?", r) {
			rest := text[i+1:]
			if next, _ := utf8.DecodeRuneInString(rest); rest == "" || unicode.IsSpace(next) {
				text = text[:i+1]
				break
			}
		}
	}
	f := strings.Fields(text)
	return strings.Join(f[:min(len(f), words)], " ")
}
