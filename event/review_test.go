package event

import (
	"strings"
	"testing"
	"time"
)

func TestDecisionRequestValidate(t *testing.T) {
	ok := DecisionRequest{FlagID: 1, Decision: DecisionEscalate, Note: "synthetic", Translation: "ဘာသာပြန်", Reviewer: "reviewer-1a2b3c4d"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid request: %v", err)
	}
	for _, bad := range []DecisionRequest{
		{FlagID: 0, Decision: DecisionConfirm, Reviewer: "r"},
		{FlagID: 1, Decision: "approve", Reviewer: "r"},
		{FlagID: 1, Decision: DecisionConfirm},
		{FlagID: 1, Decision: DecisionConfirm, Reviewer: "r", Note: strings.Repeat("n", MaxDecisionNoteBytes+1)},
		{FlagID: 1, Decision: DecisionConfirm, Reviewer: "r", Translation: strings.Repeat("t", MaxDecisionTranslationBytes+1)},
		{FlagID: 1, Decision: DecisionConfirm, Reviewer: "r", Note: "\xff"},
		{FlagID: 1, Decision: DecisionConfirm, Reviewer: "r", Translation: "a\x00"},
	} {
		if err := bad.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%+v: %v, want an EINVALID error", bad, err)
		}
	}
	for d, want := range map[string]string{DecisionConfirm: StatusConfirmed, DecisionDismiss: StatusDismissed,
		DecisionEscalate: StatusEscalated, "maybe": ""} {
		if got := DecisionStatus(d); got != want {
			t.Errorf("DecisionStatus(%q) = %q, want %q", d, got, want)
		}
	}
}

func TestQueueFilterValidate(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, ok := range []QueueFilter{{}, {Status: StatusPending}, {Status: StatusEscalated, MinScore: 2, Since: t0, Until: t0.Add(time.Hour)}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, bad := range []QueueFilter{{Status: StatusClaimed}, {Status: StatusConfirmed}, {MinScore: -1}, {Since: t0, Until: t0}} {
		if err := bad.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%+v: %v, want an EINVALID error", bad, err)
		}
	}
	for _, s := range append([]string{""}, Sorts...) {
		if !ValidSort(s) {
			t.Errorf("ValidSort(%q) = false", s)
		}
	}
	if ValidSort("random") {
		t.Error("ValidSort(random) = true")
	}
}
