package delivery

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"550 5.1.1 <jane.roe@example.org>: Recipient address rejected", "550 5.1.1 <<redacted>>: Recipient address rejected"},
		{"call +49 (30) 123-4567 now", "call <redacted> now"},
		{"4.7.1 try again in 300 seconds", "4.7.1 try again in 300 seconds"},
		{"line\r\nbreak\x00", "line  break"},
		{"\xff bad utf8", "? bad utf8"},
	}
	for _, tc := range cases {
		if got := redact(tc.in, 100); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := redact(strings.Repeat("ä", 50), 10); got != strings.Repeat("ä", 10)+"…" {
		t.Errorf("cap: %q", got)
	}
}

func TestRedactKeepsCodes(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"451 4.7.1 greylisted, retry in 300s", "AE 204 Unknown key identifier at PID-3", "HTTP 503"} {
		if got := redact(s, 100); got != s {
			t.Errorf("redact(%q) = %q, want it unchanged", s, got)
		}
	}
	if got := redact("born 1957-03-14, MRN 12345678", 100); strings.Contains(got, "1957") || strings.Contains(got, "12345678") {
		t.Errorf("redact kept a date or record number: %q", got)
	}
}
