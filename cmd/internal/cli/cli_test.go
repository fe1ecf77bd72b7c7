package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

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
