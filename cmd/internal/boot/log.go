package boot

import (
	"context"
	"io"
	"log/slog"
	"os"
)

// NewLogger returns the JSON logger all three runners (stdio, HTTP and
// Cloud Run, Lambda) write with, to w (stderr when nil; stdout is
// JSON-RPC's on stdio). One line shape serves every platform:
//
//	{"timestamp":"2026-11-25T05:35:49.123Z","level":"INFO","message":"...","severity":"INFO",...}
//
// level (DEBUG, INFO, WARN, ERROR) and an RFC 3339 timestamp are what
// Lambda's JSON log format and its application log-level filter read;
// severity (DEBUG, INFO, WARNING, ERROR) and message are what Google Cloud
// Logging reads (Cloud Run stamps each line with the time it read it).
//
// The MCP SDK's session lifecycle lines ("server session connected", ...)
// are demoted to DEBUG, with their empty session_id dropped: over stdio
// there is one session with no id, and a stdio server stopped with Ctrl-C
// is not an error.
func NewLogger(w io.Writer, debug bool) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	json := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: renameKeys})
	return slog.New(lineHandler{json})
}

// renameKeys turns slog's top-level time and msg into timestamp and message.
func renameKeys(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		a.Key = "timestamp"
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}

// sdkLifecycle are the go-sdk's per-session log messages: noise at INFO for
// a stdio server, useful when debugging a client.
var sdkLifecycle = map[string]bool{
	"server run start":            true,
	"server connecting":           true,
	"server session connected":    true,
	"session initialized":         true,
	"client log level set":        true,
	"server session disconnected": true,
	"server session ended":        true,
	"server run cancelled":        true, // Ctrl-C or SIGTERM: context canceled
}

// lineHandler adds severity to every line and demotes the SDK's lifecycle
// lines (see NewLogger).
type lineHandler struct{ inner slog.Handler }

func (h lineHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h lineHandler) Handle(ctx context.Context, r slog.Record) error {
	level := r.Level
	lifecycle := sdkLifecycle[r.Message]
	if lifecycle {
		level = slog.LevelDebug
		if !h.inner.Enabled(ctx, level) {
			return nil
		}
	}
	out := slog.NewRecord(r.Time, level, r.Message, r.PC)
	out.AddAttrs(slog.String("severity", severity(level)))
	r.Attrs(func(a slog.Attr) bool {
		if !(lifecycle && a.Key == "session_id" && a.Value.String() == "") {
			out.AddAttrs(a)
		}
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return lineHandler{h.inner.WithAttrs(as)}
}

func (h lineHandler) WithGroup(name string) slog.Handler {
	return lineHandler{h.inner.WithGroup(name)}
}

// severity maps a slog level to a Cloud Logging LogSeverity name.
func severity(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	case l < slog.LevelError+4:
		return "ERROR"
	}
	return "CRITICAL"
}
