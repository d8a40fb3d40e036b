package terminal

import (
	"fmt"
	"image/png"
	"os"

	"fyne.io/fyne/v2"
)

// Screenshot writes what a canvas shows to a PNG file: the README's
// pictures and the tests' evidence come from the same code. It works on a
// real window and on a test canvas alike; call it on the UI goroutine.
func Screenshot(c fyne.Canvas, path string) error {
	img := c.Capture()
	if img == nil {
		return fmt.Errorf("screenshot %s: the window has nothing on screen yet", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("screenshot %s: %w", path, err)
	}
	return f.Close()
}
