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

func (h MSH) FieldSeparator() string        { return h.str(1) }              // MSH-1
func (h MSH) EncodingCharacters() string    { return h.str(2) }              // MSH-2
func (h MSH) SendingApplication() HD        { return DecodeHD(h.Field(3)) }  // MSH-3
func (h MSH) SendingFacility() HD           { return DecodeHD(h.Field(4)) }  // MSH-4
func (h MSH) ReceivingApplication() HD      { return DecodeHD(h.Field(5)) }  // MSH-5
func (h MSH) ReceivingFacility() HD         { return DecodeHD(h.Field(6)) }  // MSH-6
func (h MSH) DateTime() string              { return h.str(7) }              // MSH-7
func (h MSH) Security() string              { return h.str(8) }              // MSH-8
func (h MSH) MessageType() MSG              { return DecodeMSG(h.Field(9)) } // MSH-9
func (h MSH) ControlID() string             { return h.str(10) }             // MSH-10
func (h MSH) ProcessingID() string          { return h.str(11) }             // MSH-11.1: P, T or D
func (h MSH) Version() string               { return h.str(12) }             // MSH-12.1, e.g. "2.5.1"
func (h MSH) SequenceNumber() string        { return h.str(13) }             // MSH-13
func (h MSH) AcceptAckType() string         { return h.str(15) }             // MSH-15: AL, NE, ER, SU
func (h MSH) ApplicationAckType() string    { return h.str(16) }             // MSH-16
func (h MSH) CountryCode() string           { return h.str(17) }             // MSH-17
func (h MSH) CharacterSet() string          { return h.str(18) }             // MSH-18, first repetition
func (h MSH) MessageProfile() EI            { return DecodeEI(h.Field(21)) } // MSH-21, first repetition
func (h MSH) SendingResponsibleOrg() string { return h.Field(22).String() }  // MSH-22.1 (v2.7)

// PID is patient identification.
type PID struct{ Segment }

// PID returns the first PID segment, or the zero PID.
func (m *Message) PID() PID { return PID{m.First("PID")} }

func (p PID) SetID() string          { return p.str(1) }                       // PID-1
func (p PID) Identifiers() []CX      { return reps(p.Segment, 3, DecodeCX) }   // PID-3, every repetition
func (p PID) PatientName() XPN       { return DecodeXPN(p.Field(5)) }          // PID-5, first repetition
func (p PID) Names() []XPN           { return reps(p.Segment, 5, DecodeXPN) }  // PID-5, every repetition
func (p PID) MotherMaidenName() XPN  { return DecodeXPN(p.Field(6)) }          // PID-6
func (p PID) BirthDate() string      { return p.str(7) }                       // PID-7 (DTM)
func (p PID) Sex() string            { return p.str(8) }                       // PID-8: F, M, O, U, A, N
func (p PID) Address() XAD           { return DecodeXAD(p.Field(11)) }         // PID-11, first repetition
func (p PID) HomePhone() XTN         { return DecodeXTN(p.Field(13)) }         // PID-13, first repetition
func (p PID) HomePhones() []XTN      { return reps(p.Segment, 13, DecodeXTN) } // PID-13, every repetition
func (p PID) BusinessPhone() XTN     { return DecodeXTN(p.Field(14)) }         // PID-14
func (p PID) AccountNumber() CX      { return DecodeCX(p.Field(18)) }          // PID-18
func (p PID) DeathTime() string      { return p.str(29) }                      // PID-29
func (p PID) DeathIndicator() string { return p.str(30) }                      // PID-30

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

func (v PV1) SetID() string           { return v.str(1) }              // PV1-1
func (v PV1) PatientClass() string    { return v.str(2) }              // PV1-2: I, O, E ...
func (v PV1) AssignedLocation() PL    { return DecodePL(v.Field(3)) }  // PV1-3
func (v PV1) AttendingDoctor() XCN    { return DecodeXCN(v.Field(7)) } // PV1-7
func (v PV1) ReferringDoctor() XCN    { return DecodeXCN(v.Field(8)) } // PV1-8
func (v PV1) HospitalService() string { return v.str(10) }             // PV1-10
func (v PV1) PatientType() string     { return v.str(18) }             // PV1-18
func (v PV1) VisitNumber() CX         { return DecodeCX(v.Field(19)) } // PV1-19
func (v PV1) AdmitTime() string       { return v.str(44) }             // PV1-44
func (v PV1) DischargeTime() string   { return v.str(45) }             // PV1-45

// ORC is the common order segment.
type ORC struct{ Segment }

