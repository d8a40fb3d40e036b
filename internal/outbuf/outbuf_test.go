package outbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				_, _ = b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 800) {
		t.Fatalf("got %d bytes, want 800", len(got))
	}
}

func TestMaxKeepsTheTail(t *testing.T) {
	b := Buffer{Max: 10}
	for i := range 100 {
		_, _ = b.Write([]byte{byte('0' + i%10)})
	}
	_, _ = b.Write([]byte("abcdefghijklmno"))
	if got := b.String(); got != "fghijklmno" {
		t.Fatalf("got %q, want the last 10 bytes", got)
	}
}
