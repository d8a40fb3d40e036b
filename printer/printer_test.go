package printer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/printer/escpos"
)

type timeoutError struct{}

func (timeoutError) Error() string { return "read timeout" }
func (timeoutError) Timeout() bool { return true }

// fakeLine is a printer at the far end of a line: it answers DLE EOT from
// its status, records everything else as printed, and can misbehave.
type fakeLine struct {
	mu        sync.Mutex
	status    escpos.Status
	afterJob  *escpos.Status // status once a job arrived
	silent    bool           // never answers
	garbage   []byte         // sent before every answer
	writeErr  error
	jobErr    error // fails writes other than status queries
	readErr   error
	readNil   bool // timeouts come as 0, nil, like go.bug.st/serial
	deadlines bool // reads end with os.ErrDeadlineExceeded instead
	pending   []byte
	queries   []byte // n of every DLE EOT n received
	printed   bytes.Buffer
}

func (f *fakeLine) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr != nil {
		return 0, f.writeErr
	}
	if len(b) == 3 && b[0] == escpos.DLE && b[1] == escpos.EOT {
		f.queries = append(f.queries, b[2])
		if !f.silent {
			f.pending = append(f.pending, f.garbage...)
			f.pending = append(f.pending, f.status.Byte(escpos.StatusKind(b[2])))
		}
		return 3, nil
	}
	if f.jobErr != nil {
		return 0, f.jobErr
	}
	f.printed.Write(b)
	if f.afterJob != nil {
		f.status = *f.afterJob
	}
	return len(b), nil
}

func (f *fakeLine) Read(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readErr != nil {
		return 0, f.readErr
	}
	if len(f.pending) == 0 {
		switch {
		case f.readNil:
			return 0, nil
		case f.deadlines:
			return 0, os.ErrDeadlineExceeded
		}
		return 0, timeoutError{}
	}
	n := copy(b, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

func epson(t *testing.T) escpos.Profile {
	t.Helper()
	p, err := escpos.ProfileByName("epson-80")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrint(t *testing.T) {
	job := []byte("ticket\n")
	paperOut := escpos.Status{Offline: true, PaperOut: true, PaperEndStop: true}
	tests := []struct {
		name        string
		line        *fakeLine
		wantReason  Reason
		wantPrinted bool
		wantSent    bool
		wantOnPaper bool
	}{
		{"ready", &fakeLine{}, ReasonNone, true, true, true},
		{"near end still prints", &fakeLine{status: escpos.Status{PaperNearEnd: true}}, ReasonNone, true, true, true},
		{"garbage before answers is skipped", &fakeLine{garbage: []byte{0x00, 0xFF}}, ReasonNone, true, true, true},
		{"0, nil timeouts", &fakeLine{readNil: true, silent: true}, ReasonTimeout, false, false, false},
		{"deadline timeouts", &fakeLine{deadlines: true, silent: true}, ReasonTimeout, false, false, false},
		{"paper out", &fakeLine{status: paperOut}, ReasonPaperOut, false, false, false},
		{"cover open", &fakeLine{status: escpos.Status{Offline: true, CoverOpen: true}}, ReasonCoverOpen, false, false, false},
		{"offline", &fakeLine{status: escpos.Status{Offline: true}}, ReasonOffline, false, false, false},
		{"cutter error", &fakeLine{status: escpos.Status{Offline: true, CutterError: true}}, ReasonCutterError, false, false, false},
		{"silent printer", &fakeLine{silent: true}, ReasonTimeout, false, false, false},
		{"read fails", &fakeLine{readErr: io.ErrUnexpectedEOF}, ReasonIO, false, false, false},
		{"query cannot be sent", &fakeLine{writeErr: errors.New("EIO")}, ReasonIO, false, false, false},
		{"write fails", &fakeLine{jobErr: errors.New("EIO")}, ReasonIO, false, false, false},
		{"write times out", &fakeLine{jobErr: timeoutError{}}, ReasonTimeout, false, true, false},
		{"paper runs out during the ticket", &fakeLine{afterJob: &paperOut}, ReasonPaperOut, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(tt.line, epson(t), Options{StatusTimeout: 30 * time.Millisecond})
			res, err := p.Print(context.Background(), job)
			if res.Printed != tt.wantPrinted || res.Reason != tt.wantReason || res.Sent != tt.wantSent {
				t.Errorf("result %+v, want printed=%v reason=%v sent=%v", res, tt.wantPrinted, tt.wantReason, tt.wantSent)
			}
			if tt.wantPrinted != (err == nil) {
				t.Errorf("err = %v with printed = %v", err, res.Printed)
			}
			if err != nil {
				var np *NotPrintedError
				if !errors.Is(err, ErrNotPrinted) || !errors.As(err, &np) || np.Reason != tt.wantReason {
					t.Errorf("err %v is not a NotPrintedError with reason %v", err, tt.wantReason)
				}
			}
			if onPaper := bytes.Contains(tt.line.printed.Bytes(), job); onPaper != tt.wantOnPaper {
				t.Errorf("job sent to the printer = %v, want %v", onPaper, tt.wantOnPaper)
			}
		})
	}
}

// TestLateAnswerIsNotTakenForTheNext checks that an answer arriving after
// its query timed out is dropped, not read as the answer to the next query.
func TestLateAnswerIsNotTakenForTheNext(t *testing.T) {
	line := &fakeLine{silent: true}
	p := New(line, epson(t), Options{StatusTimeout: 20 * time.Millisecond})
	if _, err := p.Print(context.Background(), []byte("x")); err == nil {
		t.Fatal("printed with a silent printer")
	}
	line.mu.Lock()
	line.silent = false
	line.pending = []byte{escpos.Status{Offline: true}.Byte(escpos.StatusPrinter)} // the late answer
	line.mu.Unlock()
	res, err := p.Print(context.Background(), []byte("y"))
	if err != nil || !res.Printed {
		t.Fatalf("second print: %+v, %v; the late 'offline' byte was taken as an answer", res, err)
	}
}

func TestPrintBlindProfile(t *testing.T) {
	prof := epson(t)
	prof.Status = escpos.StatusNone
	line := &fakeLine{silent: true}
	res, err := New(line, prof, Options{}).Print(context.Background(), []byte("x"))
	if err != nil || !res.Printed {
		t.Fatalf("blind print: %+v, %v", res, err)
	}
	if line.printed.String() != "x" {
		t.Errorf("printer got %q", line.printed.String())
	}
}

func TestPrintCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	line := &fakeLine{}
	res, err := New(line, epson(t), Options{}).Print(ctx, []byte("x"))
	if !errors.Is(err, ErrNotPrinted) || res.Reason != ReasonCancelled || line.printed.Len() != 0 {
		t.Errorf("cancelled print: %+v, %v, sent %q", res, err, line.printed.String())
	}
}

func TestStatusAsksCauseOnlyWhenOffline(t *testing.T) {
	tests := []struct {
		name    string
		status  escpos.Status
		queries []byte
	}{
		{"online", escpos.Status{PaperNearEnd: true}, []byte{1, 4}},
		{"offline", escpos.Status{Offline: true, CoverOpen: true}, []byte{1, 4, 2, 3}},
	}
	for _, tt := range tests {
		line := &fakeLine{status: tt.status}
		st, err := New(line, epson(t), Options{}).Status(context.Background())
		if err != nil || st != tt.status {
			t.Errorf("%s: status %+v, %v; want %+v", tt.name, st, err, tt.status)
		}
		if !bytes.Equal(line.queries, tt.queries) {
			t.Errorf("%s: queries %v, want %v", tt.name, line.queries, tt.queries)
		}
	}
}
