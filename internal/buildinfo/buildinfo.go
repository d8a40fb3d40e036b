// Package buildinfo says which build of Talon a program is, for --version
// and the logs: the release a package build stamps in with
//
//	go build -ldflags "-X github.com/talonqueue/talon/internal/buildinfo.release=1.2.0"
//
// (the Makefile stamps `git describe`), else the commit Go recorded from the
// checkout it was built in.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// release is set at link time; empty in a plain `go build` or `go run`.
var release string

// Version is one line: the release or "dev", the commit and its time when
// Go recorded them (with "+changes" for a checkout that had uncommitted
// changes), and the Go version.
func Version() string {
	v := release
	if v == "" {
		v = "dev"
	}
	var rev, at, dirty string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+changes"
				}
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += fmt.Sprintf(" (commit %s%s", rev, dirty)
		if at != "" {
			v += ", " + at
		}
		v += ")"
	}
	return v + " " + runtime.Version()
}

// Line is what `NAME --version` prints.
func Line(name string) string { return name + " " + Version() }
