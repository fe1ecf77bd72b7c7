// Command tfrecords splits a TFRecord file (such as a TensorBoard event file) into its
// records, checking both CRCs of each: tfrecords FILE DIR writes the data of record i to
// DIR/NNNNNN.pb (i from 0, six digits), one message for protoc --decode each, and prints
// the number of records. It fails on a torn or corrupt record.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gorgonet/gorgonet/tfevents"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tfrecords FILE DIR")
		os.Exit(2)
	}
	n, err := split(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "tfrecords:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}

// split writes each record of the file at path to dir and returns how many there were.
func split(path, dir string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	rr := tfevents.NewRecordReader(f)
	for i := 0; ; i++ {
		data, err := rr.Next()
		if err == io.EOF {
			return i, nil
		}
		if err != nil {
			return i, fmt.Errorf("%s: %w", path, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%06d.pb", i)), data, 0o644); err != nil {
			return i, err
		}
	}
}
