package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// A kiosk runs unattended: it logs in by itself and again whenever its token
// is refused, and the screen depends only on domain.Backend.
func ExampleNew() {
	c, err := client.New("http://10.0.0.5:8080",
		client.WithCredentials("kiosk1", "demo"),
		client.WithUserAgent("talon-kiosk kiosk1"),
		client.WithTimeout(5*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	var backend domain.Backend = c
	t, err := backend.IssueTicket(context.Background(), "mfc-1", domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		fmt.Println(domain.ErrorMessage(err)) // e.g. "нет связи с сервером очереди"
		return
	}
	fmt.Println(t.Number, t.Position)
}

// A hall board follows the stream and shows the connection state; in a Fyne
// app each func would hand its work to the UI with fyne.Do.
func ExampleClient_Subscribe() {
	c, err := client.New("http://10.0.0.5:8080", client.WithCredentials("display1", "demo"))
	if err != nil {
		log.Fatal(err)
	}
	sub := c.Subscribe(context.Background(), "mfc-1", client.Funcs{
		Snapshot: func(s domain.OfficeSnapshot) { fmt.Println("redraw", len(s.RecentCalls), "calls") },
		Event: func(e domain.Event) {
			if e.Type == domain.EventTicketCalled && e.Ticket != nil {
				fmt.Println(e.Ticket.Number, "→ окно", e.Ticket.WindowNumber)
			}
		},
		State: func(s client.ConnState) {
			if s.Status == client.Offline {
				fmt.Println("нет связи с", s.Since.Format("15:04"))
			}
		},
	})
	defer sub.Close()
}
