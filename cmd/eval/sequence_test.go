package main

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/cmd/internal/clitest"
	"github.com/gorgonet/gorgonet/internal/testrun/shared"
)

// The tiny runs of these tests learn next to nothing: they check that each task's report
// holds its metrics and that they fit together, not how good they are.

// taskJSON runs eval --json and decodes its one object, checking that it has exactly the
// keys keys.
func taskJSON(t *testing.T, keys []string, args ...string) report {
	t.Helper()
	code, stdout, stderr := runEval(append(args, "--json")...)
	if code != 0 || stderr != "" {
		t.Fatalf("eval %s --json: exit status %d, stderr %q", strings.Join(args, " "), code, stderr)
	}
	if n := strings.Count(stdout, "\n"); n != 1 {
		t.Errorf("stdout has %d lines, want one JSON object:\n%s", n, stdout)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if k := slices.Sorted(maps.Keys(got)); !slices.Equal(k, slices.Sorted(slices.Values(keys))) {
		t.Errorf("JSON keys %v, want %v", k, slices.Sorted(slices.Values(keys)))
	}
	var r report
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		t.Fatalf("stdout does not decode as a report: %v", err)
	}
	if r.Examples <= 0 || !(r.Loss > 0) || math.IsInf(r.Loss, 0) || !(r.Accuracy >= 0 && r.Accuracy <= 1) {
		t.Errorf("%d examples, loss %v, accuracy %v; want examples, a finite positive loss, an accuracy in [0, 1]", r.Examples, r.Loss, r.Accuracy)
	}
	return r
}

var common = []string{"checkpoint", "split", "examples", "loss", "accuracy"}

func with(keys ...string) []string { return append(slices.Clone(common), keys...) }

// checkBogusSplit: a split that does not exist is a one-line error, whatever the task.
func checkBogusSplit(t *testing.T, run string) {
	t.Run("bogus split", func(t *testing.T) {
		code, stdout, stderr := runEval("--checkpoint", run, "--split", "bogus")
		clitest.CheckOneLineError(t, "eval", code, stderr, `"bogus"`, "test, val or train")
		if stdout != "" {
			t.Errorf("stdout %q, want nothing", stdout)
		}
	})
}

// checkTable: without --json, the report is a table with the given lines.
func checkTable(t *testing.T, run string, wants ...string) {
	t.Run("table", func(t *testing.T) {
		code, stdout, stderr := runEval("--checkpoint", run, "--split", "val", "--samples", "2")
		if code != 0 || stderr != "" {
			t.Fatalf("exit status %d, stderr %q", code, stderr)
		}
		for _, want := range append([]string{"split      val, ", "loss       ", "accuracy   "}, wants...) {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout does not contain %q:\n%s", want, stdout)
			}
		}
	})
}

// TestEvalSentiment: a text classifier's report is its accuracy and a 2×2 confusion matrix
// that counts every test sentence once.
func TestEvalSentiment(t *testing.T) {
	run := shared.Task(t, "sentiment-lstm")
	r := taskJSON(t, with("classes", "confusion"), "--checkpoint", run)
	if r.Split != "test" || r.Examples != 300 { // 10% of 3000
		t.Errorf("split %q of %d examples, want test of 300", r.Split, r.Examples)
	}
	if !slices.Equal(r.Classes, []string{"negative", "positive"}) || len(r.Confusion) != 2 {
		t.Fatalf("classes %v, confusion %v; want negative and positive, 2×2", r.Classes, r.Confusion)
	}
	total, correct := 0, 0
	for i, row := range r.Confusion {
		if len(row) != 2 {
			t.Fatalf("confusion row %d: %v", i, row)
		}
		total += row[0] + row[1]
		correct += row[i]
	}
	if total != r.Examples || math.Abs(r.Accuracy-float64(correct)/float64(total)) > 1e-12 {
		t.Errorf("confusion %v counts %d (%d right), report says %d examples, accuracy %v", r.Confusion, total, correct, r.Examples, r.Accuracy)
	}
	checkTable(t, run, "confusion matrix", "columns: 0=negative, 1=positive")
	checkBogusSplit(t, run)
}

