package hl7

// Typed views of the segments a lab integration reads. Each embeds Segment,
// so Field and the other Segment methods stay available for anything not
// covered here, and each method locates its field when called: decoding
// only what a mapping needs keeps parse-and-map cheap. Times are returned
// as the raw DTM text; convert them with ParseTime.
//
// Method names follow the HL7 element names, except where they would clash
// with Segment's own methods (PID.PatientName, not Name).

func (s Segment) str(n int) string { return s.Field(n).String() }

// reps returns every repetition of field n decoded with dec.
func reps[T any](s Segment, n int, dec func(Value) T) []T {
	f := s.Field(n)
	k := f.Reps()
	if k == 0 {
		return nil
	}
	out := make([]T, 0, k)
	for i := 1; i <= k; i++ {
		out = append(out, dec(f.Rep(i)))
	}
	return out
}

// MSH is the message header.
type MSH struct{ Segment }

// MSH returns the message header (the first segment).
func (m *Message) MSH() MSH {
	if len(m.segs) == 0 {
		return MSH{}
	}
	return MSH{m.Segment(1)}
}

// FieldSeparator returns MSH-1.
func (h MSH) FieldSeparator() string { return h.str(1) }

// EncodingCharacters returns MSH-2.
func (h MSH) EncodingCharacters() string { return h.str(2) }

// SendingApplication returns MSH-3.
func (h MSH) SendingApplication() HD { return DecodeHD(h.Field(3)) }

// SendingFacility returns MSH-4.
func (h MSH) SendingFacility() HD { return DecodeHD(h.Field(4)) }

// ReceivingApplication returns MSH-5.
func (h MSH) ReceivingApplication() HD { return DecodeHD(h.Field(5)) }

// ReceivingFacility returns MSH-6.
func (h MSH) ReceivingFacility() HD { return DecodeHD(h.Field(6)) }

// DateTime returns MSH-7.
func (h MSH) DateTime() string { return h.str(7) }

// Security returns MSH-8.
func (h MSH) Security() string { return h.str(8) }

// MessageType returns MSH-9.
func (h MSH) MessageType() MSG { return DecodeMSG(h.Field(9)) }

// ControlID returns MSH-10.
func (h MSH) ControlID() string { return h.str(10) }

// ProcessingID returns MSH-11.1: P, T or D.
func (h MSH) ProcessingID() string { return h.str(11) }

// Version returns MSH-12.1, e.g. "2.5.1".
func (h MSH) Version() string { return h.str(12) }

// SequenceNumber returns MSH-13.
func (h MSH) SequenceNumber() string { return h.str(13) }

// AcceptAckType returns MSH-15: AL, NE, ER, SU.
func (h MSH) AcceptAckType() string { return h.str(15) }

// ApplicationAckType returns MSH-16.
func (h MSH) ApplicationAckType() string { return h.str(16) }

// CountryCode returns MSH-17.
func (h MSH) CountryCode() string { return h.str(17) }

// CharacterSet returns MSH-18, first repetition.
func (h MSH) CharacterSet() string { return h.str(18) }

// MessageProfile returns MSH-21, first repetition.
func (h MSH) MessageProfile() EI { return DecodeEI(h.Field(21)) }

// SendingResponsibleOrg returns MSH-22.1 (v2.7).
func (h MSH) SendingResponsibleOrg() string { return h.Field(22).String() }

// PID is patient identification.
type PID struct{ Segment }

// PID returns the first PID segment, or the zero PID.
func (m *Message) PID() PID { return PID{m.First("PID")} }

// SetID returns PID-1.
func (p PID) SetID() string { return p.str(1) }

// Identifiers returns PID-3, every repetition.
func (p PID) Identifiers() []CX { return reps(p.Segment, 3, DecodeCX) }

// PatientName returns PID-5, first repetition.
func (p PID) PatientName() XPN { return DecodeXPN(p.Field(5)) }

// Names returns PID-5, every repetition.
func (p PID) Names() []XPN { return reps(p.Segment, 5, DecodeXPN) }

// MotherMaidenName returns PID-6.
func (p PID) MotherMaidenName() XPN { return DecodeXPN(p.Field(6)) }

