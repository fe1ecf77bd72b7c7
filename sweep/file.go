package sweep

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/rundir"
)

// File is a sweep file, decoded and checked against the experiment schema.
type File struct {
	Path   string     // as given, for error messages
	Name   string     // default: the file name without .yaml
	Base   string     // config name or file, as config.Load takes it
	Set    []Override // the same for every run
	Grid   []Axis     // every combination of these
	Random Random     // optional: N draws, each combined with the grid
	Seeds  []uint64   // each setting runs once per seed; none = the base config's seed
	Metric string     // the validation metric to rank by
}

// Override is one key=value of a sweep file, with the line it came from.
type Override struct {
	Key   string `json:"key"`
	Value string `json:"value"` // as --set takes it
	Line  int    `json:"-"`
}

// Axis is one grid key and the values it takes.
type Axis struct {
	Key    string
	Values []Override
}

// Random draws N values of each of Params, reproducibly from Seed.
type Random struct {
	N      int
	Seed   uint64
	Params []Dist
}

// Dist is the distribution of one random key: uniform, log_uniform or int_uniform over
// [Low, High], or a choice among Choices.
type Dist struct {
	Key       string
	Kind      string
	Low, High float64
	Choices   []Override
	Line      int
}

// Metrics are the validation metrics a sweep can rank by, each with its direction.
var Metrics = rundir.Metrics // true: lower is better

var topKeys = []string{"name", "base", "set", "grid", "random", "seeds", "metric"}

// ReadFile reads and checks the sweep file at path: every key, in the sweep file and as an
// experiment key, is checked against the schema before anything runs; errors name path:line.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is ReadFile on data already read; path names the file in errors and anchors a base
// given as a relative file path.
func Parse(path string, data []byte) (*File, error) {
	root, err := parseRoot(path, data)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path, Metric: "accuracy"}
	f.Name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".yaml"), ".yml")
	p := parser{path: path}
	baseLine := 0
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name":
			f.Name = p.str(v, "name")
		case "base":
			f.Base, baseLine = p.str(v, "base"), k.Line
		case "set":
			f.Set = p.overrides(v)
		case "grid":
			f.Grid = p.grid(v)
		case "random":
			f.Random = p.random(k.Line, v)
		case "seeds":
			f.Seeds = p.seeds(v)
		case "metric":
			f.Metric = p.str(v, "metric")
			if _, ok := Metrics[f.Metric]; !ok && p.err == nil {
				p.fail(v.Line, "metric %q: want one of %s", f.Metric, strings.Join(metricNames(), ", "))
			}
		default:
			p.fail(k.Line, "unknown key %q in a sweep file (the keys are %s)", k.Value, strings.Join(topKeys, ", "))
		}
		if p.err != nil {
			return nil, p.err
		}
	}
	if f.Base == "" {
		return nil, fmt.Errorf("%s: no base: name the experiment config to sweep over, e.g. base: mnist-cnn", path)
	}
	f.Base = resolveBase(path, f.Base)
	if err := f.check(baseLine); err != nil {
		return nil, err
	}
	return f, nil
}

// resolveBase reads a relative base file path from the sweep file's directory when it is there.
func resolveBase(sweepPath, base string) string {
	if filepath.IsAbs(base) || !strings.ContainsAny(base, "/.") {
		return base
	}
	near := filepath.Join(filepath.Dir(sweepPath), base)
	if _, err := os.Stat(near); err == nil {
		return near
	}
	return base
}

func parseRoot(path string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, fmt.Errorf("%s: empty sweep file", path)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: a sweep file is a mapping of keys (%s)", path, root.Line, strings.Join(topKeys, ", "))
	}
	return root, nil
}

func metricNames() []string {
	var names []string
	for m := range Metrics {
		names = append(names, m)
	}
	slices.Sort(names)
	return names
}

// parser keeps the first error, so the decoding code reads straight through.
type parser struct {
	path string
	err  error
}

func (p *parser) fail(line int, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s:%d: %s", p.path, line, fmt.Sprintf(format, args...))
	}
}

