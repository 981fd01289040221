package hl7

import (
	"os"
	"testing"
)

// BenchmarkParts times the pieces of the result consumer's hot path
// separately (see BenchmarkParseAndMap for the whole), so that a
// regression can be traced to field lookup, composite decoding, grouping
// or the field index.
func BenchmarkParts(b *testing.B) {
	data, err := os.ReadFile("testdata/oru_r01.hl7")
	if err != nil {
		b.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	obx := OBX{m.First("OBX")}
	b.Run("Field", func(b *testing.B) {
		for b.Loop() {
			_ = obx.Field(5)
		}
	})
	b.Run("FieldString", func(b *testing.B) {
		for b.Loop() {
			_ = obx.Field(5).String()
		}
	})
	b.Run("DecodeCWE", func(b *testing.B) {
		for b.Loop() {
			_ = obx.ObservationID()
		}
	})
	b.Run("Patients", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.Patients()
		}
	})
	b.Run("BuildIndex", func(b *testing.B) {
		for b.Loop() {
			m.fsPos = m.fsPos[:0]
			for i := range m.segs {
				m.indexSegment(i)
			}
		}
	})
}
