package plots

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// WriteFile writes what draw writes to path atomically: a temporary file in the same
// directory, synced and renamed over path, so a reader never sees half a picture.
func WriteFile(path string, draw func(w io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("%s: %w", path, err)
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := draw(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
