// Package outbuf holds Buffer, a bytes.Buffer that goroutines may write to
// while another reads it: tests use it to watch the output of a program or
// logger that runs beside them.
package outbuf

import (
	"bytes"
	"sync"
)

// Buffer is safe for concurrent Write and String.
type Buffer struct {
	// Max, when above zero, keeps only the last Max bytes written: a
	// server's log kept for a failure report must not grow with a
	// benchmark's day of requests, in the process that measures memory.
	Max int

	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	if over := b.buf.Len() - b.Max; b.Max > 0 && over > 0 {
		b.buf.Next(over)
	}
	return n, err
}

// String returns what was written so far (its last Max bytes, with Max).
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
