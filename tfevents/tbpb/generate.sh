#!/bin/sh
# Regenerates the .pb.go files of this package from TensorBoard's protos in ../proto (copied
# unchanged from tensorflow/tensorboard, tensorboard/compat/proto/). Needs protoc (Debian
# protobuf-compiler) and protoc-gen-go v1.36.12:
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
# Run by go generate ./tfevents/tbpb, from this directory.
set -eu
protos="event summary histogram tensor resource_handle tensor_shape types"
pkg=github.com/gorgonet/gorgonet/tfevents/tbpb
args=""
for p in $protos; do
  args="$args --go_opt=Mtensorboard/compat/proto/$p.proto=$pkg;tbpb tensorboard/compat/proto/$p.proto"
done
# The protos' own go_package options name TensorFlow's Go packages; the M options above put
# every file into this one package instead.
# shellcheck disable=SC2086
protoc -I ../proto --go_out=. --go_opt=paths=source_relative $args
# source_relative mirrors the proto tree; the package is flat.
mv tensorboard/compat/proto/*.pb.go .
rm -r tensorboard
