// Package examples embeds Vigil's demo configuration and data: the
// configuration that `vigil run` starts with when given none, the synthetic
// posts its file source reads, and the illustrative lexicon, account list,
// domain list, brand list and gazetteer the classifier matches them against.
// Every post, account, domain and brand is invented; the lexicon, the lists
// and the gazetteer are examples, not vetted lists.
//
// Paths inside FS are the ones vigil.yaml names (relative to vigil.yaml).
package examples

import "embed"

// FS holds vigil.yaml, posts.jsonl, lexicon.yaml, accounts.csv, domains.csv,
// brands.csv and gazetteer.yaml.
//
//go:embed vigil.yaml posts.jsonl lexicon.yaml accounts.csv domains.csv brands.csv gazetteer.yaml
var FS embed.FS
