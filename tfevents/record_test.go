package tfevents

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

// TestCRC32C checks the CRC against the test vectors of RFC 3720 (B.4) and the usual check
// value, and the mask against values worked out by hand from TFRecord's definition.
func TestCRC32C(t *testing.T) {
	ascending := make([]byte, 32)
	for i := range ascending {
		ascending[i] = byte(i)
	}
	for _, c := range []struct {
		name       string
		b          []byte
		crc, masks uint32
	}{
		{"123456789", []byte("123456789"), 0xe3069283, 0xc78ab0e5},
		{"empty", nil, 0, 0xa282ead8},
		{"32 zeros", make([]byte, 32), 0x8a9136aa, 0x0fd7fffa},
		{"32 0xff", bytes.Repeat([]byte{0xff}, 32), 0x62a8ab43, 0xf909b029},
		{"0..31", ascending, 0x46dd794e, 0x951f7892},
	} {
		if got := CRC32C(c.b); got != c.crc {
			t.Errorf("CRC32C(%s) = %#08x, want %#08x", c.name, got, c.crc)
		}
		if got := MaskedCRC(c.b); got != c.masks {
			t.Errorf("MaskedCRC(%s) = %#08x, want %#08x", c.name, got, c.masks)
		}
	}
}

// TestAppendRecord compares a framed record with one built by an independent implementation
// (a bitwise CRC-32C in Python).
func TestAppendRecord(t *testing.T) {
	want, _ := hex.DecodeString("0500000000000000eab2043e68656c6c6fbb1f1c19")
	if got := AppendRecord(nil, []byte("hello")); !bytes.Equal(got, want) {
		t.Errorf("AppendRecord(hello) = %x, want %x", got, want)
	}
}

func records(datas ...string) []byte {
	var b []byte
	for _, d := range datas {
		b = AppendRecord(b, []byte(d))
	}
	return b
}

func TestRecordReader(t *testing.T) {
	file := records("one", "", "three")
	rr := NewRecordReader(bytes.NewReader(file))
	for _, want := range []string{"one", "", "three"} {
		got, err := rr.Next()
		if err != nil || string(got) != want {
			t.Fatalf("Next = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := rr.Next(); err != io.EOF {
		t.Errorf("after the last record: %v, want io.EOF", err)
	}
	if rr.Offset() != int64(len(file)) {
		t.Errorf("Offset = %d, want %d", rr.Offset(), len(file))
	}
}

// TestRecordReaderTorn cuts a file at every byte of its last record: the whole records read,
// then ErrTorn, never a corrupt record or a short one.
func TestRecordReaderTorn(t *testing.T) {
	file := records("first", "second")
	whole := len(records("first"))
	for cut := whole + 1; cut < len(file); cut++ {
		rr := NewRecordReader(bytes.NewReader(file[:cut]))
		if got, err := rr.Next(); err != nil || string(got) != "first" {
			t.Fatalf("cut at %d: first record %q, %v", cut, got, err)
		}
		if _, err := rr.Next(); !errors.Is(err, ErrTorn) {
			t.Errorf("cut at %d: %v, want ErrTorn", cut, err)
		}
		if rr.Offset() != int64(whole) {
			t.Errorf("cut at %d: Offset = %d, want %d", cut, rr.Offset(), whole)
		}
	}
}

func TestRecordReaderCorrupt(t *testing.T) {
	whole := len(records("first"))
	for _, c := range []struct {
		at   int // byte flipped in the second record
		what string
	}{{0, "length"}, {9, "length"}, {13, "data"}, {len(records("second")) - 1, "data"}} {
		file := records("first", "second")
		file[whole+c.at] ^= 0x40
		rr := NewRecordReader(bytes.NewReader(file))
		rr.Next()
		_, err := rr.Next()
		var corrupt *CorruptError
		if !errors.As(err, &corrupt) || corrupt.What != c.what || corrupt.Offset != int64(whole) {
			t.Errorf("byte %d of the second record flipped: %v, want its %s at byte %d not matching", c.at, err, c.what, whole)
		}
	}
}
