//go:build cgo && linux

package voice

/*
#cgo pkg-config: alsa
#include <alsa/asoundlib.h>

// alsa-lib prints its own errors on stderr, several lines at each try of a
// missing card; the board says what is wrong in one sentence instead.
static void talon_alsa_silent(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
static void talon_alsa_quiet(void) { snd_lib_error_set_handler(talon_alsa_silent); }
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/ebitengine/oto/v3"
)

// alsaDevice plays through oto on the ALSA default device.
//
// oto allows one context per process, and a context whose device failed
// stays failed. So before the context is made, the device is probed with a
// bare snd_pcm_open (the same library oto uses): a board that starts with
// no speaker or a busy one keeps retrying the probe and makes its context
// once the device answers. A device lost after that cannot be reopened
// within the process; the state says a restart brings the sound back.
type alsaDevice struct{}

func newALSADevice() device { return alsaDevice{} }

// The process's one oto context, made on the first successful open.
var otoContext struct {
	sync.Mutex
	ctx *oto.Context
	err error
}

// pollEvery is how often play checks whether oto has played everything:
// oto offers no completion signal, and its own examples poll.
const pollEvery = 5 * time.Millisecond

func (alsaDevice) open() error {
	otoContext.Lock()
	defer otoContext.Unlock()
	if otoContext.ctx != nil || otoContext.err != nil {
		return otoContext.err
	}
	if err := probe("default"); err != nil {
		return err
	}
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate:   sampleRate,
		ChannelCount: 1,
		Format:       oto.FormatSignedInt16LE,
	})
	if err == nil {
		<-ready
		err = ctx.Err()
	}
	if err != nil {
		otoContext.err = fmt.Errorf("звуковое устройство не открылось (%v); звук вернётся после перезапуска табло", err)
		return otoContext.err
	}
	// Suspended until the first call (see play).
	if err := ctx.Suspend(); err != nil {
		otoContext.err = fmt.Errorf("звуковое устройство не отвечает (%v); звук вернётся после перезапуска табло", err)
		return otoContext.err
	}
	otoContext.ctx = ctx
	return nil
}

// sharedContext is the process's oto context, nil before the first open.
func sharedContext() *oto.Context {
	otoContext.Lock()
	defer otoContext.Unlock()
	return otoContext.ctx
}

// playing keeps two Players in one process (there should be one per board)
// from mixing their calls on the one device.
var playing sync.Mutex

func (alsaDevice) play(pcm []byte) error {
	playing.Lock()
	defer playing.Unlock()
	ctx := sharedContext()
	// Suspended between announcements, oto writes no silence to the device
	// and takes no CPU on an idle board. An error here is the device's, and
	// the next play reports it.
	defer func() { _ = ctx.Suspend() }()
	p := ctx.NewPlayer(bytes.NewReader(pcm)) // oto frees it once unreachable
	// The whole announcement goes into oto's buffer before it starts, so a
	// busy board cannot starve the device in the middle of a call (oto
	// otherwise refills half a second at a time from its own goroutine).
	p.SetBufferSize(len(pcm))
	p.Play()
	if err := ctx.Resume(); err != nil {
		return lost(err)
	}
	for p.IsPlaying() {
		if err := ctx.Err(); err != nil {
			return lost(err)
		}
		time.Sleep(pollEvery)
	}
	if err := p.Err(); err != nil {
		return lost(err)
	}
	return nil
}

// lost marks the context failed for good (see alsaDevice).
func lost(err error) error {
	otoContext.Lock()
	defer otoContext.Unlock()
	otoContext.err = fmt.Errorf("звуковое устройство перестало играть (%v); звук вернётся после перезапуска табло", err)
	return otoContext.err
}

// probe opens and closes the ALSA playback device name without waiting
// for it, and says in Russian why it cannot be opened.
func probe(name string) error {
	quietALSA()
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var h *C.snd_pcm_t
	if rc := C.snd_pcm_open(&h, cname, C.SND_PCM_STREAM_PLAYBACK, C.SND_PCM_NONBLOCK); rc < 0 {
		return openError(name, syscall.Errno(-rc), C.GoString(C.snd_strerror(rc)))
	}
	C.snd_pcm_close(h)
	return nil
}

var quietALSA = sync.OnceFunc(func() { C.talon_alsa_quiet() })

// openError is the sentence for a device that did not open.
func openError(name string, errno syscall.Errno, detail string) error {
	switch {
	case errors.Is(errno, syscall.EBUSY):
		return fmt.Errorf("звуковое устройство «%s» занято другой программой", name)
	case errors.Is(errno, syscall.ENOENT), errors.Is(errno, syscall.ENODEV), errors.Is(errno, syscall.ENXIO):
		return fmt.Errorf("звуковое устройство «%s» не найдено", name)
	case errors.Is(errno, syscall.EACCES), errors.Is(errno, syscall.EPERM):
		return fmt.Errorf("нет прав на звуковое устройство «%s»", name)
	}
	// Only an unforeseen error keeps alsa-lib's own (English) words: the
	// hall sees this sentence, and the known ones say it all in Russian.
	return fmt.Errorf("звуковое устройство «%s» не открылось (%s)", name, detail)
}
