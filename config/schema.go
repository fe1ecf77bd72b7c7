package config

// Experiment is one training run: what data, which model, how to train it.
// It is decoded once from YAML and validated before any work starts.
type Experiment struct {
	// Name of the experiment, shown in logs and stored in checkpoints.
	Name string `yaml:"name"`
	// Seed for parameter initialisation, dropout and shuffling.
	Seed uint64 `yaml:"seed"`
	// Data selects the data set.
	Data Data `yaml:"data"`
	// Model selects the architecture and its sizes.
	Model Model `yaml:"model"`
	// Train holds the optimisation loop settings.
	Train Train `yaml:"train"`
	// Decode sets how sequence-to-sequence models produce outputs in eval and predict.
	Decode Decode `yaml:"decode"`
}

// Data selects a data set and how much of it to use.
type Data struct {
	// Name of the data set in the datasets registry, e.g. mnist or fashion-mnist.
	Name string `yaml:"name"`
	// Path is the directory of the data files; "" means the embedded copy or the default location.
	Path string `yaml:"path"`
	// Limit is the maximum number of training examples; 0 means all.
	Limit int `yaml:"limit"`
	// ValFraction is the share of the training set held out for validation, in [0,1); default 0.1.
	ValFraction float64 `yaml:"val_fraction"`
	// TestFraction is the share held out for testing by data sets that have no test split of their own (sentiment, opticks, cmudict, de-en), in [0,1); default 0.1.
	TestFraction float64 `yaml:"test_fraction"`
	// MaxLen is the number of tokens per sequence: longer sentences are truncated (text), pairs with a longer side are left out of training and truncated in evaluation (pairs), and the chunk length of truncated back-propagation (characters); default 64.
	MaxLen int `yaml:"max_len"`
	// TargetLen is, for sequence pairs, the number of target tokens the decoder writes, <eos> included: pairs with a longer target are left out of training, and decoding stops there; 0 means max_len + 1. Summaries are far shorter than what they summarise.
	TargetLen int `yaml:"target_len"`
	// Units is how text becomes tokens: words, chars or bpe (subword units learned from the training split, one model per side, data.vocab_size ids each). Empty means the data set's own units (words for sentiment, characters for opticks and CMUdict's spellings, bpe for bible-es-en and debian-summary); de-en takes words or chars, bible-es-en bpe or words, applied to both sides. Images have none.
	Units string `yaml:"units"`
	// MinCount is how often a token must occur in the training split to get its own id; rarer tokens become <unk>; default 1.
	MinCount int `yaml:"min_count"`
	// VocabSize caps each vocabulary built from the training split at this many tokens, the four specials included, keeping the most frequent; 0 means no cap. With units bpe it is each side's number of subword ids (four specials and vocab_size-4 units) and must be > 0.
	VocabSize int `yaml:"vocab_size"`
}

// Recurrent is the block of a recurrent model: stacked recurrent layers (torch.nn.LSTM for kind lstm, torch.nn.GRU for kind gru) followed by a linear layer: over the classes from the last real step (classifiers), or over the vocabulary at every step (language models).
type Recurrent struct {
	// Embedding is the size of the token embeddings for text and characters (images feed their pixel rows directly); default 64.
	Embedding int `yaml:"embedding"`
	// Hidden is the size of the hidden state; default 128.
	Hidden int `yaml:"hidden"`
	// Layers is the number of stacked recurrent layers; default 1.
	Layers int `yaml:"layers"`
	// Dropout is the drop probability between recurrent layers and before the output layer, in [0,1); default 0.
	Dropout float64 `yaml:"dropout"`
}

// Transformer is an encoder-decoder (torch.nn.Transformer) for sequence pairs, or its encoder with mean pooling and a linear layer for text classification.
type Transformer struct {
	// Dim is the model width d (embeddings, attention, layer outputs); default 64.
	Dim int `yaml:"dim"`
	// Heads is the number of attention heads; must divide dim; default 4.
	Heads int `yaml:"heads"`
	// FF is the width of the feed-forward layers; default 256.
	FF int `yaml:"ff"`
	// EncoderLayers is the number of encoder layers; default 2.
	EncoderLayers int `yaml:"encoder_layers"`
	// DecoderLayers is the number of decoder layers (sequence pairs only); default 2.
	DecoderLayers int `yaml:"decoder_layers"`
	// Dropout is the drop probability after attention and inside and after the feed-forward layers, in [0,1); default 0.1.
	Dropout float64 `yaml:"dropout"`
	// Activation of the feed-forward layers: relu or gelu; default relu.
	Activation string `yaml:"activation"`
	// NormFirst puts LayerNorm before each sub-layer (pre-norm) instead of after it (post-norm, PyTorch's default).
	NormFirst bool `yaml:"norm_first"`
	// ShareEmbeddings (sequence pairs) learns one vocabulary from sources and targets together
	// and ties the source and target embeddings and the output layer to one table, as
	// fairseq's share_all_embeddings: for pairs in one language (summarisation), where output
	// words are often copied from the input. Default false.
	ShareEmbeddings bool `yaml:"share_embeddings"`
}

// CNN is a stack of conv blocks followed by fully-connected layers.
type CNN struct {
	// Channels are the output channels of each conv block (conv k×k with padding k/2, ReLU, max-pool 2); default [32, 64].
	Channels []int `yaml:"channels,flow"`
	// Kernel is the conv kernel size k, odd; default 3.
	Kernel int `yaml:"kernel"`
	// Hidden are the sizes of the hidden fully-connected layers; default [128].
	Hidden []int `yaml:"hidden,flow"`
	// Dropout is the drop probability applied to the input of every fully-connected layer (the flattened features and each hidden layer's output), in [0,1); default 0.
	Dropout float64 `yaml:"dropout"`
}

