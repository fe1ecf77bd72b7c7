// Package train runs the training loop: batches through a Gorgonia TapeMachine, our own
// optimizers, evaluation every epoch, checkpoints, early stopping and exact resume.
package train
