// Package journal owns the rules of the audit journal: how a record is
// hashed and linked to the one before it, how a chain is verified, how the
// API's filter is read, and how records are exported as CSV.
//
// # Chains
//
// Each office has its own chain, and region-wide administration has one
// (domain.RegionChain, the empty chain name). Seq counts from 1 without gaps
// in each chain; PrevHash is the previous record's Hash, empty for the first.
//
// # The hash
//
// Hash is the lowercase hex SHA-256 of this canonical encoding of every other
// field, in this order:
//
//	chain, seq, at, actor, role, device, address, action,
//	office_id, ticket_id, object, result, message, prev_hash
//
// Each field is written as its length in bytes (decimal ASCII), a colon, the
// bytes, and a line feed "\n". Strings are their UTF-8 bytes; seq is decimal
// ASCII without leading zeros; at is RFC 3339 with nanoseconds in UTC as Go's
// time.RFC3339Nano writes it (trailing zeros of the fraction dropped, e.g.
// 2026-11-23T06:00:00.5Z). A record whose role is empty encodes "0:\n" there.
// For example a record begins "5:mfc-1\n2:17\n20:2026-11-23T06:00:00Z\n".
// The length prefixes make the encoding unambiguous whatever the fields hold,
// so an auditor can recompute every hash from the JSON of the records.
package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Hash computes the hash of r as the package comment describes; r.Hash is
// not part of it.
func Hash(r domain.JournalRecord) string {
	h := sha256.New()
	for _, f := range []string{
		r.Chain, strconv.FormatUint(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano),
		r.Actor, string(r.Role), r.Device, r.Address, r.Action,
		r.OfficeID, r.TicketID, r.Object, r.Result, r.Message, r.PrevHash,
	} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Link makes r the record after last in last's chain: it sets Seq, PrevHash
// and Hash. last is the zero record for a chain's first record.
func Link(last, r domain.JournalRecord) domain.JournalRecord {
	r.Seq = last.Seq + 1
	r.PrevHash = last.Hash
	r.Hash = Hash(r)
	return r
}

// Result is what a record says about how the action ended.
func Result(err error) (result, message string) {
	if err == nil {
		return domain.JournalOK, ""
	}
	return string(domain.ErrorCode(err)), domain.ErrorMessage(err)
}

// ChainName is a chain as people read it: the office id or «регион».
func ChainName(chain string) string {
	if chain == domain.RegionChain {
		return "регион"
	}
	return chain
}