func (p *parser) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.fail(n.Line, "%s must be a single value", key)
	}
	return n.Value
}

// mapping returns the key/value pairs of a mapping node, refusing a key given twice.
func (p *parser) mapping(n *yaml.Node, what string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.fail(n.Line, "%s must be a mapping of experiment keys to values", what)
		return nil
	}
	var pairs [][2]*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if first, dup := seen[k.Value]; dup {
			p.fail(k.Line, "%s is given twice (first on line %d)", k.Value, first)
		}
		seen[k.Value] = k.Line
		pairs = append(pairs, [2]*yaml.Node{k, n.Content[i+1]})
	}
	return pairs
}

func (p *parser) overrides(n *yaml.Node) []Override {
	var out []Override
	for _, kv := range p.mapping(n, "set") {
		out = append(out, p.value(kv[0].Value, kv[1]))
	}
	return out
}

func (p *parser) grid(n *yaml.Node) []Axis {
	var axes []Axis
	for _, kv := range p.mapping(n, "grid") {
		k, v := kv[0], kv[1]
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			p.fail(v.Line, "grid %s must be a non-empty list of values", k.Value)
			return nil
		}
		a := Axis{Key: k.Value}
		for _, item := range v.Content {
			a.Values = append(a.Values, p.value(k.Value, item))
		}
		axes = append(axes, a)
	}
	return axes
}

// value turns a YAML value into the text --set takes: a scalar as written, a list in flow style.
func (p *parser) value(key string, n *yaml.Node) Override {
	o := Override{Key: key, Line: n.Line}
	if n.Kind == yaml.ScalarNode {
		o.Value = n.Value
		return o
	}
	c := *n
	c.Style = yaml.FlowStyle
	b, err := yaml.Marshal(&c)
	if err != nil {
		p.fail(n.Line, "%s: %v", key, err)
	}
	o.Value = strings.TrimSpace(string(b))
	return o
}

func (p *parser) seeds(n *yaml.Node) []uint64 {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.fail(n.Line, "seeds must be a non-empty list of integers, e.g. [1, 2]")
		return nil
	}
	var seeds []uint64
	for _, item := range n.Content {
		s, err := strconv.ParseUint(item.Value, 10, 64)
		if err != nil || item.Kind != yaml.ScalarNode {
			p.fail(item.Line, "seeds: %q is not a non-negative integer", item.Value)
		}
		if slices.Contains(seeds, s) {
			p.fail(item.Line, "seeds: %d is given twice", s)
		}
		seeds = append(seeds, s)
	}
	return seeds
}

func (p *parser) random(line int, n *yaml.Node) Random {
	var r Random
	for _, kv := range p.mapping(n, "random") {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "n":
			i, err := strconv.Atoi(v.Value)
			if err != nil || i < 1 || v.Kind != yaml.ScalarNode {
				p.fail(v.Line, "random.n must be a positive integer, got %q", v.Value)
			}
			r.N = i
		case "seed":
			s, err := strconv.ParseUint(v.Value, 10, 64)
			if err != nil {
				p.fail(v.Line, "random.seed must be a non-negative integer, got %q", v.Value)
			}
			r.Seed = s
		case "params":
			for _, kd := range p.mapping(v, "random.params") {
				r.Params = append(r.Params, p.dist(kd[0].Value, kd[1]))
			}
		default:
			p.fail(k.Line, "unknown key %q in random (the keys are n, seed, params)", k.Value)
		}
	}
	if p.err == nil && (r.N == 0) != (len(r.Params) == 0) {
		p.fail(line, "random needs both n and params")
	}
	return r
}

var distKinds = []string{"uniform", "log_uniform", "int_uniform", "choice"}

