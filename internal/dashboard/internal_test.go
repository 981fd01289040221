package dashboard

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	// Production parameters (other tests run with cheap ones).
	saved := argon
	argon = defaultArgon
	defer func() { argon = saved }()
	h := hashPassword("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %s", h)
	}
	if h2 := hashPassword("correct horse battery staple"); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false} {
		if ok, err := checkPassword(h, pw); ok != want || err != nil {
			t.Errorf("check %q = %v %v, want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$2a$10$abc", "$argon2id$v=19$m=1,t=1,p=1$!!$!!", "$argon2id$v=19$m=999999999,t=1,p=1$YQ$YQ"} {
		if ok, err := checkPassword(bad, "x"); ok || err == nil {
			t.Errorf("check against %q = %v %v, want an error", bad, ok, err)
		}
	}
}

func TestOneTimePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := oneTimePassword()
		if len(p) != 23 || strings.Count(p, "-") != 3 || seen[p] {
			t.Fatalf("one-time password %q", p)
		}
		if strings.ContainsAny(p, "0O1lI") {
			t.Fatalf("look-alike characters in %q", p)
		}
		seen[p] = true
	}
}

func TestLimiterIsBounded(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(func() time.Time { return now })
	for i := range limitMaxEntry * 2 {
		l.fail("10.0.0.1", "user-"+itoa(i))
		now = now.Add(time.Millisecond)
	}
	if n := l.size(); n > 2*limitMaxEntry {
		t.Fatalf("limiter holds %d windows, bound is %d", n, limitMaxEntry)
	}
	// Flooding the names does not push the address's window out.
	if _, ok := l.allow("10.0.0.1", "someone-else"); ok {
		t.Fatal("the flooding address is no longer limited")
	}
	for i := range limitMaxEntry * 2 {
		l.fail("10.1."+itoa(i/250)+"."+itoa(i%250), "x")
	}
	if n := l.size(); n > 2*limitMaxEntry {
		t.Fatalf("limiter holds %d windows after a flood of addresses", n)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestMaskText(t *testing.T) {
	for in, want := range map[string]string{
		"order A-2026-000123 for C-1042":             "order A-2026-000123 for C-1042",
		"call +41 44 123 45 67 now":                  "call *** now",
		"mail ada@example.org":                       "mail ***@***",
		"born 1980-04-02, seen 2026-03-14T09:26:53Z": "born 1980-**-**, seen 2026-**-**",
		"born 02.04.1980":                            "born **/**/1980",
		"short 12345 numbers stay":                   "short 12345 numbers stay",
	} {
		if got := maskText(in); got != want {
			t.Errorf("maskText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskHL7(t *testing.T) {
	in := "MSH|^~\\&|LIS|LAB\nPID|1||C-1^^^LAB^MR||Lovelace^Ada||19800402|F|||Street 1||555-1234\nPV1|1|O|WARD\nOBX|1|NM|GLU||105|mg/dL"
	got := maskHL7(in)
	want := "MSH|^~\\&|LIS|LAB\nPID|1||C-1^^^LAB^MR||***||1980|F|||***||***\nPV1|1|O|WARD\nOBX|1|NM|GLU||***|mg/dL"
	if got != want {
		t.Fatalf("maskHL7:\n%s\nwant\n%s", got, want)
	}
	// Another field separator, as MSH-1 allows.
	if got := maskHL7("MSH#^~\\&#LIS\nPID#1##C-1##Doe^Jane"); got != "MSH#^~\\&#LIS\nPID#1##C-1##***" {
		t.Fatalf("custom separator: %s", got)
	}
}

func TestFormatPayload(t *testing.T) {
	if f, body := formatPayload("customer", []byte(`{"a":1}`), false); f != "JSON" || body != "{\n  \"a\": 1\n}" {
		t.Errorf("json: %s %q", f, body)
	}
	if f, body := formatPayload("x", []byte("\xef\xbb\xbfMSH|^~\\&|A\rPID|1\r"), false); f != "HL7 v2" || body != "MSH|^~\\&|A\nPID|1" {
		t.Errorf("hl7: %s %q", f, body)
	}
	if f, body := formatPayload("x", []byte{0xff, 0xfe, 0x00}, true); f != "binary" || strings.Contains(body, "ff") {
		t.Errorf("binary for a viewer: %s %q", f, body)
	}
	// A known stream with an unexpected document falls back to the
	// conservative masking rather than dropping fields silently.
	_, body := formatPayload("customer", []byte(`{"id":"C-1","nickname":"Addy","family_name":"Lovelace"}`), true)
	if strings.Contains(body, "Addy") || strings.Contains(body, "Lovelace") || !strings.Contains(body, "C-1") {
		t.Errorf("unknown customer shape: %s", body)
	}
	// The test catalog is not PHI.
	if _, body := formatPayload("lis-test-master", []byte(`{"code":"GLU","name":"Glucose"}`), true); !strings.Contains(body, "Glucose") {
		t.Errorf("catalog masked: %s", body)
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[int64]int64{0: 4, 3: 4, 5: 8, 9: 20, 11: 20, 37: 40, 90: 100, 101: 200, 999: 1000} {
		if got := niceCeil(in); got != want || got%4 != 0 {
			t.Errorf("niceCeil(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	h := &Handler{base: "/ui/"}
	for in, want := range map[string]string{
		"/ui/messages?order=A": "/ui/messages?order=A",
		"/ui/":                 "/ui/",
		"https://evil.example": "",
		"//evil.example/ui/":   "",
		"/other/":              "",
		"/ui/\\evil":           "",
		"":                     "",
	} {
		if got := h.safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoleRanks(t *testing.T) {
	for _, c := range []struct {
		role, want string
		ok         bool
	}{
		{"viewer", "viewer", true}, {"viewer", "operator", false}, {"operator", "operator", true},
		{"operator", "admin", false}, {"admin", "operator", true}, {"", "viewer", false}, {"root", "viewer", false},
		{"admin", "superuser", false},
	} {
		if got := can(c.role, c.want); got != c.ok {
			t.Errorf("can(%s, %s) = %v", c.role, c.want, got)
		}
	}
}
