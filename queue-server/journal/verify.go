package journal

import (
	"fmt"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Problem says what is wrong with a broken record.
type Problem string

const (
	ProblemHash Problem = "hash" // the record is not what was hashed: it was changed
	ProblemPrev Problem = "prev" // it does not point at the record before it
	ProblemSeq  Problem = "seq"  // a record is missing or repeated before it
)

var problemRu = map[Problem]string{
	ProblemHash: "хеш не совпадает с содержимым — запись изменена",
	ProblemPrev: "ссылка на предыдущую запись не совпадает с её хешем",
	ProblemSeq:  "нарушена нумерация — перед ней пропущена или повторена запись",
}

// Break is the first broken record of a chain.
type Break struct {
	Chain   string
	Seq     uint64
	At      time.Time
	Action  string
	Problem Problem
}

func (b *Break) Error() string {
	return fmt.Sprintf("журнал %s: запись №%d (%s, %s): %s", ChainName(b.Chain), b.Seq,
		b.At.UTC().Format(time.RFC3339), b.Action, problemRu[b.Problem])
}

// Summary is what a verified chain holds.
type Summary struct {
	Chain string
	Count uint64
	Head  domain.JournalRecord // the last record
}

// Verifier checks records fed to it chain by chain, each chain in order of
// Seq; chains may be interleaved. It keeps only each chain's last record.
type Verifier struct {
	last  map[string]domain.JournalRecord
	count map[string]uint64
	order []string
}

// NewVerifier returns a verifier that has seen nothing.
func NewVerifier() *Verifier {
	return &Verifier{last: map[string]domain.JournalRecord{}, count: map[string]uint64{}}
}

// Check verifies r against the record before it in its chain and returns a
// *Break when r is broken.
func (v *Verifier) Check(r domain.JournalRecord) error {
	prev, seen := v.last[r.Chain]
	broken := func(p Problem) error {
		return &Break{Chain: r.Chain, Seq: r.Seq, At: r.At, Action: r.Action, Problem: p}
	}
	switch {
	case r.Seq != prev.Seq+1:
		return broken(ProblemSeq)
	case Hash(r) != r.Hash:
		return broken(ProblemHash)
	case r.PrevHash != prev.Hash:
		return broken(ProblemPrev)
	}
	if !seen {
		v.order = append(v.order, r.Chain)
	}
	v.last[r.Chain] = r
	v.count[r.Chain]++
	return nil
}

// Summaries lists the chains checked so far in the order first seen.
func (v *Verifier) Summaries() []Summary {
	out := make([]Summary, 0, len(v.order))
	for _, c := range v.order {
		out = append(out, Summary{Chain: c, Count: v.count[c], Head: v.last[c]})
	}
	return out
}

// Verify checks a whole sequence of records and returns the first break.
func Verify(records []domain.JournalRecord) error {
	v := NewVerifier()
	for _, r := range records {
		if err := v.Check(r); err != nil {
			return err
		}
	}
	return nil
}
