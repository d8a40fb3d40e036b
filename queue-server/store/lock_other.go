//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"errors"
	"os"
)

// errLocked means another process holds the file's lock.
var errLocked = errors.New("file is locked")

// lockFile has no portable way here to take the lock bbolt takes, and
// restoring under a running server would lose its commits, so restore is
// refused on these systems.
func lockFile(*os.File) error {
	return errors.New("restore is supported on Linux and the BSDs only")
}
