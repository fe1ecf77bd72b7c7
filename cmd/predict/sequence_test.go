package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gorgonet/gorgonet/cmd/internal/cli"
	"github.com/gorgonet/gorgonet/cmd/internal/clitest"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/internal/testrun/shared"
	"github.com/gorgonet/gorgonet/snapshot"
)

// The tiny runs of these tests learn next to nothing: they check what predict does with
// each kind of model and input, not how good its answers are.

// checkSentiment checks one sentence's prediction: both labels, ranked, probabilities that
// add up to 1.
func checkSentiment(t *testing.T, p prediction) {
	t.Helper()
	if len(p.Top) != 2 {
		t.Fatalf("%q: %d labels, want negative and positive: %+v", p.Input, len(p.Top), p.Top)
	}
	labels := []string{p.Top[0].Class, p.Top[1].Class}
	slices.Sort(labels)
	if !slices.Equal(labels, []string{"negative", "positive"}) {
		t.Errorf("%q: labels %v, want negative and positive", p.Input, labels)
	}
	sum := p.Top[0].Probability + p.Top[1].Probability
	if math.Abs(sum-1) > 1e-6 || p.Top[0].Probability < p.Top[1].Probability {
		t.Errorf("%q: probabilities %v and %v, want a ranked pair adding up to 1", p.Input, p.Top[0].Probability, p.Top[1].Probability)
	}
}

func sameGuesses(a, b []guess) bool {
	return slices.EqualFunc(a, b, func(x, y guess) bool {
		return x.Class == y.Class && math.Abs(x.Probability-y.Probability) < 1e-6
	})
}

// TestPredictSentiment: a text classifier labels any sentence, however odd: empty, 500
// words long, words never seen, other scripts, bytes that are not UTF-8.
func TestPredictSentiment(t *testing.T) {
	run := shared.Task(t, "sentiment-lstm")
	long := strings.TrimSpace(strings.Repeat("the film was good but the ending was bad ", 50)) // 500 words
	prefix := strings.Join(strings.Fields(long)[:40], " ")                                     // data.max_len words
	inputs := []string{
		"The food was great",
		"",
		long,
		"zxqvj blorptastic wubbalubba",
		"Très bon! 日本語 ☃ — ça marche",
		"bad \xff\xfe bytes \xc3",
		prefix,
		"zzyzx",
	}
	preds := predictJSON(t, nil, append([]string{"--checkpoint", run}, inputs...)...)
	if len(preds) != len(inputs) {
		t.Fatalf("%d predictions for %d sentences", len(preds), len(inputs))
	}
	for i, p := range preds {
		// encoding/json writes each byte that is not UTF-8 as U+FFFD, as []rune reads it.
		if want := string([]rune(inputs[i])); p.Input != want {
			t.Errorf("prediction %d is for %q, want %q", i+1, p.Input, want)
		}
		checkSentiment(t, p)
	}
	// The documented readings: a sentence is cut to data.max_len words, and an empty one
	// reads as one unknown word, as does a word never seen.
	if !sameGuesses(preds[2].Top, preds[6].Top) {
		t.Errorf("500 words: %v, but its first 40 words: %v; want the same", preds[2].Top, preds[6].Top)
	}
	if !sameGuesses(preds[1].Top, preds[7].Top) {
		t.Errorf("empty sentence: %v, but one unseen word: %v; want the same", preds[1].Top, preds[7].Top)
	}

	t.Run("standard input", func(t *testing.T) {
		stdin := []byte("The food was great\n\n" + long + "\n")
		got := predictJSON(t, stdin, "--checkpoint", run, "-")
		if len(got) != 3 || got[0].Input != inputs[0] || got[1].Input != "" || got[2].Input != long {
			t.Fatalf("\"-\" gave %d predictions, want one per line of standard input", len(got))
		}
		for i, k := range []int{0, 1, 2} {
			if !sameGuesses(got[i].Top, preds[k].Top) {
				t.Errorf("line %d: %v, but as an argument: %v", i+1, got[i].Top, preds[k].Top)
			}
		}
	})

	t.Run("lines", func(t *testing.T) {
		code, stdout, stderr := runPredict(t, nil, "--checkpoint", run, "--top", "1", "", "Never again.")
		if code != 0 || stderr != "" {
			t.Fatalf("exit status %d, stderr %q", code, stderr)
		}
		line := regexp.MustCompile(`^(|Never again\.): (negative|positive) \((\d+\.\d)%\)$`)
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d lines for 2 sentences:\n%s", len(lines), stdout)
		}
		for _, l := range lines {
			m := line.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("line %q is not \"SENTENCE: label (p%%)\"", l)
				continue
			}
			if p, _ := strconv.ParseFloat(m[3], 64); p < 50 {
				t.Errorf("line %q: the most likely of two labels has under 50%%", l)
			}
		}
	})
}

