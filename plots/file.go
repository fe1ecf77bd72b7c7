package plots

import (
	"fmt"
	"io"
	"os"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
)

// MakeDir creates dir (and its parents) if needed and checks that files can be written in it,
// so that a bad directory is refused before any work.
func MakeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plots directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("plots directory %s: cannot write in it: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// WriteFile writes what draw writes to path atomically (internal/atomicfile), so a reader
// never sees half a picture.
func WriteFile(path string, draw func(w io.Writer) error) error {
	if err := atomicfile.Write(path, draw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
