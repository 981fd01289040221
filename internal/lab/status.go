package lab

import (
	"strings"
	"time"
)

// Status is where an order (or one of its samples) is in the lab.
//
// The progression is ordered → collected → received → in-progress →
// resulted → verified → released. Released (results reported to the
// customer) and cancelled are terminal: once reached, no event changes them.
type Status string

// The statuses IMP knows, in progression order.
const (
	StatusOrdered    Status = "ordered"     // accepted, no specimen yet
	StatusCollected  Status = "collected"   // specimen drawn
	StatusReceived   Status = "received"    // specimen arrived at the lab
	StatusInProgress Status = "in-progress" // testing under way
	StatusResulted   Status = "resulted"    // some or all results exist, not all verified
	StatusVerified   Status = "verified"    // all results verified
	StatusReleased   Status = "released"    // results reported to the customer; terminal
	StatusCancelled  Status = "cancelled"   // terminal
)

// Statuses lists every status in progression order, cancelled last.
var Statuses = []Status{
	StatusOrdered, StatusCollected, StatusReceived, StatusInProgress,
	StatusResulted, StatusVerified, StatusReleased, StatusCancelled,
}

const statusList = "ordered, collected, received, in-progress, resulted, verified, released, cancelled"

// Rank is s's position in the progression, from 1 (ordered) to 8
// (cancelled), and 0 for an unknown status. Cancelled ranks highest so that
// it wins a tie with any other event at the same instant.
func (s Status) Rank() int {
	for i, k := range Statuses {
		if s == k {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s.Rank() > 0 }

// Terminal reports whether s is final: released or cancelled.
func (s Status) Terminal() bool { return s == StatusReleased || s == StatusCancelled }

// StatusEvent is one status change from the LIS (the lis-test-status
// stream). At is when the change happened at the source and decides
// ordering; Version is the source's sequence number, carried for stores
// that keep it but not used by ShouldApply.
type StatusEvent struct {
	AccessionNumber string    `json:"accession_number"`
	Status          Status    `json:"status"`
	At              time.Time `json:"at"`
	SpecimenID      string    `json:"specimen_id,omitempty"` // set when the change concerns one sample
	Source          string    `json:"source,omitempty"`      // system that reported it, e.g. "lis"
	Note            string    `json:"note,omitempty"`
	Version         int64     `json:"version"`
}

// Validate checks every field and names each one that is wrong.
func (e *StatusEvent) Validate() error {
	var p Problems
	p.ID("accession_number", e.AccessionNumber)
	if p.Required("status", string(e.Status)) && !e.Status.Valid() {
		p.Add("status", "must be one of "+statusList)
	}
	p.RequiredTime("at", e.At)
	p.OptionalID("specimen_id", e.SpecimenID)
	p.OptionalID("source", e.Source)
	p.MaxLen("note", e.Note, 2000)
	p.NonNegative("version", e.Version)
	return p.Err()
}

// ShouldApply reports whether ev should replace the current status, which
// was set by an event at currentAt. An older event never overwrites a newer
// one, whatever order they arrive in:
//
//   - an invalid event (unknown status, no time) is never applied;
//   - with no current status, ev applies;
//   - a terminal current status (released, cancelled) is final;
//   - otherwise the later At wins, even when it moves the status back (a
//     rejected specimen being recollected);
//   - at the same At the higher Rank wins; the same status is a duplicate
//     and is not applied again.
func ShouldApply(current Status, currentAt time.Time, ev StatusEvent) bool {
	if !ev.Status.Valid() || ev.At.IsZero() {
		return false
	}
	if current == "" {
		return true
	}
	if current.Terminal() {
		return false
	}
	switch {
	case ev.At.After(currentAt):
		return true
	case ev.At.Before(currentAt):
		return false
	}
	return ev.Status.Rank() > current.Rank()
}

// StatusFromORC5 maps an HL7 v2 order status (ORC-5, table 0038) to a
// Status. Lossy cases:
//
//   - SC (scheduled) → ordered;
//   - IP (in process) → in-progress, though the specimen may only be received;
//   - A (some results) → resulted, as is every partial state;
//   - CM (completed) → verified: release to the customer is IMP's act, not
//     the LIS's;
//   - DC (discontinued) → cancelled, like CA.
//
// HD (on hold), ER (error, order not found) and RP (replaced) have no
// Status: the caller keeps the current one and reports false.
func StatusFromORC5(code string) (Status, bool) {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "SC":
		return StatusOrdered, true
	case "IP":
		return StatusInProgress, true
	case "A":
		return StatusResulted, true
	case "CM":
		return StatusVerified, true
	case "CA", "DC":
		return StatusCancelled, true
	}
	return "", false
}

// ORC5 maps s to an HL7 v2 order status (ORC-5, table 0038), or "" for an
// unknown status. Lossy: collected, received and in-progress all become IP;
// verified and released both become CM.
func (s Status) ORC5() string {
	switch s {
	case StatusOrdered:
		return "SC"
	case StatusCollected, StatusReceived, StatusInProgress:
		return "IP"
	case StatusResulted:
		return "A"
	case StatusVerified, StatusReleased:
		return "CM"
	case StatusCancelled:
		return "CA"
	}
	return ""
}

// StatusFromOBR25 maps an HL7 v2 result status (OBR-25, table 0123) to a
// Status. Lossy cases:
//
//   - O (order received) and S (scheduled) → ordered;
//   - I (specimen received, incomplete) → in-progress;
//   - A (some results), P (preliminary) and R (not verified) → resulted;
//   - F (final) and C (corrected) → verified.
//
// Y and Z only answer queries ("no such order/patient") and have no Status.
func StatusFromOBR25(code string) (Status, bool) {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "O", "S":
		return StatusOrdered, true
	case "I":
		return StatusInProgress, true
	case "A", "P", "R":
		return StatusResulted, true
	case "F", "C":
		return StatusVerified, true
	case "X":
		return StatusCancelled, true
	}
	return "", false
}

// OBR25 maps s to an HL7 v2 result status (OBR-25, table 0123), or "" for
// an unknown status. Lossy: ordered and collected become O (the lab has no
// specimen yet); received and in-progress become I; verified and released
// become F.
func (s Status) OBR25() string {
	switch s {
	case StatusOrdered, StatusCollected:
		return "O"
	case StatusReceived, StatusInProgress:
		return "I"
	case StatusResulted:
		return "R"
	case StatusVerified, StatusReleased:
		return "F"
	case StatusCancelled:
		return "X"
	}
	return ""
}