func (o ORC) OrderControl() string      { return o.str(1) }               // ORC-1: NW, CA, SC, RE ...
func (o ORC) PlacerOrderNumber() EI     { return DecodeEI(o.Field(2)) }   // ORC-2
func (o ORC) FillerOrderNumber() EI     { return DecodeEI(o.Field(3)) }   // ORC-3
func (o ORC) PlacerGroupNumber() EI     { return DecodeEI(o.Field(4)) }   // ORC-4
func (o ORC) OrderStatus() string       { return o.str(5) }               // ORC-5: A, CA, CM, IP, SC ...
func (o ORC) ResponseFlag() string      { return o.str(6) }               // ORC-6
func (o ORC) TransactionTime() string   { return o.str(9) }               // ORC-9
func (o ORC) EnteredBy() XCN            { return DecodeXCN(o.Field(10)) } // ORC-10
func (o ORC) OrderingProvider() XCN     { return DecodeXCN(o.Field(12)) } // ORC-12, first repetition
func (o ORC) CallBackPhone() XTN        { return DecodeXTN(o.Field(14)) } // ORC-14
func (o ORC) EffectiveTime() string     { return o.str(15) }              // ORC-15
func (o ORC) OrderControlReason() CWE   { return DecodeCWE(o.Field(16)) } // ORC-16
func (o ORC) EnteringOrganization() CWE { return DecodeCWE(o.Field(17)) } // ORC-17
func (o ORC) OrderingFacility() string  { return o.str(21) }              // ORC-21.1 facility name

// OBR is the observation request: one ordered test or panel.
type OBR struct{ Segment }

func (o OBR) SetID() string                    { return o.str(1) }                             // OBR-1
func (o OBR) PlacerOrderNumber() EI            { return DecodeEI(o.Field(2)) }                 // OBR-2
func (o OBR) FillerOrderNumber() EI            { return DecodeEI(o.Field(3)) }                 // OBR-3
func (o OBR) UniversalServiceID() CWE          { return DecodeCWE(o.Field(4)) }                // OBR-4: code^text^system
func (o OBR) RequestedTime() string            { return o.str(6) }                             // OBR-6
func (o OBR) ObservationTime() string          { return o.str(7) }                             // OBR-7: specimen collection start
func (o OBR) ObservationEndTime() string       { return o.str(8) }                             // OBR-8: specimen collection end
func (o OBR) CollectionVolume() string         { return o.str(9) }                             // OBR-9.1
func (o OBR) Collector() XCN                   { return DecodeXCN(o.Field(10)) }               // OBR-10
func (o OBR) SpecimenActionCode() string       { return o.str(11) }                            // OBR-11: A, G, L, O ...
func (o OBR) RelevantClinicalInfo() string     { return o.str(13) }                            // OBR-13
func (o OBR) SpecimenReceivedTime() string     { return o.str(14) }                            // OBR-14 (before v2.7)
func (o OBR) SpecimenSource() string           { return o.str(15) }                            // OBR-15.1 (before v2.7)
func (o OBR) OrderingProvider() XCN            { return DecodeXCN(o.Field(16)) }               // OBR-16
func (o OBR) ResultsTime() string              { return o.str(22) }                            // OBR-22: results report/status change
func (o OBR) DiagnosticServiceSection() string { return o.str(24) }                            // OBR-24
func (o OBR) ResultStatus() string             { return o.str(25) }                            // OBR-25: O, I, S, P, C, R, F, X ...
func (o OBR) ParentResult() string             { return o.str(26) }                            // OBR-26.1
func (o OBR) ReasonForStudy() CWE              { return DecodeCWE(o.Field(31)) }               // OBR-31
func (o OBR) PrincipalInterpreter() string     { return o.Field(32).Subcomponent(2).String() } // OBR-32.1.2 family name

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

func (o OBX) SetID() string                  { return o.str(1) }                         // OBX-1
func (o OBX) ValueType() string              { return o.str(2) }                         // OBX-2: NM, ST, TX, CWE, SN, ED ...
func (o OBX) ObservationID() CWE             { return DecodeCWE(o.Field(3)) }            // OBX-3: code^text^system
func (o OBX) SubID() string                  { return o.str(4) }                         // OBX-4
func (o OBX) Units() CWE                     { return DecodeCWE(o.Field(6)) }            // OBX-6
func (o OBX) ReferenceRange() string         { return o.str(7) }                         // OBX-7
func (o OBX) AbnormalFlags() []string        { return reps(o.Segment, 8, Value.String) } // OBX-8, every repetition
func (o OBX) Probability() string            { return o.str(9) }                         // OBX-9
func (o OBX) ResultStatus() string           { return o.str(11) }                        // OBX-11: F, P, C, X, D, I, R ...
func (o OBX) ObservationTime() string        { return o.str(14) }                        // OBX-14
func (o OBX) ProducerID() CWE                { return DecodeCWE(o.Field(15)) }           // OBX-15: performing lab
func (o OBX) ResponsibleObserver() XCN       { return DecodeXCN(o.Field(16)) }           // OBX-16
func (o OBX) Method() CWE                    { return DecodeCWE(o.Field(17)) }           // OBX-17
func (o OBX) AnalysisTime() string           { return o.str(19) }                        // OBX-19
func (o OBX) PerformingOrganization() string { return o.str(23) }                        // OBX-23.1

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

