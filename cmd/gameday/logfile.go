package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
	"k8s.io/klog/v2"

	"github.com/gamedaylab/gameday/config"
)

// openLog is the operational log at config.DefaultLogPath(): JSON lines through slog, rotated by
// lumberjack at 10 MB with 3 old files kept. level off (or a replay) gives none.
func openLog(level string) (*slog.Logger, io.Closer, error) {
	var l slog.Level
	switch strings.ToLower(level) {
	case "off":
		return nil, nil, nil
	case "debug":
		l = slog.LevelDebug
	case "info", "":
		l = slog.LevelInfo
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return nil, nil, usageError{fmt.Errorf("--log-level %q: want debug, info, warn, error or off", level)}
	}
	path := config.DefaultLogPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("log %s: %w", path, err)
	}
	w := &lumberjack.Logger{Filename: path, MaxSize: 10, MaxBackups: 3}
	lg := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
	// client-go's own messages (throttling, deprecation warnings, a read cut by a closing session)
	// go to the log too, not over the cockpit's screen or into a command's output.
	klog.SetSlogLogger(lg.With("from", "client-go"))
	return lg, w, nil
}
