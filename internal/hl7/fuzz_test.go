package hl7_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
)

// FuzzParse feeds arbitrary bytes to the parser. Whatever the input: no
// panic; a rejected input yields a *ParseError and a usable AR ACK; an
// accepted input survives Encode → Parse with every value unchanged, and
// every accessor can be called on it.
func FuzzParse(f *testing.F) {
	for _, name := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"MSH|^~\\&",
		"MSH|^~\\&#|A\rPID|1||a^b&c~d\\X41\\\\.br\\\\P\\",
		"MSH!@*$%!A\nPID!a$F$b@c\r\n\r\n  \n",
		"\xef\xbb\xbfMSH|^~\\&|||||||ORU^R01|1|P|2.5\rOBR|1\rOBX|1\rNTE|1\rSPM|1\rOBX|2\rNTE|2\rORC|1\rOBR|2",
		"MSH|^~\\&|||||||OUL^R22|1|P|2.7\rSPM|1\rOBX|1\rNTE|1\rOBR|1\rORC|1\rOBX|1\rNTE|1\rSPM|2\rNTE|2",
		"MSH|^~\\&\rPID",
		"MSH|^~\\&\r\t\rpid|1",
		"MSH^^~\\&",
		"MSH|^~\\&|\\X\\|\\Xzz\\|\\",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parser{MaxSize: 1 << 16}.Parse(data)
		if err != nil {
			var pe *hl7.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, hl7.ErrMalformed) {
				t.Fatalf("error %v is not a *ParseError matching ErrMalformed", err)
			}
			ack := hl7.ACKForError(data, err)
			if _, err := hl7.Parse(ack.Encode()); err != nil {
				t.Fatalf("AR for a rejected input does not parse: %v", err)
			}
			return
		}
		enc := m.Encode()
		again, err := hl7.Parse(enc)
		if err != nil {
			t.Fatalf("re-parse of encoded message failed: %v", err)
		}
		if !slices.Equal(leaves(m), leaves(again)) {
			t.Fatalf("values changed after Encode and Parse")
		}
		if !bytes.Equal(again.Encode(), enc) {
			t.Fatalf("encoding is not stable")
		}
		exercise(t, again)
	})
}

// exercise calls every reader so that the fuzzer explores them too.
func exercise(t *testing.T, m *hl7.Message) {
	_ = m.String()
	for _, p := range []string{"MSH-1", "MSH-2", "MSH-9-2", "PID-3(2)-4-2", "OBX(2)-5", "ZZZ-1"} {
		_, _ = m.Lookup(p)
	}
	msh := m.MSH()
	_, _, _, _ = msh.SendingApplication(), msh.MessageType(), msh.ControlID(), msh.Version()
	pid := m.PID()
	_, _, _, _ = pid.Identifiers(), pid.PatientName(), pid.Address(), pid.HomePhone().Phone()
	for _, p := range m.Patients() {
		for _, o := range p.Orders {
			_, _, _ = o.ORC.PlacerOrderNumber(), o.OBR.UniversalServiceID(), o.OBR.Priority()
			for _, obs := range o.Observations {
				_, _, _, _ = obs.OBX.ObservationID(), obs.OBX.Value(), obs.OBX.Units(), obs.OBX.AbnormalFlags()
				for _, n := range obs.Notes {
					_ = n.Comment()
				}
			}
			for _, s := range o.Specimens {
				_, _ = s.SPM.SpecimenID(), s.SPM.SpecimenType()
			}
		}
	}
	_, _ = m.ERR().Location(), m.ERR().Code()
	ack := hl7.ACK(m, hl7.AE, hl7.WithError(hl7.ErrorDetail{Location: hl7.ERL{Segment: "PID", Sequence: 1, Field: 3}, Code: hl7.CodeRequiredFieldMissing}))
	back, err := hl7.Parse(ack.Encode())
	if err != nil {
		t.Fatalf("ACK does not parse: %v", err)
	}
	if back.MSA().ControlID() != m.ControlID() {
		t.Fatalf("MSA-2 %q != MSH-10 %q", back.MSA().ControlID(), m.ControlID())
	}
	if err := m.Set("ZZZ(2)-3(2)-2-2", "a|b^c\r\nd"); err != nil {
		t.Fatal(err)
	}
	if _, err := hl7.Parse(m.Encode()); err != nil {
		t.Fatalf("message does not parse after Set: %v", err)
	}
}
