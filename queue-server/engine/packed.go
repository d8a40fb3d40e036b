package engine

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// A finished ticket is kept packed: a region's day finishes hundreds of
// thousands of tickets, and as a domain.Ticket with its history, time
// pointers and strings each holds about 1.3 KB, packed about 150 bytes.
// They are read rarely (a lookup, the status page, a day's counts), and
// unpacked then into a fresh copy.
//
// The packing is exact for every field, times to the nanosecond with their
// zone as JSON would keep it; only the monotonic clock reading is dropped,
// as the store drops it. The strings tickets repeat (the day, the office,
// its services, windows, operators and logins, statuses, purposes and
// history actions) are written as their number in the office's dictionary
// (names), which keeps every name it was given; another string repeated
// within the ticket, and a time, are written once and then referred to by
// their place; ids and status tokens of hex digits as the bytes they spell.

// packTicket packs t; the day, id and number come first, so recordKeys
// reads them cheaply.
func packTicket(t *domain.Ticket, dict *names) []byte {
	p := packer{buf: make([]byte, 0, 256), dict: dict}
	p.name(t.Day)
	p.hex(t.ID)
	p.name(t.OfficeID)
	p.str(t.Number)
	p.name(t.ServiceID)
	p.name(t.OriginalServiceID)
	p.name(string(t.Status))
	p.name(t.PriorityCategoryID)
	p.int(t.PriorityLevel)
	p.name(t.VerifiedBy)
	p.str(t.PriorityDocument)
	p.bool(t.Priority)
	p.str(t.CaseNumber)
	p.str(t.AppointmentID)
	p.abs(t.CreatedAt)
	base := t.CreatedAt
	p.ptime(t.AppointmentAt, base)
	p.time(t.QueuedAt, base)
	p.ptime(t.CalledAt, base)
	p.ptime(t.ServiceStartedAt, base)
	p.ptime(t.FinishedAt, base)
	p.ptime(t.PostponedUntil, base)
	p.name(t.WindowID)
	p.int(t.WindowNumber)
	p.name(t.OperatorID)
	p.int(t.Recalls)
	p.int(t.WaitSeconds)
	p.name(string(t.Purpose))
	p.ptime(t.FirstCalledAt, base)
	p.int(t.WaitNormSeconds)
	p.int(t.IssueEstimateSeconds)
	p.int(t.ServiceSeconds)
	p.name(t.TargetWindowID)
	p.name(t.TargetOperatorID)
	p.bool(t.ReturnTo != nil)
	if r := t.ReturnTo; r != nil {
		p.name(r.ServiceID)
		p.name(r.WindowID)
		p.name(r.OperatorID)
	}
	p.bool(t.Redirected)
	p.bool(t.Postponed)
	p.int(t.Position)
	p.int(t.EstimatedWaitSeconds)
	p.hex(t.StatusToken)
	p.int(len(t.History))
	p.bool(t.History == nil)
	for i := range t.History {
		s := &t.History[i]
		p.time(s.At, base)
		p.name(string(s.Action))
		p.name(string(s.Status))
		p.name(s.By)
		p.name(s.WindowID)
		p.name(s.OperatorID)
		p.name(s.ServiceID)
	}
	return p.buf
}

// errPacked means a packed ticket does not read back: a bug in this file.
var errPacked = errors.New("engine: damaged packed ticket")

