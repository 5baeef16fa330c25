package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// The audit tests' actors are pseudonyms ("reviewer-7f3a"), never names.

// auditStore runs fn as a parallel subtest on a fresh, empty store of db.
func auditStore(t *testing.T, db testDB, name string, fn func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		fn(t, db.open(t))
	})
}

var auditActions = []string{event.AuditDecision, event.AuditExport, event.AuditTokenCreate,
	event.AuditTokenRevoke, event.AuditCaseUpdate}

// auditEntry is the i-th synthetic entry: varied actors, actions, subjects
// and details.
func auditEntry(i int) event.AuditEntry {
	action := auditActions[i%len(auditActions)]
	e := event.AuditEntry{
		Actor:  fmt.Sprintf("reviewer-%04x", 0x7f3a+i%7),
		Action: action,
	}
	switch action {
	case event.AuditDecision:
		e.Subject = fmt.Sprintf("flag:%d", 1000+i)
		e.Details = json.RawMessage(fmt.Sprintf(`{"to": "confirmed", "from": "pending", "note_len": %d}`, i))
	case event.AuditExport:
		e.Subject = fmt.Sprintf("pack:p%03d", i)
		e.Details = json.RawMessage(fmt.Sprintf(`{"flags":[%d,%d],"sha256":"%064x"}`, i, i+1, i))
	case event.AuditTokenCreate, event.AuditTokenRevoke:
		e.Actor = event.AuditActorSystem
		e.Subject = fmt.Sprintf("token:%d", i)
		e.Details = json.RawMessage(`{"role":"monitor","pseudonym":"reviewer-0b1c"}`)
	default:
		e.Subject = fmt.Sprintf("case:c-%d", i)
	}
	return e
}

// appendN appends n synthetic entries one after the other.
func appendN(t *testing.T, s *Store, n int) []event.AuditEntry {
	t.Helper()
	var es []event.AuditEntry
	for i := range n {
		e, err := s.Audit().Append(context.Background(), auditEntry(i))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		es = append(es, e)
	}
	return es
}

// verifyBoth verifies with the default page size and with pages of 7
// entries (so that a break falls inside a page, at its edge, or on a later
// page), checks both agree, and returns the result.
func verifyBoth(t *testing.T, s *Store) event.AuditVerifyResult {
	t.Helper()
	res, err := s.Audit().Verify(context.Background())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	small, err := s.Audit().verify(context.Background(), 7)
	if err != nil {
		t.Fatalf("verify with pages of 7: %v", err)
	}
	if small != res {
		t.Fatalf("verify with pages of 7 = %+v, with the default = %+v", small, res)
	}
	return res
}

func wantIntact(t *testing.T, s *Store, entries int64) event.AuditVerifyResult {
	t.Helper()
	res := verifyBoth(t, s)
	if !res.OK || res.Entries != entries || res.BrokenAt != 0 || res.Problem != "" || res.Head.Seq != entries {
		t.Fatalf("Verify = %+v, want intact with %d entries", res, entries)
	}
	return res
}

func wantBroken(t *testing.T, s *Store, at int64, problem, reason string) {
	t.Helper()
	res := verifyBoth(t, s)
	if res.OK || res.BrokenAt != at || res.Problem != problem || !strings.Contains(res.Reason, reason) {
		t.Fatalf("Verify = %+v, want broken at %d: %s (%q)", res, at, problem, reason)
	}
	if want := max(at-1, 0); res.Entries != want && problem != event.AuditHeadMissing {
		t.Errorf("Verify counted %d intact entries, want %d", res.Entries, want)
	}
}

// tamper runs a statement on the database directly, as someone with
// access to it would, after dropping the triggers that stop mistakes.
func tamper(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	ctx := context.Background()
	for _, tr := range []struct{ name, table string }{
		{"audit_log_no_update", "audit_log"}, {"audit_log_no_delete", "audit_log"},
		{"audit_log_no_truncate", "audit_log"}, {"audit_head_no_delete", "audit_head"},
		{"audit_head_no_truncate", "audit_head"},
	} {
		drop := "DROP TRIGGER IF EXISTS " + tr.name
		if s.d.name == "postgres" {
			drop += " ON " + tr.table
		}
		if _, err := s.write.ExecContext(ctx, drop); err != nil {
			t.Fatalf("%s: %v", drop, err)
		}
	}
	res, err := s.write.ExecContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		t.Fatalf("%s changed %d rows (%v)", query, n, err)
	}
}

