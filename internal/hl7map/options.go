package hl7map

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/hl7"
)

// Options is what differs from one LIS (or partner) installation to
// another. The zero value works: IMP talks HL7 2.5.1 in UTC, and patient
// ids are the first PID-3 identifier.
type Options struct {
	// SendingApplication, SendingFacility, ReceivingApplication and
	// ReceivingFacility are MSH-3 to MSH-6 of the messages IMP encodes. The
	// sending application's namespace also names IMP as the assigner of
	// placer order numbers (ORC-2.2, OBR-2.2) and specimen ids.
	SendingApplication   hl7.HD
	SendingFacility      hl7.HD
	ReceivingApplication hl7.HD
	ReceivingFacility    hl7.HD

	// Version is MSH-12 of encoded messages; empty means hl7.DefaultVersion
	// (2.5.1). OML^O21 needs SPM and TQ1, so EncodeOML never declares less
	// than 2.5.1 whatever Version says.
	Version string

	// ProcessingID is MSH-11: P (production, the default), T or D.
	ProcessingID string

	// Location is the time zone of the LIS: HL7 times that carry no UTC
	// offset are read in it, and encoded times are written in it (with
	// their offset). nil means UTC. Decoded times are always returned in
	// UTC, so values from senders in different zones compare directly.
	Location *time.Location

	// AssigningAuthority is the namespace (HD.1) or universal id (HD.2) of
	// the authority that assigns IMP's customer ids. Encoders write it in
	// PID-3.4; decoders take the customer id from the PID-3 repetition with
	// that authority, else from the first repetition with an id.
	AssigningAuthority string

	// Accession says which order number is IMP's accession number in
	// results and status messages; see AccessionRule.
	Accession AccessionRule

	// Source is StatusEvent.Source for decoded status events; empty means
	// "lis".
	Source string

	// MessageID is the IMP message id that the encoded message carries
	// (one message, not one installation: set it per call). MSH-10 is
	// ControlID(MessageID), so a resent order or result carries the same
	// control id and the receiver can drop the duplicate. When empty,
	// encoders derive the control id from the record's key and version,
	// which is just as stable.
	MessageID string

	// Now is the clock for MSH-7 (and EVN-2) of encoded messages; nil means
	// time.Now.
	Now func() time.Time

	// PatientSystem, AccessionSystem and CodeSystem are, in FHIR output,
	// the identifier systems of customer ids and accession numbers and the
	// code system of IMP's local test codes; empty means
	// "urn:imp:customer-id", "urn:imp:accession-number" and
	// "urn:imp:test-code".
	PatientSystem   string
	AccessionSystem string
	CodeSystem      string
}

// AccessionRule says where results and status messages carry IMP's
// accession number.
type AccessionRule uint8

const (
	// PlacerFirst, the default, reads the placer order number: OBR-2.1,
	// else ORC-2.1 of the same order, and only when both are empty the
	// filler's OBR-3.1, else ORC-3.1. IMP is the placer: EncodeORM and
	// EncodeOML send the accession number as the placer order number, and
	// an LIS echoes it in results.
	PlacerFirst AccessionRule = iota
	// FillerFirst reads OBR-3.1, else ORC-3.1, then the placer fields, for
	// an LIS that assigns the accession numbers IMP stores.
	FillerFirst
)

func (o Options) version() string {
	if o.Version == "" {
		return hl7.DefaultVersion
	}
	return o.Version
}

func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

func (o Options) source() string {
	if o.Source == "" {
		return "lis"
	}
	return o.Source
}

func (o Options) patientSystem() string {
	if o.PatientSystem == "" {
		return "urn:imp:customer-id"
	}
	return o.PatientSystem
}

func (o Options) accessionSystem() string {
	if o.AccessionSystem == "" {
		return "urn:imp:accession-number"
	}
	return o.AccessionSystem
}

func (o Options) codeSystem() string {
	if o.CodeSystem == "" {
		return "urn:imp:test-code"
	}
	return o.CodeSystem
}

// placerNamespace is the assigning application of IMP's order numbers.
func (o Options) placerNamespace() string {
	if o.SendingApplication.NamespaceID == "" {
		return "IMP"
	}
	return o.SendingApplication.NamespaceID
}

// header returns the MSH content for an encoded message whose control id
// is derived from key unless MessageID is set.
func (o Options) header(version, key string) hl7.Header {
	id := o.MessageID
	if id == "" {
		id = key
	}
	return hl7.Header{
		SendingApplication:   o.SendingApplication,
		SendingFacility:      o.SendingFacility,
		ReceivingApplication: o.ReceivingApplication,
		ReceivingFacility:    o.ReceivingFacility,
		Time:                 o.now().In(o.location()),
		ControlID:            ControlID(id),
		ProcessingID:         o.ProcessingID,
		Version:              version,
	}
}

// controlIDEncoding writes base32 with the digits and upper-case letters
// 0-9 A-V only, which every HL7 receiver accepts in an ST field.
var controlIDEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// ControlID derives an MSH-10 message control id from an IMP message id
// (or any stable key): "IMP" and 17 base32 characters of its SHA-256, 20
// characters in all, the most MSH-10 holds in every HL7 version. The same
// id always gives the same control id, so a message resent after a timeout
// can be recognised by the receiver; 85 bits keep different ids apart.
func ControlID(messageID string) string {
	sum := sha256.Sum256([]byte(messageID))
	return "IMP" + controlIDEncoding.EncodeToString(sum[:11])[:17]
}

// structure returns the MSH-9.3 message structure for version, which
// exists from v2.4 on.
func structure(version, s string) string {
	if versionAtLeast(version, 2, 4) {
		return s
	}
	return ""
}

// versionAtLeast reports whether an HL7 version such as "2.5.1" is at
// least major.minor; unreadable versions count as recent.
func versionAtLeast(v string, major, minor int) bool {
	maj, rest, _ := strings.Cut(v, ".")
	mnr, _, _ := strings.Cut(rest, ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(mnr)
	if err1 != nil || err2 != nil {
		return true
	}
	return a > major || a == major && b >= minor
}
