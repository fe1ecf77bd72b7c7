package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/internal/atomicfile"
)

// Plan is a sweep expanded into its runs. It is written to DIR/sweep.json, which the runs
// read (so a Slurm task needs nothing but DIR) and which a second invocation must match.
type Plan struct {
	Name   string   `json:"name"`
	Base   string   `json:"base"` // absolute when it is a file
	Metric string   `json:"metric"`
	Keys   []string `json:"keys"`   // the varied keys, in file order
	Shared []string `json:"shared"` // the key=value overrides every run starts with
	Runs   []Run    `json:"runs"`
}

// Run is one training run of a sweep.
type Run struct {
	Index     int        `json:"index"`
	Name      string     `json:"name"`   // its directory under DIR/runs
	Params    []Override `json:"params"` // the varied keys' values (grid, then random)
	Seed      *uint64    `json:"seed,omitempty"`
	Overrides []string   `json:"overrides"` // every key=value applied to the base, in order
}

// Expand turns f into its runs: every grid combination, each with every random draw, each
// with every seed. Random draws are reproducible from random.seed, so a second invocation
// expands to the same runs.
func (f *File) Expand() *Plan {
	p := &Plan{Name: f.Name, Base: f.Base, Metric: f.Metric}
	if abs, err := filepath.Abs(f.Base); err == nil && strings.ContainsAny(f.Base, "/.") {
		p.Base = abs
	}
	for _, a := range f.Grid {
		p.Keys = append(p.Keys, a.Key)
	}
	for _, d := range f.Random.Params {
		p.Keys = append(p.Keys, d.Key)
	}
	for _, o := range f.Set {
		p.Shared = append(p.Shared, o.Key+"="+o.Value)
	}
	draws := f.draws()
	seeds := []*uint64{nil}
	if len(f.Seeds) > 0 {
		seeds = nil
		for _, s := range f.Seeds {
			seeds = append(seeds, &s)
		}
	}
	for _, combo := range gridProduct(f.Grid) {
		for _, draw := range draws {
			for _, seed := range seeds {
				params := append(append([]Override{}, combo...), draw...)
				p.Runs = append(p.Runs, newRun(len(p.Runs), f.Set, params, seed))
			}
		}
	}
	return p
}

func newRun(index int, set, params []Override, seed *uint64) Run {
	r := Run{Index: index, Params: params, Seed: seed}
	name := []string{fmt.Sprintf("%03d", index)}
	for _, o := range append(append([]Override{}, set...), params...) {
		r.Overrides = append(r.Overrides, o.Key+"="+o.Value)
	}
	for _, o := range params {
		name = append(name, shortKey(o.Key)+"="+listBrackets.Replace(o.Value)) // [16, 32] is 16,32
	}
	if seed != nil {
		r.Overrides = append(r.Overrides, fmt.Sprintf("seed=%d", *seed))
		name = append(name, fmt.Sprintf("seed=%d", *seed))
	}
	r.Name = unsafeName.ReplaceAllString(strings.Join(name, "-"), "_")
	return r
}

var listBrackets = strings.NewReplacer("[", "", "]", "", " ", "")

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._=,+-]`)

// shortKey is the last part of a dotted key: train.optimizer.lr is lr.
func shortKey(key string) string { return key[strings.LastIndex(key, ".")+1:] }

// gridProduct lists every combination of the axes' values, the last axis varying fastest.
func gridProduct(axes []Axis) [][]Override {
	combos := [][]Override{nil}
	for _, a := range axes {
		var next [][]Override
		for _, c := range combos {
			for _, v := range a.Values {
				next = append(next, append(append([]Override{}, c...), v))
			}
		}
		combos = next
	}
	return combos
}

// draws returns random.n sets of values, or one empty set when the sweep has no random part.
func (f *File) draws() [][]Override {
	if f.Random.N == 0 {
		return [][]Override{nil}
	}
	rng := rand.New(rand.NewPCG(f.Random.Seed, 0x5eed))
	out := make([][]Override, f.Random.N)
	for i := range out {
		for _, d := range f.Random.Params {
			out[i] = append(out[i], d.draw(rng))
		}
	}
	return out
}

func (d Dist) draw(rng *rand.Rand) Override {
	u := rng.Float64()
	switch d.Kind {
	case "choice":
		c := d.Choices[int(u*float64(len(d.Choices)))]
		return Override{Key: d.Key, Value: c.Value}
	case "log_uniform":
		lo, hi := math.Log(d.Low), math.Log(d.High)
		return Override{Key: d.Key, Value: formatDraw(d, math.Exp(lo+u*(hi-lo)))}
	case "int_uniform":
		return Override{Key: d.Key, Value: formatDraw(d, math.Floor(d.Low+u*(d.High-d.Low+1)))}
	}
	return Override{Key: d.Key, Value: formatDraw(d, d.Low+u*(d.High-d.Low))}
}

// formatDraw writes a draw with three significant digits: readable in run names and tables,
// and the value the run really uses.
func formatDraw(d Dist, x float64) string {
	if d.Kind == "int_uniform" {
		return strconv.FormatInt(int64(x), 10)
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 3, 64), 64)
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Config is the experiment of run r: the base config with its overrides applied, validated.
func (p *Plan) Config(r Run) (config.Experiment, error) {
	cfg, _, err := config.Load(p.Base)
	if err != nil {
		return cfg, err
	}
	for _, kv := range r.Overrides {
		if err := cfg.Set(kv); err != nil {
			return cfg, fmt.Errorf("run %s: %w", r.Name, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("run %s: %w", r.Name, err)
	}
	return cfg, nil
}

// Check validates every run's config, so that a combination the schema refuses (such as a
// value out of range) stops the sweep before any run starts.
func (p *Plan) Check() error {
	for _, r := range p.Runs {
		if _, err := p.Config(r); err != nil {
			return err
		}
	}
	return nil
}

// RunDir is the run directory of r in the sweep directory dir.
func RunDir(dir string, r Run) string { return filepath.Join(dir, "runs", r.Name) }

const planFile = "sweep.json"

// Save writes the plan to dir/sweep.json, after checking that a plan already there has the
// same base and runs: a directory holds one sweep, so that running a command again resumes
// it and never mixes two. (The metric may change: it only ranks.)
func (p *Plan) Save(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, planFile)); err == nil {
		old, err := LoadPlan(dir)
		if err != nil {
			return err
		}
		if old.Base != p.Base || !sameJSON(old.Runs, p.Runs) {
			return fmt.Errorf("%s holds another sweep (the runs in its %s differ from this sweep file's); choose another --out, or delete the directory to start over", dir, planFile)
		}
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, planFile), append(b, '\n'))
}

// sameJSON compares what a and b write to sweep.json (which drops the sweep file's lines).
func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// LoadPlan reads the plan of the sweep in dir.
func LoadPlan(dir string) (*Plan, error) {
	b, err := os.ReadFile(filepath.Join(dir, planFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no sweep (no %s)", dir, planFile)
	}
	if err != nil {
		return nil, err
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, planFile), err)
	}
	return &p, nil
}

// writeAtomic writes b to path whole (internal/atomicfile).
func writeAtomic(path string, b []byte) error { return atomicfile.WriteBytes(path, b) }
