package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Model selects one architecture by kind and holds that kind's block of sizes, and only
// that block: in YAML, model.kind and model.<kind>, e.g.
//
//	model:
//	  kind: lstm
//	  lstm: {hidden: 64}
//
// A block of another kind is an error naming it. The kinds are registered by the package
// that builds models (RegisterModel); each kind's block starts from its defaults.
type Model struct {
	// Kind is the name of a registered model kind.
	Kind string
	// Block holds the sizes of Kind, a value of the block type it registered (CNN, Recurrent, Transformer).
	Block Block
}

// A Block is the sizes of one model kind: one of this package's block types, so that the
// schema (keys, types, defaults, validation) stays in one place.
type Block interface {
	validate(v *validator, key string)
}

// ModelKind is what a config needs to know of one model.kind.
type ModelKind struct {
	Name  string
	About string       // what the kind is and which data it serves, one line
	New   func() Block // the kind's block with every default filled in
}

var modelKinds = map[string]ModelKind{}

// RegisterModel adds a model kind configs may name. It is called from init functions;
// registering a name twice panics.
func RegisterModel(k ModelKind) {
	if _, dup := modelKinds[k.Name]; dup || k.Name == "" || k.Name == "kind" || k.New == nil {
		panic(fmt.Sprintf("config: bad or duplicate model kind %q", k.Name))
	}
	modelKinds[k.Name] = k
}

// ModelKinds lists the registered model kinds, sorted.
func ModelKinds() []string { return slices.Sorted(maps.Keys(modelKinds)) }

// LookupModel returns the registered kind called name.
func LookupModel(name string) (ModelKind, bool) {
	k, ok := modelKinds[name]
	return k, ok
}

// The accessors return the block of a model of their kind (Recurrent: lstm and gru), and a
// zero block for another kind.

func (m Model) CNN() CNN                 { c, _ := m.Block.(CNN); return c }
func (m Model) Recurrent() Recurrent     { r, _ := m.Block.(Recurrent); return r }
func (m Model) Transformer() Transformer { t, _ := m.Block.(Transformer); return t }

func (m Model) validate(v *validator) {
	if _, ok := modelKinds[m.Kind]; !ok {
		v.require(false, "model.kind must be one of %s, got %q", strings.Join(ModelKinds(), ", "), m.Kind)
		return
	}
	if !v.require(m.Block != nil, "model.%s: the block of kind %s is missing", m.Kind, m.Kind) {
		return
	}
	m.Block.validate(v, "model."+m.Kind)
}

// MarshalYAML writes kind, then the kind's block under its name.
func (m Model) MarshalYAML() (any, error) {
	var block yaml.Node
	if err := block.Encode(m.Block); err != nil {
		return nil, err
	}
	return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "kind"}, {Kind: yaml.ScalarNode, Value: m.Kind},
		{Kind: yaml.ScalarNode, Value: m.Kind}, &block,
	}}, nil
}

// UnmarshalYAML decodes a model mapping onto m: the kind's block starts from m's own block
// when the kind stays, and from the kind's defaults when it changes. check has already
// refused every key and value that does not fit.
func (m *Model) UnmarshalYAML(n *yaml.Node) error {
	kind := m.Kind
	if k := mappingValue(n, "kind"); k != nil {
		kind = k.Value
	}
	mk, ok := modelKinds[kind]
	if !ok {
		return fmt.Errorf("line %d: model.kind: unknown model kind %q", n.Line, kind)
	}
	block := reflect.New(reflect.TypeOf(mk.New())).Elem()
	if kind == m.Kind && m.Block != nil {
		block.Set(reflect.ValueOf(m.Block))
	} else {
		block.Set(reflect.ValueOf(mk.New()))
	}
	if b := mappingValue(n, kind); b != nil {
		if err := b.Decode(block.Addr().Interface()); err != nil {
			return err
		}
	}
	m.Kind, m.Block = kind, block.Interface().(Block)
	return nil
}

// mappingValue is the value of key in mapping n, nil when absent.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

var modelType = reflect.TypeOf(Model{})

// checkModel reports the first place where mapping n does not fit a model whose kind is
// base unless n sets another: an unknown kind, a block of another kind, a bad block.
func checkModel(n *yaml.Node, path, base string) *schemaError {
	if n.Kind != yaml.MappingNode {
		return mismatch(n, modelType, path)
	}
	kind := base
	if k := mappingValue(n, "kind"); k != nil {
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return mismatch(k, reflect.TypeOf(""), joinKey(path, "kind"))
		}
		if _, ok := modelKinds[k.Value]; !ok {
			return &schemaError{line: k.Line, path: joinKey(path, "kind"), got: fmt.Sprintf("%q", k.Value),
				want: "one of " + strings.Join(ModelKinds(), ", ")}
		}
		kind = k.Value
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := joinKey(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			return &schemaError{line: k.Line, path: key, dupLine: first}
		}
		seen[k.Value] = k.Line
		switch _, known := modelKinds[k.Value]; {
		case k.Value == "kind":
		case k.Value == kind:
			if err := check(v, reflect.TypeOf(modelKinds[kind].New()), key); err != nil {
				return err
			}
		case known:
			return &schemaError{line: k.Line, path: key, msg: otherKind(k.Value, kind)}
		default:
			return &schemaError{line: k.Line, path: key, unknown: true, suggest: joinKey(path, closest(k.Value, append(ModelKinds(), "kind")))}
		}
	}
	return nil
}

// otherKind explains why the block of one kind is refused in a model of another.
func otherKind(block, kind string) string {
	return fmt.Sprintf("the block of kind %s, but model.kind is %s; a config holds only its own kind's block", block, kind)
}

// set applies a --set override of a key under model (see Experiment.Set).
func (m *Model) set(kv, key, value string) error {
	section, rest, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(key, "model"), "."), ".")
	switch {
	case section == "":
		n, err := parseSetValue(kv, key, value)
		if err != nil {
			return err
		}
		if serr := checkModel(n, "model", m.Kind); serr != nil {
			return serr.inSet(kv)
		}
		return n.Decode(m)
	case section == "kind" && rest == "":
		mk, ok := modelKinds[value]
		if !ok {
			return fmt.Errorf("--set %s: model.kind must be one of %s", kv, strings.Join(ModelKinds(), ", "))
		}
		if value != m.Kind {
			m.Kind, m.Block = value, mk.New()
		}
		return nil
	case section != m.Kind:
		if _, known := modelKinds[section]; known {
			return fmt.Errorf("--set %s: model.%s is %s; set model.kind=%s first", kv, section, otherKind(section, m.Kind), section)
		}
		return (&schemaError{path: key, unknown: true, suggest: suggestKey(key)}).inSet(kv)
	}
	block := reflect.New(reflect.TypeOf(m.Block)).Elem()
	block.Set(reflect.ValueOf(m.Block))
	field := block
	if rest != "" {
		var ok bool
		if field, ok = lookup(block, rest); !ok {
			return (&schemaError{path: key, unknown: true, suggest: suggestKey(key)}).inSet(kv)
		}
	}
	if err := setField(field, kv, key, value); err != nil {
		return err
	}
	m.Block = block.Interface().(Block)
	return nil
}

// modelPaths lists the dotted keys under model: kind, and every registered kind's block.
func modelPaths(prefix string, sections bool) []string {
	out := []string{joinKey(prefix, "kind")}
	for _, name := range ModelKinds() {
		key := joinKey(prefix, name)
		if sections {
			out = append(out, key)
		}
		out = append(out, paths(reflect.TypeOf(modelKinds[name].New()), key, sections)...)
	}
	return out
}
