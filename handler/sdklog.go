package handler

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
)

// quietSDK drops the go-sdk's log records below Warn and passes every
// other. On stateless HTTP the go-sdk logs each session's start and end at
// Info, three lines per request; pve-mcp's own Info lines (a wait stopped
// because the client went away) must stay. A record tells where it was
// logged from (its PC), which is how the two are told apart.
type quietSDK struct{ slog.Handler }

const sdkPackage = "github.com/modelcontextprotocol/go-sdk/"

func (q quietSDK) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn && loggedFrom(r.PC, sdkPackage) {
		return nil
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietSDK) WithAttrs(as []slog.Attr) slog.Handler {
	return quietSDK{q.Handler.WithAttrs(as)}
}

func (q quietSDK) WithGroup(name string) slog.Handler {
	return quietSDK{q.Handler.WithGroup(name)}
}

// loggedFrom reports whether the function at pc is in a package under
// prefix (false when the record has no PC).
func loggedFrom(pc uintptr, prefix string) bool {
	if pc == 0 {
		return false
	}
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return strings.HasPrefix(f.Function, prefix)
}
