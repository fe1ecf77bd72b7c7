package tfevents

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/tfevents/tbpb"
)

// scalar is one scalar event as read back.
type scalar struct {
	tag   string
	step  int64
	value float32
}

// readScalars reads the event file at path, checking every record, its first event the
// file_version one and every later one a single scalar.
func readScalars(t *testing.T, path string) []scalar {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(f)
	first, err := r.Next()
	if err != nil || first.GetFileVersion() != FileVersion {
		t.Fatalf("%s: first event %v, %v; want file_version %s", path, first, err, FileVersion)
	}
	var got []scalar
	for {
		e, err := r.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		v := e.GetSummary().GetValue()
		if len(v) != 1 {
			t.Fatalf("%s: event %v holds %d values, want 1", path, e, len(v))
		}
		got = append(got, scalar{v[0].Tag, e.Step, v[0].GetSimpleValue()})
	}
}

func create(t *testing.T, scalars ...scalar) *Writer {
	t.Helper()
	w, err := Create(t.TempDir(), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scalars {
		w.Scalar(s.tag, s.step, 1700000001.5, float64(s.value))
	}
	return w
}

func equal(got, want []scalar) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestWriteRead(t *testing.T) {
	want := []scalar{{"train/loss", 1, 2.5}, {"train/lr", 1, 1e-3}, {"val/loss", 2, 0.25}}
	w := create(t, want...)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(w.Path())
	host, _ := os.Hostname()
	if name != "events.out.tfevents.1700000000."+host {
		t.Errorf("file name %s, want events.out.tfevents.1700000000.%s", name, host)
	}
	if got := readScalars(t, w.Path()); !equal(got, want) {
		t.Errorf("read back %v, want %v", got, want)
	}
	if _, err := Create(filepath.Dir(w.Path()), time.Unix(1700000000, 0)); !errors.Is(err, os.ErrExist) {
		t.Errorf("Create over an existing file: %v, want it refused", err)
	}
}

// TestOpenCutsTornTail: a file cut anywhere inside its last record reopens with that record
// gone, and what is appended after reads back whole.
func TestOpenCutsTornTail(t *testing.T) {
	w := create(t, scalar{"a", 1, 1}, scalar{"a", 2, 2})
	w.Close()
	b, _ := os.ReadFile(w.Path())
	w1 := create(t, scalar{"a", 1, 1})
	w1.Close()
	b1, _ := os.ReadFile(w1.Path())
	for cut := len(b1) + 1; cut < len(b); cut++ {
		if err := os.WriteFile(w.Path(), b[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := Open(w.Path(), nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Scalar("a", 3, 0, 3)
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if got, want := readScalars(t, w.Path()), []scalar{{"a", 1, 1}, {"a", 3, 3}}; !equal(got, want) {
			t.Errorf("cut at byte %d of %d and appended: %v, want %v", cut, len(b), got, want)
		}
	}
}

// TestTruncate keeps the leading events keep accepts, even when later ones would pass.
func TestTruncate(t *testing.T) {
	w := create(t, scalar{"a", 1, 1}, scalar{"a", 2, 2}, scalar{"a", 3, 3}, scalar{"a", 1, 4})
	before3 := func(e *tbpb.Event) bool { return e.Step < 3 }
	if err := w.Truncate(before3); err != nil {
		t.Fatal(err)
	}
	w.Scalar("b", 3, 0, 5)
	w.Close()
	if got, want := readScalars(t, w.Path()), []scalar{{"a", 1, 1}, {"a", 2, 2}, {"b", 3, 5}}; !equal(got, want) {
		t.Errorf("after Truncate(step < 3): %v, want %v", got, want)
	}
	a, err := Open(w.Path(), func(e *tbpb.Event) bool {
		v := e.GetSummary().GetValue()
		return len(v) == 0 || !strings.HasPrefix(v[0].Tag, "b")
	})
	if err == nil {
		err = a.Close()
	}
	if got, want := readScalars(t, w.Path()), []scalar{{"a", 1, 1}, {"a", 2, 2}}; err != nil || !equal(got, want) {
		t.Errorf("Open keeping tags a: %v, %v; want %v", got, err, want)
	}
}

// TestScalarAllocatesNothing: logging a step costs no allocation once the buffers have grown.
func TestScalarAllocatesNothing(t *testing.T) {
	w := create(t)
	defer w.Close()
	allocs := testing.AllocsPerRun(100, func() {
		w.Scalar("train/loss", 7, 1700000001.5, 0.5)
		w.Scalar("train/lr", 7, 1700000001.5, 0.001)
		w.Flush()
	})
	if allocs != 0 {
		t.Errorf("Scalar and Flush allocate %v times, want 0", allocs)
	}
}

// TestOpenGarbage: a file with no whole record reopens as an event file of its own.
func TestOpenGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.out.tfevents.1700000000.host")
	if err := os.WriteFile(path, []byte("not a record"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Scalar("a", 1, 0, 1)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := readScalars(t, path), []scalar{{"a", 1, 1}}; !equal(got, want) {
		t.Errorf("garbage reopened and appended: %v, want %v", got, want)
	}
}

func TestScalarBadTag(t *testing.T) {
	w := create(t, scalar{"a", 1, 1})
	w.Scalar("\xff", 2, 0, 2)
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "scalar") {
		t.Errorf("Close after a tag that is not UTF-8: %v, want an error naming the scalar", err)
	}
}
