// Package examples embeds Vigil's demo configuration and data: the
// configuration that `vigil run` starts with when given none, the synthetic
// posts its file source reads, and the illustrative lexicon and account list
// the classifier matches them against. Every post and account is invented;
// the lexicon and the account list are examples, not vetted lists.
//
// Paths inside FS are the ones vigil.yaml names (relative to vigil.yaml).
package examples

import "embed"

// FS holds vigil.yaml, posts.jsonl, lexicon.yaml and accounts.csv.
//
//go:embed vigil.yaml posts.jsonl lexicon.yaml accounts.csv
var FS embed.FS
