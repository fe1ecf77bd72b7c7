package config

// The model kinds as the experiment package registers them, for this package's own tests
// (experiment imports config, so config's tests cannot import it).
func init() {
	RegisterModel(ModelKind{Name: "cnn", New: NewCNN})
	RegisterModel(ModelKind{Name: "lstm", New: NewRecurrent})
	RegisterModel(ModelKind{Name: "transformer", New: NewTransformer})
}

// cnn applies change to the cnn block of e.
func cnn(e *Experiment, change func(c *CNN)) {
	c := e.Model.CNN()
	change(&c)
	e.Model.Block = c
}
