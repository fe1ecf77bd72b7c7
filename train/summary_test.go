package train

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
)

var adam = config.Optimizer{Name: "adam", LR: 1e-3}

// suiteGraphs builds the training graphs of the benchmark suite (bench_test.go), by name.
func suiteGraphs(t *testing.T) map[string]*models.Graph {
	t.Helper()
	gs := map[string]*models.Graph{}
	classifier := func(name string, spec models.Spec, batch int) {
		net, err := models.BuildClassifier(spec, models.BuildOptions{Batch: batch, Training: true})
		if err != nil {
			t.Fatal(err)
		}
		gs[name] = net.Graph
	}
	classifier("cnn", models.CNNSpec(models.DefaultCNN()), 64)
	classifier("lstm1", models.RecurrentSpec(benchLSTM(1)), 64)
	classifier("lstm2", models.RecurrentSpec(benchLSTM(2)), 64)
	classifier("tfenc", models.TransformerSpec(benchTFEnc), 32)
	m, err := models.BuildSeq2Seq(benchSeq2Seq, models.BuildOptions{Batch: 32, Training: true})
	if err != nil {
		t.Fatal(err)
	}
	gs["seq2seq"] = m.Graph
	return gs
}

// TestSummaryParamsMatchPyTorch pins the parameter totals of the suite's models to
// PyTorch's sum(p.numel()) for scripts/bench/pytorch_reference.py's modules, and their
// forward flops per example to that script's formulas (its *_fwd_flops over the batch); it
// checks that every parameter is in exactly one row.
func TestSummaryParamsMatchPyTorch(t *testing.T) {
	want := map[string]int{"cnn": 421_642, "lstm1": 82_186, "lstm2": 214_282, "tfenc": 164_618, "seq2seq": 426_728}
	wantFLOPs := map[string]int64{"cnn": 8_482_304, "lstm1": 4_475_392, "lstm2": 11_815_424, "tfenc": 6_817_024, "seq2seq": 20_348_928}
	for name, g := range suiteGraphs(t) {
		s, err := ModelSummary(g, adam)
		if err != nil {
			t.Fatal(err)
		}
		if s.Params != want[name] {
			t.Errorf("%s: %d parameters, PyTorch has %d", name, s.Params, want[name])
		}
		if s.FLOPs != wantFLOPs[name] {
			t.Errorf("%s: %d forward flops per example, the reference counts %d", name, s.FLOPs, wantFLOPs[name])
		}
		rows := 0
		for _, l := range s.Layers {
			rows += l.Params
		}
		if rows != s.Params {
			t.Errorf("%s: the rows hold %d parameters, the total is %d", name, rows, s.Params)
		}
		if s.ParamBytes != 4*int64(s.Params) || s.OptimizerBytes() != 8*int64(s.Params) {
			t.Errorf("%s: %d parameter bytes and %d of Adam state for %d float32 parameters", name, s.ParamBytes, s.OptimizerBytes(), s.Params)
		}
	}
}

