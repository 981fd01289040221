package hl7

import "fmt"

// Delimiters are the separator and escape characters of one message, read
// from MSH-1 and MSH-2. Senders may choose any of them, so nothing in this
// package assumes the usual "|^~\&".
type Delimiters struct {
	Field        byte // MSH-1, usually '|'
	Component    byte // MSH-2[0], usually '^'
	Repetition   byte // MSH-2[1], usually '~'
	Escape       byte // MSH-2[2], usually '\'
	Subcomponent byte // MSH-2[3], usually '&'
	// Truncation is MSH-2[4], introduced in v2.7 (usually '#'); 0 when the
	// message does not declare one.
	Truncation byte
}

// DefaultDelimiters are the delimiters recommended by the standard and used
// by NewMessage when none are given.
var DefaultDelimiters = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// EncodingCharacters returns the MSH-2 value for d.
func (d Delimiters) EncodingCharacters() string {
	b := []byte{d.Component, d.Repetition, d.Escape, d.Subcomponent}
	if d.Truncation != 0 {
		b = append(b, d.Truncation)
	}
	return string(b)
}

// Validate reports whether d can encode a message unambiguously: every
// delimiter must be a printable, non-alphanumeric ASCII character and all of
// them must differ.
func (d Delimiters) Validate() error {
	chars := [...]struct {
		name string
		c    byte
	}{
		{"field separator", d.Field},
		{"component separator", d.Component},
		{"repetition separator", d.Repetition},
		{"escape character", d.Escape},
		{"subcomponent separator", d.Subcomponent},
		{"truncation character", d.Truncation},
	}
	for i, a := range chars {
		if a.c == 0 && a.name == "truncation character" {
			continue
		}
		if !validDelimiter(a.c) {
			return fmt.Errorf("hl7: invalid %s 0x%02x: %w", a.name, a.c, ErrMalformed)
		}
		for _, b := range chars[:i] {
			if a.c == b.c {
				return fmt.Errorf("hl7: %s and %s are the same character: %w", b.name, a.name, ErrMalformed)
			}
		}
	}
	return nil
}

// validDelimiter rejects letters and digits (they would be read as data),
// control characters (segment terminators, MLLP framing) and space (senders
// and editors trim it).
func validDelimiter(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !isAlnum(c)
}

func isAlnum(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