// BirthDate returns PID-7 (DTM).
func (p PID) BirthDate() string { return p.str(7) }

// Sex returns PID-8: F, M, O, U, A, N.
func (p PID) Sex() string { return p.str(8) }

// Address returns PID-11, first repetition.
func (p PID) Address() XAD { return DecodeXAD(p.Field(11)) }

// HomePhone returns PID-13, first repetition.
func (p PID) HomePhone() XTN { return DecodeXTN(p.Field(13)) }

// HomePhones returns PID-13, every repetition.
func (p PID) HomePhones() []XTN { return reps(p.Segment, 13, DecodeXTN) }

// BusinessPhone returns PID-14.
func (p PID) BusinessPhone() XTN { return DecodeXTN(p.Field(14)) }

// AccountNumber returns PID-18.
func (p PID) AccountNumber() CX { return DecodeCX(p.Field(18)) }

// DeathTime returns PID-29.
func (p PID) DeathTime() string { return p.str(29) }

// DeathIndicator returns PID-30.
func (p PID) DeathIndicator() string { return p.str(30) }

// Identifier returns the first PID-3 identifier of the given type code
// (e.g. "MR"), or false.
func (p PID) Identifier(typeCode string) (CX, bool) {
	f := p.Field(3)
	for i := 1; i <= f.Reps(); i++ {
		if f.Rep(i).Component(5).String() == typeCode {
			return DecodeCX(f.Rep(i)), true
		}
	}
	return CX{}, false
}

// PV1 is the patient visit.
type PV1 struct{ Segment }

// PV1 returns the first PV1 segment, or the zero PV1.
func (m *Message) PV1() PV1 { return PV1{m.First("PV1")} }

// SetID returns PV1-1.
func (v PV1) SetID() string { return v.str(1) }

// PatientClass returns PV1-2: I, O, E ...
func (v PV1) PatientClass() string { return v.str(2) }

// AssignedLocation returns PV1-3.
func (v PV1) AssignedLocation() PL { return DecodePL(v.Field(3)) }

// AttendingDoctor returns PV1-7.
func (v PV1) AttendingDoctor() XCN { return DecodeXCN(v.Field(7)) }

// ReferringDoctor returns PV1-8.
func (v PV1) ReferringDoctor() XCN { return DecodeXCN(v.Field(8)) }

// HospitalService returns PV1-10.
func (v PV1) HospitalService() string { return v.str(10) }

// PatientType returns PV1-18.
func (v PV1) PatientType() string { return v.str(18) }

// VisitNumber returns PV1-19.
func (v PV1) VisitNumber() CX { return DecodeCX(v.Field(19)) }

// AdmitTime returns PV1-44.
func (v PV1) AdmitTime() string { return v.str(44) }

// DischargeTime returns PV1-45.
func (v PV1) DischargeTime() string { return v.str(45) }

// ORC is the common order segment.
type ORC struct{ Segment }

// OrderControl returns ORC-1: NW, CA, SC, RE ...
func (o ORC) OrderControl() string { return o.str(1) }

// PlacerOrderNumber returns ORC-2.
func (o ORC) PlacerOrderNumber() EI { return DecodeEI(o.Field(2)) }

// FillerOrderNumber returns ORC-3.
func (o ORC) FillerOrderNumber() EI { return DecodeEI(o.Field(3)) }

// PlacerGroupNumber returns ORC-4.
func (o ORC) PlacerGroupNumber() EI { return DecodeEI(o.Field(4)) }

// OrderStatus returns ORC-5: A, CA, CM, IP, SC ...
func (o ORC) OrderStatus() string { return o.str(5) }

// ResponseFlag returns ORC-6.
func (o ORC) ResponseFlag() string { return o.str(6) }

// TransactionTime returns ORC-9.
func (o ORC) TransactionTime() string { return o.str(9) }

// EnteredBy returns ORC-10.
func (o ORC) EnteredBy() XCN { return DecodeXCN(o.Field(10)) }

// OrderingProvider returns ORC-12, first repetition.
func (o ORC) OrderingProvider() XCN { return DecodeXCN(o.Field(12)) }