// TestSummaryRows checks rows worked out by hand: shapes, parameters and flops (2 per
// multiply-add).
func TestSummaryRows(t *testing.T) {
	gs := suiteGraphs(t)
	for _, tc := range []struct {
		model, layer, kind, shape string
		params                    int
		flops                     int64
	}{
		{"cnn", "conv1", "conv2d", "(N, 32, 28, 28)", 32*1*9 + 32, 2 * 28 * 28 * 32 * 9},
		{"cnn", "conv2", "conv2d", "(N, 64, 14, 14)", 64*32*9 + 64, 2 * 14 * 14 * 64 * 32 * 9},
		{"cnn", "fc1", "linear", "(N, 128)", 3136*128 + 128, 2 * 3136 * 128},
		{"lstm2", "lstm", "lstm", "(N, 28, 128)", 4*128*(28+128) + 8*128 + 4*128*(128+128) + 8*128,
			2 * 28 * 4 * 128 * ((28 + 128) + (128 + 128))},
		{"tfenc", "emb", "embedding", "(N, 32, 64)", 1000 * 64, 0},
		// in-projection 32×64×192, then Q·Kᵀ and weights·V of 32×32×64 each
		{"tfenc", "enc.layers.0.self_attn", "attention", "(N·32, 64)", 3*64*64 + 3*64, 2 * (32*64*192 + 2*32*32*64)},
		// cross-attention: Q of 32 target rows, K and V of 32 memory rows
		{"seq2seq", "tf.decoder.layers.1.multihead_attn", "attention", "(N·32, 64)", 3*64*64 + 3*64,
			2 * (32*64*64 + 32*64*128 + 2*32*32*64)},
		{"seq2seq", "out", "linear", "(N·32, 1000)", 64*1000 + 1000, 2 * 32 * 64 * 1000},
	} {
		s := models.Summarize(gs[tc.model])
		var got *models.Layer
		for _, l := range s.Layers {
			if l.Name == tc.layer {
				got = l
			}
		}
		if got == nil {
			t.Errorf("%s: no row %q", tc.model, tc.layer)
			continue
		}
		if shape := s.FormatShape(got.Output); got.Kind != tc.kind || shape != tc.shape || got.Params != tc.params || got.FLOPs != tc.flops {
			t.Errorf("%s %s: %s %s, %d params, %d flops; want %s %s, %d, %d", tc.model, tc.layer, got.Kind, shape, got.Params, got.FLOPs,
				tc.kind, tc.shape, tc.params, tc.flops)
		}
	}
	cnn := models.Summarize(gs["cnn"])
	if want := int64(2 * (28*28*32*9 + 14*14*64*288 + 3136*128 + 128*10)); cnn.FLOPs != want {
		t.Errorf("cnn: %d forward flops per example, want %d", cnn.FLOPs, want)
	}
}

func TestSummaryTable(t *testing.T) {
	s, err := ModelSummary(suiteGraphs(t)["cnn"], config.Optimizer{Name: "sgd", LR: 0.1, Momentum: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conv1  conv2d  (N, 32, 28, 28)      320", "total parameters   421,642",
		"parameter memory   1.61 MiB (1,686,568 bytes)", "optimizer state    1.61 MiB (1,686,568 bytes) (sgd: 1 float32 per parameter)",
		"forward FLOPs      8.48 MFLOPs per example"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, b.String())
		}
	}
}

// dotGraph is what parseDot reads from WriteDot's output.
type dotGraph struct {
	labels   map[string]string // node id → label
	edges    map[[2]string]string
	clusters []string
}

var (
	dotNode    = regexp.MustCompile(`^\s*(\w+) \[label=("(?:[^"\\]|\\.)*")`)
	dotEdge    = regexp.MustCompile(`^\s*(\w+) -> (\w+) \[label=("(?:[^"\\]|\\.)*")\];$`)
	dotCluster = regexp.MustCompile(`^\s*subgraph "cluster_([^"]+)" \{$`)
)

// parseDot reads the lines WriteDot writes, failing on any other and on unbalanced braces
// or edges between undeclared nodes.
func parseDot(t *testing.T, text string) dotGraph {
	t.Helper()
	g := dotGraph{labels: map[string]string{}, edges: map[[2]string]string{}}
	depth := 0
	unquote := func(q string) string {
		s, err := strconv.Unquote(q)
		if err != nil {
			t.Fatalf("bad label %s: %v", q, err)
		}
		return s
	}
	for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
		switch m := dotEdge.FindStringSubmatch(line); {
		case i == 0 && line == "digraph model {":
			depth++
		case m != nil:
			g.edges[[2]string{m[1], m[2]}] = unquote(m[3])
		case dotCluster.MatchString(line):
			g.clusters = append(g.clusters, dotCluster.FindStringSubmatch(line)[1])
			depth++
		case dotNode.MatchString(line):
			m := dotNode.FindStringSubmatch(line)
			g.labels[m[1]] = unquote(m[2])
		case strings.TrimSpace(line) == "}":
			depth--
		case strings.Contains(line, "label=") && strings.HasSuffix(line, ";"), strings.HasPrefix(strings.TrimSpace(line), "node ["),
			strings.HasPrefix(strings.TrimSpace(line), "edge ["), strings.TrimSpace(line) == "rankdir=TB;":
		default:
			t.Fatalf("line %d of the dot file is unexpected: %q", i+1, line)
		}
	}
	if depth != 0 {
		t.Fatalf("the dot file's braces are unbalanced (%d open)", depth)
	}
	for e := range g.edges {
		if g.labels[e[0]] == "" || g.labels[e[1]] == "" {
			t.Errorf("edge %s -> %s joins undeclared nodes", e[0], e[1])
		}
	}
	return g
}

