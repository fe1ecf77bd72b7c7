package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// encodeIDX builds an unsigned-byte IDX file in memory.
func encodeIDX(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, idxTypeUint8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadIDXRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		dims []int
	}{
		{"labels", []int{7}},
		{"images", []int{3, 4, 5}},
		{"four dims", []int{2, 1, 3, 2}},
		{"one byte", []int{1}},
	}
	for _, tt := range tests {
		size := 1
		for _, d := range tt.dims {
			size *= d
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*37 + 11)
		}
		raw := encodeIDX(tt.dims, data)
		for _, form := range []struct {
			name  string
			bytes []byte
		}{{"raw", raw}, {"gzip", gzipBytes(t, raw)}} {
			t.Run(tt.name+"/"+form.name, func(t *testing.T) {
				got, err := ReadIDX("mem", bytes.NewReader(form.bytes))
				if err != nil {
					t.Fatalf("ReadIDX: %v", err)
				}
				if !reflect.DeepEqual(got.Dims, tt.dims) {
					t.Errorf("Dims = %v, want %v", got.Dims, tt.dims)
				}
				if !bytes.Equal(got.Data, data) {
					t.Errorf("Data = %v, want %v", got.Data, data)
				}
			})
		}
	}
}

func TestReadIDXCorrupt(t *testing.T) {
	valid := encodeIDX([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	validGz := gzipBytes(t, valid)

	badCRC := bytes.Clone(validGz)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 in the gzip trailer
	badBlock := bytes.Clone(validGz)
	badBlock[10] = 0x07 // final block of reserved type 3, right after the 10-byte gzip header
	badHeader := []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0, 0}

	tests := []struct {
		name string
		in   []byte
		want string // substring of the error after "datasets: NAME: "
	}{
		{"empty", nil, "truncated: want 4 bytes of header, got 0"},
		{"short header", []byte{0, 0}, "truncated: want 4 bytes of header, got 2"},
		{"bad magic", []byte{1, 2, 8, 1, 0, 0, 0, 1, 9}, "bad magic number 0x01020801"},
		{"wrong type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, "unsupported data type 0x0d"},
		{"zero dims", []byte{0, 0, 8, 0}, "bad number of dimensions 0"},
		{"five dims", []byte{0, 0, 8, 5}, "bad number of dimensions 5"},
		{"short dims", []byte{0, 0, 8, 2, 0, 0, 0, 1}, "truncated: want 8 bytes of dimensions, got 4"},
		{"zero dimension", encodeIDX([]int{4, 0}, nil), "dimension 1 of [4 0] is zero"},
		{"huge", encodeIDX([]int{1 << 16, 1 << 16}, nil), "describe more than"},
		{"truncated data", valid[:len(valid)-2], "truncated: want 6 bytes of data for shape [2 3], got 4"},
		{"truncated gzip data", gzipBytes(t, valid[:len(valid)-1]), "truncated: want 6 bytes of data for shape [2 3], got 5"},
		{"trailing bytes", append(bytes.Clone(valid), 7, 7, 7), "trailing bytes after the 6 bytes of data for shape [2 3] (3 extra)"},
		{"gzip bad header", badHeader, "corrupt gzip stream"},
		{"gzip bad block", badBlock, "corrupt gzip stream"},
		{"gzip bad checksum", badCRC, "corrupt gzip stream: gzip: invalid checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const name = "/x/train-images-idx3-ubyte.gz"
			got, err := ReadIDX(name, bytes.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadIDX = %v, want error containing %q", got, tt.want)
			}
			if prefix := "datasets: " + name + ": "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestOpenIDX(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "labels.gz")
	writeFile(t, path, gzipBytes(t, encodeIDX([]int{3}, []byte{4, 5, 6})))
	got, err := OpenIDX(path)
	if err != nil {
		t.Fatalf("OpenIDX: %v", err)
	}
	if want := (&IDX{Dims: []int{3}, Data: []byte{4, 5, 6}}); !reflect.DeepEqual(got, want) {
		t.Errorf("OpenIDX = %+v, want %+v", got, want)
	}

	missing := filepath.Join(dir, "missing.gz")
	_, err = OpenIDX(missing)
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenIDX(missing) error = %v, want a not-exist error naming %s", err, missing)
	}
}

// TestReadIDXHeaderClaimsMoreThanFile: a header may claim up to 2 GB; the reader must not
// allocate it before the data arrives (a 15-byte file used to cost 2 GB of heap).
func TestReadIDXHeaderClaimsMoreThanFile(t *testing.T) {
	raw := encodeIDX([]int{65536, 32768}, []byte{1, 2, 3})
	for _, form := range []struct {
		name string
		b    []byte
	}{{"raw", raw}, {"gzip", gzipBytes(t, raw)}} {
		t.Run(form.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadIDX("claim.idx", bytes.NewReader(form.b))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "truncated: want 2147483648 bytes of data for shape [65536 32768], got 3") {
				t.Errorf("got error %v, want truncation after 3 bytes", err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
				t.Errorf("reading a %d-byte file allocated %d bytes, want under 8 MB", len(form.b), got)
			}
		})
	}
}