// TestEvalCharLM: a language model's report has its perplexity exp(loss) and bits per
// character loss/ln 2, on every split.
func TestEvalCharLM(t *testing.T) {
	run := shared.Task(t, "opticks-charlm")
	for _, split := range []string{"test", "val", "train"} {
		t.Run(split, func(t *testing.T) {
			r := taskJSON(t, with("perplexity", "bits_per_char"), "--checkpoint", run, "--split", split)
			if r.Split != split {
				t.Errorf("split %q, want %q", r.Split, split)
			}
			if want := math.Exp(r.Loss); math.Abs(r.Perplexity-want) > 1e-9*want {
				t.Errorf("perplexity %v, want exp(loss %v) = %v", r.Perplexity, r.Loss, want)
			}
			if want := r.Loss / math.Ln2; math.Abs(r.BitsPerChar-want) > 1e-9*want {
				t.Errorf("bits per char %v, want loss/ln 2 = %v", r.BitsPerChar, want)
			}
			// 5000 training characters (data.limit) predict 4999 next ones.
			if split == "train" && r.Examples != 4999 {
				t.Errorf("train split: %d predicted characters, want 4999", r.Examples)
			}
		})
	}
	checkTable(t, run, "perplexity ", "bits/char  ")
	checkBogusSplit(t, run)
}

// TestEvalSeq2Seq: a pronunciation model's report has word and phoneme error rates in
// [0, 1] of its decoded outputs and --samples examples of them; neither the beam width's
// flag nor the batch size breaks it.
func TestEvalSeq2Seq(t *testing.T) {
	run := shared.Task(t, "cmudict-transformer")
	r := taskJSON(t, with("perplexity", "wer", "per", "samples"), "--checkpoint", run, "--samples", "3")
	checkRates(t, r)
	if r.BLEU != nil {
		t.Errorf("a pronunciation model reports BLEU %v", *r.BLEU)
	}
	if len(r.Samples) != 3 {
		t.Errorf("%d samples, want --samples 3", len(r.Samples))
	}
	for _, s := range r.Samples {
		if s.Source == "" || s.Reference == "" || strings.ToLower(s.Source) != s.Source {
			t.Errorf("sample %+v: want a lower-case word and its reference pronunciations", s)
		}
	}
	// Greedy decoding has no beams to compare, so the length penalty changes nothing; with
	// beams, any penalty ≥ 0 gives valid rates.
	greedy := taskJSON(t, with("perplexity", "wer", "per", "samples"), "--checkpoint", run, "--beam", "1")
	greedy0 := taskJSON(t, with("perplexity", "wer", "per", "samples"), "--checkpoint", run, "--beam", "1", "--length-penalty", "0")
	if *greedy.WER != *greedy0.WER || *greedy.PER != *greedy0.PER {
		t.Errorf("greedy: wer %v, per %v; with --length-penalty 0: %v, %v; want the same", *greedy.WER, *greedy.PER, *greedy0.WER, *greedy0.PER)
	}
	checkRates(t, taskJSON(t, with("perplexity", "wer", "per", "samples"), "--checkpoint", run, "--length-penalty", "2.5"))
	t.Run("no samples", func(t *testing.T) {
		taskJSON(t, with("perplexity", "wer", "per"), "--checkpoint", run, "--samples", "0")
	})
	t.Run("beam and batch size", func(t *testing.T) {
		for _, args := range [][]string{{"--beam", "1"}, {"--beam", "3"}, {"--batch-size", "7"}} {
			got := taskJSON(t, with("perplexity", "wer", "per"), append([]string{"--checkpoint", run, "--samples", "0"}, args...)...)
			checkRates(t, got)
			if got.Examples != r.Examples {
				t.Errorf("%v: %d examples, want %d", args, got.Examples, r.Examples)
			}
			if args[0] == "--batch-size" && (math.Abs(got.Loss-r.Loss) > 1e-5 || *got.WER != *r.WER || *got.PER != *r.PER) {
				t.Errorf("--batch-size 7: loss %v, wer %v, per %v; with the run's batch size %v, %v, %v",
					got.Loss, *got.WER, *got.PER, r.Loss, *r.WER, *r.PER)
			}
		}
	})
	checkTable(t, run, "WER        ", "PER        ", "examples (source → hypothesis; reference)")
	checkBogusSplit(t, run)
}

