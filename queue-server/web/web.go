// Package web serves the office page: a live view of one office's load,
// queue, windows, calls and devices for the hall administrator and the
// manager, where an administrator also registers, pairs and revokes devices;
// built on the public HTTP API and the live stream. It also renders the
// public status page of a ticket (TicketPage), which the applicant's phone
// opens from the ticket's QR. Files embedded in the binary; no build step.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

//go:embed static
var static embed.FS

//go:embed pages/ticket.html
var pages embed.FS

var ticketTemplate = template.Must(template.ParseFS(pages, "pages/ticket.html"))

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
