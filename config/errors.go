package config

import (
	"fmt"
	"strings"
)

// inFile formats e as one line naming the file, the line and the key.
func (e *schemaError) inFile(source string) error {
	switch {
	case e.msg != "":
		return fmt.Errorf("%s:%d: %s is %s", source, e.line, e.path, e.msg)
	case e.unknown:
		section, key := splitKey(e.path)
		where := "at top level"
		if section != "" {
			where = "in " + section
		}
		_, hint := splitKey(e.suggest)
		return fmt.Errorf("%s:%d: unknown key %q %s%s", source, e.line, key, where, didYouMean(hint))
	case e.dupLine > 0:
		return fmt.Errorf("%s:%d: %s is set twice (first on line %d)", source, e.line, e.path, e.dupLine)
	}
	return fmt.Errorf("%s:%d: %s: cannot use %s as %s", source, e.line, e.path, e.got, e.want)
}

// inSet formats e as one line naming the --set argument and the key.
func (e *schemaError) inSet(kv string) error {
	switch {
	case e.msg != "":
		return fmt.Errorf("--set %s: %s is %s", kv, e.path, e.msg)
	case e.unknown:
		return fmt.Errorf("--set %s: unknown key %q%s", kv, e.path, didYouMean(e.suggest))
	case e.dupLine > 0:
		return fmt.Errorf("--set %s: %s is set twice", kv, e.path)
	}
	return fmt.Errorf("--set %s: %s must be %s", kv, e.path, e.want)
}

// splitKey splits "train.optimizer.lr" into "train.optimizer" and "lr".
func splitKey(path string) (section, key string) {
	i := strings.LastIndex(path, ".")
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

func didYouMean(key string) string {
	if key == "" {
		return ""
	}
	return " (did you mean " + key + "?)"
}