// edgeLabels are the labels of the edges between boxes whose labels start with the names
// from and to.
func (g dotGraph) edgeLabels(from, to string) []string {
	var labels []string
	for e, label := range g.edges {
		if strings.HasPrefix(g.labels[e[0]], from+"\n") && strings.HasPrefix(g.labels[e[1]], to+"\n") {
			labels = append(labels, label)
		}
	}
	return labels
}

// pictureOf writes the picture of g into a new directory and parses its model.dot.
func pictureOf(t *testing.T, g *models.Graph) (string, dotGraph, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := ModelSummary(g, adam)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := writeModelPicture(dir, s, &log); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(dir, "model.dot"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, parseDot(t, string(text)), log.String()
}

func TestModelPictureCNN(t *testing.T) {
	_, g, _ := pictureOf(t, suiteGraphs(t)["cnn"])
	if len(g.labels) != 7 || len(g.clusters) != 0 {
		t.Errorf("the CNN has %d boxes and clusters %v, want 7 (input, targets, 4 layers, loss) and none", len(g.labels), g.clusters)
	}
	for _, e := range []struct{ from, to, label string }{
		{"input", "conv1", " (N, 1, 28, 28)"},
		{"conv1", "conv2", " relu-maxpool2d\n (N, 32, 14, 14)"},
		{"conv2", "fc1", " relu-maxpool2d\n (N, 3136)"},
		{"fc1", "fc2", " (N, 128)"},
		{"fc2", "loss", " (N, 10)"},
		{"targets", "loss", " (N, 10)"},
	} {
		if got := g.edgeLabels(e.from, e.to); !slices.Contains(got, e.label) {
			t.Errorf("edges %s -> %s are labelled %q, want one %q", e.from, e.to, got, e.label)
		}
	}
	if len(g.edges) != 6 {
		t.Errorf("the CNN has %d edges, want 6: %v", len(g.edges), g.edges)
	}
	for _, l := range g.labels {
		if strings.HasPrefix(l, "conv1\n") && l != "conv1\nconv2d · 320 params\n→ (N, 32, 28, 28)" {
			t.Errorf("conv1's box says %q", l)
		}
	}
}

func TestModelPictureTransformer(t *testing.T) {
	c := models.TransformerConfig{SourceVocab: 20, TargetVocab: 30, SourceLen: 5, TargetLen: 6,
		Layer: graphs.LayerConfig{Dim: 8, Heads: 2, FF: 16, Dropout: 0.1}, EncoderLayers: 2, DecoderLayers: 1}
	m, err := models.BuildSeq2Seq(c, models.BuildOptions{Batch: 3, Training: true})
	if err != nil {
		t.Fatal(err)
	}
	dir, g, log := pictureOf(t, m.Graph)
	for _, want := range []string{"tf", "tf.encoder", "tf.encoder.layers.0", "tf.encoder.layers.1", "tf.decoder", "tf.decoder.layers.0"} {
		if !strings.Contains(strings.Join(g.clusters, " ")+" ", want+" ") {
			t.Errorf("no cluster %q among %v", want, g.clusters)
		}
	}
	// 5 inputs (the loss's labels and weights among them), 2 embeddings, 2×6 encoder boxes +
	// norm, 9 decoder boxes + norm, out, loss
	if want := 5 + 2 + 13 + 10 + 1 + 1; len(g.labels) != want {
		t.Errorf("%d boxes, want %d", len(g.labels), want)
	}
	for _, e := range []struct{ from, to, label string }{
		{"source", "src_emb", " (N, 5)"},
		{"src_emb", "self_attn", " positional\n (N·5, 8)"},
		{"self_attn", "self_attn.out_proj", " (N·5, 8)"},
		{"norm", "multihead_attn", " (N·5, 8)"}, // the encoder's memory
		{"linear1", "linear2", " relu\n (N·6, 16)"},
		{"out", "loss", " (N·6, 30)"},
	} {
		if got := g.edgeLabels(e.from, e.to); !slices.Contains(got, e.label) {
			t.Errorf("edges %s -> %s are labelled %q, want one %q", e.from, e.to, got, e.label)
		}
	}
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz's dot is not installed: model.svg not checked")
	}
	if log != "" {
		t.Errorf("dot logged %q", log)
	}
	checkSVG(t, filepath.Join(dir, "model.svg"))
}

