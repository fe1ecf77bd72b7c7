package metrics

import (
	"encoding/json"
	"os"
	"testing"
)

// sacrebleuGolden is testdata/sacrebleu_golden.json, written by
// testdata/gen_sacrebleu_golden.py from sacrebleu 2.x.
type sacrebleuGolden struct {
	Tokenize []struct {
		In  string `json:"in"`
		Out string `json:"out"`
	} `json:"tokenize"`
	BLEU []struct {
		Name       string     `json:"name"`
		Hyps       []string   `json:"hyps"`
		Refs       [][]string `json:"refs"`
		Score      float64    `json:"score"`
		Precisions [4]float64 `json:"precisions"`
		BP         float64    `json:"bp"`
		HypLen     int        `json:"hyp_len"`
		RefLen     int        `json:"ref_len"`
		Correct    [4]int     `json:"correct"`
		Total      [4]int     `json:"total"`
	} `json:"bleu"`
}

func loadSacrebleuGolden(t *testing.T) sacrebleuGolden {
	t.Helper()
	data, err := os.ReadFile("testdata/sacrebleu_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g sacrebleuGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}
