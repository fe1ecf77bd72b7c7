package optim_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/optim"
)

func Example() {
	params := []optim.Param{{Name: "w", Value: []float32{1, 2}, Grad: make([]float32, 2)}}
	opt, err := optim.New(optim.Config{Name: "sgd", LR: 0.1, Momentum: 0.9}, params)
	if err != nil {
		panic(err)
	}
	sched, err := optim.NewSchedule(optim.ScheduleConfig{Name: "constant", WarmupSteps: 2}, 0.1, 3)
	if err != nil {
		panic(err)
	}
	for step := range 3 {
		copy(params[0].Grad, []float32{1, -1}) // the model's backward pass goes here
		optim.ClipGlobalNorm(params, 1)
		opt.Step(params, sched.LR(step))
	}
	fmt.Printf("%.4f %d\n", params[0].Value, opt.State().Steps)
	// Output: [0.6387 2.3613] 3
}

func ExampleNewSchedule() {
	sched, err := optim.NewSchedule(optim.ScheduleConfig{Name: "cosine", WarmupSteps: 2, MinLR: 0.01}, 0.1, 6)
	if err != nil {
		panic(err)
	}
	for step := range 7 {
		fmt.Printf("%.4f ", sched.LR(step))
	}
	fmt.Println()
	// Output: 0.0500 0.1000 0.1000 0.0868 0.0550 0.0232 0.0100
}