// generation is what predict --json prints for a language model.
type generation struct {
	Prompt       string `json:"prompt"`
	Continuation string `json:"continuation"`
}

func generate(t *testing.T, stdin []byte, args ...string) generation {
	t.Helper()
	code, stdout, stderr := runPredict(t, stdin, append([]string{"--json"}, args...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("predict --json %q: exit status %d, stderr %q", args, code, stderr)
	}
	var g generation
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&g); err != nil || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout is not one JSON object with prompt and continuation (%v):\n%s", err, stdout)
	}
	return g
}

// TestPredictCharLM: a language model continues any prompt by exactly --length characters;
// sampling is fixed by --seed, and --temperature 0 and --top-k 1 both take the most likely
// character.
func TestPredictCharLM(t *testing.T) {
	run := shared.Task(t, "opticks-charlm")
	gen := func(t *testing.T, prompt string, flags ...string) generation {
		t.Helper()
		g := generate(t, nil, append(append([]string{"--checkpoint", run}, flags...), prompt)...)
		if g.Prompt != string([]rune(prompt)) { // JSON writes bytes that are not UTF-8 as U+FFFD
			t.Errorf("prompt %q, want %q", g.Prompt, prompt)
		}
		return g
	}
	t.Run("length", func(t *testing.T) {
		for _, tt := range []struct {
			prompt string
			length int
		}{
			{"Light is", 50}, {"", 30}, {"日本語 ☃", 30}, {"\xff\xfe", 5}, {"Light is", 0}, {"", 0},
		} {
			g := gen(t, tt.prompt, "--length", strconv.Itoa(tt.length))
			if n := utf8.RuneCountInString(g.Continuation); n != tt.length || !utf8.ValidString(g.Continuation) {
				t.Errorf("prompt %q, --length %d: %d characters %q", tt.prompt, tt.length, n, g.Continuation)
			}
		}
	})
	t.Run("streams and stops on a signal", func(t *testing.T) {
		// The signal arrives once 20 characters are out: the generation of the maximum
		// length stops there, exit status 130, and what was written stays written.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &cancelAfter{n: 1 + 20, cancel: cancel} // the prompt, then one write per character
		cmd := newCommand()
		cmd.SetOut(out)
		var stderr bytes.Buffer
		code := cli.Run(ctx, cmd, []string{"--checkpoint", run, "--length", "100000", "Light"}, &stderr)
		if code != cli.ExitInterrupted {
			t.Errorf("exit status %d, want %d; stderr %q", code, cli.ExitInterrupted, stderr.String())
		}
		if got, want := stderr.String(), "predict: stopped after 20 of 100000 characters (interrupted by a signal)\n"; got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
		if got := out.String(); !strings.HasPrefix(got, "Light") || utf8.RuneCountInString(got) != len("Light")+20+1 {
			t.Errorf("stdout %q, want the prompt, 20 characters and a line break", got)
		}
	})
	t.Run("temperature 0 is deterministic", func(t *testing.T) {
		a := gen(t, "Light is", "--temperature", "0", "--length", "40", "--seed", "1")
		b := gen(t, "Light is", "--temperature", "0", "--length", "40", "--seed", "2")
		if a.Continuation != b.Continuation {
			t.Errorf("--temperature 0 gave %q, then %q with another seed; want the same", a.Continuation, b.Continuation)
		}
		if k := gen(t, "Light is", "--top-k", "1", "--length", "40", "--seed", "3"); k.Continuation != a.Continuation {
			t.Errorf("--top-k 1 gave %q, --temperature 0 %q; want the same", k.Continuation, a.Continuation)
		}
	})
	t.Run("seed", func(t *testing.T) {
		for _, flags := range [][]string{{"--temperature", "1.5"}, {"--temperature", "0.8", "--top-k", "5"}} {
			a := gen(t, "The Rays", append(flags, "--seed", "7", "--length", "60")...)
			b := gen(t, "The Rays", append(flags, "--seed", "7", "--length", "60")...)
			if a.Continuation != b.Continuation {
				t.Errorf("%v --seed 7 twice: %q, then %q", flags, a.Continuation, b.Continuation)
			}
			gen(t, "The Rays", append(flags, "--seed", "8", "--length", "60")...) // may differ; must work
		}
	})
	t.Run("documented readings", func(t *testing.T) {
		greedy := func(prompt string) string {
			return gen(t, prompt, "--temperature", "0", "--length", "30").Continuation
		}
		// An empty prompt starts from a line break; unseen characters read as unknown.
		if a, b := greedy(""), greedy("\n"); a != b {
			t.Errorf("empty prompt: %q, a line break: %q; want the same", a, b)
		}
		if a, b := greedy("日本語"), greedy("☃☂☄"); a != b {
			t.Errorf("three unseen characters %q and three others %q; want the same", a, b)
		}
		// The prompt is read: not every prompt leads to the same greedy continuation.
		outs := map[string]bool{}
		for _, p := range []string{"", "Light is", "The Rays of", "日本語", "(1) "} {
			outs[greedy(p)] = true
		}
		if len(outs) == 1 {
			t.Errorf("five prompts all continue as %v", outs)
		}
	})
	t.Run("sentences as a prompt", func(t *testing.T) {
		// What a sentiment model takes: several sentences are one prompt, joined by spaces.
		g := generate(t, nil, "--checkpoint", run, "--length", "10", "The food was great", "Never again.")
		if g.Prompt != "The food was great Never again." || utf8.RuneCountInString(g.Continuation) != 10 {
			t.Errorf("got prompt %q and %q, want the sentences joined and 10 characters", g.Prompt, g.Continuation)
		}
		code, stdout, stderr := runPredict(t, nil, "--checkpoint", run, "--length", "10", "--top", "1", "Light is")
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Light is") || utf8.RuneCountInString(stdout) != len("Light is")+10+1 {
			t.Errorf("text output: exit status %d, stderr %q, stdout %q; want the prompt, 10 characters and a line break", code, stderr, stdout)
		}
	})
	t.Run("standard input", func(t *testing.T) {
		prompt := "Of the Refractions\nof Light"
		g := generate(t, []byte(prompt), "--checkpoint", run, "--temperature", "0", "--length", "20", "-")
		if g.Prompt != prompt {
			t.Errorf("\"-\" read prompt %q, want all of standard input %q", g.Prompt, prompt)
		}
		if want := gen(t, prompt, "--temperature", "0", "--length", "20"); g.Continuation != want.Continuation {
			t.Errorf("from standard input %q, as an argument %q", g.Continuation, want.Continuation)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		for _, tt := range []struct {
			args  []string
			wants []string
		}{
			{[]string{"--temperature", "-1"}, []string{"--temperature", "-1"}},
			{[]string{"--temperature", "NaN"}, []string{"--temperature"}},
			{[]string{"--top-k", "-1"}, []string{"--top-k", "-1"}},
			{[]string{"--beam", "-1"}, []string{"--beam", "-1"}},
			{[]string{"--length", "-5"}, []string{"--length", "-5"}},
		} {
			t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
				code, stdout, stderr := runPredict(t, nil, append(append([]string{"--checkpoint", run}, tt.args...), "Light is")...)
				clitest.CheckOneLineError(t, "predict", code, stderr, tt.wants...)
				if stdout != "" {
					t.Errorf("stdout %q, want nothing", stdout)
				}
			})
		}
	})
}

