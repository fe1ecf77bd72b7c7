// Package clitest holds checks that the tests of every command share.
package clitest

import (
	"strings"
	"testing"
)

// CheckOneLineError checks what a user sees when command name fails: a non-zero status and
// exactly one line on stderr, "NAME: message", that contains every one of wants and no trace.
func CheckOneLineError(t testing.TB, name string, code int, stderr string, wants ...string) {
	t.Helper()
	if code == 0 {
		t.Errorf("exit status 0, want an error; stderr %q", stderr)
	}
	if lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr has %d lines, want exactly one:\n%s", len(lines), stderr)
	}
	if !strings.HasPrefix(stderr, name+": ") {
		t.Errorf("stderr %q does not start with %q", stderr, name+": ")
	}
	for _, want := range wants {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not name %q", stderr, want)
		}
	}
	for _, trace := range []string{"goroutine", "panic", "internal error"} {
		if strings.Contains(stderr, trace) {
			t.Errorf("stderr shows %q: %s", trace, stderr)
		}
	}
}
