// Package golden reads the reference values that the PyTorch scripts in testdata/ write, for
// tests that check gorgonet against PyTorch without needing Python.
package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Tensor is a tensor as the generators write it: a shape and row-major float64 data.
type Tensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Case is one reference computation: its inputs, parameters, outputs and gradients by name.
type Case struct {
	Name    string             `json:"name"`
	Layer   string             `json:"layer"`
	Args    map[string]float64 `json:"args"`
	Config  json.RawMessage    `json:"config"`
	Tensors map[string]Tensor  `json:"tensors"`
}

// Load reads a file of the form {"cases": [...]} and returns its cases by name.
func Load(path string) (map[string]Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct{ Cases []Case }
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := make(map[string]Case, len(f.Cases))
	for _, c := range f.Cases {
		m[c.Name] = c
	}
	return m, nil
}

// Compare returns an error naming the first element of got that differs from want by more
// than tol relative to max(1, |want|).
func Compare(what string, got, want []float64, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); d > tol*math.Max(1, math.Abs(want[i])) || math.IsNaN(got[i]) {
			return fmt.Errorf("%s[%d]: got %.12g, want %.12g", what, i, got[i], want[i])
		}
	}
	return nil
}