// unpackTicket reads back what packTicket wrote; without history it leaves
// History nil and reads faster, for the scans that do not look at it.
func unpackTicket(s string, history bool, dict *names) (*domain.Ticket, error) {
	u := unpacker{buf: s, dict: dict}
	t := &domain.Ticket{}
	t.Day = u.name()
	t.ID = u.hex()
	t.OfficeID = u.name()
	t.Number = u.str()
	t.ServiceID = u.name()
	t.OriginalServiceID = u.name()
	t.Status = domain.Status(u.name())
	t.PriorityCategoryID = u.name()
	t.PriorityLevel = u.int()
	t.VerifiedBy = u.name()
	t.PriorityDocument = u.str()
	t.Priority = u.bool()
	t.CaseNumber = u.str()
	t.AppointmentID = u.str()
	t.CreatedAt = u.abs()
	base := t.CreatedAt
	t.AppointmentAt = u.ptime(base)
	t.QueuedAt = u.time(base)
	t.CalledAt = u.ptime(base)
	t.ServiceStartedAt = u.ptime(base)
	t.FinishedAt = u.ptime(base)
	t.PostponedUntil = u.ptime(base)
	t.WindowID = u.name()
	t.WindowNumber = u.int()
	t.OperatorID = u.name()
	t.Recalls = u.int()
	t.WaitSeconds = u.int()
	t.Purpose = domain.Purpose(u.name())
	t.FirstCalledAt = u.ptime(base)
	t.WaitNormSeconds = u.int()
	t.IssueEstimateSeconds = u.int()
	t.ServiceSeconds = u.int()
	t.TargetWindowID = u.name()
	t.TargetOperatorID = u.name()
	if u.bool() {
		t.ReturnTo = &domain.ReturnPoint{ServiceID: u.name(), WindowID: u.name(), OperatorID: u.name()}
	}
	t.Redirected = u.bool()
	t.Postponed = u.bool()
	t.Position = u.int()
	t.EstimatedWaitSeconds = u.int()
	t.StatusToken = u.hex()
	if !history {
		if u.bad {
			return nil, errPacked
		}
		return t, nil
	}
	n := u.int()
	if !u.bool() {
		if n < 0 || n > len(u.buf) {
			return nil, errPacked
		}
		t.History = make([]domain.Step, n)
	}
	for i := range t.History {
		s := &t.History[i]
		s.At = u.time(base)
		s.Action = domain.Action(u.name())
		s.Status = domain.Status(u.name())
		s.By = u.name()
		s.WindowID = u.name()
		s.OperatorID = u.name()
		s.ServiceID = u.name()
	}
	if u.bad || u.off != len(u.buf) {
		return nil, errPacked
	}
	return t, nil
}

// seenStrings is how many distinct strings a ticket's packing refers back
// to: a ticket has fewer, and a fixed table keeps the unpacker off the heap.
const seenStrings = 24

// seenTimes is how many distinct times a ticket's packing refers back to.
const seenTimes = 16

type packer struct {
	buf  []byte
	dict *names
	// times are where the first times written are, for references.
	times [seenTimes][2]int
	nt    int
	seen  [seenStrings]string // the first strings written, for references
	n     int
}

// str writes a string as 2i+1 for the i-th one already written, or as 2·len
// followed by its bytes.
func (p *packer) str(s string) {
	if s != "" {
		for i, x := range p.seen[:p.n] {
			if x == s {
				p.buf = binary.AppendUvarint(p.buf, uint64(2*i+1))
				return
			}
		}
		if p.n < seenStrings {
			p.seen[p.n] = s
			p.n++
		}
	}
	p.buf = binary.AppendUvarint(p.buf, uint64(2*len(s)))
	p.buf = append(p.buf, s...)
}

// hex writes a string of lowercase hex digits, as ticket ids and status
// tokens are, as the bytes they spell (half its length, after a 1), and
// any other string after a 0.
func (p *packer) hex(s string) {
	if !isHex(s) {
		p.buf = append(p.buf, 0)
		p.str(s)
		return
	}
	p.buf = append(p.buf, 1)
	p.buf = binary.AppendUvarint(p.buf, uint64(len(s)/2))
	p.buf, _ = hex.AppendDecode(p.buf, []byte(s)) // isHex: no error
}

