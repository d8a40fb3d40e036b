package client

import (
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// FuzzDecodeStreamMessage: whatever a server or a broken proxy sends, decoding
// returns an error or a message that carries what its type promises.
func FuzzDecodeStreamMessage(f *testing.F) {
	for _, s := range []string{
		`{"type":"snapshot","seq":3,"snapshot":{"seq":3,"office":{"id":"o1"},"queue":[{"id":"t1","number":"А001"}]}}`,
		`{"type":"event","seq":4,"event":{"seq":4,"office_id":"o1","type":"ticket.called","ticket":{"id":"t1"}}}`,
		`{"type":"event","event":{"seq":5}}`,
		`{"type":"bye","reason":"shutdown"}`,
		`{"type":"ping"}`,
		`{"type":"snapshot"}`,
		`{"type":"event","seq":1}`,
		`{"seq":1}`,
		`null`,
		`[]`,
		`{"type":"event","seq":-1,"event":{}}`,
		`{"type":"snapshot","seq":18446744073709551615,"snapshot":{"windows":[{"ticket":null}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeStreamMessage(data)
		if err != nil {
			return
		}
		switch m.Type {
		case "":
			t.Error("decoded a message without a type")
		case MessageSnapshot:
			if m.Snapshot == nil {
				t.Error("snapshot without a snapshot")
			}
		case MessageEvent:
			if m.Event == nil || m.Seq == 0 {
				t.Errorf("event %+v without an event or seq", m)
			}
		}
	})
}

// FuzzDecodeError: any error answer becomes a *domain.Error with a known code
// and a message a person can be shown.
func FuzzDecodeError(f *testing.F) {
	f.Add(409, []byte(`{"error":{"code":"conflict","message":"окно занято"}}`))
	f.Add(500, []byte(`<html>`))
	f.Add(418, []byte(`{"error":{"code":"teapot","message":"x"}}`))
	f.Add(401, []byte(`{"error":null}`))
	f.Add(0, []byte{})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := decodeError("GET", "/x", status, body)
		if !knownCode(e.Code) || e.Message == "" || domain.ErrorCode(e) != e.Code {
			t.Errorf("decodeError(%d, %q) = %+v", status, body, e)
		}
	})
}
