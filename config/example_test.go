package config_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/config"
)

func ExampleExperiment_Set() {
	e, _, err := config.Load("mnist-cnn")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, kv := range []string{"train.epochs=1", "model.cnn.channels=[16,32]", "train.epoch=2", "train.batch_size=big"} {
		if err := e.Set(kv); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(e.Train.Epochs, e.Model.CNN().Channels, e.Validate())
	// Output:
	// --set train.epoch=2: unknown key "train.epoch" (did you mean train.epochs?)
	// --set train.batch_size=big: train.batch_size must be an integer
	// 1 [16 32] <nil>
}

func ExampleParse() {
	_, err := config.Parse("exp.yaml", []byte("train:\n  optimizer:\n    lr_rate: 0.1\n"))
	fmt.Println(err)
	// Output:
	// exp.yaml:3: unknown key "lr_rate" in train.optimizer
}
