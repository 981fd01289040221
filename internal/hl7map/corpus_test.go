package hl7map_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
)

// TestCorpus maps every order and results message of the public sample
// corpus. None may panic or return an error that is not an *hl7map.Error;
// every record decoded must pass lab validation; a results or order
// message that maps must give at least one record. The samples are not
// written for IMP, so many lack what IMP requires (a verifier, an
// accession number): those are logged with the reason, which names only
// positions.
func TestCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.hl7"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no HL7 corpus at %s", corpusDir)
	}
	mapped := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := hl7.Parse(data)
		if err != nil {
			t.Errorf("%s: does not parse: %v", filepath.Base(file), err)
			continue
		}
		code := strings.ToUpper(m.Type().Code)
		if code != "ORU" && code != "OUL" && code != "ORM" && code != "OML" {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			kind := hl7map.Classify(m)
			opt := testOptions()
			var n int
			switch code {
			case "ORU", "OUL":
				rs, err := hl7map.DecodeResults(m, opt)
				if !checkCorpusErr(t, "DecodeResults", err) {
					return
				}
				for i := range rs {
					if err := rs[i].Validate(); err != nil {
						t.Errorf("result %d does not validate: %v", i, err)
					}
				}
				n = len(rs)
			case "ORM", "OML":
				orders, c, err := hl7map.DecodeOrders(m, opt)
				if !checkCorpusErr(t, "DecodeOrders", err) {
					return
				}
				for i := range orders {
					if err := orders[i].Validate(); err != nil {
						t.Errorf("order %d does not validate: %v", i, err)
					}
				}
				if err := c.Validate(); err != nil {
					t.Errorf("customer does not validate: %v", err)
				}
				n = len(orders)
			}
			evs, err := hl7map.DecodeStatus(m, opt)
			if checkCorpusErr(t, "DecodeStatus", err) {
				for i := range evs {
					if err := evs[i].Validate(); err != nil {
						t.Errorf("status event %d does not validate: %v", i, err)
					}
				}
			}
			if (kind == hl7map.KindResults || kind == hl7map.KindOrder) && n == 0 {
				t.Errorf("%s message mapped to nothing", kind)
			}
			if n > 0 {
				mapped++
				t.Logf("%s: %d records", kind, n)
			}
		})
	}
	t.Logf("%d corpus messages mapped to records", mapped)
}

// checkCorpusErr logs a mapping error and reports whether there was none;
// an error of another type fails the test.
func checkCorpusErr(t *testing.T, what string, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	var me *hl7map.Error
	if !errors.As(err, &me) {
		t.Errorf("%s: error %v is not an *hl7map.Error", what, err)
		return false
	}
	t.Logf("%s: not mapped: %v", what, err)
	return false
}
