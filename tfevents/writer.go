package tfevents

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gorgonet/gorgonet/tfevents/tbpb"
)

// FileVersion is the file_version of the first event of every event file.
const FileVersion = "brain.Event:2"

// Prefix begins the name of every event file; TensorBoard reads the files whose names hold
// "tfevents".
const Prefix = "events.out.tfevents."

// FileName is the name TensorFlow gives an event file started at t on host.
func FileName(t time.Time, host string) string {
	return fmt.Sprintf("%s%010d.%s", Prefix, t.Unix(), host)
}

// Writer appends events to an event file. Records are buffered until Flush; the first
// error sticks and is returned by Flush and Close.
type Writer struct {
	f    *os.File
	path string
	buf  []byte // framed records not yet written
	err  error

	// Scalar fills these and marshals them into data, so it allocates nothing.
	data    []byte
	event   tbpb.Event
	summary tbpb.Summary
	value   tbpb.Summary_Value
	what    tbpb.Event_Summary
	simple  tbpb.Summary_Value_SimpleValue
	values  [1]*tbpb.Summary_Value
}

// Create starts a new event file in dir, named for t and this host, whose first record is the
// file_version event; it fails if the file exists.
func Create(dir string, t time.Time) (*Writer, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	path := filepath.Join(dir, FileName(t, host))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	w := newWriter(f, path)
	if err := w.start(t); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	return w, nil
}

// Open reopens the event file at path to append to it. It keeps the file's leading whole
// records whose events keep accepts (nil accepts all) and cuts the file after them: a torn
// record at the end, which a write cut short leaves and at which TensorBoard stops reading,
// goes, and so does anything after a record whose CRCs do not match.
func Open(path string, keep func(*tbpb.Event) bool) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	w := newWriter(f, path)
	if err := w.Truncate(keep); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func newWriter(f *os.File, path string) *Writer {
	w := &Writer{f: f, path: path}
	w.values[0] = &w.value
	w.summary.Value = w.values[:]
	w.what.Summary = &w.summary
	w.value.Value = &w.simple
	return w
}

// start writes the file_version event that begins every event file.
func (w *Writer) start(t time.Time) error {
	first := &tbpb.Event{WallTime: Seconds(t), What: &tbpb.Event_FileVersion{FileVersion: FileVersion}}
	data, _ := proto.Marshal(first)
	w.buf = AppendRecord(w.buf, data)
	return w.Flush()
}

// Path is the event file's path.
func (w *Writer) Path() string { return w.path }

// Truncate flushes, then cuts the file back to its leading whole records whose events keep
// accepts (nil accepts all): the first record that is torn, corrupt or refused goes, and
// every record after it. Writing continues at the new end; a file cut back to nothing starts
// again with the file_version event.
func (w *Writer) Truncate(keep func(*tbpb.Event) bool) error {
	if err := w.Flush(); err != nil {
		return err
	}
	end, err := w.keptEnd(keep)
	if err == nil {
		err = w.f.Truncate(end)
	}
	if err == nil {
		_, err = w.f.Seek(end, io.SeekStart)
	}
	if err == nil && end == 0 {
		err = w.start(time.Now())
	}
	if err != nil {
		return fmt.Errorf("cannot cut back %s: %w", w.path, err)
	}
	return nil
}

// keptEnd is the offset just past the records Truncate keeps.
func (w *Writer) keptEnd(keep func(*tbpb.Event) bool) (int64, error) {
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	r := NewReader(w.f)
	for {
		end := r.Offset()
		e, err := r.Next()
		var corrupt *CorruptError
		switch {
		case err == io.EOF || errors.Is(err, ErrTorn) || errors.As(err, &corrupt) || errors.Is(err, ErrNotEvent):
			return end, nil
		case err != nil:
			return 0, err
		case keep != nil && !keep(e):
			return end, nil
		}
	}
}

// Scalar adds a scalar summary of value under tag at step, stamped wall seconds since the
// Unix epoch (TensorBoard keeps simple values as float32).
func (w *Writer) Scalar(tag string, step int64, wall float64, value float64) {
	w.event.WallTime, w.event.Step, w.event.What = wall, step, &w.what
	w.value.Tag, w.simple.SimpleValue = tag, float32(value)
	data, err := proto.MarshalOptions{}.MarshalAppend(w.data[:0], &w.event)
	if err != nil { // a tag that is not UTF-8
		w.err = cmp.Or(w.err, fmt.Errorf("scalar %q: %w", tag, err))
		return
	}
	w.data = data
	w.buf = AppendRecord(w.buf, w.data)
}

// Flush writes the buffered records to the file.
func (w *Writer) Flush() error {
	if w.err == nil && len(w.buf) > 0 {
		_, w.err = w.f.Write(w.buf)
	}
	w.buf = w.buf[:0]
	return w.err
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	return errors.Join(w.Flush(), w.f.Close())
}

// Seconds is t as an event's wall_time: seconds since the Unix epoch.
func Seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
