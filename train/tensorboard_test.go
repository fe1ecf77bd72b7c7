package train

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/tfevents"
)

// event is one scalar of a run's event file.
type event struct {
	tag   string
	step  int64
	wall  float64
	value float32
}

// key is a tag at a step.
type key struct {
	tag  string
	step int64
}

// readEvents reads the run's one event file, checking its name, both CRCs of every record,
// the file_version event first and one scalar in every event after it.
func readEvents(t *testing.T, dir string) []event {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	if len(paths) != 1 {
		t.Fatalf("%s holds event files %v, want one", dir, paths)
	}
	if name := filepath.Base(paths[0]); !regexp.MustCompile(`^events\.out\.tfevents\.\d{10}\.[^.].*$`).MatchString(name) {
		t.Errorf("event file %s, want events.out.tfevents.<unix time>.<host>", name)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := tfevents.NewReader(f)
	first, err := r.Next()
	if err != nil || first.GetFileVersion() != "brain.Event:2" {
		t.Fatalf("first event %v, %v; want file_version brain.Event:2", first, err)
	}
	var events []event
	for {
		e, err := r.Next()
		if err == io.EOF {
			return events
		}
		if err != nil {
			t.Fatalf("event file after %d events: %v", len(events), err)
		}
		v := e.GetSummary().GetValue()
		if len(v) != 1 || v[0].GetValue() == nil {
			t.Fatalf("event %v: want one simple_value", e)
		}
		events = append(events, event{v[0].Tag, e.Step, e.WallTime, v[0].GetSimpleValue()})
	}
}

// jsonlValues are metrics.jsonl's numbers under the tags the event file gives them, the later
// line winning where a resumed run logged a step again (as TensorBoard shows it).
func jsonlValues(t *testing.T, dir string) map[key]float32 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	values := map[key]float32{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		step := int64(line["step"].(float64))
		for name, v := range line {
			if f, ok := v.(float64); ok && name != "step" && name != "epoch" && name != "examples" {
				values[key{fmt.Sprint(line["split"], "/", name), step}] = float32(f)
			}
		}
	}
	return values
}

// checkEvents checks the run's event file against its metrics.jsonl: every number of it
// there under its tag and step, once, with the same value, and nothing else; steps never go
// back. It returns the event file's tag-steps.
func checkEvents(t *testing.T, dir string) ([]event, map[key]bool) {
	t.Helper()
	events := readEvents(t, dir)
	jsonl := jsonlValues(t, dir)
	seen := map[key]bool{}
	var last int64
	for _, e := range events {
		k := key{e.tag, e.step}
		if seen[k] {
			t.Errorf("%s at step %d logged twice", e.tag, e.step)
		}
		seen[k] = true
		if e.step < last {
			t.Errorf("%s at step %d after step %d", e.tag, e.step, last)
		}
		last = e.step
		if want, ok := jsonl[k]; !ok || e.value != want {
			t.Errorf("%s at step %d = %v, metrics.jsonl has %v (%v)", e.tag, e.step, e.value, want, ok)
		}
		if e.wall < 1.7e9 {
			t.Errorf("%s at step %d: wall_time %v is not seconds since 1970", e.tag, e.step, e.wall)
		}
	}
	for k := range jsonl {
		if !seen[k] {
			t.Errorf("event file lacks %s at step %d, which metrics.jsonl has", k.tag, k.step)
		}
	}
	return events, seen
}

// checkTagSteps checks that the event file holds the four train tags at trainSteps, val/loss
// and val/accuracy at valSteps, and no other tag-step.
func checkTagSteps(t *testing.T, seen map[key]bool, trainSteps, valSteps []int64) {
	t.Helper()
	want := map[key]bool{}
	for _, s := range trainSteps {
		for _, tag := range []string{"train/loss", "train/lr", "train/grad_norm", "train/steps_per_s"} {
			want[key{tag, s}] = true
		}
	}
	for _, s := range valSteps {
		want[key{"val/loss", s}], want[key{"val/accuracy", s}] = true, true
	}
	if !maps.Equal(seen, want) {
		t.Errorf("event file holds tag-steps %v, want %v", seen, want)
	}
}

