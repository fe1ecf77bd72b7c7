package tfevents

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A TFRecord is a little-endian uint64 data length, the masked CRC of those 8 bytes, the
// data, and the masked CRC of the data.
const (
	headerLen = 12
	footerLen = 4
	// maxRecord bounds a record's length; a valid length CRC over a larger one is corruption
	// (our records are tens of bytes).
	maxRecord = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C is the CRC-32C (Castagnoli) checksum of b.
func CRC32C(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// MaskedCRC is the checksum a TFRecord stores: CRC-32C of b rotated right by 15 bits plus a
// constant, so that the CRC of data which itself holds CRCs stays well distributed.
func MaskedCRC(b []byte) uint32 {
	c := CRC32C(b)
	return (c>>15 | c<<17) + 0xa282ead8
}

// AppendRecord appends data framed as one TFRecord to dst.
func AppendRecord(dst, data []byte) []byte {
	// The length's CRC is taken in place: a local array would escape into the CRC's assembly.
	start := len(dst)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, MaskedCRC(dst[start:]))
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, MaskedCRC(data))
}

// ErrTorn says the input ends inside a record: the tail a write cut short leaves.
var ErrTorn = errors.New("file ends inside a record")

// CorruptError is a record whose length or data does not match its CRC.
type CorruptError struct {
	Offset int64  // where the record starts
	What   string // "length" or "data"
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("record at byte %d: its %s does not match its CRC", e.Offset, e.What)
}

// RecordReader reads TFRecords, checking both CRCs of each.
type RecordReader struct {
	r    *bufio.Reader
	off  int64 // end of the last record Next returned
	data bytes.Buffer
}

// NewRecordReader reads the records of r from its current position.
func NewRecordReader(r io.Reader) *RecordReader { return &RecordReader{r: bufio.NewReader(r)} }

// Offset is the number of bytes taken by the records Next has returned.
func (rr *RecordReader) Offset() int64 { return rr.off }

// Next returns the next record's data, valid until the following call. At a clean end it
// returns io.EOF; where the input ends inside a record, an error wrapping ErrTorn; where a
// CRC does not match, a *CorruptError. After an error Next must not be called again.
func (rr *RecordReader) Next() ([]byte, error) {
	var head [headerLen]byte
	if n, err := io.ReadFull(rr.r, head[:]); err != nil {
		return nil, rr.ended(n, err)
	}
	n := binary.LittleEndian.Uint64(head[:8])
	if binary.LittleEndian.Uint32(head[8:]) != MaskedCRC(head[:8]) || n > maxRecord {
		return nil, &CorruptError{Offset: rr.off, What: "length"}
	}
	// Copying grows the buffer as bytes arrive, so a torn file cannot make it allocate n.
	rr.data.Reset()
	if _, err := io.CopyN(&rr.data, rr.r, int64(n)+footerLen); err != nil {
		return nil, rr.ended(1, err)
	}
	b := rr.data.Bytes()
	data, foot := b[:n], b[n:]
	if binary.LittleEndian.Uint32(foot) != MaskedCRC(data) {
		return nil, &CorruptError{Offset: rr.off, What: "data"}
	}
	rr.off += headerLen + int64(n) + footerLen
	return data, nil
}

// ended turns a read error after read bytes of a record into Next's error.
func (rr *RecordReader) ended(read int, err error) error {
	switch {
	case err == io.EOF && read == 0:
		return io.EOF
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return fmt.Errorf("record at byte %d: %w", rr.off, ErrTorn)
	}
	return err
}
