package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gorgonet/gorgonet/configs"
)

// Load reads a config given as the name of an embedded config ("mnist-cnn" is configs/mnist-cnn.yaml)
// or as a file path: anything containing a path separator or ending in .yaml or .yml, and any
// existing file. It returns the experiment and the source name used in its error messages.
// It does not call Validate, so that --set overrides can come first.
func Load(nameOrPath string) (Experiment, string, error) {
	data, source, err := read(nameOrPath)
	if err != nil {
		return Experiment{}, source, err
	}
	e, err := Parse(source, data)
	return e, source, err
}

// read returns the bytes of a config file or of an embedded config, and the name to show in errors.
func read(nameOrPath string) ([]byte, string, error) {
	if isPath(nameOrPath) {
		data, err := os.ReadFile(nameOrPath)
		return data, nameOrPath, err
	}
	source := "configs/" + nameOrPath + ".yaml"
	data, err := fs.ReadFile(configs.FS, nameOrPath+".yaml")
	if err != nil {
		return nil, source, fmt.Errorf("unknown config %q: no such file, and the embedded configs are %s",
			nameOrPath, strings.Join(configs.Names(), ", "))
	}
	return data, source, nil
}

func isPath(s string) bool {
	if strings.ContainsRune(s, os.PathSeparator) || strings.Contains(s, "/") ||
		strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml") {
		return true
	}
	info, err := os.Stat(s)
	return err == nil && info.Mode().IsRegular()
}

// Parse decodes one YAML document onto Default(), strictly: unknown keys, values of the
// wrong type, an empty document and a second document are errors that name source:line.
func Parse(source string, data []byte) (Experiment, error) {
	root, err := parseNode(source, data)
	if err != nil {
		return Experiment{}, err
	}
	if serr := check(root, reflect.TypeOf(Experiment{}), ""); serr != nil {
		return Experiment{}, serr.inFile(source)
	}
	e := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // check has caught everything; this is the second line of defence
	if err := dec.Decode(&e); err != nil {
		return Experiment{}, yamlError(source, err)
	}
	return e, nil
}

// parseNode returns the top-level mapping of the only document in data.
func parseNode(source string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, fmt.Errorf("%s: empty config", source)
	} else if err != nil {
		return nil, yamlError(source, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, fmt.Errorf("%s:%d: a second YAML document; a config file holds one", source, next.Line)
	} else if err != io.EOF {
		return nil, yamlError(source, err)
	}
	root := doc.Content[0]
	if root.ShortTag() == "!!null" { // a lone "---"
		return nil, fmt.Errorf("%s: empty config", source)
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: a config must be a mapping of keys, got %s", source, root.Line, describeNode(root))
	}
	return root, nil
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError rewrites yaml.v3's "yaml: line 3: ..." messages as "source:3: ...".
func yamlError(source string, err error) error {
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	lines := make([]string, len(msgs))
	for i, msg := range msgs {
		if m := yamlLine.FindStringSubmatch(strings.TrimSpace(msg)); m != nil {
			lines[i] = fmt.Sprintf("%s:%s: %s", source, m[1], m[2])
		} else {
			lines[i] = fmt.Sprintf("%s: %s", source, msg)
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

// YAML returns the resolved config; Parse reads it back to an equal Experiment.
func (e Experiment) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseSaved decodes a config that gorgonet wrote itself, into a checkpoint or a run's
// config.yaml. Those of format gorgonet/1 (before 2026-12-03) list every model kind's block;
// the blocks of other kinds than model.kind are dropped before the strict Parse.
func ParseSaved(source string, data []byte) (Experiment, error) {
	root, err := parseNode(source, data)
	if err != nil {
		return Experiment{}, err
	}
	m := mappingValue(root, "model")
	if kind := mappingValue(m, "kind"); kind != nil {
		kept := m.Content[:0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i].Value; k == "kind" || k == kind.Value {
				kept = append(kept, m.Content[i], m.Content[i+1])
			}
		}
		m.Content = kept
		if data, err = yaml.Marshal(root); err != nil {
			return Experiment{}, err
		}
	}
	return Parse(source, data)
}
