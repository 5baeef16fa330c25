package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// auditDataDir makes a data directory whose store holds n audit entries
// by pseudonymous reviewers, and returns it with the entries.
func auditDataDir(t *testing.T, n int) (string, []event.AuditEntry) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(dir, "vigil.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var es []event.AuditEntry
	for i := range n {
		e, err := event.NewAuditEntry(fmt.Sprintf("reviewer-%x", 0x7f3a+i%3), event.AuditDecision,
			fmt.Sprintf("flag:%d", i+1), map[string]any{"from": "pending", "to": "confirmed"})
		if err != nil {
			t.Fatal(err)
		}
		if e, err = db.Audit().Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	return dir, es
}

// tamperFile changes the database file directly, as someone with access
// to it would: the triggers that refuse edits by mistake go first.
func tamperFile(t *testing.T, dir, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "vigil.db")) // registered by sqlstore
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete", query} {
		if _, err := db.Exec(q, args...); err != nil && q == query {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	t.Parallel()
	dir, es := auditDataDir(t, 12)
	head := es[len(es)-1]

	code, out, errs := runVigil(t, "audit", "verify", "--data-dir", dir)
	if code != exitOK || out != fmt.Sprintf("audit log intact: 12 entries, head %s\n", head.Hash) {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runVigil(t, "audit", "verify", "--sqlite", filepath.Join(dir, "vigil.db"), "--json")
	var res event.AuditVerifyResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || !res.OK || res.Entries != 12 ||
		res.Head != (event.AuditHead{Seq: 12, Hash: head.Hash}) {
		t.Fatalf("audit verify --json: exit %d, %+v\n%s%s", code, res, out, errs)
	}

	// The head, as text to write down and as JSON.
	code, out, errs = runVigil(t, "audit", "head", "--data-dir", dir)
	anchor := fmt.Sprintf("12:%s", head.Hash)
	if code != exitOK || out != anchor+"\n" {
		t.Fatalf("audit head: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runVigil(t, "audit", "head", "--data-dir", dir, "--json")
	var h event.AuditHead
	if code != exitOK || json.Unmarshal([]byte(out), &h) != nil || h.Seq != 12 || h.Hash != head.Hash {
		t.Fatalf("audit head --json: exit %d, %s", code, out)
	}

	// An anchor kept from earlier is found, the current head and an
	// older one alike.
	for _, a := range []string{anchor, fmt.Sprintf("5:%s", es[4].Hash), "0:" + event.AuditGenesisHash} {
		if code, out, errs = runVigil(t, "audit", "verify", "--data-dir", dir, "--anchor", a); code != exitOK || !strings.Contains(out, "found") {
			t.Fatalf("audit verify --anchor %s: exit %d\n%s%s", a, code, out, errs)
		}
	}
	for _, tc := range []struct{ anchor, want string }{
		{fmt.Sprintf("5:%s", es[5].Hash), "audit log broken at entry 5: hash does not match the anchor"},
		{fmt.Sprintf("13:%s", head.Hash), "audit log broken at entry 13: the anchor is entry 13 but the log ends at entry 12"},
	} {
		code, out, errs = runVigil(t, "audit", "verify", "--data-dir", dir, "--anchor", tc.anchor)
		if code != exitFail || !strings.HasPrefix(out, tc.want) || !strings.Contains(errs, "broken at entry") {
			t.Fatalf("audit verify --anchor %s: exit %d, want 1 and %q\n%s%s", tc.anchor, code, tc.want, out, errs)
		}
	}

	// An entry edited behind the store's back: exit 1, naming it.
	tamperFile(t, dir, `UPDATE audit_log SET actor = 'reviewer-0000' WHERE seq = 7`)
	code, out, errs = runVigil(t, "audit", "verify", "--data-dir", dir)
	if code != exitFail || out != "audit log broken at entry 7: hash does not match its contents\n" ||
		!strings.Contains(errs, "vigil audit: audit log broken at entry 7") {
		t.Fatalf("audit verify after an edit: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runVigil(t, "audit", "verify", "--data-dir", dir, "--json")
	res = event.AuditVerifyResult{}
	if code != exitFail || json.Unmarshal([]byte(out), &res) != nil || res.OK || res.BrokenAt != 7 ||
		res.Problem != event.AuditHashMismatch || res.Entries != 6 {
		t.Fatalf("audit verify --json after an edit: exit %d, %+v\n%s", code, res, out)
	}
}

func TestAuditVerifyCommandDeletions(t *testing.T) {
	t.Parallel()
	dir, _ := auditDataDir(t, 5)
	tamperFile(t, dir, `DELETE FROM audit_log WHERE seq = 5`)
	code, out, errs := runVigil(t, "audit", "verify", "--data-dir", dir)
	if code != exitFail || !strings.HasPrefix(out, "audit log broken at entry 5: entry 5 is missing: the log ends at entry 4") {
		t.Fatalf("audit verify after deleting the last entry: exit %d\n%s%s", code, out, errs)
	}
	tamperFile(t, dir, `DELETE FROM audit_log WHERE seq = 2`)
	code, out, errs = runVigil(t, "audit", "verify", "--data-dir", dir)
	if code != exitFail || out != "audit log broken at entry 2: entry 2 is missing (seq jumps from 1 to 3)\n" {
		t.Fatalf("audit verify after deleting entry 2: exit %d\n%s%s", code, out, errs)
	}
}

func TestAuditCommandEmptyLogAndUsage(t *testing.T) {
	t.Parallel()
	dir, _ := auditDataDir(t, 0)
	code, out, errs := runVigil(t, "audit", "verify", "--data-dir", dir)
	if code != exitOK || out != fmt.Sprintf("audit log intact: 0 entries, head %s\n", event.AuditGenesisHash) {
		t.Fatalf("audit verify of an empty log: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ = runVigil(t, "audit", "head", "--data-dir", dir); code != exitOK || out != "0:"+event.AuditGenesisHash+"\n" {
		t.Fatalf("audit head of an empty log: exit %d\n%s", code, out)
	}

	missing := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"audit"}, exitUsage, "want \"vigil audit verify\""},
		{[]string{"audit", "nope"}, exitUsage, `unknown audit command "nope"`},
		{[]string{"audit", "--help"}, exitOK, "vigil audit head"},
		{[]string{"audit", "verify", "--help"}, exitOK, "Example:"},
		{[]string{"audit", "head", "--help"}, exitOK, "Example:"},
		{[]string{"audit", "verify", "--data-dir", dir, "extra"}, exitUsage, "unexpected arguments"},
		{[]string{"audit", "verify", "--data-dir", dir, "--anchor", "12"}, exitUsage, "want SEQ:HASH"},
		{[]string{"audit", "verify", "--data-dir", dir, "--anchor", "12:abc"}, exitUsage, "64 hex digits"},
		{[]string{"audit", "verify", "--sqlite", "x.db", "--postgres", "postgres://localhost/vigil"}, exitUsage, "not both"},
		{[]string{"audit", "verify", "--data-dir", missing}, exitFail, "no store at"},
		{[]string{"audit", "head", "--data-dir", missing}, exitFail, "no store at"},
	} {
		code, out, errs := runVigil(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("vigil %s: exit %d, want %d and %q\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errs)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a command on a missing store made %s (%v)", missing, err)
	}
}
