// Package web serves the office page: a live view of one office's load,
// queue, windows, calls and devices, with a section per role: the hall
// administrator issues priority tickets, cancels and moves tickets, keeps
// the boards' running line and answers the alerts; an administrator also
// registers, pairs and revokes devices. Built on the public HTTP API and
// the live stream. It also renders the public status page of a ticket
// (TicketPage), which the applicant's phone opens from the ticket's QR.
// Files embedded in the binary; no build step.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

//go:embed static
var static embed.FS

//go:embed pages
var pages embed.FS

var (
	officeTemplate = template.Must(template.ParseFS(pages, "pages/office.html"))
	ticketTemplate = template.Must(template.ParseFS(pages, "pages/ticket.html"))
)

// Config is what the office page learns from the server before anyone logs in.
type Config struct {
	// Demo says the server runs the demo office (--demo): only then does
	// the login page show the demo accounts and DemoPassword.
	Demo         bool
	DemoPassword string
	// Zone is the IANA time zone of the office the login page's clock
	// follows; "" leaves the browser's own. After login the office's
	// snapshot names its zone.
	Zone func(ctx context.Context) string
}

// officePage is what the office page template shows.
type officePage struct {
	Demo               bool
	DemoPassword, Zone string
}

// Handler serves / (the page), /stats (the manager's statistics) and
// /static/* (their scripts, styles, icon and the vendored chart library).
func Handler(cfg Config) http.Handler {
	files := http.FileServerFS(static) // URL /static/app.js is static/app.js in the FS
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Only this server's scripts, styles and API; no framing by other sites.
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		switch {
		case r.URL.Path == "/":
			p := officePage{Demo: cfg.Demo}
			if cfg.Demo {
				p.DemoPassword = cfg.DemoPassword
			}
			if cfg.Zone != nil {
				p.Zone = cfg.Zone(r.Context())
			}
			var page bytes.Buffer
			if err := officeTemplate.Execute(&page, p); err != nil {
				http.Error(w, "страница офиса не собралась", http.StatusInternalServerError)
				return
			}
			h.Set("Content-Type", "text/html; charset=utf-8")
			_, _ = page.WriteTo(w) // the client may have gone; nothing to do then
		case r.URL.Path == "/stats":
			http.ServeFileFS(w, r, static, "static/stats.html")
		case strings.HasSuffix(r.URL.Path, "/"):
			http.NotFound(w, r) // no folder listings
		default:
			files.ServeHTTP(w, r)
		}
	})
}

// ticketPage is what the ticket page template shows.
type ticketPage struct {
	Found                                             bool
	Number, Service, Office, Status, Headline, Detail string
}

// ticketView says where a ticket stands; static/ticket.js repeats it for
// the live updates.
func ticketView(st domain.TicketStatus) (headline, detail string) {
	where := ""
	if st.Window != "" && st.Window != fmt.Sprintf("Окно %d", st.WindowNumber) {
		where = st.Window
	}
	switch st.Status {
	case domain.StatusCalled:
		if where != "" {
			where = " (" + where + ")"
		}
		return fmt.Sprintf("Вас вызывают к окну %d", st.WindowNumber), "Подойдите, пожалуйста" + where + "."
	case domain.StatusServing:
		return fmt.Sprintf("Вас обслуживают в окне %d", st.WindowNumber), where
	case domain.StatusWaiting:
		if st.Position <= 1 {
			return "Вы следующий", "Ожидайте вызова на табло."
		}
		return fmt.Sprintf("Место в очереди: %d", st.Position), fmt.Sprintf("Ожидание ≈ %d мин", max(1, (st.EstimatedWaitSeconds+59)/60))
	case domain.StatusPostponed:
		return "Талон отложен", "Вас вызовут снова, следите за табло."
	case domain.StatusDone:
		return "Обслужен", "Спасибо за визит!"
	case domain.StatusNoShow:
		return "Не явился", "Талон закрыт: вы не подошли на вызов. Обратитесь к администратору зала."
	case domain.StatusCancelled:
		return "Отменён", "Талон больше не действует."
	}
	return st.Status.Words(), ""
}

// TicketPage writes a ticket's public status page, or the Russian 404 page
// when st is nil. The page works without script; its script keeps it live.
func TicketPage(w http.ResponseWriter, st *domain.TicketStatus) {
	h := w.Header()
	// Only this server's script and style; the token in the address goes
	// nowhere else, and no copy of a changing page is kept.
	h.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	p := ticketPage{}
	status := http.StatusNotFound
	if st != nil {
		status = http.StatusOK
		p = ticketPage{Found: true, Number: st.Number, Service: st.Service, Office: st.Office, Status: string(st.Status)}
		p.Headline, p.Detail = ticketView(*st)
	}
	w.WriteHeader(status)
	_ = ticketTemplate.Execute(w, p) // the client may have gone; nothing to do then
}
