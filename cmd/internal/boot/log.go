package boot

import (
	"io"
	"log/slog"
	"os"
)

// LogFormat is the shape of the JSON log lines, chosen for where they end up.
type LogFormat string

const (
	// FormatPlain is slog's JSON: time, level, msg.
	FormatPlain LogFormat = ""
	// FormatCloudLogging is Google Cloud Logging's structured JSON (Cloud
	// Run): severity (DEBUG, INFO, WARNING, ERROR), message, time.
	FormatCloudLogging LogFormat = "cloud-logging"
	// FormatLambda is AWS Lambda's JSON log format: timestamp, level,
	// message. Lambda's application log level filter reads level.
	FormatLambda LogFormat = "lambda"
)

// Logger writes JSON lines to stderr (stdout is JSON-RPC's on stdio).
func Logger(debug bool) *slog.Logger {
	return NewLogger(nil, FormatPlain, debug)
}

// NewLogger returns a JSON logger writing to w (stderr when nil) in format.
func NewLogger(w io.Writer, format LogFormat, debug bool) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case FormatCloudLogging:
		opts.ReplaceAttr = cloudLoggingAttr
	case FormatLambda:
		opts.ReplaceAttr = lambdaAttr
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// cloudLoggingAttr renames slog's top-level keys to the ones Cloud Logging
// reads: https://cloud.google.com/logging/docs/structured-logging
func cloudLoggingAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		return slog.String("severity", severity(a.Value.Any().(slog.Level)))
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
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

// lambdaAttr renames slog's keys to Lambda's JSON log fields; slog's level
// names (DEBUG, INFO, WARN, ERROR) are Lambda's.
func lambdaAttr(groups []string, a slog.Attr) slog.Attr {
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
