//go:build !linux

package store

import "os"

// datasync flushes f; only Linux has fdatasync in package syscall.
func datasync(f *os.File) error { return f.Sync() }
