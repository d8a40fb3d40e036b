//go:build !(cgo && linux)

package voice

import "errors"

// Without cgo on Linux there is no ALSA: the board runs, silent, and says so.
type noALSA struct{}

func newALSADevice() device { return noALSA{} }

func (noALSA) open() error {
	return errors.New("табло собрано без поддержки звука (нужны Linux и cgo с libasound2-dev)")
}
func (noALSA) play([]byte) error { return noALSA{}.open() }
