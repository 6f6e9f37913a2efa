package main

import (
	"context"
	"log/slog"
	"slices"
)

// lazyAttrs is the slog handler FerretDB logs through. FerretDB calls
// logger.With(args...) before every SQL statement, to log it at debug
// level; slog's built-in handlers format those attributes (whole documents,
// quoted) inside With, whether or not debug is enabled. That was 17 % of
// FerretDB's CPU under the pipeline benchmark. This handler only keeps the
// attributes and formats them when a record is actually written.
type lazyAttrs struct {
	inner slog.Handler
	attrs []slog.Attr
}

func newLazyLogger(inner slog.Handler) *slog.Logger {
	return slog.New(&lazyAttrs{inner: inner})
}

func (h *lazyAttrs) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *lazyAttrs) Handle(ctx context.Context, r slog.Record) error {
	if len(h.attrs) == 0 {
		return h.inner.Handle(ctx, r)
	}
	return h.inner.WithAttrs(h.attrs).Handle(ctx, r)
}

func (h *lazyAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lazyAttrs{inner: h.inner, attrs: append(slices.Clip(h.attrs), attrs...)}
}

// WithGroup applies the kept attributes first: they belong outside the group.
func (h *lazyAttrs) WithGroup(name string) slog.Handler {
	inner := h.inner
	if len(h.attrs) > 0 {
		inner = inner.WithAttrs(h.attrs)
	}
	return &lazyAttrs{inner: inner.WithGroup(name)}
}
