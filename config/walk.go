package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The schema is the Experiment type itself: keys are yaml tags, nested structs are sections.
// One walker serves Load (YAML node against type), Set (dotted key to field) and Keys.

// schemaError is a value that does not fit the schema, kept structured so that
// Load can report it as file:line and Set as a --set message.
type schemaError struct {
	line    int
	path    string // dotted key of the offending key or value
	unknown bool   // the key does not exist; otherwise the value has the wrong type
	msg     string // set: why the key is refused, in words
	dupLine int    // > 0: the key was already set on this line
	got     string // the offending value, e.g. `"abc"` or "a list"
	want    string // what the schema expects, e.g. "an integer"
	suggest string // closest existing key, or ""
}

// tagName is the yaml key of a struct field.
func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// fieldIndex finds the field of struct type t whose yaml key is name.
func fieldIndex(t reflect.Type, name string) (int, bool) {
	for i := 0; i < t.NumField(); i++ {
		if tagName(t.Field(i)) == name {
			return i, true
		}
	}
	return 0, false
}

// tagNames lists the yaml keys of struct type t.
func tagNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = tagName(t.Field(i))
	}
	return names
}

// lookup resolves a dotted key such as train.optimizer.lr to the field it names.
func lookup(v reflect.Value, key string) (reflect.Value, bool) {
	for _, part := range strings.Split(key, ".") {
		if v.Kind() != reflect.Struct || v.Type() == modelType { // model keys: see Model.set
			return v, false
		}
		i, ok := fieldIndex(v.Type(), part)
		if !ok {
			return v, false
		}
		v = v.Field(i)
	}
	return v, true
}

// paths lists the dotted keys under type t: only leaves, or sections too.
func paths(t reflect.Type, prefix string, sections bool) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := joinKey(prefix, tagName(f))
		if f.Type == modelType {
			if sections {
				out = append(out, key)
			}
			out = append(out, modelPaths(key, sections)...)
			continue
		}
		if f.Type.Kind() != reflect.Struct {
			out = append(out, key)
			continue
		}
		if sections {
			out = append(out, key)
		}
		out = append(out, paths(f.Type, key, sections)...)
	}
	return out
}

// Keys returns every dotted key of the schema, e.g. train.optimizer.lr, sorted.
func Keys() []string {
	keys := paths(reflect.TypeOf(Experiment{}), "", false)
	sort.Strings(keys)
	return keys
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// check reports the first place where node n does not fit a value of type t at key path.
func check(n *yaml.Node, t reflect.Type, path string) *schemaError {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == modelType {
			return checkModel(n, path, defaultModelKind)
		}
		return checkMapping(n, t, path)
	case reflect.Slice:
		return checkSequence(n, t, path)
	default:
		return checkScalar(n, t, path)
	}
}

func checkMapping(n *yaml.Node, t reflect.Type, path string) *schemaError {
	if n.Kind != yaml.MappingNode {
		return mismatch(n, t, path)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := joinKey(path, k.Value)
		f, ok := fieldIndex(t, k.Value)
		if !ok || k.Kind != yaml.ScalarNode {
			return &schemaError{line: k.Line, path: key, unknown: true, suggest: suggestSibling(path, k.Value, t)}
		}
		if first, dup := seen[k.Value]; dup {
			return &schemaError{line: k.Line, path: key, dupLine: first}
		}
		seen[k.Value] = k.Line
		if err := check(v, t.Field(f).Type, key); err != nil {
			return err
		}
	}
	return nil
}

func checkSequence(n *yaml.Node, t reflect.Type, path string) *schemaError {
	if n.Kind != yaml.SequenceNode {
		return mismatch(n, t, path)
	}
	for i, item := range n.Content {
		if err := check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// checkScalar is stricter than yaml.v3, which would silently truncate 3.5 into an int.
func checkScalar(n *yaml.Node, t reflect.Type, path string) *schemaError {
	if n.Kind != yaml.ScalarNode || !tagFits(n.ShortTag(), t.Kind()) {
		return mismatch(n, t, path)
	}
	if n.Decode(reflect.New(t).Interface()) != nil { // out of range, or negative for an unsigned
		return mismatch(n, t, path)
	}
	return nil
}

// tagFits reports whether a YAML scalar with the resolved tag may become a Go value of kind k.
func tagFits(tag string, k reflect.Kind) bool {
	switch {
	case tag == "!!null":
		return false // an empty value is a mistake, not a zero
	case k == reflect.String:
		return true
	case k == reflect.Bool:
		return tag == "!!bool"
	case k >= reflect.Int && k <= reflect.Uint64:
		return tag == "!!int"
	case k == reflect.Float32 || k == reflect.Float64:
		return tag == "!!int" || tag == "!!float"
	}
	return false
}

func mismatch(n *yaml.Node, t reflect.Type, path string) *schemaError {
	return &schemaError{line: n.Line, path: path, got: describeNode(n), want: describeType(t)}
}

func describeNode(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.ShortTag() == "!!null":
		return "an empty value"
	}
	return fmt.Sprintf("%q", n.Value)
}

func describeType(t reflect.Type) string {
	switch k := t.Kind(); {
	case k == reflect.Struct:
		return "a mapping of keys"
	case k == reflect.Slice:
		return "a list of " + plural(describeType(t.Elem()))
	case k == reflect.String:
		return "a string"
	case k == reflect.Bool:
		return "true or false"
	case k >= reflect.Uint && k <= reflect.Uint64:
		return "a non-negative integer"
	case k >= reflect.Int && k <= reflect.Int64:
		return "an integer"
	case k == reflect.Float32 || k == reflect.Float64:
		return "a number"
	}
	return t.String()
}

// plural turns "an integer" into "integers".
func plural(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "an "), "a ")
	return s + "s"
}
