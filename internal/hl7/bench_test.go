package hl7_test

import (
	"testing"

	"github.com/imp-health/imp/internal/hl7"
)

// The result path must parse and map a ~2 KB ORU^R01 at 200,000 messages
// per second per core, so parsing has to stay near 2 µs with a couple of
// allocations. TestAllocations pins the allocation counts, which unlike
// timings are deterministic enough to test.

func BenchmarkParse(b *testing.B) {
	data := readFixture(b, "oru_r01.hl7")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hl7.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	m := mustParse(b, readFixture(b, "oru_r01.hl7"))
	buf := m.Encode()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.Run("Encode", func(b *testing.B) {
		for b.Loop() {
			buf = m.Encode()
		}
	})
	b.Run("AppendEncode", func(b *testing.B) {
		for b.Loop() {
			buf = m.AppendEncode(buf[:0])
		}
	})
}

func BenchmarkGet(b *testing.B) {
	m := mustParse(b, readFixture(b, "oru_r01.hl7"))
	b.ReportAllocs()
	for _, path := range []string{"MSH-10", "PID-3-1", "OBX(5)-5", "OBR-25", "PID-11-2"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				_ = m.Get(path)
			}
		})
	}
}

// BenchmarkParseAndMap is the shape of the result consumer's hot path:
// parse, group, and read the fields a result mapping needs.
func BenchmarkParseAndMap(b *testing.B) {
	data := readFixture(b, "oru_r01.hl7")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := hl7.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		sink := 0
		msh := m.MSH()
		sink += len(msh.ControlID()) + len(msh.SendingFacility().NamespaceID)
		for _, p := range m.Patients() {
			id, _ := p.PID.Identifier("MR")
			sink += len(id.ID) + len(p.PID.PatientName().Family) + len(p.PID.BirthDate()) + len(p.PID.Sex())
			for _, o := range p.Orders {
				sink += len(o.ORC.PlacerOrderNumber().ID) + len(o.OBR.FillerOrderNumber().ID) +
					len(o.OBR.UniversalServiceID().Code) + len(o.OBR.ResultStatus())
				for _, obs := range o.Observations {
					x := obs.OBX
					sink += len(x.ObservationID().Code) + len(x.Value()) + len(x.Units().Code) +
						len(x.ReferenceRange()) + len(x.ResultStatus()) + len(x.ObservationTime()) + len(x.Field(8).String())
				}
			}
		}
		if sink == 0 {
			b.Fatal("nothing read")
		}
	}
}

func TestAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are checked in full runs")
	}
	data := readFixture(t, "oru_r01.hl7")
	m := mustParse(t, data)
	tests := []struct {
		name string
		max  float64
		f    func()
	}{
		{"Parse", 2, func() { _, _ = hl7.Parse(data) }},    // the Message and the copy of the text
		{"Encode", 1, func() { _ = m.Encode() }},           // the output buffer
		{"Get plain", 0, func() { _ = m.Get("OBX(5)-5") }}, // a substring of the message
		{"typed OBX", 0, func() { _ = hl7.OBX{Segment: m.First("OBX")}.ObservationID() }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.f); got > tt.max {
			t.Errorf("%s: %.0f allocations, want at most %.0f", tt.name, got, tt.max)
		}
	}
}
