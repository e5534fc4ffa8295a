package rest

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LoggerKey is the slog attribute that names a logger, e.g.
// slog.With("logger", "sluice.runtime.worker"). Names are hierarchical on
// dots, like log4j's: a level set on "sluice.runtime" applies to
// "sluice.runtime.worker" unless that has its own.
const LoggerKey = "logger"

// RootLogger is the name of the logger every other inherits from.
const RootLogger = "root"

// log4j level names and their slog equivalents. TRACE and FATAL sit one
// slog step (4) beyond DEBUG and ERROR; OFF and ALL are the extremes.
var levelByName = map[string]slog.Level{
	"ALL":   slog.Level(math.MinInt32),
	"TRACE": slog.LevelDebug - 4,
	"DEBUG": slog.LevelDebug,
	"INFO":  slog.LevelInfo,
	"WARN":  slog.LevelWarn,
	"ERROR": slog.LevelError,
	"FATAL": slog.LevelError + 4,
	"OFF":   slog.Level(math.MaxInt32),
}

// ParseLevel parses a log4j level name in any case.
func ParseLevel(s string) (slog.Level, bool) {
	l, ok := levelByName[strings.ToUpper(strings.TrimSpace(s))]
	return l, ok
}

// LevelName returns the log4j name of a slog level (the nearest one at or
// below it, so custom slog levels still get a name).
func LevelName(l slog.Level) string {
	best, bestLevel := "ALL", slog.Level(math.MinInt32)
	for n, v := range levelByName {
		if v <= l && v >= bestLevel {
			best, bestLevel = n, v
		}
	}
	return best
}

type levelEntry struct {
	level    slog.Level
	modified *int64
}

// Loggers holds the runtime-adjustable levels behind /admin/loggers and
// applies them to slog output through Handler.
type Loggers struct {
	mu       sync.RWMutex
	root     levelEntry
	explicit map[string]levelEntry
	known    map[string]struct{}
	// gen changes whenever a level does, so handlers can cache their level.
	gen atomic.Uint64
	now func() time.Time
}

// NewLoggers returns a set of loggers whose root level is root.
func NewLoggers(root slog.Level) *Loggers {
	return &Loggers{root: levelEntry{level: root}, explicit: map[string]levelEntry{}, known: map[string]struct{}{}, now: time.Now}
}

func isRoot(name string) bool { return name == "" || strings.EqualFold(name, RootLogger) }

