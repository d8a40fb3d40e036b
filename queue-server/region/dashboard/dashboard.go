// Package dashboard serves the regional dashboard's page: every office of
// the region live (its queue, windows, latest calls and day so far, and
// whether its link answers), pushed over the regional server's WebSocket,
// and the regional statistics over a period, by office, service or day.
// Files embedded in the binary; no build step.
package dashboard

import (
	"embed"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Handler serves / (the page) and /static/* (its script and style).
func Handler() http.Handler {
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Only this server's script, style and socket; no framing.
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		switch {
		case r.URL.Path == "/":
			http.ServeFileFS(w, r, static, "static/index.html")
		case strings.HasSuffix(r.URL.Path, "/"):
			http.NotFound(w, r)
		default:
			files.ServeHTTP(w, r)
		}
	})
}
