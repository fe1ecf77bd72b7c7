package predict

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/snapshot"
)

// images classifies picture files with an image classifier.
type images struct {
	*classifier
	invert string
}

func (t *images) AddFlags(f *pflag.FlagSet) {
	t.classifier.addFlags(f)
	f.StringVar(&t.invert, "invert", "auto", "image classifiers: invert dark and light: auto, always or never")
}

func (t *images) Validate() error {
	switch datasets.Invert(t.invert) {
	case datasets.InvertAuto, datasets.InvertAlways, datasets.InvertNever:
	default:
		return fmt.Errorf("--invert %q: want auto, always or never", t.invert)
	}
	return t.classifier.validate()
}

func (t *images) Run(ctx context.Context, l *snapshot.Loaded, in IO) error {
	m, err := experiment.OpenClassifier(l, batchFor(len(in.Inputs)))
	if err != nil {
		return err
	}
	defer m.Close()
	pixels, err := readPictures(ctx, in, l.Info, datasets.Invert(t.invert))
	if err != nil {
		return err
	}
	x := m.Input()
	per := len(x) / m.Batch()
	for start := 0; start < len(in.Inputs); start += m.Batch() {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+m.Batch(), len(in.Inputs))
		clear(x)
		for i, px := range pixels[start:end] {
			copy(x[i*per:(i+1)*per], px)
		}
		preds, err := t.predictions(m, in.Inputs[start:end], l.Info.Classes)
		if err != nil {
			return err
		}
		for _, p := range preds {
			p.write(in.Out, in.JSON)
		}
	}
	return nil
}

// readPictures decodes every input before running the model, so a bad file fails fast.
func readPictures(ctx context.Context, in IO, info snapshot.DataInfo, inv datasets.Invert) ([][]float32, error) {
	all := make([][]float32, len(in.Inputs))
	for i, name := range in.Inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := readFile(name, in.Stdin)
		if err != nil {
			return nil, err
		}
		px, err := datasets.DecodePicture(name, bytes.NewReader(b), info.Input[1], info.Input[2], inv)
		if err != nil {
			return nil, err
		}
		datasets.Normalize(px, info.Norm)
		all[i] = px
	}
	return all, nil
}

// readFile reads the file called name, or stdin for "-".
func readFile(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}
