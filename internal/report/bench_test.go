package report

import (
	"io"
	"testing"
)

// BenchmarkRender10Tests renders the ten-test fixture on one goroutine:
// reports/s is the throughput of one core.
func BenchmarkRender10Tests(b *testing.B) {
	r := fixture()
	b.ReportAllocs()
	for b.Loop() {
		if err := Render(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// BenchmarkRender60TestsParallel renders a three-page report on every
// core, as a worker pool would.
func BenchmarkRender60TestsParallel(b *testing.B) {
	r := longFixture(60)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := Render(io.Discard, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}