// Train holds the settings of the training loop.
type Train struct {
	// Epochs is the number of passes over the training set; default 3.
	Epochs int `yaml:"epochs"`
	// BatchSize is the number of examples per training step; default 64.
	BatchSize int `yaml:"batch_size"`
	// EvalBatchSize is the number of examples per evaluation step; default 100 (its graph keeps
	// buffers for a whole batch: 500 costs about 200 MB more for the reference CNN).
	EvalBatchSize int `yaml:"eval_batch_size"`
	// Optimizer selects the update rule.
	Optimizer Optimizer `yaml:"optimizer"`
	// Schedule sets the learning rate over the steps.
	Schedule Schedule `yaml:"schedule"`
	// ClipNorm is the maximum global L2 norm of the gradients; 0 means no clipping.
	ClipNorm float64 `yaml:"clip_norm"`
	// Patience stops training after this many epochs without improvement of metric; 0 means never.
	Patience int `yaml:"patience"`
	// Metric is the validation metric that picks the best checkpoint: accuracy (higher is better) or loss (lower is better); default accuracy.
	Metric string `yaml:"metric"`
	// LabelSmoothing spreads this share of each target's probability evenly over all classes (F.cross_entropy's label_smoothing), in [0,1); default 0.
	LabelSmoothing float64 `yaml:"label_smoothing"`
	// LogEvery is the number of steps between progress and metrics lines; default 50.
	LogEvery int `yaml:"log_every"`
	// CheckpointEvery is the number of steps between step checkpoints; 0 means once per epoch.
	CheckpointEvery int `yaml:"checkpoint_every"`
	// KeepLast is the number of step checkpoints kept besides last and best; default 3.
	KeepLast int `yaml:"keep_last"`
}

// Optimizer selects the update rule and its hyper-parameters.
type Optimizer struct {
	// Name is sgd, adam or adamw; default adam.
	Name string `yaml:"name"`
	// LR is the peak learning rate; default 0.001.
	LR float64 `yaml:"lr"`
	// Momentum is the sgd momentum, in [0,1); 0 means plain sgd.
	Momentum float64 `yaml:"momentum"`
	// Nesterov turns sgd momentum into Nesterov momentum; needs momentum > 0.
	Nesterov bool `yaml:"nesterov"`
	// Beta1 is the adam/adamw decay of the first moment, in [0,1); default 0.9.
	Beta1 float64 `yaml:"beta1"`
	// Beta2 is the adam/adamw decay of the second moment, in [0,1); default 0.999.
	Beta2 float64 `yaml:"beta2"`
	// Eps is added to the adam/adamw denominator, > 0; default 1e-8.
	Eps float64 `yaml:"eps"`
	// WeightDecay is the L2 penalty (sgd, adam) or decoupled decay (adamw); default 0.
	WeightDecay float64 `yaml:"weight_decay"`
}

// Schedule sets the learning rate of each step: a linear warmup, then constant, step or cosine decay.
type Schedule struct {
	// Name is constant, step or cosine; default constant.
	Name string `yaml:"name"`
	// WarmupSteps is the number of steps of linear warmup from 0 to lr; 0 means none.
	WarmupSteps int `yaml:"warmup_steps"`
	// StepSize is the number of steps between decays by gamma; step schedule only, > 0.
	StepSize int `yaml:"step_size"`
	// Gamma is the factor applied every step_size steps; step schedule only; default 0.1.
	Gamma float64 `yaml:"gamma"`
	// MinLR is the learning rate reached at the last step; cosine schedule only, in [0, lr].
	MinLR float64 `yaml:"min_lr"`
}

// Decode sets how sequence-to-sequence models turn a source into an output sequence.
type Decode struct {
	// Beam is the beam width; 1 means greedy decoding; default 1.
	Beam int `yaml:"beam"`
	// LengthPenalty is α in score/length^α, the length normalisation of beam hypotheses; 0 ranks by total log-probability; default 1.
	LengthPenalty float64 `yaml:"length_penalty"`
}

// Default returns an experiment with every default filled in: the MNIST CNN.
func Default() Experiment {
	return Experiment{
		Name:  "mnist-cnn",
		Seed:  1,
		Data:  Data{Name: "mnist", ValFraction: 0.1, TestFraction: 0.1, MaxLen: 64, MinCount: 1},
		Model: Model{Kind: defaultModelKind, Block: NewCNN()},
		Train: Train{
			Epochs:        3,
			BatchSize:     64,
			EvalBatchSize: 100,
			Optimizer:     Optimizer{Name: "adam", LR: 0.001, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Schedule:      Schedule{Name: "constant", Gamma: 0.1},
			Metric:        "accuracy",
			LogEvery:      50,
			KeepLast:      3,
		},
		Decode: Decode{Beam: 1, LengthPenalty: 1},
	}
}

// defaultModelKind is the kind of Default(), which a config without model.kind trains.
const defaultModelKind = "cnn"

// NewCNN returns the cnn block with its defaults.
func NewCNN() Block { return CNN{Channels: []int{32, 64}, Kernel: 3, Hidden: []int{128}} }

// NewRecurrent returns the block of a recurrent model with its defaults.
func NewRecurrent() Block { return Recurrent{Embedding: 64, Hidden: 128, Layers: 1} }

// NewTransformer returns the transformer block with its defaults.
func NewTransformer() Block {
	return Transformer{Dim: 64, Heads: 4, FF: 256, EncoderLayers: 2, DecoderLayers: 2, Dropout: 0.1, Activation: "relu"}
}
