// Package hl7 is IMP's HL7 v2 codec for the ER7 ("pipe and hat") encoding:
// parsing, value access by terser-style paths and typed segment views,
// building messages in code, encoding, and building ACKs.
//
// It exists because every lab system IMP talks to (the LIS, partner order
// feeds, analysers behind middleware) speaks HL7 v2, and each of them bends
// the standard a little: byte-order marks, "\n" or "\r\n" segment ends,
// trailing blank lines, custom delimiters, v2.7 truncation characters. The
// parser accepts those and still reports real syntax errors with a position.
//
// Design: a Message keeps the message text as one immutable string and
// indexes only segment boundaries while parsing. Fields, repetitions,
// components and sub-components are located when they are read and are
// unescaped only then, so reading a value that needs no unescaping costs no
// allocation. Writing (Set, SegmentBuilder) replaces a whole segment string
// and never mutates text that earlier reads may still reference.
//
// Numbering follows HL7, not Go: fields, repetitions, components,
// sub-components and segment repetitions are all 1-based, and in MSH the
// field separator itself is MSH-1, so MSH-3 is the first field after the
// encoding characters.
//
// This package must never:
//   - log, or put into error strings, message content: HL7 carries patient
//     data. Errors name segments, field numbers, lines and byte offsets only.
//   - panic on any input, however malformed (FuzzParse guards this).
//   - do I/O or know about transports; MLLP lives in internal/mllp.
//   - know about IMP's domain (internal/lab); mapping HL7 to lab types is a
//     separate layer built on top of this one.
package hl7
