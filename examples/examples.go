// Package examples embeds Vigil's demo configuration and data: the
// configuration that `vigil run` starts with when given none, the synthetic
// posts its file source reads, and the illustrative lexicon, account list,
// domain list and brand list the classifier matches them against. Every post,
// account, domain and brand is invented; the lexicon and the lists are
// examples, not vetted lists.
//
// Paths inside FS are the ones vigil.yaml names (relative to vigil.yaml).
package examples

import "embed"

// FS holds vigil.yaml, posts.jsonl, lexicon.yaml, accounts.csv, domains.csv
// and brands.csv.
//
//go:embed vigil.yaml posts.jsonl lexicon.yaml accounts.csv domains.csv brands.csv
var FS embed.FS
