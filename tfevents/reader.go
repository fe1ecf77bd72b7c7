package tfevents

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/gorgonet/gorgonet/tfevents/tbpb"
)

// ErrNotEvent says a record whose CRCs check does not decode as an Event.
var ErrNotEvent = errors.New("not an Event")

// Reader reads the events of an event file, checking every record's CRCs.
type Reader struct {
	rr *RecordReader
}

// NewReader reads the events of r from its current position.
func NewReader(r io.Reader) *Reader { return &Reader{rr: NewRecordReader(r)} }

// Next decodes the next event. Its errors are those of RecordReader.Next, and one wrapping
// ErrNotEvent.
func (r *Reader) Next() (*tbpb.Event, error) {
	data, err := r.rr.Next()
	if err != nil {
		return nil, err
	}
	e := new(tbpb.Event)
	if err := proto.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("record ending at byte %d: %w (%v)", r.rr.Offset(), ErrNotEvent, err)
	}
	return e, nil
}

// Offset is the number of bytes taken by the events Next has returned.
func (r *Reader) Offset() int64 { return r.rr.Offset() }