// checkSVG fails unless path holds XML whose root element is <svg>.
func checkSVG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false // Graphviz writes a DOCTYPE with external entities
	root := ""
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = se.Name.Local
			break
		}
	}
	if root != "svg" {
		t.Fatalf("%s has root element <%s>, want <svg>", path, root)
	}
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("%s does not decode: %v", path, err)
			}
			return
		}
	}
}

// TestModelPictureWithoutGraphviz: no dot on PATH writes model.dot alone, silently; a dot
// that fails costs one warning line.
func TestModelPictureWithoutGraphviz(t *testing.T) {
	g := suiteGraphs(t)["lstm1"]
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	dir, _, log := pictureOf(t, g)
	if _, err := os.Stat(filepath.Join(dir, "model.svg")); !os.IsNotExist(err) || log != "" {
		t.Errorf("without dot: model.svg stat %v, log %q; want no file, no log", err, log)
	}
	if err := os.WriteFile(filepath.Join(bin, "dot"), []byte("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, _, log = pictureOf(t, g)
	if _, err := os.Stat(filepath.Join(dir, "model.svg")); !os.IsNotExist(err) {
		t.Errorf("a failing dot left model.svg (stat %v)", err)
	}
	if !strings.HasPrefix(log, "warning: model.svg not written: ") || !strings.Contains(log, "syntax error in line 1") || strings.Count(log, "\n") != 1 {
		t.Errorf("a failing dot logged %q, want one warning line with its message", log)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestRunDescribesModel: a training run prints the summary before its first step and
// leaves model.dot (and model.svg with Graphviz) in its run directory.
func TestRunDescribesModel(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	mustRun(t, Options{Config: tinyConfig(t), OutDir: dir, MaxSteps: 1, Log: &log})
	out := log.String()
	i, j := strings.Index(out, "total parameters"), strings.Index(out, "epoch 1/")
	if i < 0 || (j >= 0 && j < i) {
		t.Errorf("the log does not start with the summary:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.dot")); err != nil {
		t.Error(err)
	}
	if _, err := exec.LookPath("dot"); err == nil {
		checkSVG(t, filepath.Join(dir, "model.svg"))
	}
}

// TestSummarySharedEmbeddings: with one table for the embeddings and the output layer, the
// output layer's row is still out's (its bias; the product's flops), and the table is counted
// once, under src_emb.
func TestSummarySharedEmbeddings(t *testing.T) {
	c := models.TransformerConfig{SourceVocab: 50, TargetVocab: 50, SourceLen: 6, TargetLen: 5, EncoderLayers: 1, DecoderLayers: 1,
		Layer: graphs.LayerConfig{Dim: 8, Heads: 2, FF: 16}, ShareEmbeddings: true}
	m, err := models.BuildSeq2Seq(c, models.BuildOptions{Batch: 2, Training: true})
	if err != nil {
		t.Fatal(err)
	}
	s := models.Summarize(m.Graph)
	rows := map[string]*models.Layer{}
	for _, l := range s.Layers {
		rows[l.Name] = l
	}
	if rows["tgt_emb"] != nil {
		t.Error("a tgt_emb row, but the table is src_emb's")
	}
	if l := rows["src_emb"]; l == nil || l.Params != 50*8 || l.Kind != "embedding" {
		t.Errorf("src_emb row %+v, want an embedding of 400 parameters", l)
	}
	l := rows["out"]
	if l == nil || l.Kind != "linear" || s.FormatShape(l.Output) != "(N·5, 50)" || l.Params != 50 || l.FLOPs != 2*5*8*50 {
		t.Errorf("out row %+v, want linear (N·5, 50), 50 parameters, %d flops", l, 2*5*8*50)
	}
}