// convert runs predict --json on a sequence-to-sequence checkpoint and decodes one
// conversion per input.
func convert(t *testing.T, stdin []byte, args ...string) []experiment.Conversion {
	t.Helper()
	code, stdout, stderr := runPredict(t, stdin, append([]string{"--json"}, args...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("predict --json %q: exit status %d, stderr %q", args, code, stderr)
	}
	var out []experiment.Conversion
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	for d.More() {
		var c experiment.Conversion
		if err := d.Decode(&c); err != nil {
			t.Fatalf("stdout is not JSON conversions: %v\n%s", err, stdout)
		}
		out = append(out, c)
	}
	return out
}

// outputTokens returns a check that a decoded output is tokens of the checkpoint's target
// vocabulary, separated by single spaces: never <pad>, <bos> or <eos>. (The decoder may
// write <unk>, a token of every vocabulary, which an untrained model does.)
func outputTokens(t *testing.T, run string) func(string) bool {
	t.Helper()
	l, err := snapshot.Load(filepath.Join(run, "checkpoints", "best.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	v := l.Info.TargetVocab
	return func(out string) bool {
		if out == "" {
			return true
		}
		toks := strings.Split(out, " ")
		if l.Info.Tokens == "chars" {
			toks = strings.Split(out, "")
		}
		for _, tok := range toks {
			if id := v.ID(tok); v.Token(id) != tok || id == datasets.PadID || id == datasets.BosID || id == datasets.EosID {
				return false
			}
		}
		return true
	}
}

// checkConversions checks that there is one conversion per input, in order, each valid
// output tokens, empty for an empty input, marked truncated exactly when the input has more
// than maxLen letters.
func checkConversions(t *testing.T, got []experiment.Conversion, inputs []string, maxLen int, valid func(string) bool) {
	t.Helper()
	if len(got) != len(inputs) {
		t.Fatalf("%d conversions for %d inputs: %+v", len(got), len(inputs), got)
	}
	for i, c := range got {
		if want := string([]rune(inputs[i])); c.Input != want {
			t.Errorf("conversion %d is of %q, want %q", i+1, c.Input, want)
		}
		if !valid(c.Output) {
			t.Errorf("%q: output %q is not tokens of the target vocabulary", c.Input, c.Output)
		}
		letters := utf8.RuneCountInString(strings.TrimSpace(inputs[i]))
		if letters == 0 && c.Output != "" {
			t.Errorf("empty input %q: output %q, want none", c.Input, c.Output)
		}
		if c.Truncated != (letters > maxLen) {
			t.Errorf("%q (%d letters): truncated %v, want %v with max_len %d", c.Input, letters, c.Truncated, letters > maxLen, maxLen)
		}
	}
}

// TestPredictSeq2Seq: a pronunciation model converts any word, in batches, reading "-" as
// the lines of standard input; an empty input gives an empty output and an over-long one is
// cut to max_len letters and marked.
func TestPredictSeq2Seq(t *testing.T) {
	run := shared.Task(t, "cmudict-transformer") // data.max_len 12, decode.beam 2
	const maxLen = 12
	valid := outputTokens(t, run)
	long := "pneumonoultramicroscopicsilicovolcanoconiosis"
	inputs := []string{"hello", "", long, long[:maxLen], "日本語", "ß@#!", "HELLO", "  hello ", "a", "abcdefghijkl", "abcdefghijklm"}
	want := convert(t, nil, append([]string{"--checkpoint", run}, inputs...)...)
	checkConversions(t, want, inputs, maxLen, valid)
	out := func(i int) string { return want[i].Output }
	// Documented readings: letters are lower-cased and trimmed, long words cut to max_len.
	if out(0) != out(6) || out(0) != out(7) {
		t.Errorf("hello, HELLO and \"  hello \": %q, %q, %q; want the same", out(0), out(6), out(7))
	}
	if out(2) != out(3) {
		t.Errorf("a %d-letter word gave %q, its first %d letters %q; want the same", len(long), out(2), maxLen, out(3))
	}

	t.Run("beam widths", func(t *testing.T) {
		for _, beam := range []string{"1", "3"} {
			a := convert(t, nil, append([]string{"--checkpoint", run, "--beam", beam}, inputs...)...)
			checkConversions(t, a, inputs, maxLen, valid)
			b := convert(t, nil, append([]string{"--checkpoint", run, "--beam", beam}, inputs...)...)
			if !slices.Equal(a, b) {
				t.Errorf("--beam %s twice: %+v, then %+v", beam, a, b)
			}
		}
	})
	t.Run("standard input", func(t *testing.T) {
		lines := []string{"hello", "", long, "日本語"}
		got := convert(t, []byte(strings.Join(lines, "\n")+"\n"), "--checkpoint", run, "-")
		checkConversions(t, got, lines, maxLen, valid)
		for i, k := range []int{0, 1, 2, 4} {
			if got[i].Output != out(k) {
				t.Errorf("line %q: %q, as an argument %q", lines[i], got[i].Output, out(k))
			}
		}
	})
	t.Run("batches", func(t *testing.T) {
		// More inputs than a batch (64): each gets the output it gets on its own batch.
		var many []string
		for len(many) < 70 {
			many = append(many, inputs...)
		}
		got := convert(t, nil, append([]string{"--checkpoint", run}, many[:70]...)...)
		checkConversions(t, got, many[:70], maxLen, valid)
		for i, c := range got {
			if c.Output != out(i%len(inputs)) {
				t.Errorf("input %d (%q) in a batch of 64: %q, with others %q", i+1, c.Input, c.Output, out(i%len(inputs)))
			}
		}
	})
	t.Run("lines", func(t *testing.T) {
		code, stdout, stderr := runPredict(t, nil, "--checkpoint", run, "hello", "", long)
		if code != 0 || stderr != "" {
			t.Fatalf("exit status %d, stderr %q", code, stderr)
		}
		wantOut := fmt.Sprintf("hello\t%s\n\t\n%s\t%s  (input cut to 12 tokens)\n", out(0), long, out(2))
		if stdout != wantOut {
			t.Errorf("stdout\n%q\nwant\n%q", stdout, wantOut)
		}
	})
}

// TestPredictTranslation: a German–English model translates phrases, empty and over-long
// ones included.
func TestPredictTranslation(t *testing.T) {
	run := shared.Task(t, "de-en-transformer") // data.max_len 40 characters
	long := "der alte Mann und das Meer und die Kinder im Garten"
	inputs := []string{"das Haus", "", long, "der alte Mann   und das Meer und die Kinde", "Übermorgen ☃ qwxz"}
	valid := outputTokens(t, run)
	got := convert(t, nil, append([]string{"--checkpoint", run}, inputs...)...)
	if len(got) != len(inputs) {
		t.Fatalf("%d translations for %d phrases", len(got), len(inputs))
	}
	for i, c := range got {
		if c.Input != inputs[i] || !valid(c.Output) {
			t.Errorf("translation %d: %+v for %q", i+1, c, inputs[i])
		}
		if c.Truncated != (i == 2) {
			t.Errorf("%q: truncated %v", c.Input, c.Truncated)
		}
	}
	if got[1].Output != "" {
		t.Errorf("empty phrase: %q, want an empty translation", got[1].Output)
	}
	if got[2].Output != got[3].Output {
		t.Errorf("a 51-character phrase gave %q, its first 40 characters %q; want the same", got[2].Output, got[3].Output)
	}
}

// cancelAfter is an output that cancels a context once n writes have reached it.
type cancelAfter struct {
	buf    bytes.Buffer // a field, not embedded: its WriteString would bypass Write
	n      int
	cancel context.CancelFunc
}

func (w *cancelAfter) Write(b []byte) (int, error) {
	if w.n--; w.n == 0 {
		w.cancel()
	}
	return w.buf.Write(b)
}

func (w *cancelAfter) String() string { return w.buf.String() }

// TestPredictSentences: a Spanish–English model translates a verse and a summariser writes a
// synopsis of a paragraph, both as text from subword units; empty input gives empty output,
// input longer than data.max_len units is cut and flagged, and characters never seen read as
// <unk> without an error. (Skipped where the corpora are not installed.)
func TestPredictSentences(t *testing.T) {
	for _, tt := range []struct{ config, input string }{
		{"bible-es-en-transformer", "Y dijo Dios: Sea la luz; y fué la luz."},
		{"debian-summary-transformer", "This package provides a small library for parsing YAML files. It is used by many tools."},
	} {
		t.Run(tt.config, func(t *testing.T) {
			run := shared.Task(t, tt.config)
			long := strings.Repeat(tt.input+" ", 20)
			inputs := []string{tt.input, "", long, "日本語 ☃ \xff"}
			got := convert(t, nil, append([]string{"--checkpoint", run}, inputs...)...)
			if len(got) != len(inputs) {
				t.Fatalf("%d outputs for %d inputs", len(got), len(inputs))
			}
			for i, c := range got {
				if !utf8.ValidString(c.Output) || strings.Contains(c.Output, "▁") || strings.Contains(c.Output, "<eos>") {
					t.Errorf("%q → %q, want text decoded from subword units", inputs[i], c.Output)
				}
				if c.Truncated != (i == 2) {
					t.Errorf("%q: truncated %v", c.Input, c.Truncated)
				}
			}
			if got[1].Output != "" {
				t.Errorf("empty input: %q, want an empty output", got[1].Output)
			}
		})
	}
}
