// Package evidence writes and verifies evidence packs: what an advocate
// takes to a platform's trust-and-safety team about one account or one
// case. The store gathers an event.EvidenceSet; Write turns it into a ZIP
// holding the posts exactly as captured, why each was flagged, how it was
// reviewed (reviewers by pseudonym only), the platform's own policy names
// (a Profile), a print-ready HTML report, a DSA Article 16 notice, and a
// manifest signed with Ed25519 (a Keyring) and optionally timestamped by an
// RFC 3161 time-stamping authority (a TSAClient). Verify checks a pack and
// names the first file that is not as it was written.
//
// A pack holds, in this order:
//
//	posts.jsonl          one JSON object per post
//	posts.csv            the same as a spreadsheet (formula cells defused)
//	review.jsonl         every review decision, oldest first per post
//	accounts.json        the accounts the pack is about
//	notice.txt           the DSA Article 16 notice, for pasting into a form
//	raw/NNNNN-ID.EXT     each post's payload as captured, byte for byte
//	report.html          the report, one self-contained page
//	manifest.json        what the pack holds, with each file's SHA-256
//	manifest.json.sig    the Ed25519 signature of manifest.json (base64)
//	manifest.json.tsr    the RFC 3161 timestamp of manifest.json, if taken
//	SHA256SUMS           for `sha256sum -c`: every file but itself
//
// The package does no I/O on the store: it writes what it is given.
package evidence
