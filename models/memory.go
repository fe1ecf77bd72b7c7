package models

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// The memory estimate: a graph holds its parameters, and in training their gradients and
// two optimizer moments; and per example its inputs and activations, and in training their
// gradients and the ops' own buffers. It is rough (within a small factor) on purpose: its
// job is to refuse sizes that cannot fit before Go's allocator dies trying, not to budget.
const (
	bytesPerFloat        = 4
	trainingParamCopies  = 4 // value, gradient, two Adam moments
	trainingActCopies    = 3 // value, gradient, op buffers
	evalActCopies        = 2 // value, op buffers (measured: a CNN at batch 5000 peaks at 1.5× one copy)
	fallbackMemoryLimit  = 16 << 30
	memInfoPath          = "/proc/meminfo"
	memInfoAvailableKey  = "MemAvailable:"
	memInfoKilobyteScale = 1024
)

// MemoryLimit is the most memory a graph may need, by estimate, to be built: the memory the
// machine has available when first asked (MemAvailable in /proc/meminfo), or 16 GiB where
// that cannot be read. Tests may lower it.
var MemoryLimit = sync.OnceValue(availableMemory)

func availableMemory() int64 {
	f, err := os.Open(memInfoPath)
	if err != nil {
		return fallbackMemoryLimit
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == memInfoAvailableKey {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil && kb > 0 {
				return kb * memInfoKilobyteScale
			}
		}
	}
	return fallbackMemoryLimit
}

// footprint is a graph's size in float32 values: parameters, and activations per example.
type footprint struct{ params, perExample float64 }

// bytes is the estimated memory of the graph for batch examples.
func (f footprint) bytes(batch int, training bool) float64 {
	p, a := f.params, f.perExample*float64(batch)*evalActCopies
	if training {
		p, a = p*trainingParamCopies, f.perExample*float64(batch)*trainingActCopies
	}
	return (p + a) * bytesPerFloat
}

// TooBigError is a graph refused because its estimated memory exceeds MemoryLimit.
type TooBigError struct {
	Graph       string // "cnn", "language model", …
	Batch       int
	Need, Limit float64 // bytes
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("the %s graph for batch %d would need about %.1f GB, more than the %.1f GB of memory available",
		e.Graph, e.Batch, e.Need/(1<<30), e.Limit/(1<<30))
}

// checkMemory refuses to build a graph whose estimate exceeds MemoryLimit.
func checkMemory(what string, f footprint, o BuildOptions) error {
	need, limit := f.bytes(o.Batch, o.Training), float64(MemoryLimit())
	if need <= limit {
		return nil
	}
	return &TooBigError{Graph: what, Batch: o.Batch, Need: need, Limit: limit}
}

func (c CNNConfig) footprint() footprint {
	var f footprint
	in, h, w := float64(c.Input[0]), float64(c.Input[1]), float64(c.Input[2])
	f.perExample = in * h * w
	k := float64(c.Kernel * c.Kernel)
	for _, ch := range c.Channels {
		out := float64(ch)
		f.params += in*out*k + out
		f.perExample += 2*out*h*w + out*(h/2)*(w/2) // conv, ReLU, pool
		in, h, w = out, float64(int(h)/2), float64(int(w)/2)
	}
	prev := in * h * w
	for _, size := range append(append([]int{}, c.Hidden...), c.Classes) {
		f.params += prev*float64(size) + float64(size)
		f.perExample += 2 * float64(size)
		prev = float64(size)
	}
	return f
}

// footprint of a recurrent model; perStep says the output layer runs at every step
// (language model).
func (c RecurrentConfig) footprint(perStep bool) footprint {
	c = c.withCell()
	in, hid, steps, gates := float64(c.Features), float64(c.Hidden), float64(c.Steps), float64(c.Cell.Gates)
	var f footprint
	if c.Vocab > 0 {
		in = float64(c.Embedding)
		f.params += float64(c.Vocab) * in
	}
	f.perExample = steps * (in + 1)
	for l := 0; l < max(c.Layers, 1); l++ {
		f.params += gates*hid*(in+hid) + 2*gates*hid
		f.perExample += steps * 3 * gates * hid // the gates, their gradients, the states (LSTM: 12 per unit)
		in = hid
	}
	outputs := float64(c.Classes)
	if perStep {
		outputs *= steps * 2 // logits and targets at every step
	}
	f.params += hid*float64(c.Classes) + float64(c.Classes)
	f.perExample += outputs
	return f
}

func (c TransformerConfig) footprint() footprint {
	d, ff, heads := float64(c.Layer.Dim), float64(c.Layer.FF), float64(c.Layer.Heads)
	s, t := float64(c.SourceLen), float64(c.TargetLen)
	out := float64(max(c.TargetVocab, c.Classes))
	f := footprint{params: float64(c.SourceVocab+c.TargetVocab)*d + d*out}
	if c.ShareEmbeddings {
		f.params = d*out + out // one table; the output layer's bias
	}
	enc, dec := float64(c.EncoderLayers), float64(c.DecoderLayers)
	f.params += enc*(4*d*d+2*d*ff+10*d) + dec*(8*d*d+2*d*ff+15*d)
	f.perExample = 2*(s+t) + enc*(s*(12*d+2*ff)+3*heads*s*s) + dec*(t*(20*d+2*ff)+3*heads*(t*t+t*s))
	f.perExample += max(t, 1) * out // logits (targets are class indices)
	return f
}
