// Package optim implements PyTorch-compatible optimizers (SGD, Adam, AdamW), learning-rate
// schedules and global-norm gradient clipping over plain float32 slices.
package optim
