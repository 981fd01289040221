package hl7map_test

import (
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	result := seg("OBX", obx)
	pending := seg("OBX", with(obx, map[int]string{5: "-", 11: "I"}))
	cases := []struct {
		typ  string
		segs []string
		want hl7map.Kind
		code hl7.ErrorCode // of Unsupported; 0 when supported
	}{
		{"ACK^O01^ACK", []string{"MSA|AA|C1"}, hl7map.KindAck, 0},
		{"ACK", []string{"MSA|AE|C1"}, hl7map.KindAck, 0},
		{"MCF", nil, hl7map.KindAck, 0},
		{"ORR^O02^ORR_O02", []string{"MSA|AA|C1", seg("ORC", with(orc, map[int]string{1: "OK"}))}, hl7map.KindAck, 0},
		{"ORL^O22^ORL_O22", []string{"MSA|AA|C1"}, hl7map.KindAck, 0},
		{"ORM^O01^ORM_O01", []string{seg("ORC", with(orc, map[int]string{1: "NW"})), seg("OBR", obr)}, hl7map.KindOrder, 0},
		{"ORM^O01", []string{seg("ORC", with(orc, map[int]string{1: "CA"})), seg("OBR", obr)}, hl7map.KindOrder, 0},
		{"ORM^O01", []string{seg("ORC", with(orc, map[int]string{1: "XO"})), seg("OBR", obr)}, hl7map.KindOrder, 0},
		{"ORM", []string{seg("OBR", obr)}, hl7map.KindOrder, 0},
		{"ORM^O01", []string{seg("ORC", with(orc, map[int]string{1: "SC"})), seg("OBR", obr)}, hl7map.KindStatus, 0},
		{"ORM^O01", []string{seg("ORC", with(orc, map[int]string{1: "cr"})), seg("OBR", obr)}, hl7map.KindStatus, 0},
		{"OML^O21^OML_O21", []string{seg("ORC", with(orc, map[int]string{1: "NW"})), seg("OBR", obr)}, hl7map.KindOrder, 0},
		{"OML^O21^OML_O21", []string{seg("ORC", with(orc, map[int]string{1: "UA"})), seg("OBR", obr)}, hl7map.KindStatus, 0},
		{"OML^O33^OML_O33", nil, hl7map.KindUnsupported, hl7.CodeUnsupportedEventCode},
		{"ORU^R01^ORU_R01", []string{seg("OBR", obr), pending, result}, hl7map.KindResults, 0},
		{"ORU^R01^ORU_R01", []string{seg("OBR", obr), seg("OBX", with(obx, map[int]string{11: "-"}))}, hl7map.KindResults, 0},
		{"ORU^R01^ORU_R01", []string{seg("OBR", obr), pending}, hl7map.KindStatus, 0},
		{"ORU^R01", []string{seg("OBR", with(obr, map[int]string{25: "I"}))}, hl7map.KindStatus, 0},
		{"ORU^R01", []string{seg("PID", pid), result, seg("OBR", with(obr, map[int]string{25: "I"}))}, hl7map.KindStatus, 0},
		{"ORU^R01", []string{seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{2: "ED"}))}, hl7map.KindStatus, 0},
		{"OUL^R22", []string{seg("PID", pid), seg("SPM", spm), result, seg("OBR", with(obr, map[int]string{25: "I"}))}, hl7map.KindStatus, 0},
		{"ORU^R01", []string{result}, hl7map.KindResults, 0},
		{"ORU^R30", nil, hl7map.KindUnsupported, hl7.CodeUnsupportedEventCode},
		{"OUL^R22^OUL_R22", []string{seg("SPM", spm), seg("OBR", obr), result}, hl7map.KindResults, 0},
		{"OUL^R24^OUL_R24", []string{seg("OBR", obr), result}, hl7map.KindResults, 0},
		{"OUL^R25", nil, hl7map.KindUnsupported, hl7.CodeUnsupportedEventCode},
		{"ADT^A04^ADT_A01", []string{seg("PID", pid)}, hl7map.KindPatient, 0},
		{"ADT^A08^ADT_A01", []string{seg("PID", pid)}, hl7map.KindPatient, 0},
		{"ADT^A28^ADT_A05", []string{seg("PID", pid)}, hl7map.KindPatient, 0},
		{"ADT^A03^ADT_A03", []string{seg("PID", pid)}, hl7map.KindUnsupported, hl7.CodeUnsupportedEventCode},
		{"ADT", []string{seg("PID", pid)}, hl7map.KindUnsupported, hl7.CodeUnsupportedEventCode},
		{"SIU^S12^SIU_S12", nil, hl7map.KindUnsupported, hl7.CodeUnsupportedMessageType},
		{"QRY^A19", nil, hl7map.KindUnsupported, hl7.CodeUnsupportedMessageType},
		{"", nil, hl7map.KindUnsupported, hl7.CodeUnsupportedMessageType},
	}
	for _, tc := range cases {
		data := strings.Join(append([]string{msh(tc.typ)}, tc.segs...), "\r")
		m, err := hl7.Parse([]byte(data))
		if err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		if got := hl7map.Classify(m); got != tc.want {
			t.Errorf("Classify(%s %v) = %v, want %v", tc.typ, len(tc.segs), got, tc.want)
		}
		e := hl7map.Unsupported(m)
		switch {
		case tc.code == 0 && e != nil:
			t.Errorf("Unsupported(%s) = %v, want nil", tc.typ, e)
		case tc.code != 0 && (e == nil || e.Code != tc.code):
			t.Errorf("Unsupported(%s) = %v, want code %d", tc.typ, e, tc.code)
		case tc.code != 0 && e.AckCode() != hl7.AR:
			t.Errorf("Unsupported(%s) answers %s, want AR", tc.typ, e.AckCode())
		}
	}
}

// TestUnsupportedNamesNoContent: the error text names the message type only
// when it looks like one, so a sender cannot make IMP echo arbitrary text.
func TestUnsupportedNamesNoContent(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]string{
		"SIU^S12":              "MSH-9-1: message type SIU^S12 is not supported",
		"Jane Doe^1970":        "MSH-9-1: message type (unreadable) is not supported",
		"ORU^Jane Doe":         "MSH-9-2: trigger event ORU^(unreadable) is not supported",
		"ADT^A99^ADT_A01":      "MSH-9-2: trigger event ADT^A99 is not supported",
		`ZZZ^\F\`:              "MSH-9-1: message type ZZZ^(unreadable) is not supported",
		"VXU^V04^VXU_V04extra": "MSH-9-1: message type VXU^V04 is not supported",
	} {
		m, err := hl7.Parse([]byte(msh(typ)))
		if err != nil {
			t.Fatal(err)
		}
		if got := hl7map.Unsupported(m).Error(); got != want {
			t.Errorf("%s: %q, want %q", typ, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for k := hl7map.KindUnsupported; k <= hl7map.KindAck; k++ {
		s := k.String()
		if seen[s] || strings.HasPrefix(s, "kind(") {
			t.Errorf("Kind %d has name %q", k, s)
		}
		seen[s] = true
	}
	if got := hl7map.Kind(99).String(); got != "kind(99)" {
		t.Errorf("Kind(99) = %q", got)
	}
}
