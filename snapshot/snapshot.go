// Package snapshot is the layout of gorgonet's checkpoints: a SafeTensors file (package
// checkpoint) holding a model's tensors under their PyTorch names, the optimizer's buffers,
// carried recurrent states, and in its metadata the resolved config, the data description
// and the training progress. Train writes snapshots; eval, predict and a resumed run read them.
package snapshot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/optim"
)

// Format names the checkpoint layout. gorgonet/2 configs hold only their model kind's
// block; gorgonet/1 ones held every kind's and still load. Any other value is refused.
const Format = "gorgonet/2"

// formats are the layouts Load reads.
var formats = []string{"gorgonet/1", Format}

// optimizerPrefix and statePrefix keep optimizer tensors and carried recurrent states apart
// from the model's state_dict entries.
const (
	optimizerPrefix = "optimizer/"
	statePrefix     = "state/"
)

// Progress is where training stands: enough, with the optimizer state, to continue exactly.
type Progress struct {
	Epoch     int     `json:"epoch"`      // epoch in progress (0-based)
	Batch     int     `json:"batch"`      // next batch of that epoch
	Step      int     `json:"step"`       // optimizer steps taken
	Best      float64 `json:"best"`       // best validation metric so far
	BestEpoch int     `json:"best_epoch"` // epoch (1-based) that reached it, 0 = none yet
	BadEpochs int     `json:"bad_epochs"` // epochs since the best, for early stopping
	RNG       []byte  `json:"rng"`        // dropout generator state
}

// State is everything a checkpoint holds.
type State struct {
	Config    config.Experiment
	Info      DataInfo
	Progress  Progress
	Params    []*graphs.Param
	Optimizer optim.State
	States    []*graphs.State // recurrent state carried into the next batch
}

// Save writes s to path atomically.
func Save(path string, s State) error {
	cfg, err := s.Config.YAML()
	if err != nil {
		return err
	}
	info, _ := json.Marshal(s.Info)
	prog, _ := json.Marshal(s.Progress)
	f := &checkpoint.File{
		Tensors: make(map[string]checkpoint.Tensor, len(s.Params)+len(s.Optimizer.Buffers)),
		Metadata: map[string]string{
			"format": Format, "model": s.Config.Model.Kind, "config": string(cfg), "data": string(info),
			"progress": string(prog), "optimizer.name": s.Config.Train.Optimizer.Name,
			"optimizer.steps": fmt.Sprint(s.Optimizer.Steps),
		},
	}
	for _, p := range s.Params {
		f.Tensors[p.Name] = checkpoint.Tensor{Shape: p.Shape, F32: p.Value.Data().([]float32)}
	}
	for _, st := range s.States {
		f.Tensors[statePrefix+st.Name] = checkpoint.Tensor{Shape: []int{len(st.Initial)}, F32: st.Initial}
	}
	for name, buf := range s.Optimizer.Buffers {
		f.Tensors[optimizerPrefix+name] = checkpoint.Tensor{Shape: []int{len(buf)}, F32: buf}
	}
	return checkpoint.Write(path, f)
}

// Loaded is a checkpoint read back: its config and data description, and the tensors to put
// into a graph built from them.
type Loaded struct {
	Path     string
	Config   config.Experiment
	Info     DataInfo
	Progress Progress
	file     *checkpoint.File
}

// Load reads and checks the checkpoint at path.
func Load(path string) (*Loaded, error) {
	f, err := checkpoint.Read(path)
	if err != nil {
		return nil, err
	}
	md := f.Metadata
	switch format := md["format"]; {
	case format == "" || !strings.HasPrefix(format, "gorgonet/"):
		return nil, fmt.Errorf("checkpoint %s: not a gorgonet checkpoint (format %q, want %s)", path, format, strings.Join(formats, " or "))
	case !slices.Contains(formats, format):
		return nil, fmt.Errorf("checkpoint %s: format %s, and this gorgonet reads %s", path, format, strings.Join(formats, " and "))
	}
	l := &Loaded{Path: path, file: f}
	if l.Config, err = config.ParseSaved(path+" (embedded config)", []byte(md["config"])); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(md["data"]), &l.Info); err != nil {
		return nil, fmt.Errorf("checkpoint %s: bad data description: %v", path, err)
	}
	if err := json.Unmarshal([]byte(md["progress"]), &l.Progress); err != nil {
		return nil, fmt.Errorf("checkpoint %s: bad progress record: %v", path, err)
	}
	return l, nil
}

// RestoreParams copies the checkpoint's weights into params, refusing a checkpoint whose
// tensors do not match the graph by name, dtype and shape (a checkpoint of another model).
func (l *Loaded) RestoreParams(params []*graphs.Param) error {
	want := map[string]bool{}
	for _, p := range params {
		want[p.Name] = true
		t, ok := l.file.Tensors[p.Name]
		if !ok {
			return fmt.Errorf("checkpoint %s: has no tensor %q that the model needs; is it a checkpoint of another model?", l.Path, p.Name)
		}
		if t.F32 == nil || !slices.Equal(t.Shape, p.Shape) {
			return fmt.Errorf("checkpoint %s: tensor %q is %s %v, the model needs F32 %v; is it a checkpoint of another model?", l.Path, p.Name, t.DType(), t.Shape, p.Shape)
		}
		copy(p.Value.Data().([]float32), t.F32)
	}
	for name := range l.file.Tensors {
		if !want[name] && !strings.HasPrefix(name, optimizerPrefix) && !strings.HasPrefix(name, statePrefix) {
			return fmt.Errorf("checkpoint %s: has tensor %q that the model does not; is it a checkpoint of another model?", l.Path, name)
		}
	}
	return nil
}

// OptimizerState returns the optimizer buffers and step count saved with the weights.
func (l *Loaded) OptimizerState() (optim.State, error) {
	s := optim.State{Buffers: map[string][]float32{}}
	if _, err := fmt.Sscan(l.file.Metadata["optimizer.steps"], &s.Steps); err != nil {
		return s, fmt.Errorf("checkpoint %s: bad optimizer.steps: %v", l.Path, err)
	}
	for name, t := range l.file.Tensors {
		if rest, ok := strings.CutPrefix(name, optimizerPrefix); ok {
			if t.F32 == nil {
				return s, fmt.Errorf("checkpoint %s: optimizer tensor %q is %s, want F32", l.Path, name, t.DType())
			}
			s.Buffers[rest] = t.F32
		}
	}
	return s, nil
}

// RestoreStates copies the saved recurrent states into states; a state the checkpoint does
// not hold starts from zeros.
func (l *Loaded) RestoreStates(states []*graphs.State) error {
	for _, st := range states {
		t, ok := l.file.Tensors[statePrefix+st.Name]
		if !ok {
			st.Reset()
			continue
		}
		if t.F32 == nil || len(t.F32) != len(st.Initial) {
			return fmt.Errorf("checkpoint %s: state %q is %s %v, the model needs F32 [%d]", l.Path, st.Name, t.DType(), t.Shape, len(st.Initial))
		}
		copy(st.Initial, t.F32)
	}
	return nil
}
