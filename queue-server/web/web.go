// Package web serves the office page: a live view of one office's load,
// queue, windows, calls and devices for the hall administrator and the
// manager, where an administrator also registers, pairs and revokes devices;
// built on the public HTTP API and the live stream. Static files only, embedded in
// the binary; no build step.
package web

import (
	"embed"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Handler serves / (the page) and /static/* (its script and styles).
func Handler() http.Handler {
	files := http.FileServerFS(static) // URL /static/app.js is static/app.js in the FS
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Only this server's scripts, styles and API; no framing by other sites.
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		switch {
		case r.URL.Path == "/":
			http.ServeFileFS(w, r, static, "static/index.html")
		case strings.HasSuffix(r.URL.Path, "/"):
			http.NotFound(w, r) // no folder listings
		default:
			files.ServeHTTP(w, r)
		}
	})
}
