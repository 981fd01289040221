package hl7map_test

import (
	"testing"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
)

// The goal for the result path is 200,000 messages per second per
// core for parse + map of a ~2 KB ORU^R01, about 5 µs a message. The
// fixture is the decode_results golden input: 2.3 KB, 10 result OBX (plus
// a specimen OBX), with notes, an SN value and escapes.

func BenchmarkParseAndDecodeORU(b *testing.B) {
	data := goldenInput(b, "decode_results/oru_r01_cbc.golden")
	opt := testOptions()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		m, err := hl7.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if hl7map.Classify(m) != hl7map.KindResults {
			b.Fatal("not results")
		}
		rs, err := hl7map.DecodeResults(m, opt)
		if err != nil || len(rs) != 10 {
			b.Fatalf("%d results, %v", len(rs), err)
		}
	}
}

// reportCPU adds cpu-ns/op (process CPU time, GC included, per operation)
// and msgs/cpu-s to a benchmark; see processCPU. Run with -cpu 1 so that
// the process's CPU time is the benchmark's.
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		end, _ := processCPU()
		if !ok || b.N == 0 {
			return
		}
		per := float64(end-start) / float64(b.N)
		b.ReportMetric(per, "cpu-ns/op")
		if per > 0 {
			b.ReportMetric(1e9/per, "msgs/cpu-s")
		}
	}
}

// BenchmarkDecodeORU is the mapping alone, on a parsed message.
func BenchmarkDecodeORU(b *testing.B) {
	m, err := hl7.Parse(goldenInput(b, "decode_results/oru_r01_cbc.golden"))
	if err != nil {
		b.Fatal(err)
	}
	opt := testOptions()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := hl7map.DecodeResults(m, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeORM(b *testing.B) {
	c := readCase(b, goldenInput(b, "encode_orm/stat_with_catalog.golden"))
	tests, opt := c.tests(), c.options()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := hl7map.EncodeORM(c.Order, c.Customer, tests, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeAllocations pins the allocations of mapping a parsed ORU:
// the result slice and the comment slices. Unlike timings, allocation
// counts are stable enough to test, and they are what a regression in the
// hot path shows first.
func TestDecodeAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are checked in full runs")
	}
	m, err := hl7.Parse(goldenInput(t, "decode_results/oru_r01_cbc.golden"))
	if err != nil {
		t.Fatal(err)
	}
	opt := testOptions()
	_, _ = hl7map.DecodeResults(m, opt) // builds the codec's field index once
	got := testing.AllocsPerRun(100, func() { _, _ = hl7map.DecodeResults(m, opt) })
	// 1 result slice, 3 comment slices, 1 unescaped comment ("\.br\").
	if got > 6 {
		t.Errorf("DecodeResults: %.0f allocations, want at most 6", got)
	}
}
