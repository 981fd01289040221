// Package hl7map maps between HL7 v2 messages (internal/hl7) and IMP's lab
// domain (internal/lab): orders to ORM^O01 and OML^O21 and back, ORU^R01 and
// OUL^R2x to results, ORC-5/OBR-25 to status events, customers to ADT^A04
// and ADT^A08 and back, results to ORU^R01, and orders and results to FHIR
// R4 JSON for partners that want it. Classify tells the MLLP listener what an
// inbound message is, so it can route it or reject it.
//
// Every function is pure: the same input and Options give the same output.
// What differs between LIS installations (application and facility names,
// HL7 version, time zone, the assigning authority of patient ids, which
// order number is the accession number) is an Options value, and the clock
// and control ids are Options too, so tests are deterministic and a resent
// message carries the same MSH-10 (see ControlID).
//
// Decoders check what they map against the rules of the lab types they
// return: a nil error means every result passes lab.Result.Validate, every
// order lab.Order.Validate, and so on. Errors are *Error values that name
// the segment occurrence and field (e.g. "OBX(3)-3: missing test code") and
// carry an HL7 table 0357 code, so the listener can answer AE or AR with an
// ERR segment built from Error.Detail.
//
// This package must never:
//   - put message content in error texts: they go back to senders in ACKs and
//     into logs, and HL7 carries patient data. Errors name positions and
//     rules only;
//   - log, do I/O or read the clock except through Options.Now;
//   - panic on any message the codec accepts (FuzzDecode guards this).
package hl7map
