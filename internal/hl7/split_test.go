package hl7

import "testing"

// FuzzSplit checks that the fast component splitter used by the decoders
// agrees with the general path (parts) whenever it accepts a value, at
// every level.
func FuzzSplit(f *testing.F) {
	f.Add("6690-2^Leukocytes^LN")
	f.Add("PAT^^^LAB&1.2&ISO^MR~X^^^Y")
	f.Add(`a\S\b^c`)
	f.Add("^^~^")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		d := DefaultDelimiters
		for _, lvl := range []level{levelField, levelRep, levelComp, levelSub} {
			v := Value{raw: raw, d: d, lvl: lvl, ok: true}
			var c [maxParts]string
			if !split(v, &c) {
				continue
			}
			p := partsOf(v)
			for i := range maxParts {
				if got, want := c[i], p.next(); got != want {
					t.Fatalf("level %d part %d: split %q, parts %q", lvl, i+1, got, want)
				}
			}
		}
	})
}
