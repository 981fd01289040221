// Package mllp implements the Minimal Lower Layer Protocol that carries
// HL7 v2 messages over TCP: framing (a Reader and WriteFrame), a Server
// that hands each message to a Handler and writes back its ACK, and a
// pooled Client that sends a message and waits for the ACK.
//
// MLLP frames a message as 0x0B <message> 0x1C 0x0D. Peers in the field
// are sloppy: they send stray CR/LF between frames, restart a frame without
// finishing the last one, or stop after 0x1C. The Reader tolerates all of
// that, enforces a maximum message size without buffering oversized frames,
// and resynchronises on the next start block.
//
// Delivery is at least once: a message whose ACK was not received must be
// resent, so receivers see duplicates after failures and must deduplicate
// (by MSH-10). The Server reads the next message on a connection only after
// the previous ACK is written, so one connection's messages are handled in
// order.
//
// This package must never:
//   - log message content or put it in errors. HL7 carries patient data;
//     logs get the remote address, sizes and control ids (MSH-10) only.
//   - decide what a message means. Parsing, validation and ACK content are
//     the Handler's job (internal/hl7 builds ACKs); the Server builds an ACK
//     itself only to reject a frame it refused to read.
//   - buffer without bound: every read is limited by the maximum message
//     size, and every wait by a deadline.
package mllp
