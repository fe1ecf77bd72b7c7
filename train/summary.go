package train

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/optim"
)

// ModelSummary is the summary of training graph g with the state of optimizer o: what
// training starts by printing and `eval --summary` prints for a checkpoint.
func ModelSummary(g *models.Graph, o config.Optimizer) (*models.Summary, error) {
	s := models.Summarize(g)
	n, err := optim.StateFloats(optimizerConfig(o))
	if err != nil {
		return nil, err
	}
	s.Optimizer, s.OptimizerFloats = o.Name, n
	return s, nil
}

// dotTimeout bounds Graphviz's layout of the model picture: training must not wait on it.
const dotTimeout = time.Minute

// writeModelPicture writes the model's picture into the run directory: model.dot always and,
// when Graphviz's dot is on PATH, model.svg beside it; both atomically. A dot that fails
// costs a warning on log, not the run.
func writeModelPicture(dir string, s *models.Summary, log io.Writer) error {
	var b bytes.Buffer
	if err := s.WriteDot(&b); err != nil {
		return err
	}
	dotPath := filepath.Join(dir, "model.dot")
	if err := writeAtomic(dotPath, b.Bytes()); err != nil {
		return fmt.Errorf("writing the model picture: %w", err)
	}
	bin, err := exec.LookPath("dot")
	if err != nil {
		return nil // Graphviz is optional: model.dot is there to render later
	}
	if err := renderSVG(bin, dotPath, filepath.Join(dir, "model.svg")); err != nil {
		fmt.Fprintf(log, "warning: model.svg not written: %v\n", err)
	}
	return nil
}

// renderSVG runs Graphviz's dot on dotPath into a temporary file renamed to svgPath.
func renderSVG(bin, dotPath, svgPath string) error {
	ctx, cancel := context.WithTimeout(context.Background(), dotTimeout)
	defer cancel()
	tmp := filepath.Join(filepath.Dir(svgPath), "."+filepath.Base(svgPath)+".tmp")
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-Tsvg", "-o", tmp, dotPath)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%s: %v: %s", bin, err, firstLine(msg))
		}
		return fmt.Errorf("%s: %v", bin, err)
	}
	return os.Rename(tmp, svgPath)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// writeAtomic writes data to path whole (internal/atomicfile).
func writeAtomic(path string, data []byte) error { return atomicfile.WriteBytes(path, data) }

// describeModel makes the run's model summary and writes the model picture.
func (r *run) describeModel() (err error) {
	if r.summary, err = ModelSummary(r.stepper.Graph(), r.cfg.Train.Optimizer); err != nil {
		return err
	}
	return writeModelPicture(r.o.OutDir, r.summary, r.o.Log)
}