// rehash recomputes entry seq's hash from its columns as they now are,
// and sets its prev_hash to prev when prev is not empty: what a forger
// who knows the hash would do.
func rehash(t *testing.T, s *Store, seq int64, prev string) string {
	t.Helper()
	var r auditRow
	err := s.write.QueryRowContext(context.Background(), s.d.rebind(`SELECT seq, at, actor, action, subject, details, prev_hash
FROM audit_log WHERE seq = ?`), seq).Scan(&r.seq, auditTimeText{&r.at}, &r.actor, &r.action, &r.subject, &r.details, &r.prevHash)
	if err != nil {
		t.Fatalf("read entry %d: %v", seq, err)
	}
	if prev != "" {
		r.prevHash = prev
	}
	h := event.AuditHash(r.seq, r.at, r.actor, r.action, r.subject, r.details, r.prevHash)
	tamper(t, s, `UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?`, r.prevHash, h, seq)
	return h
}

func TestAuditAppendConcurrent(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		const workers, each = 8, 125
		got := make([][]event.AuditEntry, workers)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					e, err := s.Audit().Append(ctx, auditEntry(w*each+i))
					if err != nil {
						errs <- fmt.Errorf("worker %d entry %d: %w", w, i, err)
						return
					}
					got[w] = append(got[w], e)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		// Every append got its own seq, 1 to 1000, and returned the entry as
		// stored, hash included.
		bySeq := map[int64]event.AuditEntry{}
		for w := range got {
			last := int64(0)
			for _, e := range got[w] {
				if e.Seq <= last {
					t.Fatalf("worker %d: seq %d after %d", w, e.Seq, last)
				}
				last = e.Seq
				if _, dup := bySeq[e.Seq]; dup {
					t.Fatalf("seq %d given twice", e.Seq)
				}
				if e.Hash != e.ComputeHash() || len(e.Hash) != 64 {
					t.Fatalf("entry %d: returned hash %q, computed %q", e.Seq, e.Hash, e.ComputeHash())
				}
				if e.At.IsZero() || e.At.Location() != time.UTC || e.At.Nanosecond()%1000 != 0 {
					t.Fatalf("entry %d: at %v, want UTC to the microsecond", e.Seq, e.At)
				}
				bySeq[e.Seq] = e
			}
		}
		if len(bySeq) != workers*each {
			t.Fatalf("%d entries, want %d", len(bySeq), workers*each)
		}

		// Listed in pages, the log is one line: 1..1000, each linked to the
		// one before, each as Append returned it.
		prev := event.AuditGenesisHash
		var after int64
		for after < workers*each {
			page, err := s.Audit().List(ctx, after, 99)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 || len(page) > 99 {
				t.Fatalf("List after %d: %d entries", after, len(page))
			}
			for _, e := range page {
				if e.Seq != after+1 {
					t.Fatalf("List: seq %d after %d", e.Seq, after)
				}
				if e.PrevHash != prev {
					t.Fatalf("entry %d: prev_hash %s, want %s", e.Seq, e.PrevHash, prev)
				}
				want := bySeq[e.Seq]
				if !e.At.Equal(want.At) || e.Actor != want.Actor || e.Action != want.Action || e.Subject != want.Subject ||
					string(e.Details) != string(want.Details) || e.Hash != want.Hash || e.ComputeHash() != e.Hash {
					t.Fatalf("entry %d listed as %+v, appended as %+v", e.Seq, e, want)
				}
				prev, after = e.Hash, e.Seq
			}
		}
		if rest, err := s.Audit().List(ctx, after, 0); err != nil || len(rest) != 0 {
			t.Fatalf("List after the last = %v, %v; want none", rest, err)
		}
		head, err := s.Audit().Head(ctx)
		if err != nil || head.Seq != workers*each || head.Hash != prev {
			t.Fatalf("Head = %+v, %v; want %d %s", head, err, workers*each, prev)
		}
		res := wantIntact(t, s, workers*each)
		if res.Head != head {
			t.Errorf("Verify head %+v, Head %+v", res.Head, head)
		}
	})
}

