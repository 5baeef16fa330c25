package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/vigilhq/vigil/api/evidence"
	"github.com/vigilhq/vigil/event"
)

// Evidence packs: GET /api/v1/accounts/{platform}/{id}/evidence-pack and
// GET /api/v1/cases/{id}/evidence-pack (advocate) write a signed pack
// (api/evidence) of what the store gathers, record it (with its audit
// entry, as the caller's pseudonym) and send it; GET /api/v1/packs/{id}
// (viewer) reads a recorded pack; GET /api/v1/keys (public) lists the
// signing keys, retired ones too, so that anyone holding a pack can check
// who signed it.

// PackSettings is how the api writes packs.
type PackSettings struct {
	// Signer signs every pack; nil answers the export routes 503 (no
	// signing key: `vigil keys generate`).
	Signer *evidence.Signer
	// Keys are the public keys /api/v1/keys lists: the active one and
	// those rotated out, which still verify the packs they signed.
	Keys []evidence.KeyInfo
	// Notifier is who the DSA notice names as sending it: the
	// organisation, never a reviewer.
	Notifier evidence.Notifier
	// Profile is the platform profile used when a request names none;
	// "" picks the profile of the posts' platform.
	Profile string
	// Labels maps category ids to their lexicon labels.
	Labels map[string]string
	// TSA, when set, timestamps every pack's manifest (RFC 3161).
	TSA *evidence.TSAClient
	// Commit is the Vigil commit written in each manifest (the version
	// is Deps.Version).
	Commit string
	// TempDir holds a pack while it is written, before it is sent; ""
	// is the system's.
	TempDir string
}

// packMetrics count the packs exported.
type packMetrics struct {
	exported *prometheus.CounterVec
	duration prometheus.Histogram
	posts    prometheus.Histogram
}

func newPackMetrics(reg prometheus.Registerer) *packMetrics {
	f := promauto.With(reg)
	m := &packMetrics{
		exported: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "api", Name: "packs_exported_total",
			Help: "Evidence packs exported, by platform profile and kind of subject (account or case).",
		}, []string{"profile", "subject"}),
		duration: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: "vigil", Subsystem: "api", Name: "pack_export_duration_seconds",
			Help:    "Time to gather, write, sign and record an evidence pack, before it is sent.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
		}),
		posts: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: "vigil", Subsystem: "api", Name: "pack_posts",
			Help:    "Posts per exported evidence pack.",
			Buckets: []float64{1, 10, 100, 1000, 10000, 50000},
		}),
	}
	// Every profile and kind of subject starts at 0, so that the series
	// exist (for dashboards) before the first export.
	for _, p := range evidence.Profiles() {
		for _, kind := range []string{"account", "case"} {
			m.exported.WithLabelValues(p.ID, kind)
		}
	}
	return m
}

func (s *Server) evidenceStore() (event.EvidenceService, error) {
	switch {
	case s.evidence == nil:
		return nil, event.Errorf(event.EUNAVAILABLE, "this server exports no evidence (no store configured for it)")
	case s.packs.Signer == nil:
		return nil, event.Errorf(event.EUNAVAILABLE, "this server has no signing key: run `vigil keys generate` (or set VIGIL_SIGNING_KEY) and restart it")
	}
	return s.evidence, nil
}

// handleAccountPack serves GET /api/v1/accounts/{platform}/{id}/evidence-pack.
func (s *Server) handleAccountPack(w http.ResponseWriter, r *http.Request) {
	ref := event.AccountRef{Platform: r.PathValue("platform"), ID: r.PathValue("id")}
	s.servePack(w, r, event.EvidenceRequest{Account: &ref}, "account")
}

// handleCasePack serves GET /api/v1/cases/{id}/evidence-pack.
func (s *Server) handleCasePack(w http.ResponseWriter, r *http.Request) {
	id, err := caseID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.servePack(w, r, event.EvidenceRequest{CaseID: id}, "case")
}

