package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLazyAttrsWritesAttributesOnlyWhenEnabled(t *testing.T) {
	var out bytes.Buffer
	l := newLazyLogger(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))

	l.With("args", "skipped").Debug("debug line")
	if out.Len() != 0 {
		t.Fatalf("debug record written: %q", out.String())
	}

	l.With("conn", 7).WithGroup("g").With("k", "v").Info("hello", "n", 1)
	got := out.String()
	for _, want := range []string{"msg=hello", "conn=7", "g.k=v", "g.n=1"} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in %q", want, got)
		}
	}
}
