package dashboard

import (
	"fmt"
	"strings"
	"time"
)

// Charts are inline SVG drawn from numbers only (no caller text reaches
// them), so templates may include them unescaped. Colours come from CSS
// classes (static/app.css), as the content security policy forbids inline
// styles.

// sparkline draws a series as one bar per minute: processed in the base
// colour, failed stacked on top in the error colour.
func sparkline(s *series, w, h int) string {
	var peak int64
	for i := range rateBuckets {
		peak = max(peak, s.Total[i])
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="records per minute, last hour">`, w, h, w, h)
	fmt.Fprintf(&b, `<line class="axis" x1="0" y1="%d" x2="%d" y2="%d"/>`, h-1, w, h-1)
	if peak == 0 {
		b.WriteString(`</svg>`)
		return b.String()
	}
	bw := float64(w) / rateBuckets
	for i := range rateBuckets {
		t, f := s.Total[i], s.Failed[i]
		if t == 0 {
			continue
		}
		x := float64(i) * bw
		th := max(1, float64(h-2)*float64(t)/float64(peak))
		fh := float64(h-2) * float64(f) / float64(peak)
		fmt.Fprintf(&b, `<rect class="ok" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, float64(h-1)-th, max(bw-0.6, 0.6), th-fh)
		if f > 0 {
			fmt.Fprintf(&b, `<rect class="fail" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, float64(h-1)-fh, max(bw-0.6, 0.6), max(fh, 1))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// barChart is the overview's hour of throughput: bars per minute with a
// y axis scaled to a round number and time labels every 15 minutes.
func barChart(s *series, w, h int) string {
	const left, bottom, top = 44, 22, 8
	var peak int64
	for i := range rateBuckets {
		peak = max(peak, s.Total[i])
	}
	scale := niceCeil(peak)
	ph := float64(h - bottom - top)
	pw := float64(w - left - 4)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="records handled per minute over the last hour">`, w, h)
	for i := 0; i <= 4; i++ {
		y := float64(top) + ph - ph*float64(i)/4
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, left, y, w-4, y)
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%.1f" text-anchor="end">%s</text>`, left-6, y+4, fmtNum(scale*int64(i)/4))
	}
	bw := pw / rateBuckets
	for i := range rateBuckets {
		t, f := s.Total[i], s.Failed[i]
		x := float64(left) + float64(i)*bw
		if i%15 == 0 || i == rateBuckets-1 {
			label := s.Start.Add(rateBucket * time.Duration(i)).Format("15:04")
			fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+bw/2, h-6, label)
		}
		if t == 0 {
			continue
		}
		th := ph * float64(t) / float64(scale)
		fh := ph * float64(f) / float64(scale)
		fmt.Fprintf(&b, `<rect class="ok" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d handled, %d failed</title></rect>`,
			x+0.5, float64(top)+ph-th, max(bw-1, 1), max(th-fh, 0), s.Start.Add(rateBucket*time.Duration(i)).Format("15:04"), t, f)
		if f > 0 {
			fmt.Fprintf(&b, `<rect class="fail" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x+0.5, float64(top)+ph-fh, max(bw-1, 1), max(fh, 1))
		}
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, left, float64(top)+ph, w-4, float64(top)+ph)
	b.WriteString(`</svg>`)
	return b.String()
}

// kedaBar shows lag against the threshold of each replica step: the
// filled part is lag, ticks mark where KEDA adds a replica.
func kedaBar(lag int64, threshold, maxReplicas int, w, h int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="keda" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="lag against the KEDA threshold">`, w, h, w, h)
	fmt.Fprintf(&b, `<rect class="track" x="0" y="0" width="%d" height="%d" rx="3"/>`, w, h)
	if threshold > 0 && maxReplicas > 0 {
		capacity := float64(threshold * maxReplicas)
		fill := min(float64(lag)/capacity, 1) * float64(w)
		cls := "ok"
		if lag > int64(threshold) {
			cls = "warn"
		}
		if float64(lag) >= capacity {
			cls = "fail"
		}
		if fill > 0 {
			fmt.Fprintf(&b, `<rect class="%s" x="0" y="0" width="%.1f" height="%d" rx="3"/>`, cls, max(fill, 2), h)
		}
		for i := 1; i < maxReplicas; i++ {
			x := float64(w) * float64(i) / float64(maxReplicas)
			fmt.Fprintf(&b, `<line class="tick" x1="%.1f" y1="0" x2="%.1f" y2="%d"/>`, x, x, h)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceCeil is the y-axis top for a peak of n: four times a round step
// (1, 2 or 5 times a power of ten, or 25 times one), so the four grid
// lines get round labels.
func niceCeil(n int64) int64 {
	need := max((n+3)/4, 1)
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 25, 5} {
			step := m * p
			if m == 25 {
				if p < 10 {
					continue
				}
				step = 25 * p / 10
			}
			if step >= need {
				return 4 * step
			}
		}
	}
}