// isHex says whether s is lowercase hex digits, of an even number: what
// hex encodes again to s exactly.
func isHex(s string) bool {
	if s == "" || len(s)%2 != 0 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// name writes s as its number in the dictionary.
func (p *packer) name(s string) { p.buf = binary.AppendUvarint(p.buf, uint64(p.dict.of(s))) }

func (p *packer) int(n int) { p.buf = binary.AppendVarint(p.buf, int64(n)) }

func (p *packer) bool(b bool) {
	if b {
		p.buf = append(p.buf, 1)
	} else {
		p.buf = append(p.buf, 0)
	}
}

// Zones: the two the engine's clock and the store's JSON give, and any
// other as the fixed offset JSON would keep.
const (
	zoneUTC = iota
	zoneLocal
	zoneFixed
)

func (p *packer) zone(t time.Time) {
	switch t.Location() {
	case time.UTC:
		p.buf = append(p.buf, zoneUTC)
	case time.Local:
		p.buf = append(p.buf, zoneLocal)
	default:
		name, offset := t.Zone()
		p.buf = append(p.buf, zoneFixed)
		p.str(name)
		p.int(offset)
	}
}

// abs writes a time whole; time and ptime as nanoseconds from base, which
// within a ticket's days take a few bytes.
func (p *packer) abs(t time.Time) {
	p.zone(t)
	p.buf = binary.AppendVarint(p.buf, t.Unix())
	p.buf = binary.AppendUvarint(p.buf, uint64(t.Nanosecond()))
}

// A time is written whole (timeAbs), from base (timeRel), or as timeRef+i
// for the i-th written before in the same bytes: a ticket's call, start
// and finish times are its history's too.
const (
	timeAbs = iota
	timeRel
	timeRef
)

func (p *packer) time(t, base time.Time) {
	start, seen := len(p.buf), p.n
	d := t.Sub(base)
	if t.IsZero() || base.IsZero() || !base.Add(d).Equal(t) {
		p.buf = append(p.buf, timeAbs)
		p.abs(t)
	} else {
		p.buf = append(p.buf, timeRel)
		p.zone(t)
		p.buf = binary.AppendVarint(p.buf, int64(d))
	}
	for i, sp := range p.times[:p.nt] {
		if bytes.Equal(p.buf[sp[0]:sp[1]], p.buf[start:]) {
			p.buf = append(p.buf[:start], byte(timeRef+i))
			p.n = seen // as the bytes taken back never were
			return
		}
	}
	if p.nt < len(p.times) {
		p.times[p.nt] = [2]int{start, len(p.buf)}
		p.nt++
	}
}

func (p *packer) ptime(t *time.Time, base time.Time) {
	p.bool(t != nil)
	if t != nil {
		p.time(*t, base)
	}
}

type unpacker struct {
	buf   string
	dict  *names
	times [seenTimes]time.Time
	nt    int
	off   int
	seen  [seenStrings]string
	n     int
	bad   bool
}

func (u *unpacker) uvarint() uint64 {
	var x uint64
	for shift := 0; shift < 64; shift += 7 {
		if u.off >= len(u.buf) {
			u.bad = true
			return 0
		}
		b := u.buf[u.off]
		u.off++
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return x
		}
	}
	u.bad = true
	return 0
}

func (u *unpacker) varint() int64 {
	x := u.uvarint()
	return int64(x>>1) ^ -int64(x&1)
}

func (u *unpacker) str() string {
	h := u.uvarint()
	if h&1 == 1 {
		i := int(h >> 1)
		if i >= u.n {
			u.bad = true
			return ""
		}
		return u.seen[i]
	}
	n := int(h >> 1)
	if n > len(u.buf)-u.off {
		u.bad = true
		return ""
	}
	s := u.buf[u.off : u.off+n]
	u.off += n
	if s != "" && u.n < seenStrings {
		u.seen[u.n] = s
		u.n++
	}
	return s
}

func (u *unpacker) hex() string {
	if !u.bool() {
		return u.str()
	}
	n := u.uvarint()
	if n > uint64(len(u.buf)-u.off) {
		u.bad = true
		return ""
	}
	s := hex.EncodeToString([]byte(u.buf[u.off : u.off+int(n)]))
	u.off += int(n)
	return s
}

func (u *unpacker) name() string {
	i := u.uvarint()
	if i >= uint64(len(u.dict.list)) {
		u.bad = true
		return ""
	}
	return u.dict.list[i]
}

func (u *unpacker) int() int { return int(u.varint()) }

func (u *unpacker) bool() bool {
	if u.off >= len(u.buf) {
		u.bad = true
		return false
	}
	b := u.buf[u.off]
	u.off++
	return b == 1
}

func (u *unpacker) zone() *time.Location {
	if u.off >= len(u.buf) {
		u.bad = true
		return time.UTC
	}
	z := u.buf[u.off]
	u.off++
	switch z {
	case zoneUTC:
		return time.UTC
	case zoneLocal:
		return time.Local
	default:
		name := u.str()
		return time.FixedZone(name, u.int())
	}
}

func (u *unpacker) abs() time.Time {
	loc := u.zone()
	sec := u.varint()
	return time.Unix(sec, int64(u.uvarint())).In(loc)
}

func (u *unpacker) time(base time.Time) time.Time {
	if u.off >= len(u.buf) {
		u.bad = true
		return time.Time{}
	}
	kind := int(u.buf[u.off])
	u.off++
	var t time.Time
	switch {
	case kind == timeAbs:
		t = u.abs()
	case kind == timeRel:
		loc := u.zone()
		t = base.Add(time.Duration(u.varint())).In(loc)
	case kind-timeRef < u.nt:
		return u.times[kind-timeRef]
	default:
		u.bad = true
		return time.Time{}
	}
	if u.nt < len(u.times) {
		u.times[u.nt] = t
		u.nt++
	}
	return t
}

func (u *unpacker) ptime(base time.Time) *time.Time {
	if !u.bool() {
		return nil
	}
	t := u.time(base)
	return &t
}
