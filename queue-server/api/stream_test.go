package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/domain"
)

func TestStreamThroughTheRouter(t *testing.T) {
	h := newHarness(t)
	srv := httptest.NewServer(h.handler)
	defer srv.Close()
	base := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/offices/mfc-1/stream"
	display := domain.Actor{Login: domain.DeviceLogin("mfc-1", "d1"), Role: domain.RoleDevice, OfficeID: "mfc-1", DeviceID: "d1", DeviceKind: domain.DeviceDisplay}
	h.fake.results["CheckDevice"] = display
	tok := domain.DeviceCredential("mfc-1", "d1", strings.Repeat("ab", 32))

	read := func(t *testing.T, c *websocket.Conn) map[string]any {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m map[string]any
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("read: %v", err)
		}
		return m
	}
	for i, tc := range []struct {
		name, url string
		header    http.Header
	}{
		{"token in query", base + "?token=" + tok, nil},
		{"token in header", base, http.Header{"Authorization": {"Bearer " + tok}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq := float64(3 + i)
			h.fake.results["GetSnapshot"] = domain.OfficeSnapshot{Seq: uint64(seq), Office: domain.Office{ID: "mfc-1"}}
			c, resp, err := websocket.DefaultDialer.Dial(tc.url, tc.header)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			resp.Body.Close()
			defer c.Close()
			if m := read(t, c); m["type"] != "snapshot" || m["seq"] != seq {
				t.Fatalf("first message %v", m)
			}
			if c, _ := h.fake.last(); c.name != "GetSnapshot" || c.actor != display {
				t.Fatalf("snapshot taken as %+v by %s", c.actor, c.name)
			}
			h.hub.Publish([]domain.Event{{Seq: uint64(seq) + 1, OfficeID: "mfc-1", Type: domain.EventTicketCalled}})
			if m := read(t, c); m["type"] != "event" || m["seq"] != seq+1 {
				t.Fatalf("second message %v", m)
			}
		})
	}
	// The access line is written when the connection has ended.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(h.logs.String(), "status=101"); {
		if time.Now().After(deadline) {
			t.Fatalf("upgrade not logged as 101:\n%s", h.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}

	for _, tc := range []struct {
		name, url string
		forbid    bool
		status    int
		code      domain.Code
	}{
		{"no token", base, false, 401, domain.CodeUnauthorized},
		{"bad token", base + "?token=abc", false, 401, domain.CodeUnauthorized},
		{"bad since", base + "?since=-1&token=" + tok, false, 400, domain.CodeInvalid},
		{"unknown parameter", base + "?sinse=1&token=" + tok, false, 400, domain.CodeInvalid},
		{"engine refuses the office", base + "?token=" + tok, true, 403, domain.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.forbid {
				h.fake.errs["GetOffice"] = domain.Errorf(domain.CodeForbidden, "нет доступа к офису")
				defer delete(h.fake.errs, "GetOffice")
			}
			_, resp, err := websocket.DefaultDialer.Dial(tc.url, nil)
			if err == nil || resp == nil {
				t.Fatalf("dial succeeded or failed without a response: %v", err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var e errorBody
			if resp.StatusCode != tc.status || json.Unmarshal(b, &e) != nil || e.Error.Code != tc.code {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}

	t.Run("plain GET", func(t *testing.T) {
		w := h.do(t, "GET", "/api/v1/offices/mfc-1/stream", "", "Authorization", "Bearer "+tok)
		wantError(t, w, 400, domain.CodeInvalid, "WebSocket")
	})
}