// TestEventFile: a run's event file holds every logged step and every epoch's validation,
// with metrics.jsonl's values.
func TestEventFile(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, Options{Config: tinyConfig(t), OutDir: dir})
	_, seen := checkEvents(t, dir)
	checkTagSteps(t, seen, []int64{4, 8, 12, 16}, []int64{8, 16})
}

// TestEventFileResume: a resumed run continues the event file, dropping a torn record at its
// end and the records logged after the checkpoint it resumes from, which it logs again with
// the same values (resume is exact). Both places a crash can resume from: mid-epoch, and a
// step checkpoint at an epoch's last batch whose validation the resumed run redoes.
func TestEventFileResume(t *testing.T) {
	for _, c := range []struct {
		name string
		set  string
		from int // the step checkpoint resumed from
	}{
		{"mid-epoch", "train.checkpoint_every=3", 12},
		{"epoch end", "train.checkpoint_every=4", 16},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			mustRun(t, Options{Config: tinyConfig(t, c.set), OutDir: dir})
			before := map[key]event{}
			for _, e := range readEvents(t, dir) {
				before[key{e.tag, e.step}] = e
			}
			crash(t, dir, c.from)
			if r := resume(t, dir, 0); r.Steps != 16 {
				t.Fatalf("resumed run ended at step %d, want 16", r.Steps)
			}
			after, seen := checkEvents(t, dir)
			checkTagSteps(t, seen, []int64{4, 8, 12, 16}, []int64{8, 16})
			for _, e := range after {
				b := before[key{e.tag, e.step}]
				if e.tag != "train/steps_per_s" && e.value != b.value {
					t.Errorf("%s at step %d: %v after resuming, %v before", e.tag, e.step, e.value, b.value)
				}
				if relogged := e.step > int64(c.from) || e.step == int64(c.from) && e.tag[:4] == "val/"; relogged == (e.wall == b.wall) {
					t.Errorf("%s at step %d: logged again %v, want %v", e.tag, e.step, e.wall != b.wall, relogged)
				}
			}
		})
	}
}

// crash makes dir look like a run killed just after the step checkpoint at step, with a
// record torn in half at the end of its event file.
func crash(t *testing.T, dir string, step int) {
	t.Helper()
	ckpts := filepath.Join(dir, "checkpoints")
	b, err := os.ReadFile(filepath.Join(ckpts, checkpoint.StepFileName(step)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ckpts, "last.safetensors"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	f, err := os.OpenFile(paths[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := tfevents.AppendRecord(nil, []byte("a record cut short by kill -9"))
	if _, err := f.Write(torn[:len(torn)/2]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestEventFileFreshRun: a new run over a directory that holds no checkpoint starts a new
// event file, as it empties metrics.jsonl, and fails at once if it cannot make one.
func TestEventFileFreshRun(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "events.out.tfevents.1000000000.elsewhere")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openEvents(dir, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the event file of an earlier start is still there: %v", err)
	}
	if _, err := openEvents(filepath.Join(dir, "missing"), true); err == nil {
		t.Error("opened an event file in a directory that does not exist")
	}
}

// TestEventFileOptionalMetrics: the metrics a task sets beyond loss and accuracy reach the
// event file, and those it leaves unset do not.
func TestEventFileOptionalMetrics(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, Options{Config: taskConfig(t, "opticks-charlm"), OutDir: dir})
	_, seen := checkEvents(t, dir)
	tags := map[string]bool{}
	for k := range seen {
		tags[k.tag] = true
	}
	for tag, want := range map[string]bool{"val/perplexity": true, "val/bits_per_char": true, "val/wer": false, "val/examples": false} {
		if tags[tag] != want {
			t.Errorf("character LM event file has %s: %v, want %v", tag, tags[tag], want)
		}
	}
}
