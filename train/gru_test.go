package train

import (
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/internal/testrun"
)

// TestGRUServesTheLSTMsTasks: model.kind gru trains every task the LSTM does — images read
// row by row, labelled text, a character stream — with torch.nn.GRU's parameter names.
func TestGRUServesTheLSTMsTasks(t *testing.T) {
	gru := []string{"model.kind=gru", "model.gru.hidden=16", "model.gru.embedding=8"}
	images, err := testrun.Config(gru...)
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]config.Experiment{
		"mnist rows": images,
		"sentiment":  taskConfig(t, "sentiment-lstm", gru...),
		"opticks":    taskConfig(t, "opticks-charlm", gru...),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			res := mustRun(t, Options{Config: cfg, OutDir: dir})
			if res.Steps == 0 || !(res.Last.Loss > 0) {
				t.Fatalf("%d steps, validation %+v", res.Steps, res.Last)
			}
			w := weights(t, filepath.Join(dir, "checkpoints", "last.safetensors"))
			if len(w["gru.weight_ih_l0"]) == 0 || len(w["gru.weight_hh_l0"]) != 3*16*16 {
				t.Errorf("checkpoint lacks gru.weight_ih_l0 or has a gru.weight_hh_l0 of %d values, want 3·16·16", len(w["gru.weight_hh_l0"]))
			}
		})
	}
}

// TestResumeGRUCharLMIsExact: a GRU language model carries h from chunk to chunk; stopped
// mid-epoch and resumed, it ends with the very tensors of an uninterrupted run.
func TestResumeGRUCharLMIsExact(t *testing.T) {
	cfg := taskConfig(t, "opticks-charlm", "train.epochs=2", "model.kind=gru", "model.gru.hidden=16",
		"model.gru.embedding=8", "model.gru.layers=2", "model.gru.dropout=0.1")
	steps, want := uninterrupted(t, cfg)
	checkResumes(t, cfg, want, steps, 13, steps/2+5)
	if n, nonzero := countPrefix(want, "state/gru."); n != 2 || nonzero != 2 {
		t.Errorf("final checkpoint has %d GRU state tensors, %d not all zero; want the 2 layers' carried h", n, nonzero)
	}
}