// CallBackPhone returns ORC-14.
func (o ORC) CallBackPhone() XTN { return DecodeXTN(o.Field(14)) }

// EffectiveTime returns ORC-15.
func (o ORC) EffectiveTime() string { return o.str(15) }

// OrderControlReason returns ORC-16.
func (o ORC) OrderControlReason() CWE { return DecodeCWE(o.Field(16)) }

// EnteringOrganization returns ORC-17.
func (o ORC) EnteringOrganization() CWE { return DecodeCWE(o.Field(17)) }

// OrderingFacility returns ORC-21.1 facility name.
func (o ORC) OrderingFacility() string { return o.str(21) }

// OBR is the observation request: one ordered test or panel.
type OBR struct{ Segment }

// SetID returns OBR-1.
func (o OBR) SetID() string { return o.str(1) }

// PlacerOrderNumber returns OBR-2.
func (o OBR) PlacerOrderNumber() EI { return DecodeEI(o.Field(2)) }

// FillerOrderNumber returns OBR-3.
func (o OBR) FillerOrderNumber() EI { return DecodeEI(o.Field(3)) }

// UniversalServiceID returns OBR-4: code^text^system.
func (o OBR) UniversalServiceID() CWE { return DecodeCWE(o.Field(4)) }

// RequestedTime returns OBR-6.
func (o OBR) RequestedTime() string { return o.str(6) }

// ObservationTime returns OBR-7: specimen collection start.
func (o OBR) ObservationTime() string { return o.str(7) }

// ObservationEndTime returns OBR-8: specimen collection end.
func (o OBR) ObservationEndTime() string { return o.str(8) }

// CollectionVolume returns OBR-9.1.
func (o OBR) CollectionVolume() string { return o.str(9) }

// Collector returns OBR-10.
func (o OBR) Collector() XCN { return DecodeXCN(o.Field(10)) }

// SpecimenActionCode returns OBR-11: A, G, L, O ...
func (o OBR) SpecimenActionCode() string { return o.str(11) }

// RelevantClinicalInfo returns OBR-13.
func (o OBR) RelevantClinicalInfo() string { return o.str(13) }

// SpecimenReceivedTime returns OBR-14 (before v2.7).
func (o OBR) SpecimenReceivedTime() string { return o.str(14) }

// SpecimenSource returns OBR-15.1 (before v2.7).
func (o OBR) SpecimenSource() string { return o.str(15) }

// OrderingProvider returns OBR-16.
func (o OBR) OrderingProvider() XCN { return DecodeXCN(o.Field(16)) }

// ResultsTime returns OBR-22: results report/status change.
func (o OBR) ResultsTime() string { return o.str(22) }

// DiagnosticServiceSection returns OBR-24.
func (o OBR) DiagnosticServiceSection() string { return o.str(24) }

// ResultStatus returns OBR-25: O, I, S, P, C, R, F, X ...
func (o OBR) ResultStatus() string { return o.str(25) }

// ParentResult returns OBR-26.1.
func (o OBR) ParentResult() string { return o.str(26) }

// ReasonForStudy returns OBR-31.
func (o OBR) ReasonForStudy() CWE { return DecodeCWE(o.Field(31)) }

// PrincipalInterpreter returns OBR-32.1.2 family name.
func (o OBR) PrincipalInterpreter() string { return o.Field(32).Subcomponent(2).String() }

// Priority returns the order priority: OBR-5 (v2.3 and v2.4), or else the
// priority component of the quantity/timing in OBR-27.6. From v2.5 on,
// senders put it in TQ1-9 instead; see TQ1.Priority.
func (o OBR) Priority() string {
	if p := o.str(5); p != "" {
		return p
	}
	return o.Field(27).Component(6).String()
}

// OBX is one observation: a result value.
type OBX struct{ Segment }

// SetID returns OBX-1.
func (o OBX) SetID() string { return o.str(1) }

// ValueType returns OBX-2: NM, ST, TX, CWE, SN, ED ...
func (o OBX) ValueType() string { return o.str(2) }

// ObservationID returns OBX-3: code^text^system.
func (o OBX) ObservationID() CWE { return DecodeCWE(o.Field(3)) }

