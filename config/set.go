package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Set applies one override "dotted.key=value", e.g. train.optimizer.lr=0.01 or
// model.cnn.channels=[16,32]. The value is parsed as YAML and must fit the key's type;
// a string key takes the value verbatim. A section key takes a YAML mapping of its keys.
// On error e is unchanged.
func (e *Experiment) Set(kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	key = strings.TrimSpace(key)
	if !ok {
		return fmt.Errorf("--set %s: want key=value, e.g. --set train.epochs=1", kv)
	}
	if key == "model" || strings.HasPrefix(key, "model.") {
		return e.Model.set(kv, key, value)
	}
	field, ok := lookup(reflect.ValueOf(e).Elem(), key)
	if !ok {
		return (&schemaError{path: key, unknown: true, suggest: suggestKey(key)}).inSet(kv)
	}
	return setField(field, kv, key, value)
}

// setField sets the field that key names to value, parsed as YAML that must fit its type.
func setField(field reflect.Value, kv, key, value string) error {
	if field.Kind() == reflect.String {
		field.SetString(value) // verbatim, so that "#run 1" or "a: b" are not read as YAML
		return nil
	}
	n, err := parseSetValue(kv, key, value)
	if err != nil {
		return err
	}
	if serr := check(n, field.Type(), key); serr != nil {
		return serr.inSet(kv)
	}
	return n.Decode(field.Addr().Interface())
}

// parseSetValue parses the value of a --set override, with an error naming it.
func parseSetValue(kv, key, value string) (*yaml.Node, error) {
	n, err := parseValue(value)
	if err != nil {
		msg := yamlLine.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "$2")
		return nil, fmt.Errorf("--set %s: %s is not valid YAML: %s", kv, key, msg)
	}
	return n, nil
}

// parseValue parses a --set value as a YAML node; an empty value is a null scalar.
func parseValue(value string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
	}
	return doc.Content[0], nil
}
