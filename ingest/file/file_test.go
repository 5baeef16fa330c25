package file

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigilhq/vigil/ingest"
)

const line1 = `{"platform":"x","id":"1","author":{"id":"a"},"text":"one"}`
const line2 = `{"platform":"x","id":"2","author":{"id":"a"},"text":"two"}`

// drain runs the source and returns the ids read, acknowledging each item.
func drain(t *testing.T, s *Source, ctx context.Context) []string {
	t.Helper()
	out := make(chan ingest.Item)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out); close(out) }()
	var ids []string
	for it := range out {
		if it.Err != nil {
			t.Fatalf("%s: %v", it.Origin, it.Err)
		}
		ids = append(ids, it.Post.ID)
		it.Ack()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestEmbeddedFSAndLineEndings(t *testing.T) {
	fsys := fstest.MapFS{"posts.jsonl": {Data: []byte(line1 + "\r\n\n   \n" + line2)}}
	s, err := New(Config{Name: "t", Path: "posts.jsonl", FS: fsys}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, s, context.Background()); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("read %v, want [1 2]", got)
	}
}

func TestFollowWaitsForWholeLinesAndResumes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.jsonl")
	// The second line is still being written: no newline yet.
	if err := os.WriteFile(path, []byte(line1+"\n"+line2[:20]), 0o600); err != nil {
		t.Fatal(err)
	}
	cursors, err := ingest.OpenFileCursors(filepath.Join(dir, "c.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Name: "t", Path: path, Follow: true, Poll: 10 * time.Millisecond}, cursors)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(line2[20:] + "\n")
		f.Close()
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	if got := drain(t, s, ctx); len(got) != 2 || got[1] != "2" {
		t.Fatalf("read %v, want [1 2]", got)
	}
	if err := s.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Restarted, it resumes after the last acknowledged line.
	s2, _ := New(Config{Name: "t", Path: path}, cursors)
	if got := drain(t, s2, context.Background()); len(got) != 0 {
		t.Fatalf("after a resume read %v again", got)
	}
}
