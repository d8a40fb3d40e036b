//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"errors"
	"os"
	"syscall"
)

// errLocked means another process holds the file's lock.
var errLocked = errors.New("file is locked")

// lockFile takes the same exclusive flock bbolt takes on these systems, so it
// conflicts with a running server and not with a stopped one.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}
