// Package predict runs trained models on a user's own inputs: pictures, sentences, prompts,
// words and phrases. Each kind of data has a Task that registers the flags it reads; the
// predict command opens the checkpoint once and hands it to the task of its data kind.
package predict

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/gorgonet/gorgonet/snapshot"
)

// A Task runs the models of one kind of data.
type Task interface {
	// AddFlags registers the flags the task reads.
	AddFlags(f *pflag.FlagSet)
	// Validate checks the values of those flags.
	Validate() error
	// Run runs the model of checkpoint l on io.Inputs.
	Run(ctx context.Context, l *snapshot.Loaded, in IO) error
}

// IO is what a task reads and where it writes.
type IO struct {
	Inputs []string  // the command line's inputs; "-" stands for standard input
	Stdin  io.Reader // read for "-"
	Out    io.Writer
	JSON   bool // one JSON object per input instead of text
}

// Tasks returns a new task for each data kind, keyed by snapshot.DataInfo.Kind. The two
// classifiers share --top.
func Tasks() map[string]Task {
	c := &classifier{}
	return map[string]Task{
		snapshot.KindImages: &images{classifier: c},
		snapshot.KindText:   &sentences{classifier: c},
		snapshot.KindChars:  &generator{},
		snapshot.KindPairs:  &converter{},
	}
}

// For returns the task of checkpoint l's data kind among tasks.
func For(tasks map[string]Task, l *snapshot.Loaded) (Task, error) {
	t, ok := tasks[l.Info.Kind]
	if !ok {
		return nil, fmt.Errorf("checkpoint %s: unknown data kind %q", l.Path, l.Info.Kind)
	}
	return t, nil
}

// batchFor is the batch size of a model run on n inputs: all at once, up to 64.
func batchFor(n int) int { return max(min(n, 64), 1) }