func (n NTE) SetID() string      { return n.str(1) }                         // NTE-1
func (n NTE) Source() string     { return n.str(2) }                         // NTE-2: L, P, O
func (n NTE) Comments() []string { return reps(n.Segment, 3, Value.String) } // NTE-3, every repetition
func (n NTE) CommentType() CWE   { return DecodeCWE(n.Field(4)) }            // NTE-4

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

func (s SPM) SetID() string           { return s.str(1) }                          // SPM-1
func (s SPM) SpecimenID() EIP         { return DecodeEIP(s.Field(2)) }             // SPM-2: placer&...^filler&...
func (s SPM) ParentSpecimenID() EIP   { return DecodeEIP(s.Field(3)) }             // SPM-3, first repetition
func (s SPM) SpecimenType() CWE       { return DecodeCWE(s.Field(4)) }             // SPM-4
func (s SPM) TypeModifier() CWE       { return DecodeCWE(s.Field(5)) }             // SPM-5
func (s SPM) Additives() CWE          { return DecodeCWE(s.Field(6)) }             // SPM-6
func (s SPM) CollectionMethod() CWE   { return DecodeCWE(s.Field(7)) }             // SPM-7
func (s SPM) SourceSite() CWE         { return DecodeCWE(s.Field(8)) }             // SPM-8
func (s SPM) Role() CWE               { return DecodeCWE(s.Field(11)) }            // SPM-11
func (s SPM) CollectionStart() string { return s.str(17) }                         // SPM-17.1
func (s SPM) CollectionEnd() string   { return s.Field(17).Component(2).String() } // SPM-17.2
func (s SPM) ReceivedTime() string    { return s.str(18) }                         // SPM-18
func (s SPM) Availability() string    { return s.str(20) }                         // SPM-20: Y/N
func (s SPM) RejectReason() CWE       { return DecodeCWE(s.Field(21)) }            // SPM-21
func (s SPM) Condition() CWE          { return DecodeCWE(s.Field(24)) }            // SPM-24
func (s SPM) ContainerType() CWE      { return DecodeCWE(s.Field(27)) }            // SPM-27

// TQ1 is timing/quantity (v2.5 and later).
type TQ1 struct{ Segment }

func (t TQ1) SetID() string           { return t.str(1) }              // TQ1-1
func (t TQ1) Quantity() string        { return t.str(2) }              // TQ1-2.1
func (t TQ1) StartTime() string       { return t.str(7) }              // TQ1-7
func (t TQ1) EndTime() string         { return t.str(8) }              // TQ1-8
func (t TQ1) Priority() string        { return t.str(9) }              // TQ1-9.1: S (stat), A (ASAP), R (routine) ...
func (t TQ1) PriorityCode() CWE       { return DecodeCWE(t.Field(9)) } // TQ1-9
func (t TQ1) ConditionText() string   { return t.str(10) }             // TQ1-10
func (t TQ1) TextInstruction() string { return t.str(11) }             // TQ1-11

// MSA is the message acknowledgment.
type MSA struct{ Segment }

// MSA returns the first MSA segment, or the zero MSA.
func (m *Message) MSA() MSA { return MSA{m.First("MSA")} }

func (a MSA) AckCode() AckCode    { return AckCode(a.str(1)) }     // MSA-1
func (a MSA) ControlID() string   { return a.str(2) }              // MSA-2: MSH-10 of the acknowledged message
func (a MSA) Text() string        { return a.str(3) }              // MSA-3 (deprecated in v2.5, still common)
func (a MSA) ErrorCondition() CWE { return DecodeCWE(a.Field(6)) } // MSA-6 (before v2.5)

// ERR is an error in an acknowledgment.
type ERR struct{ Segment }

// ERR returns the first ERR segment, or the zero ERR.
func (m *Message) ERR() ERR { return ERR{m.First("ERR")} }

func (e ERR) Severity() string      { return e.str(4) }              // ERR-4: E, W, I, F
func (e ERR) ApplicationError() CWE { return DecodeCWE(e.Field(5)) } // ERR-5
func (e ERR) Diagnostic() string    { return e.str(7) }              // ERR-7
func (e ERR) UserMessage() string   { return e.str(8) }              // ERR-8

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