// checkRates checks a pronunciation model's error rates: WER, a fraction of words, in
// [0, 1]; PER, phoneme edits over reference phonemes, finite and not negative (insertions
// can take it past 1: an untrained model writes long outputs); both 0 or neither.
func checkRates(t *testing.T, r report) {
	t.Helper()
	if r.WER == nil || r.PER == nil {
		t.Fatalf("wer %v, per %v; want both", deref(r.WER), deref(r.PER))
	}
	wer, per := *r.WER, *r.PER
	if !(wer >= 0 && wer <= 1) || !(per >= 0) || math.IsInf(per, 0) || (wer == 0) != (per == 0) {
		t.Errorf("wer %v, per %v; want wer in [0, 1], a finite per ≥ 0, both 0 or neither", wer, per)
	}
}

// TestEvalTranslation: a translation model's report has a corpus BLEU in [0, 100].
func TestEvalTranslation(t *testing.T) {
	run := shared.Task(t, "de-en-transformer")
	r := taskJSON(t, with("perplexity", "wer", "bleu", "chrf", "samples"), "--checkpoint", run, "--samples", "2")
	if r.CHRF == nil || !(*r.CHRF >= 0 && *r.CHRF <= 100) {
		t.Errorf("chrf %v, want chrF in [0, 100]", deref(r.CHRF))
	}
	if r.BLEU == nil || !(*r.BLEU >= 0 && *r.BLEU <= 100) || r.WER == nil || !(*r.WER >= 0 && *r.WER <= 1) {
		t.Errorf("bleu %v, wer %v; want BLEU in [0, 100] and WER in [0, 1]", r.BLEU, r.WER)
	}
	if r.PER != nil || len(r.Samples) != 2 {
		t.Errorf("per %v, %d samples; want no PER and 2 samples", r.PER, len(r.Samples))
	}
	checkBogusSplit(t, run)
}

// TestEvalSentences: Bible translation reports BLEU and chrF; Debian summarisation ROUGE-1/2/L
// and the lead baseline's, all in [0, 100]. (Skipped where the corpora are not installed.)
func TestEvalSentences(t *testing.T) {
	t.Run("bible-es-en-transformer", func(t *testing.T) {
		run := shared.Task(t, "bible-es-en-transformer")
		r := taskJSON(t, with("perplexity", "wer", "bleu", "chrf", "samples"), "--checkpoint", run, "--samples", "1")
		for name, v := range map[string]*float64{"bleu": r.BLEU, "chrf": r.CHRF} {
			if v == nil || !(*v >= 0 && *v <= 100) {
				t.Errorf("%s %v, want it in [0, 100]", name, deref(v))
			}
		}
	})
	t.Run("debian-summary-transformer", func(t *testing.T) {
		run := shared.Task(t, "debian-summary-transformer")
		r := taskJSON(t, with("perplexity", "wer", "rouge1", "rouge2", "rougeL", "lead_rouge1", "lead_rouge2", "lead_rougeL", "samples"),
			"--checkpoint", run, "--samples", "1")
		for name, v := range map[string]*float64{"rouge1": r.Rouge1, "rouge2": r.Rouge2, "rougeL": r.RougeL,
			"lead_rouge1": r.LeadRouge1, "lead_rouge2": r.LeadRouge2, "lead_rougeL": r.LeadRougeL} {
			if v == nil || !(*v >= 0 && *v <= 100) {
				t.Errorf("%s %v, want it in [0, 100]", name, deref(v))
			}
		}
		if *r.LeadRouge1 <= 0 {
			t.Error("the lead baseline shares no word with any synopsis")
		}
		checkTable(t, run, "ROUGE F1   R1 ", "lead       R1 ")
	})
}

// deref shows an optional metric: its value, or nil.
func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestEvalBadSequenceFlags: negative sequence-to-sequence flags are one-line errors, as
// predict's --beam -1 is.
func TestEvalBadSequenceFlags(t *testing.T) {
	run := shared.Task(t, "cmudict-transformer")
	for _, flag := range []string{"--beam", "--samples", "--batch-size", "--length-penalty"} {
		t.Run(flag, func(t *testing.T) {
			code, stdout, stderr := runEval("--checkpoint", run, flag, "-1")
			clitest.CheckOneLineError(t, "eval", code, stderr, flag, "-1")
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}