// SubID returns OBX-4.
func (o OBX) SubID() string { return o.str(4) }

// Units returns OBX-6.
func (o OBX) Units() CWE { return DecodeCWE(o.Field(6)) }

// ReferenceRange returns OBX-7.
func (o OBX) ReferenceRange() string { return o.str(7) }

// AbnormalFlags returns OBX-8, every repetition.
func (o OBX) AbnormalFlags() []string { return reps(o.Segment, 8, Value.String) }

// Probability returns OBX-9.
func (o OBX) Probability() string { return o.str(9) }

// ResultStatus returns OBX-11: F, P, C, X, D, I, R ...
func (o OBX) ResultStatus() string { return o.str(11) }

// ObservationTime returns OBX-14.
func (o OBX) ObservationTime() string { return o.str(14) }

// ProducerID returns OBX-15: performing lab.
func (o OBX) ProducerID() CWE { return DecodeCWE(o.Field(15)) }

// ResponsibleObserver returns OBX-16.
func (o OBX) ResponsibleObserver() XCN { return DecodeXCN(o.Field(16)) }

// Method returns OBX-17.
func (o OBX) Method() CWE { return DecodeCWE(o.Field(17)) }

// AnalysisTime returns OBX-19.
func (o OBX) AnalysisTime() string { return o.str(19) }

// PerformingOrganization returns OBX-23.1.
func (o OBX) PerformingOrganization() string { return o.str(23) }

// Value returns OBX-5 as text: the first component of the first
// repetition, unescaped. That is the whole value for NM, ST, TX, FT, DT,
// TS and the code for CWE/CE; use CodedValue, Values or ValueField for
// structured types.
func (o OBX) Value() string { return o.str(5) }

// Values returns the first component of every OBX-5 repetition, as used by
// multi-line TX results.
func (o OBX) Values() []string { return reps(o.Segment, 5, Value.String) }

// CodedValue decodes OBX-5 as a coded value (value type CWE, CE or CNE).
func (o OBX) CodedValue() CWE { return DecodeCWE(o.Field(5)) }

// ValueField returns OBX-5 as a view, for SN, ED and other composite types.
func (o OBX) ValueField() Value { return o.Field(5) }

// NTE is a note or comment.
type NTE struct{ Segment }

// SetID returns NTE-1.
func (n NTE) SetID() string { return n.str(1) }

// Source returns NTE-2: L, P, O.
func (n NTE) Source() string { return n.str(2) }

// Comments returns NTE-3, every repetition.
func (n NTE) Comments() []string { return reps(n.Segment, 3, Value.String) }

// CommentType returns NTE-4.
func (n NTE) CommentType() CWE { return DecodeCWE(n.Field(4)) }

// Comment returns NTE-3 with repetitions joined by line breaks.
func (n NTE) Comment() string {
	f := n.Field(3)
	if f.Reps() <= 1 {
		return f.String()
	}
	var b []byte
	for i := 1; i <= f.Reps(); i++ {
		if i > 1 {
			b = append(b, '\n')
		}
		b = append(b, f.Rep(i).String()...)
	}
	return string(b)
}

// SPM is a specimen.
type SPM struct{ Segment }

// SetID returns SPM-1.
func (s SPM) SetID() string { return s.str(1) }

// SpecimenID returns SPM-2: placer&...^filler&...
func (s SPM) SpecimenID() EIP { return DecodeEIP(s.Field(2)) }

// ParentSpecimenID returns SPM-3, first repetition.
func (s SPM) ParentSpecimenID() EIP { return DecodeEIP(s.Field(3)) }

// SpecimenType returns SPM-4.
func (s SPM) SpecimenType() CWE { return DecodeCWE(s.Field(4)) }

// TypeModifier returns SPM-5.
func (s SPM) TypeModifier() CWE { return DecodeCWE(s.Field(5)) }

// Additives returns SPM-6.
func (s SPM) Additives() CWE { return DecodeCWE(s.Field(6)) }

// CollectionMethod returns SPM-7.
func (s SPM) CollectionMethod() CWE { return DecodeCWE(s.Field(7)) }

