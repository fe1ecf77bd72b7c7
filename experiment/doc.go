// Package experiment turns a validated config into the pieces of a run (data, model graphs)
// and saves and restores runs as SafeTensors checkpoints that PyTorch can load.
package experiment
