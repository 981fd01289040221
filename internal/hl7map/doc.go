// Package hl7map maps between HL7 v2 messages (internal/hl7) and IMP's lab
// domain (internal/lab):
//
//   - orders to the LIS: EncodeORM (ORM^O01) and EncodeOML (OML^O21);
//   - orders from partners: DecodeOrder and DecodeOrders (ORM^O01, OML^O21);
//   - results from the LIS: DecodeResults (ORU^R01, OUL^R21-R24);
//   - order progress from the LIS: DecodeStatus (ORC-5, OBR-25);
//   - the LIS patient registry: EncodeADT (ADT^A04, ADT^A08) and
//     DecodeCustomer;
//   - results to partners: EncodeORU (ORU^R01) and, for partners that take
//     FHIR R4, FHIRServiceRequest and FHIRResultBundle;
//   - routing at the MLLP listener: Classify and Unsupported.
//
// The functions are pure: the same input and Options give the same output.
// What differs between LIS installations (application and facility names,
// HL7 version, time zone, the assigning authority of patient ids, which
// order number is the accession number) is an Options value, and so are
// the clock and the IMP message id, so tests are deterministic and a
// resent message carries the same MSH-10 (ControlID).
//
// The rules that matter downstream, each documented on its function:
// the accession number is the placer order number IMP sent (or the
// filler's, per Options.Accession); a decoded record's version is MSH-7 in
// microseconds, so a correction sent later wins under lab.Result.Newer and
// a resent old message never does; the customer id is the PID-3
// identifier assigned by Options.AssigningAuthority, else the first.
//
// Decoders check what they map against the rules of the lab types they
// return: a nil error means every result passes lab.Result.Validate, every
// order lab.Order.Validate, and so on. Errors are *Error values that name
// the segment occurrence and field ("OBX(3)-3: missing test code") and
// carry an HL7 table 0357 code, so the listener can answer AE or AR with
// an ERR segment built from Error.Detail.
//
// This package must never:
//   - put message content in error texts: they go back to senders in ACKs
//     and into logs, and HL7 carries patient data. Errors name positions
//     and rules only;
//   - log, do I/O, or read the clock other than through Options.Now (which
//     defaults to time.Now when encoding);
//   - panic on any message the codec accepts (FuzzDecode guards this).
package hl7map