// effective walks name's dotted ancestors to the nearest explicit level.
// Callers hold l.mu.
func (l *Loggers) effective(name string) slog.Level {
	for n := name; n != ""; {
		if e, ok := l.explicit[n]; ok {
			return e.level
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return l.root.level
}

// Effective returns the level in force for a logger name.
func (l *Loggers) Effective(name string) slog.Level {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if isRoot(name) {
		return l.root.level
	}
	return l.effective(name)
}

// minLevel is the lowest level any logger has, which is what a handler that
// does not know its logger's name yet must let through.
func (l *Loggers) minLevel() slog.Level {
	l.mu.RLock()
	defer l.mu.RUnlock()
	m := l.root.level
	for _, e := range l.explicit {
		if e.level < m {
			m = e.level
		}
	}
	return m
}

func (l *Loggers) register(name string) {
	if name == "" {
		return
	}
	l.mu.RLock()
	_, ok := l.known[name]
	l.mu.RUnlock()
	if !ok {
		l.mu.Lock()
		l.known[name] = struct{}{}
		l.mu.Unlock()
	}
}

// SetLevel sets namespace and every known logger whose name starts with it to
// level, as Kafka Connect's worker-scope PUT does, and returns the affected
// names sorted. "root" (or "") sets the root and every known logger.
func (l *Loggers) SetLevel(namespace, level string) ([]string, error) {
	lv, ok := ParseLevel(level)
	if !ok {
		return nil, fmt.Errorf("invalid log level '%s'", level)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := l.now().UnixMilli()
	entry := levelEntry{level: lv, modified: &ms}
	set := map[string]struct{}{}
	if isRoot(namespace) {
		l.root = entry
		for n := range l.known {
			set[n] = struct{}{}
		}
		for n := range l.explicit {
			set[n] = struct{}{}
		}
	} else {
		set[namespace] = struct{}{}
		l.known[namespace] = struct{}{}
		for n := range l.known {
			if strings.HasPrefix(n, namespace) {
				set[n] = struct{}{}
			}
		}
		for n := range l.explicit {
			if strings.HasPrefix(n, namespace) {
				set[n] = struct{}{}
			}
		}
	}
	out := make([]string, 0, len(set)+1)
	for n := range set {
		l.explicit[n] = entry
		out = append(out, n)
	}
	sort.Strings(out)
	if isRoot(namespace) {
		out = append(out, RootLogger)
	}
	l.gen.Add(1)
	return out, nil
}

func (e levelEntry) info() LoggerLevel {
	return LoggerLevel{Level: LevelName(e.level), LastModified: e.modified}
}

// Level answers GET /admin/loggers/{name}: an explicitly set logger, the root,
// or a logger this worker has logged through (with its inherited level).
func (l *Loggers) Level(name string) (LoggerLevel, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if isRoot(name) {
		return l.root.info(), true
	}
	if e, ok := l.explicit[name]; ok {
		return e.info(), true
	}
	if _, ok := l.known[name]; ok {
		return LoggerLevel{Level: LevelName(l.effective(name))}, true
	}
	return LoggerLevel{}, false
}

// All answers GET /admin/loggers: the explicitly set loggers plus root.
func (l *Loggers) All() map[string]LoggerLevel {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make(map[string]LoggerLevel, len(l.explicit)+1)
	for n, e := range l.explicit {
		out[n] = e.info()
	}
	out[RootLogger] = l.root.info()
	return out
}

// Handler wraps next so that records below their logger's level are dropped.
// The logger name comes from a LoggerKey attribute given to With (the usual
// way) or on the record itself. next should accept every level (e.g. a
// slog.HandlerOptions{Level: slog.Level(math.MinInt32)}), since the levels
// are decided here.
func (l *Loggers) Handler(next slog.Handler) slog.Handler {
	return &levelHandler{l: l, next: next}
}

type cachedLevel struct {
	gen   uint64
	level slog.Level
}

type levelHandler struct {
	l       *Loggers
	next    slog.Handler
	name    string
	inGroup bool
	cache   atomic.Pointer[cachedLevel]
}

func (h *levelHandler) level() slog.Level {
	gen := h.l.gen.Load()
	if c := h.cache.Load(); c != nil && c.gen == gen {
		return c.level
	}
	var lv slog.Level
	if h.name == "" {
		lv = h.l.minLevel()
	} else {
		lv = h.l.Effective(h.name)
	}
	h.cache.Store(&cachedLevel{gen: gen, level: lv})
	return lv
}

func (h *levelHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= h.level() && h.next.Enabled(ctx, lv)
}

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error {
	name := h.name
	if name == "" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == LoggerKey && a.Value.Kind() == slog.KindString {
				name = a.Value.String()
				return false
			}
			return true
		})
		if name != "" {
			h.l.register(name)
			if r.Level < h.l.Effective(name) {
				return nil
			}
		} else if r.Level < h.l.Effective(RootLogger) {
			return nil
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	nh := &levelHandler{l: h.l, next: h.next.WithAttrs(attrs), name: h.name, inGroup: h.inGroup}
	if !h.inGroup {
		for _, a := range attrs {
			if a.Key == LoggerKey && a.Value.Kind() == slog.KindString {
				nh.name = a.Value.String()
			}
		}
	}
	h.l.register(nh.name)
	return nh
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &levelHandler{l: h.l, next: h.next.WithGroup(name), name: h.name, inGroup: true}
}
