package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// BenchmarkRatings measures submitRating through the real server: rating
// terminals, one per window, each rating the tickets its window finished,
// every rating fsynced (with its journal record) before it is answered.
func BenchmarkRatings(b *testing.B) {
	for _, windows := range []int{1, 50} {
		b.Run(fmt.Sprintf("submitRating/terminals=%d", windows), func(b *testing.B) {
			url, _ := startServer(b, b.TempDir(), "--demo")
			ops, ids := benchOffice(b, url, windows)
			terminals := benchTerminals(b, url, ids)
			ctx := context.Background()
			kiosk := login(b, url, "kiosk1")
			per := benchOps / windows
			for range b.N {
				for range per * windows {
					if _, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
						b.Fatal(err)
					}
				}
				served := make([][]string, windows)
				measure(b, windows, per*windows, 0, func(w int) error {
					t, err := ops[w].CallNext(ctx, demo.OfficeID, ids[w], true)
					served[w] = append(served[w], t.ID)
					return err
				})
				for w := range windows {
					last := served[w][len(served[w])-1]
					if _, err := ops[w].FinishTicket(ctx, demo.OfficeID, last); err != nil {
						b.Fatal(err)
					}
				}
				form, err := terminals[0].CurrentRatingForm(ctx, demo.OfficeID)
				if err != nil {
					b.Fatal(err)
				}
				var answers []domain.RatingAnswer
				for _, in := range form.Indicators {
					answers = append(answers, domain.RatingAnswer{IndicatorID: in.ID, ValueID: in.Values[4].ID})
				}
				next := make([]int, windows)
				b.ResetTimer()
				lat, wall := measure(b, windows, per*windows, 0, func(w int) error {
					id := served[w][next[w]]
					next[w]++
					_, err := terminals[w].SubmitRating(ctx, demo.OfficeID, domain.NewRating{TicketID: id, FormID: form.ID, FormVersion: form.Version,
						Answers: answers, Phone: "+79161234567", PhoneConsent: true})
					return err
				})
				b.StopTimer()
				b.ReportMetric(percentile(lat, 0.50), "p50-ms")
				b.ReportMetric(percentile(lat, 0.99), "p99-ms")
				b.ReportMetric(float64(len(lat))/wall.Seconds(), "ratings/s")
			}
		})
	}
}

// benchTerminals pairs a rating terminal for each window.
func benchTerminals(b *testing.B, url string, windows []string) []*client.Client {
	b.Helper()
	ctx := context.Background()
	admin := login(b, url, "admin")
	out := make([]*client.Client, len(windows))
	for i, w := range windows {
		id := "rating-" + w
		if _, err := admin.PutDevice(ctx, domain.Device{ID: id, OfficeID: demo.OfficeID, Kind: domain.DeviceRating, WindowID: w}); err != nil {
			b.Fatal(err)
		}
		out[i] = login(b, url, id)
	}
	return out
}
