// Package checkpoint reads and writes SafeTensors files, the checkpoint format of gorgonet,
// in the layout that Python's safetensors library writes and reads.
package checkpoint
