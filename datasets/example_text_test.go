package datasets_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/datasets"
)

func ExampleTokenize() {
	fmt.Printf("%q\n", datasets.Tokenize("Wow... I don't think it's Québec's BEST crêpe!"))
	// Output: ["wow" "." "." "." "i" "don't" "think" "it's" "québec's" "best" "crêpe" "!"]
}

func ExampleBuildVocab() {
	docs := [][]string{
		datasets.Tokenize("The food was good."),
		datasets.Tokenize("The service was not good!"),
	}
	v := datasets.BuildVocab(docs, 2, 0) // keep tokens seen at least twice
	fmt.Println(v.Tokens)
	ids := v.Encode(datasets.Tokenize("The food was great"))
	fmt.Println(ids, v.Decode(append(ids, datasets.EosID, 5)))
	// Output:
	// [<pad> <unk> <bos> <eos> good the was]
	// [5 1 6 1] [the <unk> was <unk>]
}

func ExampleLoadCMUdict() {
	pairs, err := datasets.LoadCMUdict("") // the copy embedded in the binary
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pairs[:2] { // "A" and its alternative "A(1)"
		fmt.Println(p.Key, p.Source, p.Target)
	}
	// Output:
	// a [a] [AH]
	// a [a] [EY]
}