func TestAuditEmpty(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		head, err := s.Audit().Head(ctx)
		if err != nil || head != (event.AuditHead{Seq: 0, Hash: event.AuditGenesisHash}) {
			t.Fatalf("Head of an empty log = %+v, %v", head, err)
		}
		wantIntact(t, s, 0)
		if es, err := s.Audit().List(ctx, 0, 10); err != nil || len(es) != 0 {
			t.Fatalf("List = %v, %v", es, err)
		}
		_, err = s.Audit().List(ctx, 0, -1)
		wantCode(t, err, event.EINVALID)
	})
}

// TestAuditTamper edits, deletes or adds rows behind the store's back and
// checks that Verify names the first broken entry and why.
func TestAuditTamper(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		const n, k = 40, 21 // entries, and the middle one tampered with (a decision)

		build := func(t *testing.T, s *Store) []event.AuditEntry {
			t.Helper()
			es := appendN(t, s, n)
			wantIntact(t, s, n)
			return es
		}

		// Each column of entry k, edited.
		for _, tc := range []struct {
			column  string
			value   func(e event.AuditEntry) any
			at      int64
			problem string
			reason  string
		}{
			{"seq", func(e event.AuditEntry) any { return e.Seq + 1_000_000 }, k, event.AuditMissingEntry,
				fmt.Sprintf("entry %d is missing (seq jumps from %d to %d)", k, k-1, k+1)},
			{"at", func(e event.AuditEntry) any { return encodeTime(e.At.Add(time.Second)) }, k, event.AuditHashMismatch, "hash does not match its contents"},
			{"actor", func(event.AuditEntry) any { return "reviewer-0000" }, k, event.AuditHashMismatch, "hash does not match its contents"},
			{"action", func(event.AuditEntry) any { return event.AuditExport }, k, event.AuditHashMismatch, "hash does not match its contents"},
			{"subject", func(event.AuditEntry) any { return "flag:999999" }, k, event.AuditHashMismatch, "hash does not match its contents"},
			{"details", func(event.AuditEntry) any { return `{"from":"pending","to":"dismissed"}` }, k, event.AuditHashMismatch, "hash does not match its contents"},
			{"prev_hash", func(e event.AuditEntry) any { return strings.Repeat("ab", 32) }, k, event.AuditHashMismatch, "hash does not match its contents"},
			{"hash", func(e event.AuditEntry) any { return strings.Repeat("cd", 32) }, k, event.AuditHashMismatch, "hash does not match its contents"},
		} {
			auditStore(t, db, "edit "+tc.column, func(t *testing.T, s *Store) {
				es := build(t, s)
				tamper(t, s, `UPDATE audit_log SET `+tc.column+` = ? WHERE seq = ?`, tc.value(es[k-1]), k)
				wantBroken(t, s, tc.at, tc.problem, tc.reason)
			})
		}

		auditStore(t, db, "edit details to the same JSON spaced otherwise", func(t *testing.T, s *Store) {
			es := build(t, s)
			var m map[string]any
			if err := json.Unmarshal(es[k-1].Details, &m); err != nil {
				t.Fatal(err)
			}
			spaced, _ := json.MarshalIndent(m, "", " ")
			tamper(t, s, `UPDATE audit_log SET details = ? WHERE seq = ?`, string(spaced), k)
			wantBroken(t, s, k, event.AuditHashMismatch, "hash does not match its contents")
		})

		auditStore(t, db, "edit at to the same instant written otherwise", func(t *testing.T, s *Store) {
			es := build(t, s)
			tamper(t, s, `UPDATE audit_log SET at = ? WHERE seq = ?`, es[k-1].At.Format(time.RFC3339Nano), k)
			wantBroken(t, s, k, event.AuditHashMismatch, "hash does not match its contents")
		})

		auditStore(t, db, "edit and rehash a middle entry", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `UPDATE audit_log SET actor = ? WHERE seq = ?`, "reviewer-0000", k)
			rehash(t, s, k, "")
			wantBroken(t, s, k+1, event.AuditPrevHashMismatch, fmt.Sprintf("prev_hash does not match entry %d", k))
		})

		auditStore(t, db, "edit and rehash the first entry", func(t *testing.T, s *Store) {
			build(t, s)
			rehash(t, s, 1, strings.Repeat("1", 64))
			wantBroken(t, s, 1, event.AuditPrevHashMismatch, "prev_hash is not 64 zeros")
		})

		auditStore(t, db, "delete a middle entry", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `DELETE FROM audit_log WHERE seq = ?`, k)
			wantBroken(t, s, k, event.AuditMissingEntry, fmt.Sprintf("entry %d is missing (seq jumps from %d to %d)", k, k-1, k+1))
		})

		auditStore(t, db, "delete the first entry", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `DELETE FROM audit_log WHERE seq = 1`)
			wantBroken(t, s, 1, event.AuditMissingEntry, "entry 1 is missing (seq jumps from 0 to 2)")
		})

		auditStore(t, db, "delete the last entry", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `DELETE FROM audit_log WHERE seq = ?`, n)
			wantBroken(t, s, n, event.AuditTruncated,
				fmt.Sprintf("entry %d is missing: the log ends at entry %d but its head records entry %d", n, n-1, n))
		})

		auditStore(t, db, "delete the last three entries", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `DELETE FROM audit_log WHERE seq > ?`, n-3)
			wantBroken(t, s, n-2, event.AuditTruncated, "the last entries were deleted")
		})

		auditStore(t, db, "delete every entry", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `DELETE FROM audit_log`)
			wantBroken(t, s, 1, event.AuditTruncated, fmt.Sprintf("the log is empty but its head records %d entries", n))
		})

		auditStore(t, db, "edit the last entry", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `UPDATE audit_log SET details = ? WHERE seq = ?`, `{"x":1}`, n)
			wantBroken(t, s, n, event.AuditHashMismatch, "hash does not match its contents")
		})

		auditStore(t, db, "edit and rehash the last entry", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `UPDATE audit_log SET subject = ? WHERE seq = ?`, "flag:1", n)
			rehash(t, s, n, "")
			wantBroken(t, s, n, event.AuditHeadMismatch, "hash does not match the head")
		})

		auditStore(t, db, "rewrite from a middle entry on, without the head", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `UPDATE audit_log SET actor = ? WHERE seq = ?`, "reviewer-0000", k)
			prev := rehash(t, s, k, "")
			for seq := int64(k + 1); seq <= n; seq++ {
				prev = rehash(t, s, seq, prev)
			}
			wantBroken(t, s, n, event.AuditHeadMismatch, "hash does not match the head")
		})

		// The documented limit: a rewrite of the entries and the head together
		// verifies. Only a head written down beforehand shows it.
		auditStore(t, db, "rewrite from a middle entry on, head included", func(t *testing.T, s *Store) {
			build(t, s)
			anchor, err := s.Audit().Head(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			tamper(t, s, `UPDATE audit_log SET actor = ? WHERE seq = ?`, "reviewer-0000", k)
			prev := rehash(t, s, k, "")
			for seq := int64(k + 1); seq <= n; seq++ {
				prev = rehash(t, s, seq, prev)
			}
			tamper(t, s, `UPDATE audit_head SET hash = ? WHERE id = 1`, prev)
			res := wantIntact(t, s, n)
			if res.Head.Seq != anchor.Seq || res.Head.Hash == anchor.Hash {
				t.Fatalf("head %+v after the rewrite, anchor %+v: the anchor should differ", res.Head, anchor)
			}
		})

		auditStore(t, db, "an entry added without the head", func(t *testing.T, s *Store) {
			es := build(t, s)
			e := auditEntry(0)
			e.Seq, e.At, e.PrevHash = n+1, es[n-1].At, es[n-1].Hash
			e.Details = []byte(`{}`)
			e.Hash = e.ComputeHash()
			tamper(t, s, `INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, encodeTime(e.At), e.Actor, e.Action, e.Subject, string(e.Details), e.PrevHash, e.Hash)
			wantBroken(t, s, n+1, event.AuditBeyondHead, fmt.Sprintf("entry %d comes after the head (entry %d)", n+1, n))
		})

		auditStore(t, db, "head moved back", func(t *testing.T, s *Store) {
			es := build(t, s)
			tamper(t, s, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, n-1, es[n-2].Hash)
			wantBroken(t, s, n, event.AuditBeyondHead, fmt.Sprintf("entry %d comes after the head (entry %d)", n, n-1))
		})

		auditStore(t, db, "head hash edited", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `UPDATE audit_head SET hash = ? WHERE id = 1`, strings.Repeat("e", 64))
			wantBroken(t, s, n, event.AuditHeadMismatch, "hash does not match the head")
		})

		auditStore(t, db, "head seq moved forward", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `UPDATE audit_head SET seq = ? WHERE id = 1`, n+5)
			wantBroken(t, s, n+1, event.AuditTruncated, fmt.Sprintf("its head records entry %d", n+5))
		})

		auditStore(t, db, "head deleted", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `DELETE FROM audit_head`)
			wantBroken(t, s, 0, event.AuditHeadMissing, "the audit head is missing")
			if _, err := s.Audit().Head(context.Background()); err == nil {
				t.Error("Head without a head row: no error")
			}
			if _, err := s.Audit().Append(context.Background(), auditEntry(1)); err == nil || !strings.Contains(err.Error(), "head is missing") {
				t.Errorf("Append without a head row: %v", err)
			}
		})

		// Appending after a break does not mend it.
		auditStore(t, db, "append after a deletion", func(t *testing.T, s *Store) {
			build(t, s)
			tamper(t, s, `DELETE FROM audit_log WHERE seq = ?`, k)
			appendN(t, s, 3)
			wantBroken(t, s, k, event.AuditMissingEntry, "is missing")
		})
	})
}

// TestAuditAppendOnly: the triggers refuse an UPDATE or a DELETE made by
// mistake, and the log is left intact.
func TestAuditAppendOnly(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		appendN(t, s, 3)
		for _, q := range []string{
			`UPDATE audit_log SET actor = 'reviewer-0000' WHERE seq = 2`,
			`DELETE FROM audit_log WHERE seq = 3`,
			`DELETE FROM audit_head`,
		} {
			_, err := s.write.ExecContext(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "audit") {
				t.Errorf("%s: %v, want refused", q, err)
			}
		}
		wantIntact(t, s, 3)
	})
}

// TestAuditCanonicalDetails: details are stored and hashed in canonical
// form, so the order and spacing a caller gives do not change the hash.
func TestAuditCanonicalDetails(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		at := time.Date(2026, 11, 1, 8, 0, 0, 123456789, time.UTC)
		variants := []string{
			`{"to":"confirmed","from":"pending","flags":[3,1,{"z":true,"a":null}],"note":"tab\there <b>&</b> ü \u2028"}`,
			"{ \"note\" : \"tab\\there <b>&</b> \\u00fc \\u2028\",\n \"flags\" : [3, 1, {\"a\": null, \"z\": true}],\n \"from\":\"pending\", \"to\":\"confirmed\" }",
		}
		const canonical = `{"flags":[3,1,{"a":null,"z":true}],"from":"pending","note":"tab\there <b>&</b> ü ` + "\u2028" + `","to":"confirmed"}`
		var hashes []string
		for _, v := range variants {
			s := db.open(t)
			s.now = func() time.Time { return at }
			e, err := s.Audit().Append(context.Background(), event.AuditEntry{
				Actor: "reviewer-7f3a", Action: event.AuditDecision, Subject: "flag:123", Details: json.RawMessage(v),
			})
			if err != nil {
				t.Fatalf("Append(%s): %v", v, err)
			}
			if string(e.Details) != canonical {
				t.Errorf("details stored as\n%s\nwant\n%s", e.Details, canonical)
			}
			if !e.At.Equal(at.Truncate(time.Microsecond)) {
				t.Errorf("at %v, want %v to the microsecond", e.At, at)
			}
			listed, err := s.Audit().List(context.Background(), 0, 1)
			if err != nil || len(listed) != 1 || string(listed[0].Details) != canonical || listed[0].Hash != e.Hash {
				t.Fatalf("List = %+v, %v", listed, err)
			}
			hashes = append(hashes, e.Hash)
		}
		if hashes[0] != hashes[1] {
			t.Errorf("the same details in another key order and spacing hash differently: %s, %s", hashes[0], hashes[1])
		}

		// Another value is another hash.
		s := db.open(t)
		s.now = func() time.Time { return at }
		e, err := s.Audit().Append(context.Background(), event.AuditEntry{
			Actor: "reviewer-7f3a", Action: event.AuditDecision, Subject: "flag:123",
			Details: json.RawMessage(strings.Replace(variants[0], "confirmed", "dismissed", 1)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if e.Hash == hashes[0] {
			t.Error("different details, same hash")
		}

		// NewAuditEntry canonicalises a Go value the same way.
		ne, err := event.NewAuditEntry("reviewer-7f3a", event.AuditDecision, "flag:123", map[string]any{
			"to": "confirmed", "from": "pending", "flags": []any{3, 1, map[string]any{"z": true, "a": nil}},
			"note": "tab\there <b>&</b> ü \u2028",
		})
		if err != nil || string(ne.Details) != canonical {
			t.Errorf("NewAuditEntry details = %s, %v; want %s", ne.Details, err, canonical)
		}
	})
}

func TestAuditCanonicalJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{``, `{}`},
		{` `, `{}`},
		{`{}`, `{}`},
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{`{"a":{"d":[],"c":{}}}`, `{"a":{"c":{},"d":[]}}`},
		{`{"n":1.0,"m":-0,"e":1E+2}`, `{"e":1E+2,"m":-0,"n":1.0}`}, // numbers as written
		{`{"s":"\u0041\/\u001f\u007f"}`, `{"s":"A/\u001f` + "\x7f" + `"}`},
		{`{"s":"\"\\\b\f\n\r\t"}`, `{"s":"\"\\\b\f\n\r\t"}`},
		{`{"é":1,"e":2,"z":3}`, `{"e":2,"z":3,"é":1}`}, // sorted by UTF-8 bytes
		{`{"big":12345678901234567890}`, `{"big":12345678901234567890}`},
	} {
		got, err := event.CanonicalJSON([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("CanonicalJSON(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		if err == nil { // canonical form is a fixed point
			again, err := event.CanonicalJSON(got)
			if err != nil || string(again) != string(got) {
				t.Errorf("CanonicalJSON(%s) = %s, %v; not a fixed point", got, again, err)
			}
		}
	}
	for _, bad := range []string{
		`[1,2]`, `"x"`, `null`, `{"a":1`, `{"a":1}{}`, `{"a":1} x`, `{"a":1,"a":2}`,
		`{"o":{"k":1,"k":1}}`, "{\"a\":\"\xff\"}", `{a:1}`,
		strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40),
	} {
		if got, err := event.CanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("CanonicalJSON(%.40s) = %s, want an error", bad, got)
		}
	}
}

// TestAuditHashEncoding pins the hash's encoding to the values a reader
// computes from the documentation (event/audit.go's Python lines).
func TestAuditHashEncoding(t *testing.T) {
	t.Parallel()
	e := event.AuditEntry{
		Seq: 1, At: time.Date(2026, 11, 1, 8, 0, 0, 123456000, time.UTC), Actor: "reviewer-7f3a",
		Action: event.AuditDecision, Subject: "flag:123", Details: json.RawMessage(`{"from":"pending","to":"confirmed"}`),
		PrevHash: event.AuditGenesisHash,
	}
	if got, want := e.ComputeHash(), "bdf9140130e0e524ee09ae0b8a1e6f2001e26c541aac1fe2f556050e9fe095c0"; got != want {
		t.Errorf("hash = %s, want %s", got, want)
	}
	got := event.AuditHash(2, "2026-11-01T08:00:01.000000000Z", "system", "export", "pack:abc",
		`{"note":"ü \"q\""}`, strings.Repeat("a", 64))
	if want := "0cf74c60a9dbf3f2ee1117ed43beb8b5bed956f84565cf73ac4f39bb3128e5d3"; got != want {
		t.Errorf("hash = %s, want %s", got, want)
	}
	// The lengths keep fields apart: moving a character from one field to
	// the next is another hash.
	a := event.AuditHash(1, "t", "reviewer-1", "decision", "flag:1", `{}`, event.AuditGenesisHash)
	b := event.AuditHash(1, "t", "reviewer-1d", "ecision", "flag:1", `{}`, event.AuditGenesisHash)
	if a == b {
		t.Error("field boundaries are not part of the hash")
	}
}

func TestAuditAppendRefusesBadEntries(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		ok := event.AuditEntry{Actor: "reviewer-7f3a", Action: event.AuditDecision, Subject: "flag:1"}
		for _, tc := range []struct {
			name string
			edit func(e *event.AuditEntry)
		}{
			{"no actor", func(e *event.AuditEntry) { e.Actor = "" }},
			{"a real name as actor", func(e *event.AuditEntry) { e.Actor = "Example Person" }},
			{"uppercase actor", func(e *event.AuditEntry) { e.Actor = "Reviewer-7f3a" }},
			{"a token as actor", func(e *event.AuditEntry) { e.Actor = "vigil_" + strings.Repeat("0f", 32) }},
			{"an email as actor", func(e *event.AuditEntry) { e.Actor = "someone@example.org" }},
			{"actor too long", func(e *event.AuditEntry) { e.Actor = strings.Repeat("reviewer-", 8) }},
			{"no action", func(e *event.AuditEntry) { e.Action = "" }},
			{"action not a token", func(e *event.AuditEntry) { e.Action = "Decision made" }},
			{"subject without kind", func(e *event.AuditEntry) { e.Subject = "123" }},
			{"subject with a space", func(e *event.AuditEntry) { e.Subject = "flag:1 2" }},
			{"subject without id", func(e *event.AuditEntry) { e.Subject = "flag:" }},
			{"details an array", func(e *event.AuditEntry) { e.Details = json.RawMessage(`[1]`) }},
			{"details malformed", func(e *event.AuditEntry) { e.Details = json.RawMessage(`{"a":`) }},
			{"details too large", func(e *event.AuditEntry) {
				e.Details = json.RawMessage(`{"a":"` + strings.Repeat("x", event.MaxAuditDetailsBytes) + `"}`)
			}},
		} {
			e := ok
			tc.edit(&e)
			_, err := s.Audit().Append(ctx, e)
			if event.ErrorCode(err) != event.EINVALID {
				t.Errorf("%s: Append = %v, want EINVALID", tc.name, err)
			}
		}
		// Nothing was written, and no seq was used up.
		wantIntact(t, s, 0)
		for _, actor := range []string{"reviewer-7f3a", "system", "token-12", "bootstrap", "cli", "reviewer-0a1b2c3d"} {
			e := ok
			e.Actor = actor
			if _, err := s.Audit().Append(ctx, e); err != nil {
				t.Errorf("actor %q: %v", actor, err)
			}
		}
		e := ok
		e.Subject = ""
		if got, err := s.Audit().Append(ctx, e); err != nil || string(got.Details) != "{}" {
			t.Errorf("no subject, no details: %+v, %v", got, err)
		}
		wantIntact(t, s, 7)
	})
}

// TestAuditAppendTx: an entry appended inside another write transaction
// commits with it or not at all, and a rolled-back append leaves no gap.
func TestAuditAppendTx(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()

		tx, err := s.beginWrite(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e, err := appendAuditTx(ctx, tx, auditEntry(0))
		if err != nil || e.Seq != 1 {
			t.Fatalf("appendAuditTx = %+v, %v", e, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		wantIntact(t, s, 0)

		// An entry appended before the transaction's own action fails goes
		// with it.
		tx, err = s.beginWrite(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := appendAuditTx(ctx, tx, auditEntry(0)); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.exec(ctx, `INSERT INTO no_such_table (x) VALUES (?)`, 1); err == nil {
			t.Fatal("insert into a missing table: no error")
		}
		tx.Rollback()
		wantIntact(t, s, 0)

		// Two entries in one transaction commit together, 1 and 2.
		tx, err = s.beginWrite(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if _, err := appendAuditTx(ctx, tx, auditEntry(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		res := wantIntact(t, s, 2)
		es, err := s.Audit().List(ctx, 0, 0)
		if err != nil || len(es) != 2 || es[0].Seq != 1 || es[1].PrevHash != es[0].Hash || res.Head.Hash != es[1].Hash {
			t.Fatalf("List = %+v, %v", es, err)
		}
	})
}
