package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a must be > 0", "a must be > 0"},
		{"a must be > 0\nb must be odd\n", "a must be > 0; b must be odd"},
		{"x.yaml:3: unknown key\n  more", "x.yaml:3: unknown key; more"},
	}
	for _, tt := range tests {
		if got := oneLine(errors.New(tt.in)); got != tt.want {
			t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMainTurnsPanicsIntoOneLine: a bug that panics still shows the user one line and a
// non-zero status, not a trace.
func TestMainTurnsPanicsIntoOneLine(t *testing.T) {
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { panic("boom") }}
	var stderr bytes.Buffer
	if code := Main(cmd, nil, &stderr); code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	if out := stderr.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, "internal error: boom") || strings.Contains(out, "goroutine") {
		t.Errorf("stderr %q, want one line naming the panic", out)
	}
}

func TestMainExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("bad"), 1},
		{Interrupted{Err: errors.New("training interrupted")}, ExitInterrupted},
	}
	for _, tt := range tests {
		cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return tt.err }}
		var stderr bytes.Buffer
		if code := Main(cmd, nil, &stderr); code != tt.want {
			t.Errorf("error %v: exit status %d, want %d", tt.err, code, tt.want)
		}
	}
}

// TestMainExits130OnSignal: a command whose work watches its context stops on SIGINT or
// SIGTERM and exits 130 with one line that says what it stopped.
func TestMainExits130OnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := &cobra.Command{Use: "x", RunE: func(cmd *cobra.Command, _ []string) error {
			// Main listens for the signal by now; the process receives it and carries on.
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				return err
			}
			select {
			case <-cmd.Context().Done():
				return fmt.Errorf("stopped after 1 of 2 examples: %w", cmd.Context().Err())
			case <-time.After(10 * time.Second):
				return errors.New("the context was not cancelled")
			}
		}}
		var stderr bytes.Buffer
		if code := Main(cmd, nil, &stderr); code != ExitInterrupted {
			t.Errorf("%v: exit status %d, want %d; stderr %q", sig, code, ExitInterrupted, stderr.String())
		}
		if got, want := stderr.String(), "x: stopped after 1 of 2 examples (interrupted by a signal)\n"; got != want {
			t.Errorf("%v: stderr %q, want %q", sig, got, want)
		}
	}
}

// TestRunCancelledWithoutMessage: a bare context.Canceled still reads as a sentence.
func TestRunCancelledWithoutMessage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cmd := &cobra.Command{Use: "x", RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Context().Err() }}
	var stderr bytes.Buffer
	if code := Run(ctx, cmd, nil, &stderr); code != ExitInterrupted {
		t.Errorf("exit status %d, want %d", code, ExitInterrupted)
	}
	if got, want := stderr.String(), "x: interrupted by a signal\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}