// dist reads {uniform: [low, high]}, {log_uniform: [low, high]}, {int_uniform: [low, high]}
// or {choice: [a, b, ...]}.
func (p *parser) dist(key string, n *yaml.Node) Dist {
	d := Dist{Key: key, Line: n.Line}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		p.fail(n.Line, "random %s must be one of {%s: [low, high]}", key, strings.Join(distKinds, ": ...}, {"))
		return d
	}
	d.Kind = n.Content[0].Value
	args := n.Content[1]
	if !slices.Contains(distKinds, d.Kind) {
		p.fail(n.Content[0].Line, "random %s: unknown distribution %q (want %s)", key, d.Kind, strings.Join(distKinds, ", "))
		return d
	}
	if args.Kind != yaml.SequenceNode || len(args.Content) == 0 {
		p.fail(args.Line, "random %s: %s takes a list", key, d.Kind)
		return d
	}
	if d.Kind == "choice" {
		for _, item := range args.Content {
			d.Choices = append(d.Choices, p.value(key, item))
		}
		return d
	}
	if len(args.Content) != 2 {
		p.fail(args.Line, "random %s: %s takes [low, high]", key, d.Kind)
		return d
	}
	lo, err1 := strconv.ParseFloat(args.Content[0].Value, 64)
	hi, err2 := strconv.ParseFloat(args.Content[1].Value, 64)
	switch {
	case err1 != nil || err2 != nil:
		p.fail(args.Line, "random %s: %s bounds must be numbers", key, d.Kind)
	case !(lo < hi):
		p.fail(args.Line, "random %s: low %v must be below high %v", key, lo, hi)
	case d.Kind == "log_uniform" && lo <= 0:
		p.fail(args.Line, "random %s: log_uniform bounds must be positive", key)
	case d.Kind == "int_uniform" && (lo != float64(int64(lo)) || hi != float64(int64(hi))):
		p.fail(args.Line, "random %s: int_uniform bounds must be integers", key)
	}
	d.Low, d.High = lo, hi
	return d
}

// check applies every value the sweep can give each key to the base config, so that a key
// the schema lacks or a value of the wrong type fails here, with its line, before any run.
func (f *File) check(baseLine int) error {
	base, _, err := config.Load(f.Base)
	if err != nil {
		return fmt.Errorf("%s:%d: base: %w", f.Path, baseLine, err)
	}
	seen := map[string]int{}
	claim := func(key string, line int) error {
		if first, dup := seen[key]; dup {
			return fmt.Errorf("%s:%d: %s is given twice in the sweep (first on line %d)", f.Path, line, key, first)
		}
		seen[key] = line
		return nil
	}
	apply := func(o Override, where string) error {
		cfg := base
		if err := cfg.Set(o.Key + "=" + o.Value); err != nil {
			msg := strings.TrimPrefix(err.Error(), "--set "+o.Key+"="+o.Value+": ")
			return fmt.Errorf("%s:%d: %s %s: %s", f.Path, o.Line, where, o.Key, msg)
		}
		return nil
	}
	var checks []func() error
	for _, o := range f.Set {
		checks = append(checks, func() error { return claim(o.Key, o.Line) }, func() error { return apply(o, "set") })
	}
	for _, a := range f.Grid {
		checks = append(checks, func() error { return claim(a.Key, a.Values[0].Line) })
		for _, v := range a.Values {
			checks = append(checks, func() error { return apply(v, "grid") })
		}
	}
	for _, d := range f.Random.Params {
		checks = append(checks, func() error { return claim(d.Key, d.Line) })
		for _, v := range d.samples() {
			checks = append(checks, func() error { return apply(v, "random") })
		}
	}
	if len(f.Seeds) > 0 {
		checks = append(checks, func() error {
			if line, dup := seen["seed"]; dup {
				return fmt.Errorf("%s:%d: seed is given here and by seeds; keep one", f.Path, line)
			}
			return nil
		})
	}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

// samples are values that stand for every draw of d when checking types: both bounds.
func (d Dist) samples() []Override {
	if d.Kind == "choice" {
		out := slices.Clone(d.Choices)
		for i := range out {
			out[i].Line = d.Line
		}
		return out
	}
	return []Override{{d.Key, formatDraw(d, d.Low), d.Line}, {d.Key, formatDraw(d, d.High), d.Line}}
}
