package experiment

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/snapshot"
)

// tinyTasks are the tasks of testrun's tiny runs, loaded once per test binary; tests only
// read them.
var tinyTasks struct {
	sync.Mutex
	loaded map[string]Task
}

func tinyTask(t *testing.T, name string) Task {
	t.Helper()
	tinyTasks.Lock()
	defer tinyTasks.Unlock()
	if task, ok := tinyTasks.loaded[name]; ok {
		return task
	}
	cfg, err := testrun.TaskConfig(name)
	if err != nil {
		t.Fatal(err)
	}
	task, err := LoadTask(cfg, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if tinyTasks.loaded == nil {
		tinyTasks.loaded = map[string]Task{}
	}
	tinyTasks.loaded[name] = task
	return task
}

// TestTaskBatches: each epoch of sentences or pairs visits every training example exactly
// once, in batches of at most batch_size, in an order fixed by the seed and the epoch; a
// character stream is read chunk by chunk in order every epoch, so that the carried state
// follows the text.
func TestTaskBatches(t *testing.T) {
	for _, name := range []string{"sentiment-lstm", "cmudict-transformer"} {
		t.Run(name, func(t *testing.T) {
			task := tinyTask(t, name)
			n, _ := task.Sizes()
			if n == 0 || n > 300 {
				t.Fatalf("%d training examples, want 1 to data.limit", n)
			}
			size := map[string]int{"sentiment-lstm": 32, "cmudict-transformer": 32}[name]
			var orders [][]int
			for epoch := range 2 {
				batches := task.Batches(epoch)
				if again := task.Batches(epoch); !slices.EqualFunc(batches, again, slices.Equal) {
					t.Errorf("epoch %d: two calls give different batches", epoch)
				}
				var order []int
				for i, b := range batches {
					if len(b) == 0 || len(b) > size {
						t.Errorf("epoch %d batch %d has %d examples, want 1 to %d", epoch, i, len(b), size)
					}
					order = append(order, b...)
				}
				if got := slices.Sorted(slices.Values(order)); !slices.Equal(got, seq(n)) {
					t.Errorf("epoch %d does not visit each of the %d examples once: %d visits", epoch, n, len(order))
				}
				orders = append(orders, order)
			}
			if slices.Equal(orders[0], orders[1]) {
				t.Error("epochs 0 and 1 visit the examples in the same order; want a new shuffle each epoch")
			}
		})
	}
	t.Run("opticks-charlm", func(t *testing.T) {
		task := tinyTask(t, "opticks-charlm")
		if n, _ := task.Sizes(); n != 5000 {
			t.Errorf("%d training characters, want data.limit 5000", n)
		}
		// 8 streams of ceil(4999/8) = 625 positions, read 20 at a time: 32 chunks.
		for epoch := range 2 {
			batches := task.Batches(epoch)
			if len(batches) != 32 {
				t.Fatalf("epoch %d: %d chunks, want 32", epoch, len(batches))
			}
			for k, b := range batches {
				if !slices.Equal(b, []int{k}) {
					t.Errorf("epoch %d batch %d is %v, want chunk %d", epoch, k, b, k)
				}
			}
		}
	})
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestSeq2SeqBuckets: the pair task's batches come in several shapes (length groups); each
// batch's shape is long enough for all its pairs, its mask marks their tokens, its buffers
// fit the graph NewGraph builds for that shape on the full graph's parameter values, and
// the shorter shapes are used.
func TestSeq2SeqBuckets(t *testing.T) {
	checkBuckets(t, tinyTask(t, "cmudict-transformer").(*pairTask))
}

// With data.target_len shorter than max_len + 1, every graph's decoder is at most that long,
// longer targets stay out of training, and the short groups still fit their pairs.
func TestSeq2SeqTargetLen(t *testing.T) {
	cfg, err := testrun.TaskConfig("cmudict-transformer")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data.TargetLen = 7
	task, err := LoadTask(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pt := task.(*pairTask)
	if pt.info.TargetLen != 7 || pt.tc.TargetLen != 7 {
		t.Fatalf("target length %d (model %d), want 7", pt.info.TargetLen, pt.tc.TargetLen)
	}
	for _, p := range pt.train {
		if len(p.Tgt)+1 > 7 {
			t.Fatalf("a training target of %d tokens and <eos> is longer than target_len 7", len(p.Tgt))
		}
	}
	for _, l := range pt.lens {
		if got := pt.shapeConfig(l).TargetLen; got > 7 || got != min(l+1, 7) {
			t.Errorf("group of %d source tokens decodes %d, want %d", l, got, min(l+1, 7))
		}
	}
	checkBuckets(t, pt)
}

func checkBuckets(t *testing.T, task *pairTask) {
	t.Helper()
	full, err := task.NewGraph(0, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	built := map[int]*models.Graph{0: full}
	used := map[int]int{}
	for epoch := range 2 {
		for _, idx := range task.Batches(epoch) {
			b := task.Batch(idx)
			g, ok := built[b.Shape]
			if !ok {
				if g, err = task.NewGraph(b.Shape, full.Params(), 0); err != nil {
					t.Fatal(err)
				}
				built[b.Shape] = g
			}
			if err := g.Fill(b); err != nil {
				t.Fatalf("batch of shape %d: %v", b.Shape, err)
			}
			used[b.Shape]++
			srcLen, tgtLen := task.shapeConfig(b.Shape).SourceLen, task.shapeConfig(b.Shape).TargetLen
			mask := b.Inputs["source_mask"]
			for r, i := range idx {
				p := task.train[i]
				if len(p.Src) > srcLen || len(p.Tgt)+1 > tgtLen {
					t.Fatalf("pair %d (%d → %d tokens) in a batch of shape %d", i, len(p.Src), len(p.Tgt), b.Shape)
				}
				var real int
				for _, m := range mask[r*srcLen : (r+1)*srcLen] {
					real += int(m)
				}
				if real != len(p.Src) {
					t.Fatalf("shape %d row %d: the mask marks %d source tokens, the pair has %d", b.Shape, r, real, len(p.Src))
				}
			}
		}
	}
	for shape, g := range built {
		for j, p := range g.Params() {
			want := full.Params()[j]
			if p.Name != want.Name || &p.Value.Data().([]float32)[0] != &want.Value.Data().([]float32)[0] {
				t.Fatalf("graph of shape %d: parameter %s does not share %s's values", shape, p.Name, want.Name)
			}
		}
	}
	if len(used) != 3 {
		t.Errorf("batches by shape: %v; want 3 shapes for max_len 12, the shorter ones used too", used)
	}
}

// TestLoadTaskRefusesOtherKinds: data of one kind with the vocabularies of a checkpoint of
// another kind, or a model that cannot read it, is refused with an error naming both.
func TestLoadTaskRefusesOtherKinds(t *testing.T) {
	names := []string{"sentiment-lstm", "opticks-charlm", "cmudict-transformer"}
	for _, data := range names {
		for _, model := range names {
			if data == model {
				continue
			}
			t.Run(model+" checkpoint on "+data+" data", func(t *testing.T) {
				cfg, err := testrun.TaskConfig(data)
				if err != nil {
					t.Fatal(err)
				}
				saved := tinyTask(t, model).Info()
				_, err = LoadTask(cfg, &saved)
				if err == nil || !strings.Contains(err.Error(), snapshot.KindName(saved.Kind)) {
					t.Errorf("got %v, want an error naming the model's %s data", err, snapshot.KindName(saved.Kind))
				}
			})
		}
	}
	for _, tt := range []struct{ data, kind string }{
		{"opticks-charlm", "transformer"}, {"opticks-charlm", "cnn"}, {"cmudict-transformer", "lstm"},
	} {
		t.Run(tt.data+" with model.kind "+tt.kind, func(t *testing.T) {
			cfg, err := testrun.TaskConfig(tt.data, "model.kind="+tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := LoadTask(cfg, nil); err == nil || !strings.Contains(err.Error(), "model.kind") || !strings.Contains(err.Error(), tt.kind) {
				t.Errorf("got %v, want a model.kind error naming %s", err, tt.kind)
			}
		})
	}
}

// saveUntrained writes the initial weights of the tiny run's task as a checkpoint.
func saveUntrained(t *testing.T, name string) string {
	t.Helper()
	task := tinyTask(t, name)
	cfg, err := testrun.TaskConfig(name)
	if err != nil {
		t.Fatal(err)
	}
	g, err := task.NewGraph(0, nil, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".safetensors")
	err = snapshot.Save(path, snapshot.State{Config: cfg, Info: task.Info(), Params: g.Params(), States: g.Scope.States()})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOpenRefusesOtherKinds: each way of opening a checkpoint for predictions takes its own
// kind of model and refuses the others with an error, not a panic.
func TestOpenRefusesOtherKinds(t *testing.T) {
	ckpt := map[string]string{}
	for _, name := range []string{"sentiment-lstm", "opticks-charlm", "cmudict-transformer"} {
		ckpt[name] = saveUntrained(t, name)
	}
	open := map[string]func(l *snapshot.Loaded) error{
		"classifier": func(l *snapshot.Loaded) error {
			m, err := OpenClassifier(l, 2)
			if err == nil {
				m.Close()
			}
			return err
		},
		"generator": func(l *snapshot.Loaded) error {
			g, err := OpenGenerator(l)
			if err == nil {
				g.Close()
			}
			return err
		},
		"translator": func(l *snapshot.Loaded) error {
			tr, err := OpenTranslator(l, 2, 0)
			if err == nil {
				tr.Close()
			}
			return err
		},
	}
	accepts := map[string]string{"classifier": "sentiment-lstm", "generator": "opticks-charlm", "translator": "cmudict-transformer"}
	for way, fn := range open {
		for name, path := range ckpt {
			t.Run(way+" of "+name, func(t *testing.T) {
				l, err := snapshot.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				err = fn(l)
				if accepts[way] == name {
					if err != nil {
						t.Errorf("got %v, want it opened", err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), path) {
					t.Errorf("got %v, want an error naming %s", err, path)
				}
			})
		}
	}
}

// TestGeneratorContinue: the generator writes exactly Length characters of the vocabulary
// after any prompt, refuses negative options, and with Temperature 0 or TopK 1 always takes
// the most likely character.
func TestGeneratorContinue(t *testing.T) {
	l, err := snapshot.Load(saveUntrained(t, "opticks-charlm"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := OpenGenerator(l)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, o := range []GenerateOptions{{Length: -1}, {Temperature: -0.5}, {TopK: -2}, {Temperature: math.NaN()}} {
		if _, err := g.Continue(context.Background(), "a", o); err == nil {
			t.Errorf("%+v: no error, want negative options refused", o)
		}
	}
	cont := func(prompt string, o GenerateOptions) string {
		t.Helper()
		s, err := g.Continue(context.Background(), prompt, o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, prompt := range []string{"", "Light", "日本語 ☃", "\xff"} {
		s := cont(prompt, GenerateOptions{Length: 25, Temperature: 1, Seed: 3})
		if n := len([]rune(s)); n != 25 {
			t.Errorf("prompt %q: %d characters %q, want 25", prompt, n, s)
		}
		for _, r := range s {
			if id := l.Info.Vocab.ID(string(r)); id <= datasets.EosID {
				t.Errorf("prompt %q: %q is not a character of the vocabulary", prompt, r)
			}
		}
	}
	greedy := cont("Light", GenerateOptions{Length: 25})
	if top1 := cont("Light", GenerateOptions{Length: 25, Temperature: 2, TopK: 1, Seed: 9}); top1 != greedy {
		t.Errorf("TopK 1: %q, Temperature 0: %q; want the same", top1, greedy)
	}
	if a, b := cont("Light", GenerateOptions{Length: 25, Temperature: 1, Seed: 5}), cont("Light", GenerateOptions{Length: 25, Temperature: 1, Seed: 5}); a != b {
		t.Errorf("seed 5 twice: %q, then %q", a, b)
	}
	if s := cont("Light", GenerateOptions{}); s != "" {
		t.Errorf("Length 0: %q, want nothing", s)
	}
}

// TestEncodeText: any text becomes 1 to max_len ids of the vocabulary; words never seen,
// bytes that are not UTF-8 and text without tokens read as <unk>.
func TestEncodeText(t *testing.T) {
	v := tinyTask(t, "sentiment-lstm").Info().Vocab
	good := v.ID("good")
	if good == datasets.UnkID {
		t.Fatal(`"good" is not in the vocabulary of 200 sentences`)
	}
	tests := []struct {
		text string
		want []int
	}{
		{"", []int{datasets.UnkID}},
		{" \t\n ", []int{datasets.UnkID}},
		{"blorptastic", []int{datasets.UnkID}},
		{"GOOD", []int{good}},
		{"good \xff\xfe good", []int{good, datasets.UnkID, datasets.UnkID, good}}, // one token per invalid byte
		{strings.Repeat("good ", 100), slices.Repeat([]int{good}, 40)},
	}
	for _, tt := range tests {
		if got := EncodeText(v, tt.text, 40); !slices.Equal(got, tt.want) {
			t.Errorf("EncodeText(%.20q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	if got := EncodeText(v, "日本語 ☃ ça", 40); len(got) == 0 || len(got) > 40 {
		t.Errorf("EncodeText of other scripts: %v", got)
	}
}

// TestLoadTaskUnits: data.units takes a data set's own units (de-en takes both) and refuses
// the others, and any units for images, with an error naming the key.
func TestLoadTaskUnits(t *testing.T) {
	images := config.Default()
	images.Data.Units = "words"
	if _, err := LoadTask(images, nil); err == nil || !strings.HasPrefix(err.Error(), "data.units: mnist holds images") {
		t.Errorf("mnist with data.units words: got %v, want a data.units error", err)
	}
	for _, tt := range []struct{ name, units string }{
		{"sentiment-lstm", "chars"}, {"opticks-charlm", "words"}, {"cmudict-transformer", "words"},
	} {
		cfg, err := testrun.TaskConfig(tt.name, "data.units="+tt.units)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTask(cfg, nil); err == nil || !strings.HasPrefix(err.Error(), "data.units: "+cfg.Data.Name+" is read in") {
			t.Errorf("%s with data.units %s: got %v, want a data.units error", tt.name, tt.units, err)
		}
	}
	for _, units := range []string{"", "chars"} {
		cfg, err := testrun.TaskConfig("cmudict-transformer", "data.units="+units)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkUnits(cfg.Data); err != nil || unitsOf(cfg.Data) != "chars" {
			t.Errorf("cmudict with data.units %q: %v, units %q; want chars", units, err, unitsOf(cfg.Data))
		}
	}
}

// TestSourceAndTargetText: inputs split into the units the model was trained on, and
// outputs read back as text.
func TestSourceAndTargetText(t *testing.T) {
	for _, tt := range []struct {
		tokens, input string
		src           []string
		out           []string
		text          string
	}{
		{"phonemes", " Gorgo ", []string{"g", "o", "r", "g", "o"}, []string{"G", "AO", "R"}, "G AO R"},
		{"words", "Das  Haus!", []string{"das", "haus", "!"}, []string{"the", "house"}, "the house"},
		{"chars", "Das  Haus!", []string{"d", "a", "s", " ", "h", "a", "u", "s", " ", "!"},
			[]string{"t", "h", "e", " ", "h", "o", "u", "s", "e", " "}, "the house"},
	} {
		info := snapshot.DataInfo{Kind: snapshot.KindPairs, Tokens: tt.tokens}
		if got := SourceTokens(info, tt.input); !slices.Equal(got, tt.src) {
			t.Errorf("%s: SourceTokens(%q) = %q, want %q", tt.tokens, tt.input, got, tt.src)
		}
		if got := TargetText(info, tt.out); got != tt.text {
			t.Errorf("%s: TargetText(%q) = %q, want %q", tt.tokens, tt.out, got, tt.text)
		}
	}
}
