// Package tbpb holds the Go types of TensorBoard's Event and Summary protos, generated from
// the copies in ../proto (tensorflow/tensorboard, tensorboard/compat/proto/) by generate.sh.
package tbpb

//go:generate ./generate.sh
