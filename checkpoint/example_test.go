package checkpoint_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gorgonet/gorgonet/checkpoint"
)

func Example() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Save a model's weights and training state at the end of an epoch.
	path := filepath.Join(dir, "checkpoints", "last.safetensors")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	err = checkpoint.Write(path, &checkpoint.File{
		Tensors: map[string]checkpoint.Tensor{
			"fc.weight": {Shape: []int{2, 3}, F32: []float32{1, 2, 3, 4, 5, 6}},
			"fc.bias":   {Shape: []int{2}, F32: []float32{0.5, -0.5}},
			"step":      {Shape: []int{}, I64: []int64{1200}},
		},
		Metadata: map[string]string{"model": "mlp"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// Later, --checkpoint names the run directory.
	found, err := checkpoint.Resolve(dir)
	if err != nil {
		log.Fatal(err)
	}
	f, err := checkpoint.Read(found)
	if err != nil {
		log.Fatal(err)
	}
	w := f.Tensors["fc.weight"]
	fmt.Println(filepath.Base(found), f.Metadata["model"], f.Tensors["step"].I64[0])
	fmt.Println(w.DType(), w.Shape, w.F32)
	// Output:
	// last.safetensors mlp 1200
	// F32 [2 3] [1 2 3 4 5 6]
}
