// Package tfevents writes and reads TensorBoard event files: TFRecord files of Event protos
// holding scalar summaries, which `tensorboard --logdir` shows as charts.
package tfevents
