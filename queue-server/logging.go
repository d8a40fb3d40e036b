package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// newLogger is the server's log on w: text lines (key=value) for a person
// at a terminal, or one JSON object a line for journald, Loki or ELK, which
// then need no parsing rules of their own.
func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: укажите debug, info, warn или error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: укажите text или json", format)
}
