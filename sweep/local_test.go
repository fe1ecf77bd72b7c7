package sweep

import (
	"strings"
	"testing"
)

// TestLockDir: a second local sweep command on the same directory is refused while the
// first runs, and welcome once it has ended.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDir(dir); err == nil || !strings.Contains(err.Error(), "another sweep command") {
		t.Errorf("second lock: %v, want a refusal", err)
	}
	unlock()
	again, err := lockDir(dir)
	if err != nil {
		t.Errorf("lock after unlock: %v", err)
	} else {
		again()
	}
}
