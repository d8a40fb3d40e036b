package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

var moscow = time.FixedZone("MSK", 3*3600)

func records(n int) []domain.JournalRecord {
	var out []domain.JournalRecord
	var last domain.JournalRecord
	for i := range n {
		r := domain.JournalRecord{Chain: "mfc-1", At: time.Date(2026, 11, 23, 6, i, 0, 0, time.UTC), Actor: "hall", Role: domain.RoleHall,
			Address: "10.0.0.5", Action: "issueTicket", OfficeID: "mfc-1", TicketID: "t1", Result: domain.JournalOK}
		last = Link(last, r)
		out = append(out, last)
	}
	return out
}

func TestLinkChainsRecords(t *testing.T) {
	rs := records(3)
	if rs[0].Seq != 1 || rs[0].PrevHash != "" || rs[2].Seq != 3 || rs[2].PrevHash != rs[1].Hash || len(rs[0].Hash) != 64 {
		t.Fatalf("linked records: %+v", rs)
	}
	if err := Verify(rs); err != nil {
		t.Fatal(err)
	}
}

// The encoding the package comment documents, written out by hand.
func TestHashFollowsTheDocumentedEncoding(t *testing.T) {
	r := domain.JournalRecord{Chain: "mfc-1", Seq: 17, At: time.Date(2026, 11, 23, 9, 0, 0, 5e8, moscow), Actor: "hall",
		Action: "issueTicket", Result: "ok", PrevHash: "ab"}
	var b strings.Builder
	for _, f := range []string{"mfc-1", "17", "2026-11-23T06:00:00.5Z", "hall", "", "", "", "issueTicket", "", "", "", "ok", "", "ab"} {
		b.WriteString(strings.Join([]string{itoa(len(f)), ":", f, "\n"}, ""))
	}
	if got, want := Hash(r), sha256hex(b.String()); got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
	// Moving a character between fields changes the hash.
	moved := r
	moved.Actor, moved.Role = "hal", "l"
	if Hash(moved) == Hash(r) {
		t.Fatal("fields are not separated")
	}
}

func TestVerifyNamesTheFirstBrokenRecord(t *testing.T) {
	for name, tc := range map[string]struct {
		spoil func(rs []domain.JournalRecord) []domain.JournalRecord
		seq   uint64
		prob  Problem
	}{
		"changed field": {func(rs []domain.JournalRecord) []domain.JournalRecord { rs[2].Actor = "admin"; return rs }, 3, ProblemHash},
		"rehashed change": {func(rs []domain.JournalRecord) []domain.JournalRecord {
			rs[2].Actor = "admin"
			rs[2].Hash = Hash(rs[2])
			return rs
		}, 4, ProblemPrev},
		"missing record":   {func(rs []domain.JournalRecord) []domain.JournalRecord { return append(rs[:1], rs[2:]...) }, 3, ProblemSeq},
		"repeated record":  {func(rs []domain.JournalRecord) []domain.JournalRecord { return append(rs[:2], rs[1:]...) }, 2, ProblemSeq},
		"missing the head": {func(rs []domain.JournalRecord) []domain.JournalRecord { return rs[1:] }, 2, ProblemSeq},
	} {
		t.Run(name, func(t *testing.T) {
			err := Verify(tc.spoil(records(5)))
			var b *Break
			if !errors.As(err, &b) || b.Seq != tc.seq || b.Problem != tc.prob || b.Chain != "mfc-1" {
				t.Fatalf("Verify = %v, want record %d with %s", err, tc.seq, tc.prob)
			}
			if !strings.Contains(err.Error(), "запись №"+itoa(int(tc.seq))) {
				t.Errorf("message %q does not name the record", err)
			}
		})
	}
}

func TestVerifierSummarisesInterleavedChains(t *testing.T) {
	v := NewVerifier()
	office := records(2)
	region := Link(domain.JournalRecord{}, domain.JournalRecord{At: office[0].At, Actor: "admin", Action: "backup", Result: "ok"})
	for _, r := range []domain.JournalRecord{office[0], region, office[1]} {
		if err := v.Check(r); err != nil {
			t.Fatal(err)
		}
	}
	s := v.Summaries()
	if len(s) != 2 || s[0].Count != 2 || s[0].Head.Hash != office[1].Hash || s[1].Chain != "" || s[1].Count != 1 {
		t.Fatalf("summaries %+v", s)
	}
}

func TestWriteCSV(t *testing.T) {
	rs := records(2)
	rs[1].Result, rs[1].Message = "forbidden", "это действие недоступно; для вашей роли"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rs, moscow); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\ufeffЖурнал;№;Время;Кто") {
		t.Fatalf("no BOM or Russian header: %q", out[:40])
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][2] != "2026-11-23 09:00:00" || rows[2][12] != rs[1].Message || rows[2][14] != rs[1].Hash {
		t.Fatalf("rows %q", rows)
	}
}

func TestParse(t *testing.T) {
	day := func(d, hh int) time.Time { return time.Date(2026, 11, d, hh, 0, 0, 0, moscow) }
	for q, want := range map[string]Filter{
		"":                              {Format: FormatJSON, Query: domain.JournalQuery{Limit: DefaultLimit}},
		"from=2026-11-23&to=2026-11-23": {Format: FormatJSON, Query: domain.JournalQuery{From: day(23, 0), To: day(24, 0), Limit: DefaultLimit}},
		"from=2026-11-23T09:00:00%2B03:00&actor=hall&ticket=t1&format=CSV&limit=5": {Format: FormatCSV,
			Query: domain.JournalQuery{From: day(23, 9), Actor: "hall", TicketID: "t1", Limit: 5}},
	} {
		v, _ := url.ParseQuery(q)
		got, err := Parse(v, moscow)
		if err != nil {
			t.Errorf("%q: %v", q, err)
			continue
		}
		if !got.Query.From.Equal(want.Query.From) || !got.Query.To.Equal(want.Query.To) || got.Format != want.Format ||
			got.Query.Actor != want.Query.Actor || got.Query.TicketID != want.Query.TicketID || got.Query.Limit != want.Query.Limit {
			t.Errorf("%q: %+v, want %+v", q, got, want)
		}
	}
	for _, q := range []string{"from=вчера", "to=2026-13-01", "from=2026-11-24&to=2026-11-23", "limit=0", "limit=100000",
		"format=xml", "actor=a%20b", "ticket=../x", "actor=a&actor=b"} {
		v, _ := url.ParseQuery(q)
		_, err := Parse(v, moscow)
		if domain.ErrorCode(err) != domain.CodeInvalid || !isRussian(domain.ErrorMessage(err)) {
			t.Errorf("%q: %v, want an invalid error in Russian", q, err)
		}
	}
}

func isRussian(s string) bool {
	return strings.ContainsAny(s, "абвгдеёжзийклмнопрстуфхцчшщыьэюя")
}

func itoa(n int) string { return strconv.Itoa(n) }

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