// SourceSite returns SPM-8.
func (s SPM) SourceSite() CWE { return DecodeCWE(s.Field(8)) }

// Role returns SPM-11.
func (s SPM) Role() CWE { return DecodeCWE(s.Field(11)) }

// CollectionStart returns SPM-17.1.
func (s SPM) CollectionStart() string { return s.str(17) }

// CollectionEnd returns SPM-17.2.
func (s SPM) CollectionEnd() string { return s.Field(17).Component(2).String() }

// ReceivedTime returns SPM-18.
func (s SPM) ReceivedTime() string { return s.str(18) }

// Availability returns SPM-20: Y/N.
func (s SPM) Availability() string { return s.str(20) }

// RejectReason returns SPM-21.
func (s SPM) RejectReason() CWE { return DecodeCWE(s.Field(21)) }

// Condition returns SPM-24.
func (s SPM) Condition() CWE { return DecodeCWE(s.Field(24)) }

// ContainerType returns SPM-27.
func (s SPM) ContainerType() CWE { return DecodeCWE(s.Field(27)) }

// TQ1 is timing/quantity (v2.5 and later).
type TQ1 struct{ Segment }

// SetID returns TQ1-1.
func (t TQ1) SetID() string { return t.str(1) }

// Quantity returns TQ1-2.1.
func (t TQ1) Quantity() string { return t.str(2) }

// StartTime returns TQ1-7.
func (t TQ1) StartTime() string { return t.str(7) }

// EndTime returns TQ1-8.
func (t TQ1) EndTime() string { return t.str(8) }

// Priority returns TQ1-9.1: S (stat), A (ASAP), R (routine) ...
func (t TQ1) Priority() string { return t.str(9) }

// PriorityCode returns TQ1-9.
func (t TQ1) PriorityCode() CWE { return DecodeCWE(t.Field(9)) }

// ConditionText returns TQ1-10.
func (t TQ1) ConditionText() string { return t.str(10) }

// TextInstruction returns TQ1-11.
func (t TQ1) TextInstruction() string { return t.str(11) }

// MSA is the message acknowledgment.
type MSA struct{ Segment }

// MSA returns the first MSA segment, or the zero MSA.
func (m *Message) MSA() MSA { return MSA{m.First("MSA")} }

// AckCode returns MSA-1.
func (a MSA) AckCode() AckCode { return AckCode(a.str(1)) }

// ControlID returns MSA-2: MSH-10 of the acknowledged message.
func (a MSA) ControlID() string { return a.str(2) }

// Text returns MSA-3 (deprecated in v2.5, still common).
func (a MSA) Text() string { return a.str(3) }

// ErrorCondition returns MSA-6 (before v2.5).
func (a MSA) ErrorCondition() CWE { return DecodeCWE(a.Field(6)) }

// ERR is an error in an acknowledgment.
type ERR struct{ Segment }

// ERR returns the first ERR segment, or the zero ERR.
func (m *Message) ERR() ERR { return ERR{m.First("ERR")} }

// Severity returns ERR-4: E, W, I, F.
func (e ERR) Severity() string { return e.str(4) }

// ApplicationError returns ERR-5.
func (e ERR) ApplicationError() CWE { return DecodeCWE(e.Field(5)) }

// Diagnostic returns ERR-7.
func (e ERR) Diagnostic() string { return e.str(7) }

// UserMessage returns ERR-8.
func (e ERR) UserMessage() string { return e.str(8) }

// Location returns where the error is: ERR-2, or for v2.3 and v2.4
// senders the location part of ERR-1 (segment^sequence^field).
func (e ERR) Location() ERL {
	if !e.Field(2).IsEmpty() {
		return DecodeERL(e.Field(2))
	}
	f := e.Field(1)
	return ERL{Segment: f.Component(1).String(), Sequence: atoi(f.Component(2).String()), Field: atoi(f.Component(3).String())}
}

// Code returns the table 0357 error code: ERR-3, or for v2.3 and v2.4
// senders ERR-1.4.
func (e ERR) Code() CWE {
	if !e.Field(3).IsEmpty() {
		return DecodeCWE(e.Field(3))
	}
	return DecodeCWE(e.Field(1).Component(4))
}