// servePack reads an export's query (profile, status, limit) and sends
// the pack of req (writePack).
func (s *Server) servePack(w http.ResponseWriter, r *http.Request, req event.EvidenceRequest, kind string) {
	if _, err := s.evidenceStore(); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := parseQuery(r, "profile", "status", "limit")
	profile := q.string("profile")
	if profile == "" {
		profile = s.packs.Profile
	}
	if profile != "" {
		if _, err := evidence.Profile(profile); err != nil {
			q.fail("profile: %v", err)
		}
	}
	for _, st := range r.URL.Query()["status"] {
		for v := range strings.SplitSeq(st, ",") {
			if !slices.Contains(event.FlagStatuses, v) {
				q.fail("status %q: want one of %s", v, strings.Join(event.FlagStatuses, ", "))
			}
			req.Statuses = append(req.Statuses, v)
		}
	}
	req.Limit = q.int("limit", 1, event.MaxEvidencePosts)
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	if err := s.writePack(w, r, req, kind, profile); err != nil {
		s.writeError(w, r, err)
	}
}

// writePack gathers req, writes the pack (profile "" picks the posts'
// platform's) to a temporary file, records it as the caller's pseudonym
// and sends it. Nothing is sent before the pack is recorded: a pack that
// reaches a platform is always in the store and the audit log. It returns
// an error only when nothing was written yet, for the caller to answer in
// its own form (JSON for the API, a page for the console); a failure while
// sending is logged. The JSON route and the console both export through it.
func (s *Server) writePack(w http.ResponseWriter, r *http.Request, req event.EvidenceRequest, kind, profile string) error {
	store, err := s.evidenceStore()
	if err != nil {
		return err
	}
	start := time.Now()
	ctx := r.Context()
	set, err := store.Evidence(ctx, req)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.packs.TempDir, "vigil-pack-*.zip")
	if err != nil {
		return fmt.Errorf("evidence pack: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	m, err := evidence.Write(ctx, f, set, evidence.Options{
		Profile:  profile,
		Signer:   s.packs.Signer,
		Version:  s.version,
		Commit:   s.packs.Commit,
		Notifier: s.packs.Notifier,
		Labels:   s.packs.Labels,
		TSA:      s.packs.TSA,
	})
	if err != nil {
		return fmt.Errorf("evidence pack of %s: %w", set.Subject, err)
	}
	rec := event.PackRecord{ID: m.PackID, Subject: m.Subject, Profile: m.Profile, CreatedAt: m.CreatedAt,
		CreatedBy: actor(r), KeyID: m.Signer.KeyID, ManifestSHA256: m.SHA256, Posts: m.Counts.Posts}
	// Recorded even if the caller has gone: the pack was made.
	if err := store.RecordPack(context.WithoutCancel(ctx), rec); err != nil {
		return fmt.Errorf("record evidence pack %s: %w", m.PackID, err)
	}
	s.packMetrics.exported.WithLabelValues(m.Profile, kind).Inc()
	s.packMetrics.duration.Observe(time.Since(start).Seconds())
	s.packMetrics.posts.Observe(float64(m.Counts.Posts))

	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("evidence pack %s: %w", m.PackID, err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Content-Disposition", `attachment; filename="`+packFileName(m)+`"`)
	h.Set("X-Vigil-Pack-Id", m.PackID)
	h.Set("X-Vigil-Manifest-Sha256", m.SHA256)
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		// The client went away or the connection broke: nothing more
		// can be told to it. The pack stays recorded.
		s.log.WarnContext(ctx, "evidence pack not sent whole", "pack", m.PackID, "err", err)
	}
	return nil
}

// packFileName is the pack's download name: vigil-pack-SUBJECT-ID.zip,
// with the subject reduced to letters, digits, '-' and '_'.
func packFileName(m *evidence.Manifest) string {
	subject := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, m.Subject)
	if len(subject) > 80 {
		subject = subject[:80]
	}
	return "vigil-pack-" + subject + "-" + m.PackID + ".zip"
}

// handlePack serves GET /api/v1/packs/{id}.
func (s *Server) handlePack(w http.ResponseWriter, r *http.Request) {
	if s.evidence == nil {
		s.writeError(w, r, event.Errorf(event.EUNAVAILABLE, "this server keeps no packs (no store configured for it)"))
		return
	}
	if q := parseQuery(r); q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	rec, err := s.evidence.Pack(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, rec)
}

type keysResponse struct {
	Keys []evidence.KeyInfo `json:"keys"`
}

// handleKeys serves GET /api/v1/keys, without a token: public keys are
// for anyone who holds a pack.
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	if q := parseQuery(r); q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	keys := s.packs.Keys
	if keys == nil {
		keys = []evidence.KeyInfo{}
	}
	s.writeJSON(w, r, http.StatusOK, keysResponse{Keys: keys})
}
