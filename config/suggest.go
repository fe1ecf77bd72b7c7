package config

import (
	"reflect"
	"strings"
)

// suggestSibling proposes the dotted key that an unknown key in section path probably meant.
func suggestSibling(path, key string, section reflect.Type) string {
	if near := closest(key, tagNames(section)); near != "" {
		return joinKey(path, near)
	}
	return ""
}

// suggestKey proposes the dotted key that an unknown --set key probably meant:
// the only key ending in it ("lr" → train.optimizer.lr), else the closest by edit distance.
func suggestKey(key string) string {
	all := paths(reflect.TypeOf(Experiment{}), "", true)
	var ending []string
	for _, k := range all {
		if strings.HasSuffix(k, "."+key) {
			ending = append(ending, k)
		}
	}
	if len(ending) == 1 {
		return ending[0]
	}
	return closest(key, all)
}

// closest returns the candidate nearest to word by edit distance, or "" if none is near enough to be a typo.
func closest(word string, candidates []string) string {
	best, bestDist := "", len(word)/3+2
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestDist && d < len(word) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in bytes.
func editDistance(a, b string) int {
	// Two rows, reused: a long unknown key (a fuzzer's, say) must not cost len(a) rows.
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
