// Package configs embeds the experiment files so that `--config NAME` works without a path.
package configs

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

// FS holds every *.yaml experiment of this directory.
//
//go:embed *.yaml
var FS embed.FS

// Names returns the embedded experiment names (file names without .yaml), sorted.
func Names() []string {
	files, _ := fs.Glob(FS, "*.yaml") // the pattern is constant, so Glob cannot fail
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(f, ".yaml")
	}
	sort.Strings(names)
	return names
}
