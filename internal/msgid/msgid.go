// Package msgid makes message ids: UUIDv7 strings (RFC 9562), so ids sort by
// the time IMP accepted the message and are unique across API replicas
// without coordination.
package msgid

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// New returns a fresh UUIDv7 in canonical 8-4-4-4-12 form.
func New() string { return At(time.Now()) }

// At returns a UUIDv7 whose timestamp is t (for tests and replays).
func At(t time.Time) string {
	var u [16]byte
	_, _ = rand.Read(u[6:]) // crypto/rand.Read never fails (Go 1.24+)
	ms := uint64(t.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return Format(u)
}

// Format writes a UUID in its canonical 8-4-4-4-12 form.
func Format(u [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// Derive returns a UUIDv8 (RFC 9562 custom) made of the first 122 bits of
// SHA-256 over the length-prefixed parts: the same parts always give the
// same id. Ids of things that must happen once — an idempotent request's
// records, the report job of one set of results, the notification of one
// report — are derived, so a retried or redelivered trigger carries the
// same id and every consumer's dedupe sees one message.
func Derive(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var sum [32]byte
	var u [16]byte
	copy(u[:], h.Sum(sum[:0]))
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return Format(u)
}

// Time returns the timestamp in a UUIDv7 id, or false if id is not one.
func Time(id string) (time.Time, bool) {
	if len(id) != 36 || id[14] != '7' {
		return time.Time{}, false
	}
	b, err := hex.DecodeString(id[0:8] + id[9:13])
	if err != nil {
		return time.Time{}, false
	}
	var ms int64
	for _, x := range b {
		ms = ms<<8 | int64(x)
	}
	return time.UnixMilli(ms), true
}

// Valid reports whether s looks like an id IMP issued (any UUID form).
func Valid(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	for i := range len(s) {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
