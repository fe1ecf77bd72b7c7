package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// IDX is a decoded IDX file (the format of MNIST): a shape and its unsigned-byte values, row-major.
type IDX struct {
	Dims []int
	Data []byte
}

const (
	idxTypeUint8 = 0x08
	idxMaxDims   = 4
	// idxMaxBytes bounds the allocation a corrupt header can ask for.
	idxMaxBytes = 1 << 31
)

// OpenIDX reads the IDX file at path, gzipped or raw.
func OpenIDX(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err // the path is already in our message
		}
		return nil, fmt.Errorf("datasets: %s: %w", path, err)
	}
	defer f.Close()
	return ReadIDX(path, f)
}

// ReadIDX decodes an IDX stream, gzipped (detected by its magic bytes 0x1f 0x8b) or raw.
// name is used only in error messages.
func ReadIDX(name string, r io.Reader) (*IDX, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	d := idxDecoder{name: name, src: br}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, idxErrorf(name, "corrupt gzip stream: %v", err)
		}
		defer zr.Close()
		d.src, d.gzipped = zr, true
	}
	return d.decode()
}

type idxDecoder struct {
	name    string
	src     io.Reader
	gzipped bool
}

func (d *idxDecoder) decode() (*IDX, error) {
	var header [4]byte
	if err := d.readFull(header[:], "header"); err != nil {
		return nil, err
	}
	if header[0] != 0 || header[1] != 0 {
		return nil, idxErrorf(d.name, "bad magic number 0x%08x: an IDX file starts with two zero bytes",
			binary.BigEndian.Uint32(header[:]))
	}
	if header[2] != idxTypeUint8 {
		return nil, idxErrorf(d.name, "unsupported data type 0x%02x: only unsigned bytes (0x08) are supported", header[2])
	}
	ndims := int(header[3])
	if ndims < 1 || ndims > idxMaxDims {
		return nil, idxErrorf(d.name, "bad number of dimensions %d: want 1 to %d", ndims, idxMaxDims)
	}

	raw := make([]byte, 4*ndims)
	if err := d.readFull(raw, "dimensions"); err != nil {
		return nil, err
	}
	dims := make([]int, ndims)
	size := 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(raw[4*i:]))
		if dims[i] == 0 {
			return nil, idxErrorf(d.name, "dimension %d of %v is zero", i, dims[:i+1])
		}
		if size > idxMaxBytes/dims[i] {
			return nil, idxErrorf(d.name, "dimensions %v describe more than %d bytes", dims[:i+1], idxMaxBytes)
		}
		size *= dims[i]
	}

	data, err := d.readData(size, dims)
	if err != nil {
		return nil, err
	}
	extra, err := io.Copy(io.Discard, d.src) // also makes gzip verify its checksum
	if err != nil {
		return nil, d.readError(err)
	}
	if extra > 0 {
		return nil, idxErrorf(d.name, "trailing bytes after the %d bytes of data for shape %v (%d extra)", size, dims, extra)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// idxChunk is how much readData allocates ahead of the bytes that have arrived.
const idxChunk = 64 << 10

// readData reads the size bytes that dims describe. The buffer grows as data arrives, so a
// header that claims more than the file holds costs no more memory than the file.
func (d *idxDecoder) readData(size int, dims []int) ([]byte, error) {
	data := make([]byte, 0, min(size, idxChunk))
	for len(data) < size {
		if len(data) == cap(data) {
			data = slices.Grow(data, min(cap(data), size-len(data))) // doubles, never past size
		}
		n, err := d.src.Read(data[len(data):min(cap(data), size)])
		data = data[:len(data)+n]
		if err == io.EOF && len(data) < size {
			return nil, idxErrorf(d.name, "truncated: want %d bytes of data for shape %v, got %d", size, dims, len(data))
		}
		if err != nil && err != io.EOF {
			return nil, d.readError(err)
		}
	}
	return data, nil
}

// readFull fills buf, describing a short read as truncation of what.
func (d *idxDecoder) readFull(buf []byte, what string) error {
	n, err := io.ReadFull(d.src, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return idxErrorf(d.name, "truncated: want %d bytes of %s, got %d", len(buf), what, n)
	}
	if err != nil {
		return d.readError(err)
	}
	return nil
}

func (d *idxDecoder) readError(err error) error {
	if d.gzipped {
		return fmt.Errorf("datasets: %s: corrupt gzip stream: %w", d.name, err)
	}
	return fmt.Errorf("datasets: %s: read failed: %w", d.name, err)
}

func idxErrorf(name, format string, args ...any) error {
	return fmt.Errorf("datasets: %s: "+format, append([]any{name}, args...)...)
}
