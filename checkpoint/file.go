package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Read reads and validates the SafeTensors file at path; see Decode.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: cannot read: %w", path, pathErr(err))
	}
	return Decode(path, b)
}

// Write writes f to path atomically: a crash at any moment leaves either the old file or
// the new one at path, never a partial one. It writes a temporary file in the same
// directory, syncs it, renames it over path and syncs the directory; on error the
// temporary file is removed. The file is created with mode 0644.
func Write(path string, f *File) error {
	b, err := encode(f)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := writeAtomic(path, b); err != nil {
		return fmt.Errorf("checkpoint %s: cannot write: %w", path, pathErr(err))
	}
	return nil
}

// writeAtomic replaces the file at path with b; see Write.
func writeAtomic(path string, b []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// The leading dot and trailing ".tmp" keep the temporary file out of step-*.safetensors
	// and *.safetensors globs, so Prune and Resolve never see it.
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close() // may already be closed; the write error is the one to report
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
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
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory, and its
// rename is already durable enough there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// pathErr strips the operation and path from err, which our messages already name.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
