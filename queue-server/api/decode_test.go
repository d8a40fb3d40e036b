package api

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// fuzzParser checks that a body parser never panics and answers either a
// value that passes ok or an invalid error with a Russian sentence.
func fuzzParser[T any](f *testing.F, parse func(io.Reader) (T, error), ok func(T) bool, seeds ...string) {
	f.Helper()
	for _, s := range append(seeds, "", "{}", "null", "[]", `{"a":1}`, "{} {}", `{"`, "\xff") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := parse(bytes.NewReader(body))
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("error %v is not invalid", err)
			}
			if msg := domain.ErrorMessage(err); msg == "" || strings.Contains(msg, "json:") {
				t.Fatalf("message %q is not for a person", msg)
			}
			return
		}
		if !ok(v) {
			t.Fatalf("accepted %q as %+v", body, v)
		}
	})
}

func FuzzParseIssue(f *testing.F) {
	fuzzParser(f, parseIssue, func(r domain.IssueRequest) bool { return domain.IsID(r.ServiceID) && r.IdempotencyKey == "" },
		`{"service_id":"passport"}`, `{"service_id":"passport","priority_category_id":"veteran"}`, `{"service_id":1}`)
}

func FuzzParseRedirect(f *testing.F) {
	fuzzParser(f, parseRedirect, func(r domain.Redirect) bool { return r.ServiceID != "" || r.WindowID != "" || r.OperatorID != "" },
		`{"service_id":"tax","return":true}`, `{"window_id":"w2"}`, `{"operator_id":"op1","return":false}`)
}

func FuzzParseCall(f *testing.F) {
	fuzzParser(f, parseCall, func(c domain.CallRequest) bool { return c.Ticket != "" },
		`{"ticket":"А015"}`, `{"ticket":"t-1","finish_current":true}`)
}

func FuzzParsePostpone(f *testing.F) {
	fuzzParser(f, parsePostpone, func(d time.Duration) bool { return d >= time.Minute && d <= 240*time.Minute },
		`{"minutes":15}`, `{"minutes":240}`, `{"minutes":1e3}`, `{"minutes":-1}`)
}

func FuzzParseLogin(f *testing.F) {
	fuzzParser(f, parseLogin, func(l loginRequest) bool {
		return l.Card != "" && l.Login == "" && l.Password == "" || l.Card == "" && l.Login != "" && l.Password != ""
	}, `{"login":"admin","password":"demo"}`, `{"login":"","password":""}`, `{"card":"TSC1-AAAAAAAAAAAAAAAAAAAAAAAAAA"}`, `{"login":"admin","card":"TSC1-x"}`)
}

func FuzzParseNewAppointment(f *testing.F) {
	fuzzParser(f, parseNewAppointment, func(a domain.NewAppointment) bool { return domain.IsID(a.ServiceID) && !a.Start.IsZero() },
		`{"service_id":"passport","start":"2026-11-24T10:00:00+03:00","name":"Иванов","phone":"+79990000000"}`,
		`{"service_id":"passport","start":"2026-11-24"}`)
}

func FuzzParseDeviceState(f *testing.F) {
	fuzzParser(f, parseDeviceState, func(s domain.DeviceState) bool { return s.Validate() == nil && s.At.IsZero() },
		`{"printer":"paper_out","detail":"DLE EOT 4: 0x60"}`, `{"printer":"ok"}`, `{"printer":"jammed"}`, `{"printer":"ok","at":"2026-01-01T00:00:00Z"}`)
}

func TestParseCallNextBodyIsOptional(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{{"", false}, {"  ", false}, {"{}", false}, {`{"finish_current":true}`, true}} {
		got, err := parseCallNext(strings.NewReader(tc.body))
		if err != nil || got.FinishCurrent != tc.want {
			t.Errorf("%q: %+v, %v", tc.body, got, err)
		}
	}
}
