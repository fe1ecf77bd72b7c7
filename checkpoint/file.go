package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
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
	if err := atomicfile.WriteBytes(path, b); err != nil {
		return fmt.Errorf("checkpoint %s: cannot write: %w", path, pathErr(err))
	}
	return nil
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
