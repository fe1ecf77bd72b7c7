package models

import (
	"slices"
	"testing"
)

// TestTopTokens: the k best ids, best first, never <pad>, <unk> or <bos>.
func TestTopTokens(t *testing.T) {
	row := []float32{9, 8, 7, 1, 5, 3, 5, 6} // ids 0..2 are specials that never come out
	tests := []struct {
		k    int
		want []int
	}{
		{1, []int{7}},
		{3, []int{7, 4, 6}}, // ties keep the lower id first
		{5, []int{7, 4, 6, 5, 3}},
		{9, []int{7, 4, 6, 5, 3}},
	}
	for _, tt := range tests {
		if got := topTokens(nil, row, tt.k); !slices.Equal(got, tt.want) {
			t.Errorf("topTokens(k=%d) = %v, want %v", tt.k, got, tt.want)
		}
	}
}
