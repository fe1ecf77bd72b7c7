// Package graphs holds the layer building blocks of gorgonet: plain functions that add nodes
// to a Gorgonia expression graph, naming their parameters after the equivalent PyTorch module.
package graphs
