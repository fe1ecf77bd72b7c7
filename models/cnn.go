package models

import (
	"errors"
	"fmt"
	"strconv"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/graphs"
)

// CNNConfig describes an image classifier: conv blocks (conv k×k with padding k/2, ReLU,
// max-pool 2), then fully connected layers with ReLU and dropout before each of them.
type CNNConfig struct {
	Input    [3]int  // channels, height, width of one image
	Classes  int     // size of the output layer
	Channels []int   // output channels of each conv block
	Kernel   int     // odd kernel size
	Hidden   []int   // hidden fully connected sizes
	Dropout  float64 // drop probability before every fully connected layer
}

// DefaultCNN is the reference CNN for 28×28 grey images with 10 classes: conv 1→32, conv
// 32→64, fc 3136→128, fc 128→10.
func DefaultCNN() CNNConfig {
	return CNNConfig{Input: [3]int{1, 28, 28}, Classes: 10, Channels: []int{32, 64}, Kernel: 3, Hidden: []int{128}}
}

// Validate reports the first setting that cannot build a network.
func (c CNNConfig) Validate() error {
	switch {
	case c.Input[0] <= 0 || c.Input[1] <= 0 || c.Input[2] <= 0:
		return fmt.Errorf("cnn: input shape %v must be positive", c.Input)
	case c.Classes < 2:
		return fmt.Errorf("cnn: need at least 2 classes, got %d", c.Classes)
	case len(c.Channels) == 0:
		return errors.New("cnn: channels must list at least one conv block")
	case c.Kernel <= 0 || c.Kernel%2 == 0:
		return fmt.Errorf("cnn: kernel must be odd and positive, got %d", c.Kernel)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("cnn: dropout must be in [0, 1), got %g", c.Dropout)
	}
	for _, n := range append(append([]int{}, c.Channels...), c.Hidden...) {
		if n <= 0 {
			return fmt.Errorf("cnn: layer sizes must be positive, got channels %v hidden %v", c.Channels, c.Hidden)
		}
	}
	if h, w := c.featureSize(); h < 1 || w < 1 {
		return fmt.Errorf("cnn: %d pooling blocks shrink a %d×%d input to nothing", len(c.Channels), c.Input[1], c.Input[2])
	}
	return nil
}

// featureSize is the spatial size after the conv blocks: each max-pool halves it, flooring.
func (c CNNConfig) featureSize() (h, w int) {
	h, w = c.Input[1], c.Input[2]
	for range c.Channels {
		h, w = h/2, w/2
	}
	return h, w
}

// FlattenSize is the number of features entering the first fully connected layer.
func (c CNNConfig) FlattenSize() int {
	h, w := c.featureSize()
	return c.Channels[len(c.Channels)-1] * h * w
}

// CNN adds the network to s and returns the logits (B, classes) of images x (B, C, H, W).
// Parameters are named as in the PyTorch reference module: conv1, conv2, …, fc1, fc2, ….
func CNN(s *graphs.Scope, x *G.Node, c CNNConfig) *G.Node {
	h := x // (B, C, H, W)
	for i, out := range c.Channels {
		h = graphs.Conv2D(s.Sub("conv"+strconv.Itoa(i+1)), h, out, c.Kernel, 1, c.Kernel/2)
		h = graphs.ReLUMaxPool2D(h, 2, 2) // (B, out, H/2, W/2)
	}
	h = graphs.Flatten(h) // (B, FlattenSize)
	for i, size := range c.Hidden {
		h = graphs.Dropout(s.Sub("fc"+strconv.Itoa(i+1)), h, c.Dropout)
		h = graphs.ReLU(graphs.Linear(s.Sub("fc"+strconv.Itoa(i+1)), h, size))
	}
	last := "fc" + strconv.Itoa(len(c.Hidden)+1)
	h = graphs.Dropout(s.Sub(last), h, c.Dropout)
	return graphs.Linear(s.Sub(last), h, c.Classes) // (B, classes)
}
