package api_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vigilhq/vigil/api"
)

// startRun runs a Server on a port-0 listener, the way the binary does,
// and returns its base URL, a function that ends it, and a channel that
// is closed when Run returns, after which *runErr holds its result.
func startRun(tb testing.TB, cfg api.Config, store *memStore) (url string, stop context.CancelFunc, done <-chan struct{}, runErr *error) {
	tb.Helper()
	s, err := api.New(cfg, api.Deps{
		Read:     store,
		Tokens:   api.NewStaticTokens(adminToken),
		Gatherer: prometheus.NewRegistry(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	var result error
	go func() {
		defer close(finished)
		result = s.Run(ctx, ln)
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			tb.Error("Run did not return")
		}
	})
	return "http://" + ln.Addr().String(), cancel, finished, &result
}

// getAsync requests url as the admin on its own goroutine; a response
// other than a 200 that openapi.yaml documents is an error.
func getAsync(tb testing.TB, url string) <-chan error {
	doc := loadOpenAPI(tb)
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			errc <- err
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			errc <- err
			return
		}
		if resp.StatusCode != http.StatusOK {
			errc <- errors.New(resp.Status)
			return
		}
		errc <- doc.checkResponse(req.Method, req.URL.Path, resp.StatusCode, resp.Header, body)
	}()
	return errc
}

// waitCalled waits until the store has been called n times.
func waitCalled(tb testing.TB, store *memStore, n int) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, _, calls := store.filters(); calls >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("the request never reached the store")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunServesAndStops(t *testing.T) {
	url, stop, done, runErr := startRun(t, api.Config{}, newMemStore())
	if err := <-getAsync(t, url+"/healthz"); err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	stop()
	select {
	case <-done:
		if *runErr != nil {
			t.Errorf("Run = %v, want nil after the context ended", *runErr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
}

func TestRunLetsRequestsFinish(t *testing.T) {
	store := newMemStore()
	release := make(chan struct{})
	store.edit(func(m *memStore) { m.block = release })
	url, stop, done, runErr := startRun(t, api.Config{ShutdownTimeout: 5 * time.Second}, store)

	req := getAsync(t, url+"/api/v1/accounts")
	waitCalled(t, store, 1)
	stop()
	time.Sleep(50 * time.Millisecond) // let the shutdown begin
	close(release)
	if err := <-req; err != nil {
		t.Errorf("the request running at shutdown failed: %v", err)
	}
	<-done
	if *runErr != nil {
		t.Errorf("Run = %v, want nil", *runErr)
	}
}

func TestRunShutdownIsBounded(t *testing.T) {
	store := newMemStore()
	release := make(chan struct{})
	defer close(release)
	store.edit(func(m *memStore) { m.block = release })
	url, stop, done, runErr := startRun(t, api.Config{ShutdownTimeout: 100 * time.Millisecond}, store)

	req := getAsync(t, url+"/api/v1/accounts")
	waitCalled(t, store, 1)
	start := time.Now()
	stop()
	select {
	case <-done:
		if !errors.Is(*runErr, context.DeadlineExceeded) {
			t.Errorf("Run = %v, want the shutdown deadline", *runErr)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Run took %s to give up on a stuck request", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run waited for a stuck request")
	}
	if err := <-req; err == nil {
		t.Error("the stuck request succeeded; want its connection closed")
	}
}

func TestRunReportsAServeError(t *testing.T) {
	s, err := api.New(api.Config{}, api.Deps{
		Read: newMemStore(), Tokens: api.NewStaticTokens(""), Gatherer: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := s.Run(context.Background(), ln); err == nil {
		t.Error("Run on a closed listener = nil, want an error")
	}
}
