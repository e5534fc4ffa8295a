package runtime

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// Values resolved by config providers are secrets as far as the worker
// knows: they are scrubbed from every log line that passes through a
// RedactingHandler and from status traces. The set is process-wide since
// a secret is a secret whichever connector resolved it.
var secrets struct {
	mu       sync.Mutex
	values   map[string]bool
	replacer atomic.Pointer[strings.Replacer]
}

// minSecretLen keeps short values (a port, "true") from being scrubbed
// out of every log line; a real secret is longer.
const minSecretLen = 4

const hidden = "[hidden]"

func registerSecret(v string) {
	if len(v) < minSecretLen {
		return
	}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	if secrets.values == nil {
		secrets.values = map[string]bool{}
	}
	if secrets.values[v] {
		return
	}
	secrets.values[v] = true
	pairs := make([]string, 0, 2*len(secrets.values))
	for s := range secrets.values {
		pairs = append(pairs, s, hidden)
	}
	secrets.replacer.Store(strings.NewReplacer(pairs...))
}

// Redact replaces every secret resolved by a config provider in s.
func Redact(s string) string {
	if r := secrets.replacer.Load(); r != nil {
		return r.Replace(s)
	}
	return s
}

// RedactingHandler wraps a slog handler so that no value resolved by a
// config provider reaches it, in the message or in any attribute.
func RedactingHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(redactingHandler); ok {
		return h
	}
	return redactingHandler{h}
}

type redactingHandler struct{ h slog.Handler }

func (r redactingHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	if secrets.replacer.Load() == nil {
		return r.h.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactingHandler{r.h.WithAttrs(red)}
}

func (r redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{r.h.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, x := range g {
			out[i] = redactAttr(x)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		// Errors, maps, structs: rendered once, then scrubbed.
		if secrets.replacer.Load() != nil {
			return slog.String(a.Key, Redact(v.String()))
		}
	}
	return a
}
